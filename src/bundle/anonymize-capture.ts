/**
 * Rewrites one captured packet in place with an IpAnonymizer: link-layer MACs, IP header addresses
 * (and the addresses inside IPv4 record-route / source-route / timestamp / TTGW options), addresses in
 * IPv6 routing headers, every address inside every TOA-table option (client, VIP, destination —
 * offsets from the decoder's TOA_VARIANTS layout) and in MPTCP ADD_ADDR options, and zeroes the TCP
 * payload (it can hold anything: cookies, X-Forwarded-For, PROXY headers).
 *
 * Where the addresses sit (primary sources):
 *  - IPv4 timestamp option 68 (RFC 791 "Internet Timestamp"): pointer, then overflow:4|flag:4; flag 1
 *    = (address, timestamp) pairs recorded by routers, flag 3 = prespecified addresses with their
 *    timestamps: 8-byte entries from option byte 4.
 *  - MPTCP option 30 (RFC 8684 3.4.1 ADD_ADDR; RFC 6824 3.4.1 for version 0): subtype 3 in the high
 *    nibble of byte 2, address ID at byte 3, address from byte 4: IPv4 when the length is 8, 10, 16 or
 *    18 (optional port, optional 8-byte HMAC), IPv6 when 20, 22, 28 or 30; version 0 also says
 *    4 or 6 in the low nibble. The same parse as Linux (multipath-tcp/mptcp_net-next,
 *    net/mptcp/options.c, mptcp_parse_option: subtype = first byte >> 4, ADD_ADDR sizes by family).
 *  - IPv6 routing header 43 (RFC 8200 4.4): type 0 (RFC 2460) and type 2 (RFC 6275 6.4) hold 16-byte
 *    addresses from byte 8; type 4 (SRH, RFC 8754 2) holds Last Entry + 1 segments from byte 8.
 *    Type 3 (RPL, RFC 6554) holds compressed address suffixes: they cannot be mapped, so their bytes
 *    are zeroed (lengths unchanged) and counted. With Segments Left > 0 the TCP pseudo-header used the
 *    final destination from the routing header (RFC 8200 8.1), so that address carries the checksum
 *    adjustment instead of the header's destination.
 *
 * Checksums are updated incrementally (RFC 1624, HC' = ~(~HC + ~m + m')), which keeps a correct
 * checksum correct and keeps a wrong one wrong by exactly the same amount, so TOA_BAD_CHECKSUM
 * survives anonymization. Works on snaplen-cut packets too (no full recomputation needed).
 */
import { type Frame, LinkType } from '../capture/types.js';
import { ipv6PseudoDestination } from '../decode/ip.js';
import { findToaVariant, TOA_VARIANTS } from '../decode/toa.js';
import { type DecodedPacket, DecodeStatus } from '../decode/types.js';
import type { IpAnonymizer } from './anonymize.js';

export interface CaptureAnonStats {
  /** frames rewritten and kept */
  rewritten: number;
  /** frames dropped because they are not TCP over IP (ARP, UDP, ICMP, fragments...) */
  droppedNotTcp: number;
  /** TOA-table options whose addresses were rewritten */
  toaOptions: number;
  /** TCP payload bytes replaced by zeros */
  payloadBytesZeroed: number;
  /** MPTCP ADD_ADDR options whose address was mapped */
  mptcpAddAddr: number;
  /** addresses mapped inside IPv4 timestamp options */
  ipv4TimestampAddrs: number;
  /** addresses mapped inside IPv6 routing headers (types 0, 2, 4) */
  routingHeaderAddrs: number;
  /** RPL routing headers (type 3, compressed addresses) whose address bytes were zeroed */
  rplZeroed: number;
}

export function emptyAnonStats(): CaptureAnonStats {
  return {
    rewritten: 0,
    droppedNotTcp: 0,
    toaOptions: 0,
    payloadBytesZeroed: 0,
    mptcpAddAddr: 0,
    ipv4TimestampAddrs: 0,
    routingHeaderAddrs: 0,
    rplZeroed: 0,
  };
}

