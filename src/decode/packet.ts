/**
 * decodePacket: link → IP → TCP → option summary, into ONE reusable DecodedPacket, without
 * allocation. Malformed input is a status, never an exception.
 */
import { type Frame, LinkType } from '../capture/types.js';
import { decodeIPv4, decodeIPv6 } from './ip.js';
import { decodeLink, isVlanTag, type LinkResult } from './link.js';
import { viewOf } from './sum.js';
import { createOptionSummary, decodeTcp, resetOptionSummary, summarizeOptions } from './tcp.js';
import { ChecksumStatus, type DecodedPacket, DecodeStatus } from './types.js';

export function createDecodedPacket(): DecodedPacket {
  return {
    status: DecodeStatus.OK,
    ipVersion: 0,
    ipOffset: -1,
    srcAddrOffset: -1,
    dstAddrOffset: -1,
    ipTtl: 0,
    ipId: 0,
    ipTotalLength: 0,
    ipChecksum: ChecksumStatus.NOT_CHECKED,
    ipFragment: false,
    vlanIds: 0,
    tcpOffset: -1,
    srcPort: 0,
    dstPort: 0,
    seq: 0,
    ack: 0,
    flags: 0,
    window: 0,
    dataOffset: 0,
    payloadLength: 0,
    tcpTruncated: false,
    opts: createOptionSummary(),
    capturedEnd: 0,
    ipProto: -1,
    l4Offset: -1,
    ipFragOffset: 0,
    ipHeaderLength: 0,
  };
}

const link: LinkResult = { status: DecodeStatus.OK, offset: 0, ipVersion: 0, vlans: 0, proto: -1 };

function reset(out: DecodedPacket): void {
  out.status = DecodeStatus.OK;
  out.ipVersion = 0;
  out.ipOffset = -1;
  out.srcAddrOffset = -1;
  out.dstAddrOffset = -1;
  out.ipTtl = 0;
  out.ipId = 0;
  out.ipTotalLength = 0;
  out.ipChecksum = ChecksumStatus.NOT_CHECKED;
  out.ipFragment = false;
  out.vlanIds = 0;
  out.tcpOffset = -1;
  out.srcPort = 0;
  out.dstPort = 0;
  out.seq = 0;
  out.ack = 0;
  out.flags = 0;
  out.window = 0;
  out.dataOffset = 0;
  out.payloadLength = 0;
  out.tcpTruncated = false;
  out.ipProto = -1;
  out.l4Offset = -1;
  out.ipFragOffset = 0;
  out.ipHeaderLength = 0;
  resetOptionSummary(out.opts);
}

/**
 * Decode one frame into `o` (reused; returns it), a packet from createDecodedPacket(): every
 * field exists from the start, so the object keeps one shape.
 *
 * Fast path, inline: Ethernet or Linux cooked (SLL, SLL2) with at most one VLAN tag, IPv4 with a
 * 20-byte header (not a fragment, protocol TCP) or IPv6 with TCP as the first next header, and a
 * complete TCP header inside the IP length. It writes EVERY field the generic path would (reset + decoders), so no reset is
 * needed; anything else leaves it before writing and takes the generic path, which resets.
 */
