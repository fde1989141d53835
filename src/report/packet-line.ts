/**
 * One packet → one tcpdump-like text line, or one NDJSON object. Pure formatting: the caller
 * decodes (decodePacket) and writes. Built by string concatenation straight from the frame bytes
 * (no intermediate objects on the common path) so `print --json` stays above 1 M packets/s.
 */
import type { Frame } from '../capture/types.js';
import {
  addressToString,
  ChecksumStatus,
  type DecodedPacketExt,
  DecodeStatus,
  decodeOneOption,
  hexOf,
  linkTypeName,
  optionStep,
  optionText,
  stopReason,
  TcpFlag,
  tcpChecksum,
  WalkStop,
} from '../decode/index.js';

/** Colour hooks (identity functions when colours are off). */
export interface Painter {
  toa(s: string): string;
  bad(s: string): string;
  warn(s: string): string;
  dim(s: string): string;
}

export const PLAIN: Painter = {
  toa: (s) => s,
  bad: (s) => s,
  warn: (s) => s,
  dim: (s) => s,
};

export interface LineOptions {
  /** -v: IP details and checksum status */
  verbose?: boolean;
  painter?: Painter;
}

export const STATUS_NAMES: Record<DecodeStatus, string> = {
  [DecodeStatus.OK]: 'ok',
  [DecodeStatus.UNKNOWN_LINKTYPE]: 'unknown-linktype',
  [DecodeStatus.NOT_IP]: 'not-ip',
  [DecodeStatus.NOT_TCP]: 'not-tcp',
  [DecodeStatus.IP_FRAGMENT]: 'ip-fragment',
  [DecodeStatus.TRUNCATED]: 'truncated',
  [DecodeStatus.BAD_IP]: 'bad-ip',
  [DecodeStatus.BAD_TCP]: 'bad-tcp',
};

export const CHECKSUM_NAMES: Record<ChecksumStatus, string> = {
  [ChecksumStatus.NOT_CHECKED]: 'not-checked',
  [ChecksumStatus.OK]: 'ok',
  [ChecksumStatus.BAD]: 'bad',
  [ChecksumStatus.UNVERIFIABLE]: 'unverifiable',
};

/** tcpdump's flag letters, in its order: F S R P . U E W; no flag → 'none' */
const FLAG_TEXT: string[] = [];
for (let f = 0; f < 256; f++) {
  let s = '';
  if (f & TcpFlag.FIN) s += 'F';
  if (f & TcpFlag.SYN) s += 'S';
  if (f & TcpFlag.RST) s += 'R';
  if (f & TcpFlag.PSH) s += 'P';
  if (f & TcpFlag.ACK) s += '.';
  if (f & TcpFlag.URG) s += 'U';
  if (f & TcpFlag.ECE) s += 'E';
  if (f & TcpFlag.CWR) s += 'W';
  FLAG_TEXT.push(s || 'none');
}
export function flagsText(flags: number): string {
  return FLAG_TEXT[flags & 0xff];
}

const IP_PROTO_NAMES: Record<number, string> = {
  1: 'ICMP',
  2: 'IGMP',
  6: 'TCP',
  17: 'UDP',
  47: 'GRE',
  50: 'ESP',
  58: 'ICMPv6',
  59: 'no next header',
  132: 'SCTP',
};

// ---- time ---------------------------------------------------------------------------------

let clockSec = -1;
let clockText = '';
const pad2 = (n: number) => (n < 10 ? `0${n}` : String(n));

/** tcpdump's default `HH:MM:SS.uuuuuu` in local time (cached per second). */
export function timeText(f: Frame): string {
  if (f.tsSec !== clockSec) {
    const d = new Date(f.tsSec * 1000);
    clockSec = f.tsSec;
    clockText = `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}.`;
  }
  const us = Math.floor(f.tsNsec / 1000);
  return clockText + String(1_000_000 + us).slice(1);
}

/** JSON number text of the timestamp: 6 decimals, 9 when the capture has sub-µs digits */
export function tsJson(f: Frame): string {
  if (f.tsNsec % 1000 === 0) return `${f.tsSec}.${String(1_000_000 + f.tsNsec / 1000).slice(1)}`;
  return `${f.tsSec}.${String(1_000_000_000 + f.tsNsec).slice(1)}`;
}

// ---- text ---------------------------------------------------------------------------------

