/**
 * Flow partitions: which of N analyzers owns a packet, so that N threads can each read the same
 * capture and analyse a disjoint share of its connections. The hash covers both addresses and both
 * ports and is symmetric (both directions of a connection land in the same partition). Packets
 * that cannot belong to a flow (not IP, not TCP, decode errors) all belong to partition 0, so
 * every packet is counted exactly once.
 *
 * quickPartition() reads the addresses and ports straight from the frame for the common layouts
 * (any link type decodeLink knows, IPv4 without fragment offset, IPv6 with TCP as the first next
 * header); for anything else (IPv6 extension headers, short frames) it returns -1 and the caller
 * decodes the packet and uses decodedPartition(). Both read the same bytes the decoder uses as the
 * flow key, so they agree for every packet the flow table sees.
 */
import { type Frame, LinkType } from '../capture/types.js';
import { decodeLink, type LinkResult } from '../decode/link.js';
import { type DecodedPacket, DecodeStatus } from '../decode/types.js';

/** IPv6 next-header values the decoder walks past before TCP */
const V6_EXT = new Set([0, 43, 44, 51, 60]);

const link: LinkResult = { status: DecodeStatus.OK, offset: 0, ipVersion: 0, vlans: 0, proto: -1 };

function rd32(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}

/** symmetric in (src, dst): XOR of the address words and of the ports, then mixed */
function pick(addrXor: number, portXor: number, count: number): number {
  let h = (addrXor + Math.imul(portXor, 0x9e3779b1)) | 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  h = (h ^ (h >>> 16)) >>> 0;
  return h % count;
}

function addrXor(buf: Uint8Array, src: number, dst: number, len: number): number {
  let x = 0;
  for (let k = 0; k < len; k += 4) x ^= rd32(buf, src + k) ^ rd32(buf, dst + k);
  return x;
}

/** the partition of a decoded packet (status OK means it may belong to a flow) */
export function decodedPartition(buf: Uint8Array, pkt: DecodedPacket, count: number): number {
  if (count <= 1 || pkt.status !== DecodeStatus.OK) return 0;
  const alen = pkt.ipVersion === 6 ? 16 : 4;
  return pick(addrXor(buf, pkt.srcAddrOffset, pkt.dstAddrOffset, alen), pkt.srcPort ^ pkt.dstPort, count);
}

/**
 * The partition of a frame read without a full decode, or -1 when only a decode can tell. A frame
 * that is certainly not TCP-over-IP is partition 0.
 */
export function quickPartition(frame: Frame, count: number): number {
  if (count <= 1) return 0;
  const buf = frame.buf;
  const off = frame.offset;
  let end = off + frame.capturedLength;
  if (end > buf.length) end = buf.length;
  let ip: number;
  let ver: number;
  const et =
    frame.linkType === LinkType.EN10MB && end - off >= 14 ? (buf[off + 12]! << 8) | buf[off + 13]! : -1;
  if (et === 0x0800 || et === 0x86dd) {
    // untagged Ethernet: what decodeLink would find, without the call
    ip = off + 14;
    ver = et === 0x0800 ? 4 : 6;
  } else {
    decodeLink(buf, off, end, frame.linkType, link);
    if (link.status !== DecodeStatus.OK) return 0;
    ip = link.offset;
    if (ip >= end) return 0;
    ver = link.ipVersion !== 0 ? link.ipVersion : buf[ip]! >> 4;
  }
  if (ver === 4) {
    if (ip + 20 > end) return -1;
    const ihl = (buf[ip]! & 0x0f) * 4;
    if (buf[ip + 9] !== 6 || ihl < 20) return 0;
    // a non-first fragment carries no TCP header: never a flow packet
    if ((((buf[ip + 6]! << 8) | buf[ip + 7]!) & 0x1fff) !== 0) return 0;
    const t = ip + ihl;
    if (t + 4 > end) return -1;
    const ports = ((buf[t]! << 8) | buf[t + 1]!) ^ ((buf[t + 2]! << 8) | buf[t + 3]!);
    return pick(rd32(buf, ip + 12) ^ rd32(buf, ip + 16), ports, count);
  }
  if (ver === 6) {
    if (ip + 40 > end) return -1;
    const nh = buf[ip + 6]!;
    if (nh !== 6) return V6_EXT.has(nh) ? -1 : 0;
    const t = ip + 40;
    if (t + 4 > end) return -1;
    const ports = ((buf[t]! << 8) | buf[t + 1]!) ^ ((buf[t + 2]! << 8) | buf[t + 3]!);
    return pick(addrXor(buf, ip + 8, ip + 24, 16), ports, count);
  }
  return 0;
}
