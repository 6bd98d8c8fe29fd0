// The DICOM viewer's keys (scope "image"), decided from the key event alone so they work
// whatever element has focus (UX.md rule 11). As UX.md has it for this scope, 1–5 are the
// W/L presets and labels move to shift+digits: the schema's label on key "3" is applied
// with shift+3 here. (Labels on shift+digit keys, the 11th to 20th, are applied by click.)
import { PRESETS } from './wl';

/** What a key does in the image pane. */
export type ViewerAction =
  | { type: 'label'; key: string }
  | { type: 'tool'; tool: 'select' | 'box' | 'polygon' }
  | { type: 'preset'; index: number }
  | { type: 'invert' }
  | { type: 'reset' }
  | { type: 'fit' }
  | { type: 'frame'; delta: number }
  | { type: 'nudge'; dx: number }
  | { type: 'close_polygon' }
  | { type: 'cancel' }
  | { type: 'delete' }
  | { type: 'undo' }
  | { type: 'cine' }
  | { type: 'hide' }
  | { type: 'next_item' }
  | { type: 'previous_item' }
  | { type: 'submit' };

/**
 * The action of a key press (physical keys for digits, so shift+1 is the same on every
 * layout). `drawing` is true while a polygon is being drawn: Enter closes it instead of
 * submitting, Escape cancels it.
 */
export function viewerAction(e: KeyboardEvent, drawing: boolean): ViewerAction | null {
  const mod = e.ctrlKey || e.metaKey;
  if (mod && e.key.toLowerCase() === 'z') return { type: 'undo' };
  if (mod) return null;
  const digit = /^(?:Digit|Numpad)([0-9])$/.exec(e.code);
  if (digit && !e.altKey) {
    if (e.shiftKey) return { type: 'label', key: digit[1]! };
    const n = Number(digit[1]);
    return n >= 1 && n <= PRESETS.length ? { type: 'preset', index: n - 1 } : null;
  }
  if (e.altKey) {
    if (e.key === 'ArrowRight') return { type: 'next_item' };
    if (e.key === 'ArrowLeft') return { type: 'previous_item' };
    return null;
  }
  switch (e.key) {
    case 'v':
    case 'V':
      return { type: 'tool', tool: 'select' };
    case 'b':
    case 'B':
      return { type: 'tool', tool: 'box' };
    case 'p':
    case 'P':
      return { type: 'tool', tool: 'polygon' };
    case 'i':
    case 'I':
      return { type: 'invert' };
    case 'c':
    case 'C':
      return { type: 'cine' };
    case 'h':
    case 'H':
      return { type: 'hide' };
    case ' ':
      return { type: 'reset' };
    case '=':
      return { type: 'fit' };
    case 'ArrowLeft':
      return { type: 'nudge', dx: e.shiftKey ? -10 : -1 };
    case 'ArrowRight':
      return { type: 'nudge', dx: e.shiftKey ? 10 : 1 };
    case 'ArrowUp':
      return { type: 'frame', delta: -1 };
    case 'ArrowDown':
      return { type: 'frame', delta: 1 };
    case 'PageUp':
      return { type: 'frame', delta: -10 };
    case 'PageDown':
      return { type: 'frame', delta: 10 };
    case 'Escape':
      return { type: 'cancel' };
    case 'Backspace':
    case 'Delete':
      return { type: 'delete' };
    case 'Enter':
      return drawing ? { type: 'close_polygon' } : { type: 'submit' };
    case 'Home':
      return { type: 'frame', delta: -Infinity };
    case 'End':
      return { type: 'frame', delta: Infinity };
    default:
      return null;
  }
}

/** Key hints shown on the toolbar. */
export const PRESET_HINTS = PRESETS.map((p) => `${p.key} ${p.name} ${p.width}/${p.center}`);
