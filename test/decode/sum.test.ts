import { describe, expect, it } from 'vitest';
import { finishChecksum, fold16, sumBytes } from '../../src/decode/sum.js';

/** RFC 1071 by the book: 16-bit big-endian words, an odd last byte padded with zero, missing bytes 0 */
function reference(buf: Uint8Array, from: number, to: number, acc: number): number {
  let s = acc;
  for (let i = from; i < to; i += 2) {
    s += ((buf[i] ?? 0) << 8) | (i + 1 < to ? (buf[i + 1] ?? 0) : 0);
    s = (s & 0xffff) + Math.floor(s / 65536);
  }
  return fold16(s);
}

describe('sumBytes (word-wide) folds like the byte-wise sum', () => {
  let seed = 7;
  const rnd = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x80000000;
  };
  const buf = new Uint8Array(70001);
  for (let i = 0; i < buf.length; i++) buf[i] = Math.floor(rnd() * 256);
  it('every length 0..80 at every start 0..7, and random ranges', () => {
    for (let from = 0; from < 8; from++)
      for (let len = 0; len <= 80; len++)
        expect(fold16(sumBytes(buf, from, from + len, 0))).toBe(reference(buf, from, from + len, 0));
    for (let k = 0; k < 2000; k++) {
      const from = Math.floor(rnd() * 3000);
      const to = from + Math.floor(rnd() * 1600);
      const acc = Math.floor(rnd() * 0x40000);
      expect(fold16(sumBytes(buf, from, to, acc))).toBe(reference(buf, from, to, acc));
    }
  });
  it('all-0xff up to 64 KiB (carries) and zeros (0 stays 0, not 0xffff)', () => {
    const ff = new Uint8Array(65541).fill(0xff);
    for (const len of [1, 2, 3, 4, 5, 8, 9, 1500, 65535, 65536, 65541])
      expect(fold16(sumBytes(ff, 0, len, 0))).toBe(reference(ff, 0, len, 0));
    expect(fold16(sumBytes(new Uint8Array(64), 0, 64, 0))).toBe(0);
    expect(finishChecksum(sumBytes(new Uint8Array(64), 0, 64, 0))).toBe(0xffff);
  });
  it('a subarray view (non-zero byteOffset) and ranges past the end read missing bytes as 0', () => {
    const sub = buf.subarray(3, 1003);
    for (const [from, to] of [
      [0, 1000],
      [1, 999],
      [990, 1007],
      [999, 1000],
    ])
      expect(fold16(sumBytes(sub, from, to, 0))).toBe(reference(sub, from, to, 0));
  });
});