function optionsText(f: Frame, p: DecodedPacketExt, paint: Painter): string {
  const buf = f.buf;
  const start = p.tcpOffset + 20;
  const end = p.tcpOffset + p.dataOffset * 4;
  const cend = p.capturedEnd;
  let s = '';
  let q = start;
  let eol = false;
  for (;;) {
    const n = optionStep(buf, q, end, cend);
    if (n === WalkStop.END) break;
    if (n === WalkStop.TRUNCATED) return `${s}${s ? ',' : ''}${paint.warn('[|tcp]')}`;
    if (n < 0) {
      s += `${s ? ',' : ''}${paint.bad('[bad opt]')}`;
      const at = p.opts.toaAfterBreakOffset;
      if (p.opts.toaAfterBreak && at >= 0) {
        // TOA-shaped bytes the modules never reach (byte-wise resync, may be a coincidence)
        const t = optionText(buf, at, buf[at], buf[at + 1]);
        s += ` ${paint.bad('[after bad opt:')} ${paint.toa(t)} at +${at - start}${paint.bad(']')}`;
      }
      return s;
    }
    const k = buf[q];
    const t = optionText(buf, q, k, n);
    s += (s ? ',' : '') + (t.startsWith('toa') ? paint.toa(t) : t);
    q += n;
    if (k === 0) {
      eol = true;
      break;
    }
  }
  if (eol) {
    // what the modules never read: show non-padding bytes after EOL
    let after = '';
    for (;;) {
      const n = optionStep(buf, q, end, cend);
      if (n < 0) {
        if (n !== WalkStop.END && n !== WalkStop.TRUNCATED && after) after += `,${paint.bad('[bad opt]')}`;
        break;
      }
      const k = buf[q];
      if (k !== 0) {
        const t = optionText(buf, q, k, n);
        after += (after ? ',' : '') + (t.startsWith('toa') ? paint.toa(t) : t);
      }
      q += n;
    }
    if (after) s += ` ${paint.bad('[after eol:')} ${after}${paint.bad(']')}`;
    if (cend < end) s += `,${paint.warn('[|tcp]')}`;
  }
  return s;
}

function addrs(f: Frame, p: DecodedPacketExt): [string, string] {
  return [
    addressToString(f.buf, p.srcAddrOffset, p.ipVersion),
    addressToString(f.buf, p.dstAddrOffset, p.ipVersion),
  ];
}

function ipPrefix(f: Frame, p: DecodedPacketExt, o: LineOptions): string {
  const fam = p.ipVersion === 6 ? 'IP6' : 'IP';
  if (!o.verbose) return fam;
  const buf = f.buf;
  const parts: string[] = [];
  if (p.vlanIds) parts.push(`vlan tags ${p.vlanIds}`);
  if (p.ipVersion === 4) {
    const fl = (buf[p.ipOffset + 6] << 8) | buf[p.ipOffset + 7];
    const flags = `${fl & 0x4000 ? 'DF' : ''}${fl & 0x2000 ? '+' : ''}` || 'none';
    parts.push(`ttl ${p.ipTtl}`, `id ${p.ipId}`, `offset ${p.ipFragOffset}`, `flags [${flags}]`);
    if (p.ipHeaderLength > 20) parts.push(`options ${p.ipHeaderLength - 20} bytes`);
    parts.push(`length ${p.ipTotalLength}`);
    if (p.ipChecksum === ChecksumStatus.BAD) {
      const ck = (buf[p.ipOffset + 10] << 8) | buf[p.ipOffset + 11];
      parts.push((o.painter ?? PLAIN).bad(`bad cksum ${ck.toString(16)}!`));
    }
  } else {
    parts.push(`hlim ${p.ipTtl}`);
    if (p.ipHeaderLength > 40) parts.push(`ext headers ${p.ipHeaderLength - 40} bytes`);
    if (p.ipFragment) parts.push(`frag offset ${p.ipFragOffset}`);
    parts.push(`length ${p.ipTotalLength}`);
  }
  return `${fam} (${parts.join(', ')})`;
}

