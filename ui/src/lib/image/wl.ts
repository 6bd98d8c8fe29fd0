// Window/level for 16-bit frames, applied in the UI. Frames arrive as stored values (see
// ImageInfo): a 65,536-entry lookup table maps each stored value (its bit pattern) straight
// to a grey level, so a W/L change rebuilds 64 K entries and a frame is one lookup per pixel.
import type { ImageInfo } from '../api/types';

/** A window in rescaled (modality) units, e.g. Hounsfield units for CT. */
export interface Window {
  center: number;
  width: number;
}

/** A named window preset with its key (UX.md: 1–5). */
export interface Preset extends Window {
  key: string;
  name: string;
}

/** The CT presets of UX.md, on keys 1–5. */
export const PRESETS: readonly Preset[] = [
  { key: '1', name: 'Soft tissue', width: 400, center: 40 },
  { key: '2', name: 'Lung', width: 1500, center: -600 },
  { key: '3', name: 'Liver', width: 150, center: 90 },
  { key: '4', name: 'Bone', width: 2500, center: 480 },
  { key: '5', name: 'Brain', width: 80, center: 40 },
];

/** The image's default window (the header's, or its pixel range). */
export function defaultWindow(info: ImageInfo): Window {
  return { center: info.window_center, width: Math.max(1, info.window_width) };
}

/**
 * The grey level (0–255) of a rescaled value under a window: the linear function of
 * PS3.3 C.11.2.1.2 (centre − 0.5, width − 1), clamped.
 */
export function greyOf(value: number, w: Window): number {
  const width = Math.max(1, w.width);
  const lo = w.center - 0.5 - (width - 1) / 2;
  const hi = w.center - 0.5 + (width - 1) / 2;
  if (value <= lo) return 0;
  if (value > hi) return 255;
  return Math.round(((value - (w.center - 0.5)) / (width - 1) + 0.5) * 255);
}

/** The lookup table: stored value bit pattern (0–65535) → grey level. */
export function buildLut(info: ImageInfo, w: Window, invert: boolean): Uint8Array {
  const lut = new Uint8Array(65536);
  const flip = invert !== info.inverted;
  const slope = info.rescale_slope;
  const intercept = info.rescale_intercept;
  for (let raw = 0; raw < 65536; raw++) {
    const stored = info.signed && raw >= 32768 ? raw - 65536 : raw;
    const g = greyOf(stored * slope + intercept, w);
    lut[raw] = flip ? 255 - g : g;
  }
  return lut;
}

/** Writes a frame through `lut` into RGBA pixels (alpha opaque). */
export function paint(samples: Uint16Array, lut: Uint8Array, out: Uint8ClampedArray): void {
  const n = Math.min(samples.length, out.length >> 2);
  for (let i = 0, j = 0; i < n; i++, j += 4) {
    const g = lut[samples[i]!]!;
    out[j] = g;
    out[j + 1] = g;
    out[j + 2] = g;
    out[j + 3] = 255;
  }
}

/**
 * A drag of (dx, dy) screen pixels from `start`: right widens, down raises the level
 * (the common radiology convention), scaled so a full drag spans the image's range.
 */
export function dragWindow(start: Window, dx: number, dy: number, range: number): Window {
  const k = Math.max(1, range) / 512;
  return { center: start.center + dy * k, width: Math.max(1, start.width + dx * k) };
}

/** "W 400 L 40" for the overlay. */
export function windowText(w: Window): string {
  return `W ${Math.round(w.width)} L ${Math.round(w.center)}`;
}
