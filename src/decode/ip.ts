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

/**
 * Where the TCP pseudo-header's destination address sits (RFC 8200 §8.1: "the Destination Address
 * used in the pseudo-header is that of the final destination"). With a Routing header whose
 * Segments Left is not 0 the packet is still on its way and the final destination is in that
 * header: the last address of type 0 (RFC 2460 §4.4) and type 2 (RFC 6275 §6.4, one address),
 * Segment List[0] of a Segment Routing Header (type 4, RFC 8754 §2: the list is in reverse order).
 * Returns the offset of those 16 bytes, or the IPv6 destination's offset (`ipOff + 24`) when no
 * routing header is pending. -1 when the final destination is not written out: RPL (type 3,
 * RFC 6554 §3) compresses it, an unknown type, or the header is cut. Off the hot path: callers
 * ask only when the IPv6 header is longer than 40 bytes. The bundle anonymizer uses the same answer.
 */
export function ipv6PseudoDestination(buf: Uint8Array, ipOff: number, l4Off: number): number {
  let nh = buf[ipOff + 6];
  let p = ipOff + 40;
  let dst = ipOff + 24;
  for (let i = 0; i <= MAX_EXT && p < l4Off; i++) {
    if (p + 8 > l4Off) return dst;
    const hlen = nh === 51 ? (buf[p + 1] + 2) * 4 : nh === 44 ? 8 : (buf[p + 1] + 1) * 8;
    if (nh === 43 && buf[p + 3] !== 0) {
      const type = buf[p + 2];
      const end = Math.min(p + hlen, l4Off);
      const count = Math.floor((end - p - 8) / 16);
      if ((type !== 0 && type !== 2 && type !== 4) || count < 1) return -1;
      dst = type === 4 ? p + 8 : p + 8 + 16 * (count - 1);
    } else if (nh !== 0 && nh !== 43 && nh !== 44 && nh !== 51 && nh !== 60) return dst;
    nh = buf[p];
    p += hlen;
  }
  return dst;
}
