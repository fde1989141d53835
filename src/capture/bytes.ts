/**
 * Byte-order readers for capture headers: unsigned 32/16-bit little and big endian, without the
 * bounds checks of Buffer.readUInt32LE (the parsers check lengths first; these sit on the hot path).
 */
export const TWO32 = 4294967296;

export function u32le(b: Buffer, p: number): number {
  return (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16)) + b[p + 3] * 0x1000000;
}
export function u32be(b: Buffer, p: number): number {
  return b[p] * 0x1000000 + ((b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]);
}
export function u16le(b: Buffer, p: number): number {
  return b[p] | (b[p + 1] << 8);
}
export function u16be(b: Buffer, p: number): number {
  return (b[p] << 8) | b[p + 1];
}
export function hex32(v: number): string {
  return `0x${v.toString(16).padStart(8, '0')}`;
}
