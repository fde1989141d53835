/**
 * One packet → one tcpdump-like text line. Pure formatting: the caller decodes (decodePacket) and
 * writes; the only state is the per-second cache of the `HH:MM:SS.` prefix. The words follow
 * tcpdump's printers (print-ip.c, print-ip6.c, print-tcp.c) so a line reads as tcpdump's would.
 */
import { type Frame, LinkType } from '../capture/types.js';
import {
  addressToString,
  ChecksumStatus,
  type DecodedPacket,
  DecodeStatus,
  decodeToa,
  formatToa,
  hexOf,
  ipCarrierAt,
  ipv4ChecksumShouldBe,
  linkTypeName,
  optionStep,
  optionText,
  TcpFlag,
  tcpChecksum,
  tcpChecksumShouldBe,
  WalkStop,
} from '../decode/index.js';
import type { ByteSink } from './byte-writer.js';
import {
  anyColumn,
  type DumpKind,
  dumpText,
  linkHeaderText,
  newClock,
  type TsClock,
  type TsFormat,
  tsPrefix,
} from './packet-extras.js';

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
  /** -e: the link-level header */
  link?: boolean;
  /** -t..-ttttt (0 or absent: HH:MM:SS.uuuuuu) */
  ts?: TsFormat;
  /** state of -ttt / -ttttt (created on first use) */
  clock?: TsClock;
  /** -x / -X / -A */
  dump?: DumpKind;
  /** -xx / -XX: the dump starts at the link header */
  dumpLink?: boolean;
  /** interface name of an ifindex, for the `-i any` (LINUX_SLL2) column; no column without it */
  ifName?: (index: number) => string | null;
}

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

// ---- text ---------------------------------------------------------------------------------

