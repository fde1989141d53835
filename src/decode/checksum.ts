/**
 * TCP checksum over the IPv4/IPv6 pseudo-header, and in-place recomputation of the IPv4 header
 * and TCP checksums (for the bundle anonymizer, after it rewrites address bytes).
 */
import { createFrame, type Frame } from '../capture/types.js';
import { ipv6PseudoDestination } from './ip.js';
import { createDecodedPacket, decodePacket } from './packet.js';
import { finishChecksum, fold16, sumBytes, viewOf } from './sum.js';
import { ChecksumStatus, type DecodedPacket, DecodeStatus } from './types.js';

/**
 * The pseudo-header's destination: the IP destination, or for IPv6 with a routing header still
 * pending the final destination written in it (ip.ts ipv6PseudoDestination); -1 when that is not
 * known (RPL), and then the checksum cannot be verified.
 */
function pseudoDst(buf: Uint8Array, pkt: DecodedPacket): number {
  if (pkt.ipVersion !== 6 || pkt.ipHeaderLength <= 40) return pkt.dstAddrOffset;
  return ipv6PseudoDestination(buf, pkt.ipOffset, pkt.ipOffset + pkt.ipHeaderLength);
}

function pseudoSum(buf: Uint8Array, pkt: DecodedPacket, segLen: number, dst: number): number {
  const alen = pkt.ipVersion === 6 ? 16 : 4;
  const src = pkt.srcAddrOffset;
  // IPv4: zero, proto, 16-bit length; IPv6: 32-bit length, zeros, next header — same word sum
  let s = 6 + (segLen >>> 16) + (segLen & 0xffff);
  if (src < 0 || dst < 0 || src + alen > buf.length || dst + alen > buf.length)
    return sumBytes(buf, dst, dst + alen, sumBytes(buf, src, src + alen, 0)) + s;
  const dv = viewOf(buf);
  for (let i = 0; i < alen; i += 4) {
    const a = dv.getUint32(src + i);
    const b = dv.getUint32(dst + i);
    s += (a >>> 16) + (a & 0xffff) + (b >>> 16) + (b & 0xffff);
  }
  return s;
}

/**
 * OK / BAD for a complete segment; UNVERIFIABLE when the capture cut the segment or the packet is
 * a fragment (or its length had to be guessed); NOT_CHECKED when there is no decoded TCP header.
 * A BAD checksum on packets sent by the capturing host is normal with checksum offload.
 */
export function tcpChecksum(frame: Frame, pkt: DecodedPacket): ChecksumStatus {
  if (pkt.status !== DecodeStatus.OK || pkt.tcpOffset < 0) return ChecksumStatus.NOT_CHECKED;
  if (pkt.ipFragment) return ChecksumStatus.UNVERIFIABLE;
  const buf = frame.buf;
  const l4End = pkt.ipOffset + pkt.ipTotalLength;
  if (l4End > pkt.capturedEnd || l4End > buf.length) return ChecksumStatus.UNVERIFIABLE;
  const dst = pseudoDst(buf, pkt);
  if (dst < 0) return ChecksumStatus.UNVERIFIABLE;
  const segLen = l4End - pkt.tcpOffset;
  const s = sumBytes(buf, pkt.tcpOffset, l4End, pseudoSum(buf, pkt, segLen, dst));
  return fold16(s) === 0xffff ? ChecksumStatus.OK : ChecksumStatus.BAD;
}

/**
 * The checksum field holds only the pseudo-header sum: the sending stack left the rest to the NIC
 * (CHECKSUM_PARTIAL; Linux tcp_v4_send_check() / __tcp_v6_send_check() store
 * ~tcp_v4_check(len, saddr, daddr, 0), the uncomplemented pseudo-header sum). Captures of locally
 * generated packets (loopback, veth, the sender's own NIC with TX offload) show it. Such a packet
 * is not broken on the wire; call it only for packets tcpChecksum() found BAD.
 */
export function isPartialChecksum(frame: Frame, pkt: DecodedPacket): boolean {
  if (pkt.status !== DecodeStatus.OK || pkt.tcpOffset < 0 || pkt.ipFragment) return false;
  const buf = frame.buf;
  const l4End = pkt.ipOffset + pkt.ipTotalLength;
  if (l4End > pkt.capturedEnd || l4End > buf.length || pkt.tcpOffset + 18 > l4End) return false;
  const dst = pseudoDst(buf, pkt);
  if (dst < 0) return false;
  const stored = (buf[pkt.tcpOffset + 16]! << 8) | buf[pkt.tcpOffset + 17]!;
  return stored === fold16(pseudoSum(buf, pkt, l4End - pkt.tcpOffset, dst));
}

/**
 * The value the TCP checksum field should hold (what tcpdump prints as `incorrect -> 0x....`), or -1
 * when it cannot be computed (segment cut by the capture, fragment, no TCP header). Computed as
 * tcpdump's in_cksum_shouldbe does: the sum over the segment with the field's own value taken out.
 */
