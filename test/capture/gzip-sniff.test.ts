/**
 * The one gzip sniffer: capture files and bundles call the same test (RFC 1952 ID1 ID2).
 */
import { describe, expect, it } from 'vitest';
import { isGzip } from '../../src/capture/gzip.js';

describe('isGzip', () => {
  it('is true for the two gzip ID bytes, whatever follows', () => {
    expect(isGzip(Buffer.from([0x1f, 0x8b, 8, 0]))).toBe(true);
    expect(isGzip(Buffer.from([0x1f, 0x8b]))).toBe(true);
    // a reserved compression method is still gzip: zlib then says what is wrong with it
    expect(isGzip(Buffer.from([0x1f, 0x8b, 7]))).toBe(true);
  });

  it('is false for anything else, short input included', () => {
    expect(isGzip(Buffer.alloc(0))).toBe(false);
    expect(isGzip(Buffer.from([0x1f]))).toBe(false);
    expect(isGzip(Buffer.from([0x8b, 0x1f]))).toBe(false);
    expect(isGzip(Buffer.from([0xd4, 0xc3, 0xb2, 0xa1]))).toBe(false);
  });
});