export function decodePacket(frame: Frame, o: DecodedPacket): DecodedPacket {
  const buf = frame.buf;
  const off = frame.offset;
  let cend = off + frame.capturedLength;
  if (cend > buf.length) cend = buf.length;
  if (cend < off) cend = off;
  let wireEnd = off + frame.originalLength;
  if (wireEnd < cend) wireEnd = cend;
  const lt = frame.linkType;
  // link header length and where its ethertype sits; the checks below need 40 bytes after it
  let ip: number;
  let etypeAt: number;
  if (lt === LinkType.EN10MB) {
    ip = off + 14;
    etypeAt = off + 12;
  } else if (lt === LinkType.LINUX_SLL2) {
    ip = off + 20; // LINUX_SLL2: protocol first
    etypeAt = off;
  } else if (lt === LinkType.LINUX_SLL) {
    ip = off + 16; // LINUX_SLL
    etypeAt = off + 14;
  } else return decodeGeneric(buf, off, cend, wireEnd, lt, o);
  if (cend - ip < 40) return decodeGeneric(buf, off, cend, wireEnd, lt, o); // IPv4 + TCP headers
  const dv = viewOf(buf); // offsets below are < cend <= buf.length
  let etype = dv.getUint16(etypeAt);
  let vlans = 0;
  if (etype !== 0x0800 && etype !== 0x86dd && isVlanTag(etype)) {
    // one 802.1Q/802.1ad tag (a second one makes the inner type a tag: generic path)
    etype = dv.getUint16(ip + 2);
    ip += 4;
    vlans = 1;
    if (cend - ip < 40) return decodeGeneric(buf, off, cend, wireEnd, lt, o);
  }
  let version: 4 | 6;
  let srcAddr: number;
  let ttl: number;
  let id: number;
  let tot: number;
  let ipck: ChecksumStatus;
  let frag: boolean;
  let t: number;
  if (etype === 0x0800) {
    if (buf[ip] !== 0x45) return decodeGeneric(buf, off, cend, wireEnd, lt, o);
    const f = (buf[ip + 6] << 8) | buf[ip + 7];
    if ((f & 0x1fff) !== 0 || buf[ip + 9] !== 6) return decodeGeneric(buf, off, cend, wireEnd, lt, o);
    tot = (buf[ip + 2] << 8) | buf[ip + 3];
    if (tot === 0) tot = wireEnd - ip; // TSO/GSO on the sending host: length not filled in
    if (tot < 40) return decodeGeneric(buf, off, cend, wireEnd, lt, o);
    // header checksum: the halves of 5 words; two folds are enough below 2^32
    const w0 = dv.getUint32(ip);
    const w1 = dv.getUint32(ip + 4);
    const w2 = dv.getUint32(ip + 8);
    const w3 = dv.getUint32(ip + 12);
    const w4 = dv.getUint32(ip + 16);
    let sum =
      (w0 >>> 16) +
      (w0 & 0xffff) +
      (w1 >>> 16) +
      (w1 & 0xffff) +
      (w2 >>> 16) +
      (w2 & 0xffff) +
      (w3 >>> 16) +
      (w3 & 0xffff) +
      (w4 >>> 16) +
      (w4 & 0xffff);
    sum = (sum & 0xffff) + (sum >>> 16);
    sum = (sum & 0xffff) + (sum >>> 16);
    version = 4;
    srcAddr = ip + 12;
    ttl = buf[ip + 8];
    id = (buf[ip + 4] << 8) | buf[ip + 5];
    ipck = sum === 0xffff ? ChecksumStatus.OK : ChecksumStatus.BAD;
    frag = (f & 0x2000) !== 0;
    t = ip + 20;
  } else if (etype === 0x86dd) {
    if (cend - ip < 60 || buf[ip] >> 4 !== 6 || buf[ip + 6] !== 6)
      return decodeGeneric(buf, off, cend, wireEnd, lt, o);
    const plen = (buf[ip + 4] << 8) | buf[ip + 5];
    tot = plen === 0 ? wireEnd - ip : 40 + plen; // 0: jumbogram or TSO
    if (tot < 60) return decodeGeneric(buf, off, cend, wireEnd, lt, o);
    version = 6;
    srcAddr = ip + 8;
    ttl = buf[ip + 7];
    id = 0;
    ipck = ChecksumStatus.NOT_CHECKED;
    frag = false;
    t = ip + 40;
  } else return decodeGeneric(buf, off, cend, wireEnd, lt, o);
  const l4End = ip + tot;
  const doff = buf[t + 12] >> 4;
  const hlen = doff * 4;
  if (doff < 5 || t + hlen > l4End) return decodeGeneric(buf, off, cend, wireEnd, lt, o);
  // in the field order of createDecodedPacket (a plain DecodedPacket gets them added in that order)
  o.status = DecodeStatus.OK;
  o.ipVersion = version;
  o.ipOffset = ip;
  o.srcAddrOffset = srcAddr;
  o.dstAddrOffset = srcAddr + (version === 4 ? 4 : 16);
  o.ipTtl = ttl;
  o.ipId = id;
  o.ipTotalLength = tot;
  o.ipChecksum = ipck;
  o.ipFragment = frag;
  o.vlanIds = vlans;
  o.tcpOffset = t;
  o.srcPort = dv.getUint16(t);
  o.dstPort = dv.getUint16(t + 2);
  o.seq = dv.getUint32(t + 4);
  o.ack = dv.getUint32(t + 8);
  o.flags = buf[t + 13];
  o.window = dv.getUint16(t + 14);
  o.dataOffset = doff;
  o.payloadLength = l4End - t - hlen;
  o.tcpTruncated = t + hlen > cend;
  summarizeOptions(buf, t + 20, t + hlen, cend, o.opts);
  o.capturedEnd = cend;
  o.ipProto = 6;
  o.l4Offset = t;
  o.ipFragOffset = 0;
  o.ipHeaderLength = t - ip;
  return o;
}

function decodeGeneric(
  buf: Uint8Array,
  off: number,
  cend: number,
  wireEnd: number,
  linkType: number,
  o: DecodedPacket,
): DecodedPacket {
  reset(o);
  o.capturedEnd = cend;
  decodeLink(buf, off, cend, linkType, link);
  if (link.status !== DecodeStatus.OK) {
    o.status = link.status;
    o.vlanIds = link.vlans;
    return o;
  }
  o.vlanIds = link.vlans;
  const ipOff = link.offset;
  if (ipOff >= cend) {
    o.status = DecodeStatus.TRUNCATED;
    return o;
  }
  const ver = link.ipVersion !== 0 ? link.ipVersion : buf[ipOff] >> 4;
  let t: number;
  if (ver === 4) t = decodeIPv4(buf, ipOff, cend, wireEnd, o);
  else if (ver === 6) t = decodeIPv6(buf, ipOff, cend, wireEnd, o);
  else {
    o.ipOffset = ipOff;
    o.status = DecodeStatus.BAD_IP;
    return o;
  }
  if (t < 0) return o;
  decodeTcp(buf, t, cend, ipOff + o.ipTotalLength, o);
  return o;
}
