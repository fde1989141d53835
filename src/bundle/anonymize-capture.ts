/**
 * Rewrites one captured packet in place with an IpAnonymizer: link-layer MACs, IP header addresses
 * (and the addresses inside IPv4 record-route / source-route / TTGW options), every address inside
 * every TOA-table option (client, VIP, destination — offsets from the decoder's TOA_VARIANTS layout),
 * and zeroes the TCP payload (it can hold anything: cookies, X-Forwarded-For, PROXY headers).
 *
 * Checksums are updated incrementally (RFC 1624, HC' = ~(~HC + ~m + m')), which keeps a correct
 * checksum correct and keeps a wrong one wrong by exactly the same amount, so TOA_BAD_CHECKSUM
 * survives anonymization. Works on snaplen-cut packets too (no full recomputation needed).
 */
import type { Frame } from '../capture/types.js';
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
}

export function emptyAnonStats(): CaptureAnonStats {
  return { rewritten: 0, droppedNotTcp: 0, toaOptions: 0, payloadBytesZeroed: 0 };
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
    // addresses sit at even offsets of both the IP header and the TCP pseudo-header
    this.addr(buf, pkt.srcAddrOffset, v6, pkt.srcAddrOffset, tcpDeltas);
    this.addr(buf, pkt.dstAddrOffset, v6, pkt.dstAddrOffset, tcpDeltas);
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
      case 1: // EN10MB: dst, src
        if (end - o >= 12) {
          this.ip.mapMacBytes(b, o);
          this.ip.mapMacBytes(b, o + 6);
        }
        break;
      case 113: // LINUX_SLL: address length at 4, address at 6
        if (end - o >= 16 && b.readUInt16BE(o + 4) === 6) this.ip.mapMacBytes(b, o + 6);
        break;
      case 276: // LINUX_SLL2: address length at 11, address at 12
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