/** What anonymization did to addresses outside the IP and TOA fields, for the manifest. */
export function optionNotes(s: CaptureAnonStats): string[] {
  const out: string[] = [];
  if (s.mptcpAddAddr) out.push(`MPTCP ADD_ADDR addresses mapped in ${s.mptcpAddAddr} options`);
  if (s.ipv4TimestampAddrs) out.push(`IPv4 timestamp option addresses mapped: ${s.ipv4TimestampAddrs}`);
  if (s.routingHeaderAddrs) out.push(`IPv6 routing header addresses mapped: ${s.routingHeaderAddrs}`);
  if (s.rplZeroed)
    out.push(
      `IPv6 RPL routing headers (compressed addresses) zeroed in ${s.rplZeroed} packets, lengths kept`,
    );
  return out;
}

/** one's-complement sum of bytes [start, end); a byte at an even distance from `base` is a high byte */
function ocSum(buf: Buffer, start: number, end: number, base: number): number {
  let s = 0;
  for (let i = start; i < end; i++) s += ((i - base) & 1) === 0 ? buf[i]! << 8 : buf[i]!;
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return s;
}

/** RFC 1624 eqn. 3 */
function adjust(ck: number, oldSum: number, newSum: number): number {
  let s = (~ck & 0xffff) + (~oldSum & 0xffff) + newSum;
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

/** Accumulates old/new sums of rewritten regions for one checksum. */
class Delta {
  oldSum = 0;
  newSum = 0;
  add(oldS: number, newS: number): void {
    this.oldSum += oldS;
    this.newSum += newS;
  }
  apply(buf: Buffer, at: number, end: number): void {
    if (at < 0 || at + 2 > end) return;
    let o = this.oldSum;
    let n = this.newSum;
    while (o > 0xffff) o = (o & 0xffff) + (o >>> 16);
    while (n > 0xffff) n = (n & 0xffff) + (n >>> 16);
    if (o === n) return;
    buf.writeUInt16BE(adjust(buf.readUInt16BE(at), o, n), at);
  }
  reset(): void {
    this.oldSum = 0;
    this.newSum = 0;
  }
}

export class CaptureAnonymizer {
  readonly stats = emptyAnonStats();
  private readonly ipDelta = new Delta();
  private readonly tcpDelta = new Delta();

  constructor(private readonly ip: IpAnonymizer) {}

  /** rewrite [off, off+len) with `fn`, feeding both sums to the deltas with parity base `base` */
  private rewrite(
    buf: Buffer,
    off: number,
    len: number,
    base: number,
    deltas: Delta[],
    fn: () => void,
  ): void {
    const before = ocSum(buf, off, off + len, base);
    fn();
    const after = ocSum(buf, off, off + len, base);
    for (const d of deltas) d.add(before, after);
  }

  private addr(buf: Buffer, off: number, v6: boolean, base: number, deltas: Delta[]): void {
    this.rewrite(buf, off, v6 ? 16 : 4, base, deltas, () =>
      v6 ? this.ip.mapV6Bytes(buf, off) : this.ip.mapV4Bytes(buf, off),
    );
  }

  /**
   * Rewrite `frame` (its bytes must be a private copy) decoded as `pkt`. Returns false when the
   * frame must be dropped from an anonymized capture (nothing but TCP over IP is kept).
   */
  apply(frame: Frame, pkt: DecodedPacket): boolean {
    const buf = frame.buf;
    const end = frame.offset + frame.capturedLength;
    const keep =
      pkt.ipVersion !== 0 &&
      (pkt.status === DecodeStatus.OK ||
        pkt.status === DecodeStatus.TRUNCATED ||
        pkt.status === DecodeStatus.BAD_TCP);
    if (!keep || pkt.srcAddrOffset < 0 || pkt.dstAddrOffset < 0) {
      this.stats.droppedNotTcp++;
      return false;
    }
    this.macs(frame);
    const v6 = pkt.ipVersion === 6;
    const alen = v6 ? 16 : 4;
    if (pkt.srcAddrOffset + alen > end || pkt.dstAddrOffset + alen > end) {
      // cut inside the addresses: nothing safe to keep
      this.stats.droppedNotTcp++;
      return false;
    }
    this.ipDelta.reset();
    this.tcpDelta.reset();
    const t = pkt.tcpOffset;
    const hasTcp = t >= 0 && t + 13 <= end;
    const tcpDeltas = hasTcp ? [this.ipDelta, this.tcpDelta] : [this.ipDelta];
    // IPv6 routing headers: their addresses, and which one the TCP pseudo-header used
    const finalDst = v6 ? this.ipv6RoutingHeaders(buf, pkt.ipOffset, hasTcp ? t : end, hasTcp) : -1;
    // addresses sit at even offsets of both the IP header and the TCP pseudo-header
    this.addr(buf, pkt.srcAddrOffset, v6, pkt.srcAddrOffset, tcpDeltas);
    this.addr(buf, pkt.dstAddrOffset, v6, pkt.dstAddrOffset, finalDst >= 0 ? [this.ipDelta] : tcpDeltas);
    if (!v6) {
      const ihl = (buf[pkt.ipOffset]! & 0x0f) * 4;
      this.ipv4Options(buf, pkt.ipOffset, Math.min(pkt.ipOffset + ihl, end));
      this.ipDelta.apply(buf, pkt.ipOffset + 10, end);
    }
    const ipEnd = pkt.ipTotalLength > 0 ? Math.min(end, pkt.ipOffset + pkt.ipTotalLength) : end;
    if (hasTcp) {
      const doff = buf[t + 12]! >> 4;
      const areaEnd = t + Math.max(5, doff) * 4;
      this.toaOptions(buf, t, t + 20, areaEnd, Math.min(areaEnd, ipEnd));
      const payEnd = ipEnd;
      if (payEnd > areaEnd) {
        this.rewrite(buf, areaEnd, payEnd - areaEnd, t, [this.tcpDelta], () => buf.fill(0, areaEnd, payEnd));
        this.stats.payloadBytesZeroed += payEnd - areaEnd;
      }
      this.tcpDelta.apply(buf, t + 16, end);
    }
    // link-layer trailer after the IP packet (padding, or leaked memory on some NICs)
    if (end > ipEnd && ipEnd > pkt.ipOffset) buf.fill(0, ipEnd, end);
    this.stats.rewritten++;
    return true;
  }

  private macs(frame: Frame): void {
    const b = frame.buf;
    const o = frame.offset;
    const end = o + frame.capturedLength;
    switch (frame.linkType) {
      case LinkType.EN10MB: // dst, src
        if (end - o >= 12) {
          this.ip.mapMacBytes(b, o);
          this.ip.mapMacBytes(b, o + 6);
        }
        break;
      case LinkType.LINUX_SLL: // address length at 4, address at 6
        if (end - o >= 16 && b.readUInt16BE(o + 4) === 6) this.ip.mapMacBytes(b, o + 6);
        break;
      case LinkType.LINUX_SLL2: // address length at 11, address at 12
        if (end - o >= 20 && b[o + 11] === 6) this.ip.mapMacBytes(b, o + 12);
        break;
    }
  }

  /** IPv4 options carrying addresses: RR (7), LSRR (131), SSRR (137), TTGW TOA (30/31, len 16). */
  private ipv4Options(buf: Buffer, ipOff: number, hdrEnd: number): void {
    let p = ipOff + 20;
    while (p < hdrEnd) {
      const kind = buf[p]!;
      if (kind === 0) break;
      if (kind === 1) {
        p++;
        continue;
      }
      if (p + 1 >= hdrEnd) break;
      const len = buf[p + 1]!;
      if (len < 2 || p + len > hdrEnd) break;
      if (kind === 7 || kind === 131 || kind === 137) {
        for (let a = p + 3; a + 4 <= p + len; a += 4) this.addr(buf, a, false, ipOff, [this.ipDelta]);
      } else if (kind === 68 && len >= 4) {
        const flag = buf[p + 3]! & 0x0f;
        if (flag === 1 || flag === 3)
          for (let a = p + 4; a + 8 <= p + len; a += 8) {
            this.addr(buf, a, false, ipOff, [this.ipDelta]);
            this.stats.ipv4TimestampAddrs++;
          }
      } else if ((kind === 30 || kind === 31) && len === 16) {
        this.addr(buf, p + 8, false, ipOff, [this.ipDelta]);
        this.addr(buf, p + 12, false, ipOff, [this.ipDelta]);
      }
      p += len;
    }
  }

  /**
   * Every TOA-table option in the option area, including ones after EOL or after the point where
   * the list broke (the decoder reports those too, so their addresses would otherwise leak).
   */
  private toaOptions(buf: Buffer, tcpOff: number, start: number, areaEnd: number, capEnd: number): void {
    let p = start;
    let resync = false;
    while (p < capEnd) {
      const kind = buf[p]!;
      if (!resync && (kind === 0 || kind === 1)) {
        p++;
        continue;
      }
      if (p + 1 >= capEnd) break;
      const len = buf[p + 1]!;
      if (kind === 30 && len >= 8 && p + len <= capEnd && !resync && this.mptcpAddAddr(buf, tcpOff, p, len)) {
        p += len;
        continue;
      }
      const vi = findToaVariant(kind, len);
      if (vi >= 0 && p + len <= capEnd) {
        this.toaOption(buf, tcpOff, p, vi);
        p += len;
        continue;
      }
      if (vi >= 0 && p + len <= areaEnd) {
        // cut by the snaplen inside a TOA option: blank the part we have
        this.rewrite(buf, p + 2, capEnd - p - 2, tcpOff, [this.tcpDelta], () => buf.fill(0, p + 2, capEnd));
        break;
      }
      if (resync) {
        p++;
        continue;
      }
      if (len < 2 || p + len > areaEnd) {
        resync = true; // broken list: scan the rest byte by byte for TOA-shaped options
        p++;
        continue;
      }
      p += len;
    }
  }

  /** MPTCP ADD_ADDR (see the header): map its address; false when the option is another subtype */
  private mptcpAddAddr(buf: Buffer, tcpOff: number, p: number, len: number): boolean {
    if (buf[p + 2]! >> 4 !== 3) return false;
    const ipver = buf[p + 2]! & 0x0f;
    const v4 = [8, 10, 16, 18].includes(len) && ipver !== 6;
    const v6 = [20, 22, 28, 30].includes(len) && ipver !== 4;
    if (!v4 && !v6) return false;
    this.addr(buf, p + 4, v6, tcpOff, [this.tcpDelta]);
    this.stats.mptcpAddAddr++;
    return true;
  }

  /**
   * Map the addresses in the IPv6 routing headers before the TCP header (see the header). Returns
   * the offset of the routing header address the TCP pseudo-header used, or -1 when it used the IPv6
   * destination. That address gets the TCP checksum adjustment.
   */
  private ipv6RoutingHeaders(buf: Buffer, ipOff: number, l4: number, hasTcp: boolean): number {
    let nh = buf[ipOff + 6]!;
    let p = ipOff + 40;
    // the address the TCP pseudo-header uses, as the checksum verifier finds it (decode/ip.ts)
    const pseudo = hasTcp ? ipv6PseudoDestination(buf, ipOff, l4) : -1;
    const final = pseudo > ipOff + 24 ? pseudo : -1;
    for (let i = 0; i < 16 && p + 8 <= l4; i++) {
      if (nh !== 0 && nh !== 43 && nh !== 60 && nh !== 51) break;
      const next = buf[p]!;
      const hlen = nh === 51 ? (buf[p + 1]! + 2) * 4 : (buf[p + 1]! + 1) * 8;
      const hend = Math.min(p + hlen, l4);
      if (nh === 43) {
        const type = buf[p + 2]!;
        let addrEnd = -1;
        if (type === 0 || type === 2) addrEnd = hend;
        else if (type === 4) addrEnd = Math.min(hend, p + 8 + 16 * (buf[p + 4]! + 1));
        if (addrEnd >= 0) {
          const count = Math.floor((addrEnd - p - 8) / 16);
          for (let k = 0; k < count; k++) {
            const a = p + 8 + 16 * k;
            this.addr(buf, a, true, a, a === final ? [this.tcpDelta] : []);
            this.stats.routingHeaderAddrs++;
          }
        } else if (type === 3 && hend > p + 8) {
          const from = p + 8;
          this.rewrite(buf, from, hend - from, from, [], () => buf.fill(0, from, hend));
          this.stats.rplZeroed++;
        }
      }
      nh = next;
      p += hlen;
    }
    return final;
  }

  private toaOption(buf: Buffer, tcpOff: number, p: number, vi: number): void {
    const v = TOA_VARIANTS[vi]!;
    const fields: Array<[number, boolean]> = [];
    if (v.layout.addrOffset >= 0 && v.family) fields.push([v.layout.addrOffset, v.family === 'ipv6']);
    for (const f of v.layout.extra)
      if (f.type === 'ipv4' || f.type === 'ipv6') fields.push([f.offset, f.type === 'ipv6']);
    for (const [off, six] of fields) {
      if (off + (six ? 16 : 4) > v.length) continue;
      this.addr(buf, p + off, six, tcpOff, [this.tcpDelta]);
    }
    this.stats.toaOptions++;
  }
}
