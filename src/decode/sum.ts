/** Internet checksum arithmetic (RFC 1071) over bytes in place. */

let viewBuf: Uint8Array | null = null;
let view: DataView<ArrayBufferLike> = new DataView(new ArrayBuffer(0));

/**
 * A DataView over all of `buf`. The last one is kept: the frames of one reader chunk share their
 * buf, so a view is made once per chunk. Only use it for offsets checked against buf.length.
 */
export function viewOf(buf: Uint8Array): DataView {
  if (buf !== viewBuf) {
    view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    viewBuf = buf;
  }
  return view;
}

/**
 * One's-complement accumulator of the 16-bit big-endian words of buf[from, to) (an odd last byte
 * is the high byte of a word), added to `acc`. Not folded: fold16/finishChecksum fold it. Reads
 * 32-bit words and adds their halves into two integer sums (below 2^31 for any IP packet), so
 * the loop needs no folding.
 */
export function sumBytes(buf: Uint8Array, from: number, to: number, acc: number): number {
  if (from < 0 || from > to || to > buf.length) return sumBytesLoose(buf, from, to, acc);
  const dv = viewOf(buf);
  let hi = 0;
  let lo = 0;
  let i = from;
  for (; i + 8 <= to; i += 8) {
    const a = dv.getUint32(i);
    const b = dv.getUint32(i + 4);
    hi += (a >>> 16) + (b >>> 16);
    lo += (a & 0xffff) + (b & 0xffff);
  }
  if (i + 4 <= to) {
    const a = dv.getUint32(i);
    hi += a >>> 16;
    lo += a & 0xffff;
    i += 4;
  }
  if (i + 2 <= to) {
    lo += dv.getUint16(i);
    i += 2;
  }
  if (i < to) lo += buf[i] << 8;
  return acc + hi + lo;
}

/** Byte-wise sum for ranges outside buf (missing bytes count as 0) or reversed: the old loop. */
function sumBytesLoose(buf: Uint8Array, from: number, to: number, acc: number): number {
  let s = acc;
  let i = from;
  const even = to - ((to - from) & 1);
  for (; i < even; i += 2) {
    s += ((buf[i] ?? 0) << 8) | (buf[i + 1] ?? 0);
    if (s > 0x3fffffff) s = (s & 0xffff) + Math.floor(s / 65536);
  }
  if (even < to) s += (buf[even] ?? 0) << 8;
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
