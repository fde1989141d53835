/**
 * decodePacket: link → IP → TCP → option summary, into ONE reusable DecodedPacket, without
 * allocation. Malformed input is a status, never an exception.
 */
import type { Frame } from '../capture/types.js';
import type { DecodedPacketExt } from './ext-types.js';
import { decodeIPv4, decodeIPv6 } from './ip.js';
import { decodeLink, type LinkResult } from './link.js';
import { createOptionSummary, decodeTcp, resetOptionSummary } from './tcp.js';
import { ChecksumStatus, type DecodedPacket, DecodeStatus } from './types.js';

export function createDecodedPacket(): DecodedPacketExt {
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

function reset(out: DecodedPacketExt): void {
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
 * Decode one frame into `out` (reused; returns it). `out` should come from createDecodedPacket()
 * so the DecodedPacketExt fields exist; a plain DecodedPacket also works (fields get added).
 */
export function decodePacket(frame: Frame, out: DecodedPacket): DecodedPacket {
  const o = out as DecodedPacketExt;
  if (o.opts.toaAfterBreak === undefined) Object.assign(o.opts, createOptionSummary());
  reset(o);
  const buf = frame.buf;
  const off = frame.offset;
  let cend = off + frame.capturedLength;
  if (cend > buf.length) cend = buf.length;
  if (cend < off) cend = off;
  o.capturedEnd = cend;
  let wireEnd = off + frame.originalLength;
  if (wireEnd < cend) wireEnd = cend;

  decodeLink(buf, off, cend, frame.linkType, link);
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
