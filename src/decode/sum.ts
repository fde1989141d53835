/** Internet checksum arithmetic (RFC 1071) over bytes in place. */

/** One's-complement 32-bit accumulator of the 16-bit big-endian words of buf[from, to). */
export function sumBytes(buf: Uint8Array, from: number, to: number, acc: number): number {
  let s = acc;
  let i = from;
  const even = to - ((to - from) & 1);
  // unrolled by 8 bytes; keep the sum below 2^53 by folding periodically
  for (; i + 8 <= even; i += 8) {
    s += ((buf[i] << 8) | buf[i + 1]) + ((buf[i + 2] << 8) | buf[i + 3]);
    s += ((buf[i + 4] << 8) | buf[i + 5]) + ((buf[i + 6] << 8) | buf[i + 7]);
    if (s > 0x3fffffff) s = (s & 0xffff) + Math.floor(s / 65536);
  }
  for (; i < even; i += 2) s += (buf[i] << 8) | buf[i + 1];
  if (even < to) s += buf[even] << 8;
  return s;
}

/** Fold to 16 bits (not complemented). */
export function fold16(sum: number): number {
  let s = sum;
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 65536);
  return s;
}

/** The checksum to store: complement of the folded sum. */
export function finishChecksum(sum: number): number {
  return ~fold16(sum) & 0xffff;
}
