/**
 * The one gzip sniffer, for capture files and support bundles alike. RFC 1952 section 2.3.1: a gzip
 * member starts with ID1 = 0x1f, ID2 = 0x8b. The compression method byte after them is left to zlib, so
 * a file with a reserved method is reported as broken gzip ("unknown compression method") rather than
 * as some other format.
 */
export function isGzip(b: Uint8Array): boolean {
  return b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;
}
