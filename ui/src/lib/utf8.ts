// The backend speaks UTF-8 byte offsets; JavaScript strings index UTF-16 code units.
// These helpers convert between the two and cut text into highlighted segments.

/** For each UTF-16 index 0..=s.length, the UTF-8 byte offset of that position. */
export function byteOffsets(s: string): number[] {
  const out = new Array<number>(s.length + 1);
  let b = 0;
  for (let i = 0; i < s.length; i++) {
    out[i] = b;
    const c = s.charCodeAt(i);
    if (c < 0x80) b += 1;
    else if (c < 0x800) b += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      // A surrogate pair is one 4-byte code point: its low half sits at the same byte
      // offset as its high half, so no byte offset ever lands between them.
      out[i + 1] = b;
      b += 4;
      i += 1;
    } else b += 3;
  }
  out[s.length] = b;
  return out;
}

/** The UTF-16 index of a byte offset (the nearest at or after it). */
export function indexOfByte(offsets: number[], byte: number): number {
  let lo = 0;
  let hi = offsets.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((offsets[mid] ?? Infinity) < byte) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export interface Segment<T> {
  text: string;
  /** JS index where the segment starts. */
  at: number;
  mark: T | null;
}

/**
 * Cuts `s` into plain and marked segments. `marks` carry UTF-8 byte ranges (sorted, not
 * overlapping), as the backend reports them.
 */
export function segments<T>(s: string, marks: { start: number; end: number; value: T }[]): Segment<T>[] {
  const offs = byteOffsets(s);
  const out: Segment<T>[] = [];
  let pos = 0;
  for (const m of [...marks].sort((a, b) => a.start - b.start)) {
    const a = indexOfByte(offs, m.start);
    const b = indexOfByte(offs, m.end);
    if (a < pos || b <= a) continue;
    if (a > pos) out.push({ text: s.slice(pos, a), at: pos, mark: null });
    out.push({ text: s.slice(a, b), at: a, mark: m.value });
    pos = b;
  }
  if (pos < s.length) out.push({ text: s.slice(pos), at: pos, mark: null });
  return out;
}