export function tcpChecksumShouldBe(frame: Frame, pkt: DecodedPacket): number {
  if (pkt.status !== DecodeStatus.OK || pkt.tcpOffset < 0 || pkt.ipFragment) return -1;
  const buf = frame.buf;
  const l4End = pkt.ipOffset + pkt.ipTotalLength;
  if (l4End > pkt.capturedEnd || l4End > buf.length) return -1;
  const dst = pseudoDst(buf, pkt);
  if (dst < 0) return -1;
  const field = (buf[pkt.tcpOffset + 16]! << 8) | buf[pkt.tcpOffset + 17]!;
  const s = sumBytes(buf, pkt.tcpOffset, l4End, pseudoSum(buf, pkt, l4End - pkt.tcpOffset, dst));
  return finishChecksum(s + (~field & 0xffff));
}

/** The value the IPv4 header checksum should hold (tcpdump `bad cksum X (->Y)!`), or -1. */
export function ipv4ChecksumShouldBe(frame: Frame, pkt: DecodedPacket): number {
  const o = pkt.ipOffset;
  const ihl = pkt.ipHeaderLength;
  if (pkt.ipVersion !== 4 || o < 0 || !(ihl >= 20) || o + ihl > pkt.capturedEnd) return -1;
  const buf = frame.buf;
  const field = (buf[o + 10]! << 8) | buf[o + 11]!;
  return finishChecksum(sumBytes(buf, o, o + ihl, 0) + (~field & 0xffff));
}

export interface ChecksumStatuses {
  ip: ChecksumStatus;
  tcp: ChecksumStatus;
}

export interface RecomputeResult {
  /** the IPv4 header checksum was rewritten */
  ip: boolean;
  /** the TCP checksum was rewritten */
  tcp: boolean;
}

const scratch = createDecodedPacket();
const scratchFrame: Frame = createFrame();

function frameOf(buf: Buffer, offset: number, capturedLength: number, linkType: number): Frame {
  scratchFrame.buf = buf;
  scratchFrame.offset = offset;
  scratchFrame.capturedLength = capturedLength;
  scratchFrame.originalLength = capturedLength;
  scratchFrame.linkType = linkType;
  return scratchFrame;
}

/** IPv4 header and TCP checksum status of a packet (call BEFORE rewriting, to keep bad ones bad). */
export function verifyChecksums(
  buf: Buffer,
  offset: number,
  capturedLength: number,
  linkType: number,
): ChecksumStatuses {
  const f = frameOf(buf, offset, capturedLength, linkType);
  decodePacket(f, scratch);
  return { ip: scratch.ipChecksum, tcp: tcpChecksum(f, scratch) };
}

/** a value that does NOT verify (0x0000 and 0xffff are the same in one's complement, so +-1) */
function offByOne(ck: number): number {
  return ck === 0xffff ? 0xfffe : ck + 1;
}

/**
 * Recompute, in place, the IPv4 header checksum and the TCP checksum of the packet at
 * buf[offset, offset+capturedLength). The TCP checksum is only rewritten when the whole segment
 * was captured and the packet is not a fragment. Pass `keepBad` (from verifyChecksums before the
 * rewrite) to keep a checksum that was wrong still wrong (the value is then the correct one +- 1),
 * so evidence such as offloaded checksums survives anonymization.
 */
export function recomputeChecksums(
  buf: Buffer,
  offset: number,
  capturedLength: number,
  linkType: number,
  keepBad?: ChecksumStatuses,
): RecomputeResult {
  const res: RecomputeResult = { ip: false, tcp: false };
  const f = frameOf(buf, offset, capturedLength, linkType);
  const p = decodePacket(f, scratch);
  if (p.ipVersion === 4 && p.ipHeaderLength >= 20 && p.ipOffset + p.ipHeaderLength <= p.capturedEnd) {
    const o = p.ipOffset;
    buf[o + 10] = 0;
    buf[o + 11] = 0;
    let ck = finishChecksum(sumBytes(buf, o, o + p.ipHeaderLength, 0));
    if (keepBad?.ip === ChecksumStatus.BAD) ck = offByOne(ck);
    buf[o + 10] = ck >> 8;
    buf[o + 11] = ck & 0xff;
    res.ip = true;
  }
  const dst = p.status === DecodeStatus.OK ? pseudoDst(buf, p) : -1;
  if (p.status === DecodeStatus.OK && !p.ipFragment && dst >= 0) {
    const l4End = p.ipOffset + p.ipTotalLength;
    if (l4End <= p.capturedEnd) {
      const t = p.tcpOffset;
      buf[t + 16] = 0;
      buf[t + 17] = 0;
      let ck = finishChecksum(sumBytes(buf, t, l4End, pseudoSum(buf, p, l4End - t, dst)));
      if (keepBad?.tcp === ChecksumStatus.BAD) ck = offByOne(ck);
      buf[t + 16] = ck >> 8;
      buf[t + 17] = ck & 0xff;
      res.tcp = true;
    }
  }
  return res;
}
