// Label keys: digits and shift+digits only, read from the physical key so that shift+1
// means the same on every keyboard layout.
import type { LabelDef, SchemaBody, SpanLabel } from '../api/types';
import { byteOffsets } from '../utf8';

/** "1"…"0" or "shift+1"…"shift+0" for a digit key press, else null. */
export function labelKeyOf(e: KeyboardEvent): string | null {
  if (e.ctrlKey || e.metaKey || e.altKey) return null;
  const m = /^Digit([0-9])$/.exec(e.code) ?? /^Numpad([0-9])$/.exec(e.code);
  if (!m) return null;
  return `${e.shiftKey ? 'shift+' : ''}${m[1]}`;
}

/** The label a key applies, if any. */
export function labelForKey(body: SchemaBody, key: string): LabelDef | null {
  return body.labels.find((l) => l.key === key) ?? null;
}

/** How a key is shown on its chip: "1", "⇧1". */
export function keyChip(key: string | null): string {
  return key ? key.replace('shift+', '⇧') : '';
}

/** The label's colour (the schema always has one). */
export function colorOf(body: SchemaBody, label: string): string {
  return body.labels.find((l) => l.name === label)?.color ?? '#888888';
}

/**
 * Snaps a selection [a, b) of UTF-16 indices to whole words (letters, digits, apostrophes
 * and hyphens inside a word), trimming spaces, and returns UTF-8 byte offsets.
 */
export function snapToWords(text: string, a: number, b: number): { start: number; end: number } | null {
  const word = /[\p{L}\p{N}'’-]/u;
  let s = Math.max(0, Math.min(a, b));
  let e = Math.min(text.length, Math.max(a, b));
  while (s < e && /\s/.test(text[s] ?? '')) s++;
  while (e > s && /\s/.test(text[e - 1] ?? '')) e--;
  if (s >= e) return null;
  while (s > 0 && word.test(text[s - 1] ?? '') && word.test(text[s] ?? '')) s--;
  while (e < text.length && word.test(text[e] ?? '') && word.test(text[e - 1] ?? '')) e++;
  const offs = byteOffsets(text);
  const start = offs[s];
  const end = offs[e];
  return start === undefined || end === undefined ? null : { start, end };
}

/** Spans sorted by position, each (start, end, label) once. */
export function sortSpans(spans: SpanLabel[]): SpanLabel[] {
  const seen = new Set<string>();
  return [...spans]
    .sort((x, y) => x.start - y.start || x.end - y.end || x.label.localeCompare(y.label))
    .filter((s) => {
      const k = `${s.start}:${s.end}:${s.label}`;
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    });
}