/** One tcpdump-like line (no newline). */
export function packetText(f: Frame, p: DecodedPacketExt, o: LineOptions = {}): string {
  const paint = o.painter ?? PLAIN;
  const head = timeText(f);
  switch (p.status) {
    case DecodeStatus.UNKNOWN_LINKTYPE:
      return `${head} ${paint.warn(`[link type ${f.linkType} not supported]`)}, length ${f.originalLength}`;
    case DecodeStatus.NOT_IP:
      return `${head} not IP (${linkTypeName(f.linkType)}), length ${f.originalLength}`;
    case DecodeStatus.BAD_IP:
      return `${head} ${paint.bad('[bad IP header]')}, length ${f.originalLength}`;
    default:
      break;
  }
  if (p.ipVersion === 0 || p.srcAddrOffset < 0)
    return `${head} ${paint.warn('[|ip]')}, length ${f.originalLength}`;
  const [src, dst] = addrs(f, p);
  const pre = `${head} ${ipPrefix(f, p, o)}`;
  if (p.status === DecodeStatus.NOT_TCP) {
    const name = IP_PROTO_NAMES[p.ipProto] ?? `proto ${p.ipProto}`;
    return `${pre} ${src} > ${dst}: ${name} (not TCP), length ${p.ipTotalLength}`;
  }
  if (p.status === DecodeStatus.IP_FRAGMENT)
    return `${pre} ${src} > ${dst}: fragment offset ${p.ipFragOffset}, length ${p.ipTotalLength}`;
  if (p.tcpOffset < 0) return `${pre} ${src} > ${dst}: ${paint.warn('[|ip]')}`;
  const ends =
    p.capturedEnd - p.tcpOffset >= 4 ? `${src}.${p.srcPort} > ${dst}.${p.dstPort}` : `${src} > ${dst}`;
  if (p.status === DecodeStatus.TRUNCATED) return `${pre} ${ends}: ${paint.warn('[|tcp]')}`;
  if (p.status === DecodeStatus.BAD_TCP) {
    const seg = p.ipOffset + p.ipTotalLength - p.tcpOffset;
    const why =
      p.dataOffset < 5
        ? `[bad hdr length ${p.dataOffset * 4} - too short, < 20]`
        : `[bad hdr length ${p.dataOffset * 4} - too long, > ${seg}]`;
    return `${pre} ${ends}: Flags [${flagsText(p.flags)}], ${paint.bad(why)}`;
  }
  let s = `${pre} ${ends}: Flags [${flagsText(p.flags)}]`;
  if (o.verbose) {
    const ck = tcpChecksum(f, p);
    const v = (f.buf[p.tcpOffset + 16] << 8) | f.buf[p.tcpOffset + 17];
    const word =
      ck === ChecksumStatus.OK
        ? 'correct'
        : ck === ChecksumStatus.BAD
          ? paint.bad('incorrect')
          : 'unverified';
    s += `, cksum 0x${v.toString(16).padStart(4, '0')} (${word})`;
  }
  const len = p.payloadLength;
  if (len > 0 || p.flags & (TcpFlag.SYN | TcpFlag.FIN | TcpFlag.RST)) {
    s += `, seq ${p.seq}`;
    if (len > 0) s += `:${(p.seq + len) >>> 0}`;
  }
  if (p.flags & TcpFlag.ACK) s += `, ack ${p.ack}`;
  s += `, win ${p.window}`;
  if (p.flags & TcpFlag.URG) s += `, urg ${(f.buf[p.tcpOffset + 18] << 8) | f.buf[p.tcpOffset + 19]}`;
  if (p.dataOffset > 5) {
    const ot = optionsText(f, p, paint);
    s += `, options [${ot}]`;
    if (ot.endsWith('[|tcp]')) return s;
  }
  return `${s}, length ${len}`;
}

// ---- JSON ---------------------------------------------------------------------------------

const OPT_HEAD: string[] = [];
for (let k = 0; k < 256; k++) OPT_HEAD.push(`{"kind":${k},"length":`);

function optionJson(buf: Uint8Array, q: number, k: number, n: number): string {
  // fast paths for the everyday options; field order matches decodeOneOption
  switch (k) {
    case 0:
      return '{"kind":0,"length":1,"name":"eol","raw":"00"}';
    case 1:
      return '{"kind":1,"length":1,"name":"nop","raw":"01"}';
    case 2:
      if (n === 4)
        return `{"kind":2,"length":4,"name":"mss","raw":"${hexOf(buf, q, q + 4)}","mss":${(buf[q + 2] << 8) | buf[q + 3]}}`;
      break;
    case 3:
      if (n === 3)
        return `{"kind":3,"length":3,"name":"wscale","raw":"${hexOf(buf, q, q + 3)}","wscale":${buf[q + 2]}}`;
      break;
    case 4:
      if (n === 2) return '{"kind":4,"length":2,"name":"sackOK","raw":"0402"}';
      break;
    case 8:
      if (n === 10) {
        const v = ((buf[q + 2] << 24) >>> 0) + ((buf[q + 3] << 16) | (buf[q + 4] << 8) | buf[q + 5]);
        const e = ((buf[q + 6] << 24) >>> 0) + ((buf[q + 7] << 16) | (buf[q + 8] << 8) | buf[q + 9]);
        return `${OPT_HEAD[8]}10,"name":"TS","raw":"${hexOf(buf, q, q + 10)}","tsval":${v},"tsecr":${e}}`;
      }
      break;
  }
  return JSON.stringify(decodeOneOption(buf, q, k, n));
}