function optionsText(f: Frame, p: DecodedPacket, paint: Painter): string {
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

function addrs(f: Frame, p: DecodedPacket): [string, string] {
  return [
    addressToString(f.buf, p.srcAddrOffset, p.ipVersion),
    addressToString(f.buf, p.dstAddrOffset, p.ipVersion),
  ];
}

/** tcpdump's `ip_frag_values` (print-ip.c), in its table order */
function ipFlagsText(fl: number): string {
  const names: string[] = [];
  if (fl & 0x2000) names.push('+');
  if (fl & 0x4000) names.push('DF');
  if (fl & 0x8000) names.push('rsvd');
  return names.length ? names.join(', ') : 'none';
}

const ECN_TEXT = ['', ',ECT(1)', ',ECT(0)', ',CE'];

/**
 * The network-layer head: `IP ` / `IP6 ` (not with -e, as tcpdump), and with -v the IP details in
 * tcpdump's words; an IPv4 -v head ends in a newline and 4 spaces, as tcpdump prints it.
 */
function ipPrefix(f: Frame, p: DecodedPacket, o: LineOptions): string {
  const fam = o.link ? '' : p.ipVersion === 6 ? 'IP6 ' : 'IP ';
  if (!o.verbose) return fam;
  const buf = f.buf;
  const ip = p.ipOffset;
  const proto = `${IP_PROTO_NAMES[p.ipProto] ?? `ip-proto-${p.ipProto}`} (${p.ipProto})`;
  if (p.ipVersion === 4) {
    const tos = buf[ip + 1]!;
    const fl = (buf[ip + 6]! << 8) | buf[ip + 7]!;
    let s = `${fam}(tos 0x${tos.toString(16)}${ECN_TEXT[tos & 3]}, ttl ${p.ipTtl}, id ${p.ipId}, offset ${p.ipFragOffset}, flags [${ipFlagsText(fl)}], proto ${proto}, length ${p.ipTotalLength}`;
    if (p.ipChecksum === ChecksumStatus.BAD) {
      const ck = (buf[ip + 10]! << 8) | buf[ip + 11]!;
      s += (o.painter ?? PLAIN).bad(
        `, bad cksum ${ck.toString(16)} (->${ipv4ChecksumShouldBe(f, p).toString(16)})!`,
      );
    }
    if (p.ipHeaderLength > 20) s += `, options ${p.ipHeaderLength - 20} bytes`;
    return `${s})\n    `;
  }
  const flow = ((buf[ip]! << 24) | (buf[ip + 1]! << 16) | (buf[ip + 2]! << 8) | buf[ip + 3]!) >>> 0;
  let s = `${fam}(`;
  if (flow & 0x0ff00000) s += `class 0x${((flow & 0x0ff00000) >>> 20).toString(16).padStart(2, '0')}, `;
  if (flow & 0x000fffff) s += `flowlabel 0x${(flow & 0x000fffff).toString(16).padStart(5, '0')}, `;
  const nh = buf[ip + 6]!;
  s += `hlim ${p.ipTtl}, next-header ${IP6_NEXT_NAMES[nh] ?? IP_PROTO_NAMES[nh] ?? `unknown`} (${nh}) payload length: ${(buf[ip + 4]! << 8) | buf[ip + 5]!}`;
  if (p.ipHeaderLength > 40) s += `, ext headers ${p.ipHeaderLength - 40} bytes`;
  if (p.ipFragment) s += `, frag offset ${p.ipFragOffset}`;
  return `${s}) `;
}

/** IPv6 extension header names in tcpdump's ipproto_values */
const IP6_NEXT_NAMES: Record<number, string> = {
  0: 'Options',
  43: 'Routing',
  44: 'frag',
  51: 'AH',
  60: 'Dst',
};

/** timestamp, `-i any` column and -e link header: everything before the network layer */
function lineHead(f: Frame, o: LineOptions): string {
  if (o.ts && !o.clock) o.clock = newClock();
  let h = o.ts && o.clock ? tsPrefix(f, o.ts, o.clock) : `${timeText(f)} `;
  if (f.linkType === LinkType.LINUX_SLL2 && o.ifName) h += anyColumn(f, o.ifName);
  if (o.link) h += linkHeaderText(f);
  return h;
}

/** One tcpdump-like line (no newline; with -x/-X/-A the dump lines follow). */
export function packetText(f: Frame, p: DecodedPacket, o: LineOptions = {}): string {
  const line = packetLine(f, p, o);
  return o.dump ? line + dumpText(f, p, o.dump, !!o.dumpLink) : line;
}

function packetLine(f: Frame, p: DecodedPacket, o: LineOptions): string {
  const paint = o.painter ?? PLAIN;
  const head = lineHead(f, o);
  switch (p.status) {
    case DecodeStatus.UNKNOWN_LINKTYPE:
      return `${head}${paint.warn(`[link type ${f.linkType} not supported]`)}, length ${f.originalLength}`;
    case DecodeStatus.NOT_IP:
      return `${head}not IP (${linkTypeName(f.linkType)}), length ${f.originalLength}`;
    case DecodeStatus.BAD_IP:
      return `${head}${paint.bad('[bad IP header]')}, length ${f.originalLength}`;
    default:
      break;
  }
  if (p.ipVersion === 0 || p.srcAddrOffset < 0)
    return `${head}${paint.warn('[|ip]')}, length ${f.originalLength}`;
  const [src, dst] = addrs(f, p);
  const pre = `${head}${ipPrefix(f, p, o)}`;
  if (p.status === DecodeStatus.NOT_TCP) {
    const name = IP_PROTO_NAMES[p.ipProto] ?? `proto ${p.ipProto}`;
    return `${pre}${src} > ${dst}: ${name} (not TCP), length ${p.ipTotalLength}`;
  }
  if (p.status === DecodeStatus.IP_FRAGMENT)
    return `${pre}${src} > ${dst}: fragment offset ${p.ipFragOffset}, length ${p.ipTotalLength}`;
  if (p.tcpOffset < 0) return `${pre}${src} > ${dst}: ${paint.warn('[|ip]')}`;
  const ends =
    p.capturedEnd - p.tcpOffset >= 4 ? `${src}.${p.srcPort} > ${dst}.${p.dstPort}` : `${src} > ${dst}`;
  if (p.status === DecodeStatus.TRUNCATED) return `${pre}${ends}: ${paint.warn('[|tcp]')}`;
  if (p.status === DecodeStatus.BAD_TCP) {
    const seg = p.ipOffset + p.ipTotalLength - p.tcpOffset;
    const why =
      p.dataOffset < 5
        ? `[bad hdr length ${p.dataOffset * 4} - too short, < 20]`
        : `[bad hdr length ${p.dataOffset * 4} - too long, > ${seg}]`;
    return `${pre}${ends}: Flags [${flagsText(p.flags)}], ${paint.bad(why)}`;
  }
  let s = `${pre}${ends}: Flags [${flagsText(p.flags)}]`;
  if (o.verbose) {
    // as tcpdump: only a checksum that can be verified is shown
    const ck = tcpChecksum(f, p);
    if (ck === ChecksumStatus.OK || ck === ChecksumStatus.BAD) {
      const v = (f.buf[p.tcpOffset + 16]! << 8) | f.buf[p.tcpOffset + 17]!;
      const word =
        ck === ChecksumStatus.OK
          ? 'correct'
          : paint.bad(`incorrect -> 0x${tcpChecksumShouldBe(f, p).toString(16).padStart(4, '0')}`);
      s += `, cksum 0x${v.toString(16).padStart(4, '0')} (${word})`;
    }
  }
  const len = p.payloadLength;
  if (len > 0 || p.flags & (TcpFlag.SYN | TcpFlag.FIN | TcpFlag.RST)) {
    s += `, seq ${p.seq}`;
    if (len > 0) s += `:${(p.seq + len) >>> 0}`;
  }
  if (p.flags & TcpFlag.ACK) s += `, ack ${p.ack}`;
  s += `, win ${p.window}`;
  if (p.flags & TcpFlag.URG) s += `, urg ${(f.buf[p.tcpOffset + 18]! << 8) | f.buf[p.tcpOffset + 19]!}`;
  if (p.dataOffset > 5) {
    const ot = optionsText(f, p, paint);
    s += `, options [${ot}]`;
    if (ot.endsWith('[|tcp]')) return s;
  }
  // a client address in the IP header (TTGW IPv4 option / IPv6 destination option 31), shown like a TOA
  if (p.ipHeaderLength > (p.ipVersion === 4 ? 20 : 40)) {
    const c = ipCarrierAt(f.buf, p, p.capturedEnd);
    if (c) s += `, ${paint.toa(formatToa(decodeToa(f.buf, c.offset, c.variant)))}`;
  }
  return `${s}, length ${len}`;
}

/** Write one text line and its newline. */
export function writePacketText(w: ByteSink, f: Frame, p: DecodedPacket, o: LineOptions = {}): void {
  w.line(packetText(f, p, o));
}

/** hex of the raw frame (for debugging output) */
export function frameHex(f: Frame): string {
  return hexOf(f.buf, f.offset, f.offset + f.capturedLength);
}
