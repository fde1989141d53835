/**
 * IPv4 (options, header checksum, fragments) and IPv6 (hop-by-hop 0, routing 43, fragment 44,
 * destination options 60, AH 51 before the transport header). Fill the DecodedPacket in place.
 */
import { fold16, sumBytes } from './sum.js';
import { ChecksumStatus, type DecodedPacket, DecodeStatus } from './types.js';

/** IPv4 header checksum is right when the folded sum over the header is 0xffff. */
export function ipv4HeaderChecksumOk(buf: Uint8Array, off: number, hlen: number): boolean {
  return fold16(sumBytes(buf, off, off + hlen, 0)) === 0xffff;
}

/**
 * IPv4 at `off`. Returns the absolute transport offset, or -1 with out.status set.
 * `wireEnd` is where the packet ended on the wire (for a zero total length: TSO guess).
 */
export function decodeIPv4(
  buf: Uint8Array,
  off: number,
  cend: number,
  wireEnd: number,
  out: DecodedPacket,
): number {
  out.ipOffset = off;
  if (cend - off < 1 || buf[off] >> 4 !== 4) {
    out.status = cend - off < 1 ? DecodeStatus.TRUNCATED : DecodeStatus.BAD_IP;
    return -1;
  }
  out.ipVersion = 4;
  const ihl = (buf[off] & 0x0f) * 4;
  if (ihl < 20) {
    out.status = DecodeStatus.BAD_IP;
    return -1;
  }
  if (cend - off < 20) {
    out.status = DecodeStatus.TRUNCATED;
    return -1;
  }
  let tot = (buf[off + 2] << 8) | buf[off + 3];
  if (tot === 0) tot = wireEnd - off; // TSO/GSO on the sending host: length not filled in
  out.ipTotalLength = tot;
  out.ipId = (buf[off + 4] << 8) | buf[off + 5];
  out.ipTtl = buf[off + 8];
  out.ipProto = buf[off + 9];
  out.srcAddrOffset = off + 12;
  out.dstAddrOffset = off + 16;
  out.ipHeaderLength = ihl;
  if (tot < ihl) {
    out.status = DecodeStatus.BAD_IP;
    return -1;
  }
  if (off + ihl > cend) {
    out.status = DecodeStatus.TRUNCATED;
    return -1;
  }
  out.ipChecksum = ipv4HeaderChecksumOk(buf, off, ihl) ? ChecksumStatus.OK : ChecksumStatus.BAD;
  const frag = (buf[off + 6] << 8) | buf[off + 7];
  const fo = (frag & 0x1fff) * 8;
  out.ipFragOffset = fo;
  out.ipFragment = fo !== 0 || (frag & 0x2000) !== 0;
  out.l4Offset = off + ihl;
  if (fo !== 0) {
    out.status = DecodeStatus.IP_FRAGMENT;
    return -1;
  }
  if (out.ipProto !== 6) {
    out.status = DecodeStatus.NOT_TCP;
    return -1;
  }
  return off + ihl;
}

/** at most this many extension headers (guards against crafted chains) */
const MAX_EXT = 16;

/** IPv6 at `off`. Returns the absolute transport offset, or -1 with out.status set. */
export function decodeIPv6(
  buf: Uint8Array,
  off: number,
  cend: number,
  wireEnd: number,
  out: DecodedPacket,
): number {
  out.ipOffset = off;
  if (cend - off < 1 || buf[off] >> 4 !== 6) {
    out.status = cend - off < 1 ? DecodeStatus.TRUNCATED : DecodeStatus.BAD_IP;
    return -1;
  }
  if (cend - off < 40) {
    out.status = DecodeStatus.TRUNCATED;
    return -1;
  }
  out.ipVersion = 6;
  const plen = (buf[off + 4] << 8) | buf[off + 5];
  out.ipTotalLength = plen === 0 ? wireEnd - off : 40 + plen; // 0: jumbogram or TSO
  out.ipTtl = buf[off + 7];
  out.ipChecksum = ChecksumStatus.NOT_CHECKED;
  out.srcAddrOffset = off + 8;
  out.dstAddrOffset = off + 24;
  let nh = buf[off + 6];
  let p = off + 40;
  for (let i = 0; i <= MAX_EXT; i++) {
    out.ipProto = nh;
    out.l4Offset = p;
    out.ipHeaderLength = p - off;
    switch (nh) {
      case 6:
        return p;
      case 0:
      case 43:
      case 60:
        if (p + 2 > cend) {
          out.status = DecodeStatus.TRUNCATED;
          return -1;
        }
        nh = buf[p];
        p += (buf[p + 1] + 1) * 8;
        break;
      case 51:
        if (p + 2 > cend) {
          out.status = DecodeStatus.TRUNCATED;
          return -1;
        }
        nh = buf[p];
        p += (buf[p + 1] + 2) * 4;
        break;
      case 44: {
        if (p + 8 > cend) {
          out.status = DecodeStatus.TRUNCATED;
          return -1;
        }
        const fo = ((buf[p + 2] << 8) | buf[p + 3]) & 0xfff8;
        // an atomic fragment (offset 0, M clear) is a whole packet
        out.ipFragment = fo !== 0 || (buf[p + 3] & 1) !== 0;
        out.ipFragOffset = fo;
        out.ipId = ((buf[p + 4] << 24) >>> 0) + ((buf[p + 5] << 16) | (buf[p + 6] << 8) | buf[p + 7]);
        nh = buf[p];
        p += 8;
        if (fo !== 0) {
          out.ipProto = nh;
          out.l4Offset = p;
          out.ipHeaderLength = p - off;
          out.status = DecodeStatus.IP_FRAGMENT;
          return -1;
        }
        break;
      }
      default:
        out.status = DecodeStatus.NOT_TCP;
        return -1;
    }
    if (p > off + out.ipTotalLength) {
      out.status = DecodeStatus.BAD_IP; // extension headers run past the payload
      return -1;
    }
  }
  out.status = DecodeStatus.BAD_IP;
  return -1;
}