/** `"options":[...],("malformed":{...},)("afterEol":[...],)"truncated":bool` — same content as decodeOptions */
function optionsJson(f: Frame, p: DecodedPacketExt): string {
  const buf = f.buf;
  const start = p.tcpOffset + 20;
  const end = p.tcpOffset + p.dataOffset * 4;
  const cend = Math.min(p.capturedEnd, end);
  let list = '';
  let malformed = '';
  let q = start;
  let eol = -1;
  for (;;) {
    const n = optionStep(buf, q, end, cend);
    if (n === WalkStop.END || n === WalkStop.TRUNCATED) break;
    if (n < 0) {
      const len = n === WalkStop.NO_LENGTH ? -1 : buf[q + 1];
      malformed = `{"kind":${buf[q]},"length":${len},"malformed":"${stopReason(n)}","at":${q - start}}`;
      break;
    }
    const k = buf[q];
    list += (list ? ',' : '') + optionJson(buf, q, k, n);
    q += n;
    if (k === 0) {
      eol = q - 1;
      break;
    }
  }
  let after = '';
  if (eol >= 0) {
    let r = eol + 1;
    let first = -1;
    for (;;) {
      const n = optionStep(buf, r, end, cend);
      if (n < 0) {
        if (n !== WalkStop.END && n !== WalkStop.TRUNCATED && first < 0) first = r;
        break;
      }
      const k = buf[r];
      if (k !== 0) {
        if (first < 0) first = r;
        after += (after ? ',' : '') + optionJson(buf, r, k, n);
      }
      r += n;
    }
    if (first >= 0 && !malformed) {
      const len = first + 1 < cend && buf[first] > 1 ? buf[first + 1] : 1;
      malformed = `{"kind":${buf[first]},"length":${len},"malformed":"after-eol","at":${first - start}}`;
    }
  }
  let s = `"options":[${list}]`;
  if (malformed) s += `,"malformed":${malformed}`;
  if (after) s += `,"afterEol":[${after}]`;
  return `${s},"truncated":${cend < end}`;
}

/** One NDJSON object (no newline). */
export function packetJson(f: Frame, p: DecodedPacketExt): string {
  let s = `{"ts":${tsJson(f)},"link":"${linkTypeName(f.linkType)}","caplen":${f.capturedLength},"len":${f.originalLength},"status":"${STATUS_NAMES[p.status]}"`;
  if (p.vlanIds) s += `,"vlans":${p.vlanIds}`;
  if (p.ipVersion !== 0 && p.srcAddrOffset >= 0) {
    const [src, dst] = addrs(f, p);
    s += `,"ip":{"version":${p.ipVersion},"src":"${src}","dst":"${dst}","ttl":${p.ipTtl},"id":${p.ipId},"length":${p.ipTotalLength},"proto":${p.ipProto},"checksum":"${CHECKSUM_NAMES[p.ipChecksum]}","fragment":${p.ipFragment}`;
    if (p.ipFragOffset) s += `,"fragOffset":${p.ipFragOffset}`;
    s += '}';
  }
  if (p.status === DecodeStatus.OK) {
    s += `,"tcp":{"sport":${p.srcPort},"dport":${p.dstPort},"seq":${p.seq},"ack":${p.ack},"flags":"${FLAG_TEXT[p.flags]}","flagBits":${p.flags},"win":${p.window},"doff":${p.dataOffset},"payload":${p.payloadLength},${optionsJson(f, p)},"checksum":"${CHECKSUM_NAMES[tcpChecksum(f, p)]}"}`;
  } else if (p.status === DecodeStatus.BAD_TCP) {
    s += `,"tcp":{"sport":${p.srcPort},"dport":${p.dstPort},"seq":${p.seq},"ack":${p.ack},"flags":"${FLAG_TEXT[p.flags]}","flagBits":${p.flags},"win":${p.window},"doff":${p.dataOffset},"truncated":false}`;
  } else if (p.status === DecodeStatus.TRUNCATED && p.tcpOffset >= 0 && p.capturedEnd - p.tcpOffset >= 4) {
    s += `,"tcp":{"sport":${p.srcPort},"dport":${p.dstPort},"truncated":true}`;
  }
  return `${s}}`;
}

/** hex of the raw frame (for debugging output) */
export function frameHex(f: Frame): string {
  return hexOf(f.buf, f.offset, f.offset + f.capturedLength);
}
