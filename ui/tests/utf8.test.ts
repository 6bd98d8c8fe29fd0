import { describe, expect, it } from 'vitest';
import { byteOffsets, indexOfByte, segments } from '../src/lib/utf8';

describe('utf8 offsets', () => {
  it('maps byte offsets to string indices through multi-byte characters', () => {
    const s = 'café 😀 x';
    const offs = byteOffsets(s);
    expect(offs[0]).toBe(0);
    expect(offs[4]).toBe(5); // é is two bytes
    expect(offs[s.length]).toBe(new TextEncoder().encode(s).length);
    expect(indexOfByte(offs, 5)).toBe(4);
    expect(s.slice(indexOfByte(offs, 6), indexOfByte(offs, 10))).toBe('😀');
  });

  it('cuts text into marked segments by byte ranges', () => {
    const s = 'Dr. Zoë Pellworth on 03/14';
    const enc = new TextEncoder();
    const start = enc.encode('Dr. ').length;
    const end = start + enc.encode('Zoë Pellworth').length;
    const seg = segments(s, [{ start, end, value: 'name' }]);
    expect(seg.map((x) => [x.text, x.mark])).toEqual([
      ['Dr. ', null],
      ['Zoë Pellworth', 'name'],
      [' on 03/14', null],
    ]);
  });
});
