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
  decodeToa,
  formatToa,
  hexOf,
  ipCarrierAt,
  ipv4ChecksumShouldBe,
  linkTypeName,
  optionStep,
  optionText,
  stopReason,
  TcpFlag,
  TOA_VARIANTS,
  tcpChecksum,
  tcpChecksumShouldBe,
  toaVariantAt,
  WalkStop,
} from '../decode/index.js';
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
function ipPrefix(f: Frame, p: DecodedPacketExt, o: LineOptions): string {
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
  if (f.linkType === 276 && o.ifName) h += anyColumn(f, o.ifName);
  if (o.link) h += linkHeaderText(f);
  return h;
}

/** One tcpdump-like line (no newline; with -x/-X/-A the dump lines follow). */
export function packetText(f: Frame, p: DecodedPacketExt, o: LineOptions = {}): string {
  const line = packetLine(f, p, o);
  return o.dump ? line + dumpText(f, p, o.dump, !!o.dumpLink) : line;
}

function packetLine(f: Frame, p: DecodedPacketExt, o: LineOptions): string {
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

// ---- output buffer ------------------------------------------------------------------------

type Latin1Writer = { latin1Write(s: string, offset: number): number };
/** Node's internal Buffer#latin1Write (no argument parsing), or the public write() */
const latin1Write: (b: Buffer, s: string, at: number) => number =
  typeof (Buffer.prototype as unknown as Partial<Latin1Writer>).latin1Write === 'function'
    ? (b, s, at) => (b as unknown as Latin1Writer).latin1Write(s, at)
    : (b, s, at) => b.write(s, at, 'latin1');

/** Room one packet may take in the buffer (a JSON line is < 4 KiB; longer text goes out whole). */
export const MAX_PACKET_BYTES = 16 * 1024;

/**
 * Output buffer handed to `onFlush` in one piece once past `flushAt` bytes, always at a line
 * boundary. JSON lines are written straight into `buf` as bytes by writePacketJson (no strings);
 * text lines are copied in with one latin1 write each.
 */
export class ByteSink {
  readonly buf: Buffer;
  /** DataView over buf (multi-byte stores) */
  readonly view: DataView;
  pos = 0;
  constructor(
    private readonly onFlush: (buf: Buffer, length: number) => void,
    readonly flushAt = 64 * 1024,
  ) {
    this.buf = Buffer.allocUnsafe(flushAt + MAX_PACKET_BYTES);
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.length);
  }
  flush(): void {
    if (this.pos > 0) {
      const n = this.pos;
      this.pos = 0;
      this.onFlush(this.buf, n);
    }
  }
  /** a line (latin1/ASCII) and its newline; flushes after it when past flushAt */
  line(s: string): void {
    if (s.length + 1 > this.buf.length - this.pos) {
      this.flush();
      if (s.length + 1 > this.buf.length) {
        const b = Buffer.from(`${s}\n`, 'latin1');
        this.onFlush(b, b.length);
        return;
      }
    }
    this.pos += latin1Write(this.buf, s, this.pos);
    this.buf[this.pos++] = 10;
    if (this.pos >= this.flushAt) this.flush();
  }
}

// ---- byte writers: (position, value) → new position, into the current sink's buffer (D/V).
// Small enough for TurboFan to inline. Multi-byte stores go through a DataView (2, 4 or 8 bytes
// per store instead of one JS store per byte, which costs ~2 ns each here); a 4- or 8-byte store
// may write up to 7 bytes past the new position — harmless, as the next write overwrites them
// and the buffer has MAX_PACKET_BYTES of room past flushAt.

/**
 * A constant byte run: its bytes, and the same bytes as 8-byte words (0-padded) read as float64
 * (moved bit-exact by setFloat64: ASCII bytes never form a NaN pattern, whose payload a store
 * might not preserve; a run with a byte >= 0x80 has no words and is copied with set()).
 */
class Run {
  readonly n: number;
  readonly words: Float64Array;
  constructor(readonly bytes: Uint8Array) {
    this.n = bytes.length;
    const ascii = bytes.every((b) => b < 0x80);
    const w = new Float64Array(ascii ? (bytes.length + 7) >> 3 : 0);
    new Uint8Array(w.buffer).set(bytes);
    this.words = w;
  }
}
const enc = (s: string): Run => new Run(Uint8Array.from(Buffer.from(s, 'latin1')));

/** the buffer being written (and a DataView over it); set by writePacketJson */
let D: Uint8Array = new Uint8Array(0);
let V: DataView = new DataView(D.buffer);

const DIG2 = new Uint8Array(200); // "00".."99"
const DIG16 = new Uint16Array(100); // the same pairs as little-endian uint16
for (let i = 0; i < 100; i++) {
  DIG2[2 * i] = 48 + Math.floor(i / 10);
  DIG2[2 * i + 1] = 48 + (i % 10);
  DIG16[i] = DIG2[2 * i] | (DIG2[2 * i + 1] << 8);
}
const DIG4 = new Int32Array(10000); // "0000".."9999" as little-endian int32
for (let i = 0; i < 10000; i++) {
  const a = Math.floor(i / 100);
  DIG4[i] = DIG16[a] | (DIG16[i - a * 100] << 16);
}
const HEX16 = new Uint16Array(256); // two hex digits per byte value (little-endian uint16)
for (let i = 0; i < 256; i++) {
  const h = i.toString(16).padStart(2, '0');
  HEX16[i] = h.charCodeAt(0) | (h.charCodeAt(1) << 8);
}
const HEX_DIGIT = Uint8Array.from(Buffer.from('0123456789abcdef', 'latin1'));
/** decimal of each byte value and a '.', as little-endian int32 ("1." "10." "255."), and its length */
const DEC_DOT = new Int32Array(256);
const DEC_DOT_LEN = new Uint8Array(256);
for (let i = 0; i < 256; i++) {
  const s = `${i}.`;
  let w = 0;
  for (let j = 0; j < s.length; j++) w |= s.charCodeAt(j) << (8 * j);
  DEC_DOT[i] = w;
  DEC_DOT_LEN[i] = s.length;
}
const GROUPS = new Uint16Array(8);

function putBytes(p: number, r: Run): number {
  const n = r.n;
  const w = r.words;
  if (n > 64 || w.length === 0) {
    D.set(r.bytes, p); // memcpy (a fixed ~12 ns) wins over word stores (~1.5 ns / 8 bytes) past ~64 bytes
    return p + n;
  }
  const v = V;
  for (let i = 0; i < w.length; i++) v.setFloat64(p + 8 * i, w[i], true);
  return p + n;
}

function putByte(p: number, b: number): number {
  V.setUint8(p, b);
  return p + 1;
}

/** decimal of 0 <= n < 10^8 (a small integer: no heap number crosses the call) */
function putU27(p: number, n: number): number {
  const v = V;
  if (n < 10000) {
    if (n < 100) {
      if (n < 10) {
        v.setUint8(p, 48 + n);
        return p + 1;
      }
      v.setUint16(p, DIG16[n], true);
      return p + 2;
    }
    // 3 digits: drop the leading '0' of the 4-digit word (the 4th byte stored is a harmless 0)
    if (n < 1000) {
      v.setInt32(p, DIG4[n] >>> 8, true);
      return p + 3;
    }
    v.setInt32(p, DIG4[n], true);
    return p + 4;
  }
  const h = (n / 10000) | 0;
  const l = n - h * 10000;
  let q = p;
  if (h < 100) {
    if (h < 10) v.setUint8(q++, 48 + h);
    else {
      v.setUint16(q, DIG16[h], true);
      q += 2;
    }
  } else if (h < 1000) {
    v.setInt32(q, DIG4[h] >>> 8, true);
    q += 3;
  } else {
    v.setInt32(q, DIG4[h], true);
    q += 4;
  }
  v.setInt32(q, DIG4[l], true);
  return q + 4;
}

/** exactly 8 digits of 0 <= x < 10^8 */
function put8(p: number, x: number): number {
  const h = (x / 10000) | 0;
  V.setInt32(p, DIG4[h], true);
  V.setInt32(p + 4, DIG4[x - h * 10000], true);
  return p + 8;
}

/** `top` (1..99) then exactly 8 digits of `rest` */
function putTopRest(p: number, top: number, rest: number): number {
  if (top < 10) V.setUint8(p++, 48 + top);
  else {
    V.setUint16(p, DIG16[top], true);
    p += 2;
  }
  return put8(p, rest);
}

/** decimal of a non-negative integer < 2^53 */
function putUint(p: number, n: number): number {
  if (n < 100000000) return putU27(p, n);
  // split so the rest is small-integer arithmetic (double % is a slow fmod)
  const hi = Math.floor(n / 100000000);
  if (hi < 100) return putTopRest(p, hi, n - hi * 100000000);
  return put8(putUint(p, hi), n - hi * 100000000);
}

/** decimal of the big-endian uint32 at b[o] (read here, so no heap number is passed around) */
function putU32At(p: number, b: Uint8Array, o: number): number {
  const n = ((b[o] << 8) | b[o + 1]) * 65536 + ((b[o + 2] << 8) | b[o + 3]);
  if (n < 100000000) return putU27(p, n);
  const top = Math.floor(n / 100000000); // 1..42
  return putTopRest(p, top, n - top * 100000000);
}

function putInt(p: number, n: number): number {
  if (n >= 0) return putUint(p, n);
  V.setUint8(p, 45);
  return putUint(p + 1, -n);
}

/** zero-padded to `width` digits (width 6 or 9; v < 10^width) */
function putPadded(p: number, n: number, width: number): number {
  if (width === 6) {
    const h = (n / 10000) | 0;
    V.setUint16(p, DIG16[h], true);
    V.setInt32(p + 2, DIG4[n - h * 10000], true);
    return p + 6;
  }
  const top = (n / 100000000) | 0;
  V.setUint8(p, 48 + top);
  return put8(p + 1, n - top * 100000000);
}

function putHex(p: number, src: Uint8Array, from: number, to: number): number {
  const v = V;
  let i = from;
  for (; i + 1 < to; i += 2) {
    v.setInt32(p, HEX16[src[i]] | (HEX16[src[i + 1]] << 16), true);
    p += 4;
  }
  if (i < to) {
    v.setUint16(p, HEX16[src[i]], true);
    p += 2;
  }
  return p;
}

function putDec8(p: number, x: number): number {
  const v = V;
  if (x >= 100) {
    const h = (x / 100) | 0;
    v.setUint8(p, 48 + h);
    v.setUint16(p + 1, DIG16[x - h * 100], true);
    return p + 3;
  }
  if (x >= 10) {
    v.setUint16(p, DIG16[x], true);
    return p + 2;
  }
  v.setUint8(p, 48 + x);
  return p + 1;
}

function putIpv4(p: number, src: Uint8Array, o: number): number {
  const v = V;
  let b = src[o];
  v.setInt32(p, DEC_DOT[b], true);
  p += DEC_DOT_LEN[b];
  b = src[o + 1];
  v.setInt32(p, DEC_DOT[b], true);
  p += DEC_DOT_LEN[b];
  b = src[o + 2];
  v.setInt32(p, DEC_DOT[b], true);
  p += DEC_DOT_LEN[b];
  return putDec8(p, src[o + 3]);
}

/** RFC 5952 text (same output as ipv6ToString) */
function putIpv6(p: number, src: Uint8Array, o: number): number {
  const g = GROUPS;
  for (let i = 0; i < 8; i++) g[i] = (src[o + 2 * i] << 8) | src[o + 2 * i + 1];
  if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff) {
    p = putBytes(p, K.mapped);
    return putIpv4(p, src, o + 12);
  }
  let bestStart = -1;
  let bestLen = 1;
  let cur = -1;
  for (let i = 0; i < 8; i++) {
    if (g[i] === 0) {
      if (cur < 0) cur = i;
      if (i - cur + 1 > bestLen) {
        bestLen = i - cur + 1;
        bestStart = cur;
      }
    } else cur = -1;
  }
  const d = D;
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) {
      d[p++] = 58;
      d[p++] = 58;
      i += bestLen - 1;
      continue;
    }
    if (i > 0 && d[p - 1] !== 58) d[p++] = 58;
    const x = g[i];
    if (x >= 0x1000) d[p++] = HEX_DIGIT[x >> 12];
    if (x >= 0x100) d[p++] = HEX_DIGIT[(x >> 8) & 15];
    if (x >= 0x10) d[p++] = HEX_DIGIT[(x >> 4) & 15];
    d[p++] = HEX_DIGIT[x & 15];
  }
  return p;
}

function putAddr(p: number, src: Uint8Array, o: number, version: number): number {
  return version === 4 ? putIpv4(p, src, o) : putIpv6(p, src, o);
}

function putStr(p: number, s: string): number {
  const d = D;
  for (let i = 0; i < s.length; i++) d[p + i] = s.charCodeAt(i);
  return p + s.length;
}

// ---- JSON ---------------------------------------------------------------------------------

const K = {
  mapped: enc('::ffff:'),
  nul: enc('null'),
  ts: enc('{"ts":'),
  length: enc(',"length":'),
  dst: enc('","dst":"'),
  ipEnd: enc('"}'),
  ack: enc(',"ack":'),
  malformed: enc('],"malformed":'),
  afterEol: enc(',"afterEol":['),
  endListTruncFalse: enc('],"truncated":false}}\n'),
  endListTruncTrue: enc('],"truncated":true}}\n'),
  endTruncFalse: enc(',"truncated":false}}\n'),
  endTruncTrue: enc(',"truncated":true}}\n'),
  truncTrueEnd: enc(',"truncated":true}}\n'),
  truncFalseEnd: enc(',"truncated":false}}\n'),
  end: enc('}\n'),
  kind: enc('{"kind":'),
  mMalformed: enc(',"malformed":"'),
  mAt: enc('","at":'),
  ts8: enc('{"kind":8,"length":10,"name":"TS","raw":"080a'),
  nopNopTs: enc(
    '{"kind":1,"length":1,"name":"nop","raw":"01"},{"kind":1,"length":1,"name":"nop","raw":"01"},{"kind":8,"length":10,"name":"TS","raw":"080a',
  ),
  tsval: enc('","tsval":'),
  tsecr: enc(',"tsecr":'),
  toaName: enc(',"name":"toa","raw":"'),
  port: enc('","port":'),
  close2: enc('}}'),
};

/** `,"flags":"<letters>","flagBits":<n>,"doff":<d>,"win":` per (flag byte << 4 | data offset) */
const FLAG_CH: Run[] = [];
for (let fl = 0; fl < 256; fl++)
  for (let doff = 0; doff < 16; doff++)
    FLAG_CH.push(enc(`,"flags":"${FLAG_TEXT[fl]}","flagBits":${fl},"doff":${doff},"win":`));
/** whole-option JSON of short options (<= 4 bytes: mss, wscale, sackOK, nop...) keyed by their bytes */
const shortOptionCache = new Map<number, Run>();
/** TOA variants with no extra fields: written directly; `head` = `","toa":{...,"address":"` */
interface ToaFast {
  head: Run;
  v6: boolean;
  hasPort: boolean;
}
const TOA_FAST: Array<ToaFast | null> = TOA_VARIANTS.map((v) =>
  v.layout.extra.length === 0 && v.family && v.layout.addrOffset === 4
    ? {
        head: enc(
          `","toa":{"variant":"${v.id}","kind":${v.kind},"length":${v.length},"family":"${v.family}","address":"`,
        ),
        v6: v.family === 'ipv6',
        hasPort: v.hasPort,
      }
    : null,
);

/** the TS option at buf[q] after its `...,"raw":"080a` head, up to before its `}` */
function putTsVals(p: number, buf: Uint8Array, q: number): number {
  p = putHex(p, buf, q + 2, q + 10);
  p = putBytes(p, K.tsval);
  p = putU32At(p, buf, q + 2);
  p = putBytes(p, K.tsecr);
  return putU32At(p, buf, q + 6);
}

/** the TS option at buf[q] after its `...,"raw":"080a` head */
function putTsRest(p: number, buf: Uint8Array, q: number): number {
  return putByte(putTsVals(p, buf, q), 125); // }
}

/** one option as JSON: same content and key order as JSON.stringify(decodeOneOption(...)) */
function putOption(p: number, buf: Uint8Array, q: number, k: number, n: number): number {
  if (n <= 4) {
    // kind, length and up to 2 data bytes: a small-integer key (doubles as Map keys are slow)
    const key = ((k * 5 + n) * 256 + (n > 2 ? buf[q + 2] : 0)) * 256 + (n > 3 ? buf[q + 3] : 0);
    let hit = shortOptionCache.get(key);
    if (hit === undefined) {
      hit = enc(JSON.stringify(decodeOneOption(buf, q, k, n)));
      if (shortOptionCache.size < 8192) shortOptionCache.set(key, hit);
    }
    return putBytes(p, hit);
  }
  if (k === 8 && n === 10) return putTsRest(putBytes(p, K.ts8), buf, q);
  const vi = toaVariantAt(buf, q, k, n);
  const fast = vi >= 0 ? TOA_FAST[vi] : null;
  if (fast !== null) {
    p = putBytes(p, K.kind);
    p = putUint(p, k);
    p = putBytes(p, K.length);
    p = putUint(p, n);
    p = putBytes(p, K.toaName);
    return putBytes(putToaRest(p, buf, q, n, fast), K.close2);
  }
  return putStr(p, JSON.stringify(decodeOneOption(buf, q, k, n)));
}

/** a TOA_FAST option after its `{"kind":k,"length":n,"name":"toa","raw":"` head, up to before `}}` */
function putToaRest(p: number, buf: Uint8Array, q: number, n: number, fast: ToaFast): number {
  p = putHex(p, buf, q, q + n);
  p = putBytes(p, fast.head);
  p = fast.v6 ? putIpv6(p, buf, q + 4) : putIpv4(p, buf, q + 4);
  p = putBytes(p, K.port);
  return fast.hasPort ? putUint(p, (buf[q + 2] << 8) | buf[q + 3]) : putBytes(p, K.nul);
}

// ---- option layouts: the whole option list from a cached plan ---------------------------------
// Most packets carry one of a few option lists that differ only in TS values and TOA contents
// (SYN: mss,sackOK,TS,nop,wscale; ACK: nop,nop,TS; TOA,nop,nop,TS). A plan holds the bytes that
// must match (every kind and length byte, all data of the other options) and the output as
// constant runs around the variable parts, so such a list costs a few byte compares, two or three
// copies and the TS/TOA values instead of a walk with a lookup per option.

const OP_TS = -1; // an op >= 0 is a TOA_FAST variant index
const MAX_PLANS = 2048;
const MAX_PLAN_CHAIN = 8;

class OptPlan {
  next: OptPlan | null = null;
  constructor(
    readonly doff: number,
    /** offsets (from the first option byte) and values of the bytes that must match */
    readonly chkAt: Uint8Array,
    readonly chkVal: Uint8Array,
    /** runs[0], ops[0] at opAt[0], runs[1], ..., runs[ops.length] */
    readonly runs: Run[],
    readonly ops: Int32Array,
    readonly opAt: Int32Array,
    readonly opLen: Int32Array,
  ) {}
}

const planTable: Array<OptPlan | null> = new Array<OptPlan | null>(4096).fill(null);
let planCount = 0;
const planSlot = (doff: number, b0: number, b1: number): number =>
  (doff * 0x1f3 + b0 * 0x2d + b1 * 0x9b1) & 4095;

/** a plan for the complete, well-formed list at buf[start, end) (no EOL, no SACK-like data), or null */
function buildPlan(buf: Uint8Array, start: number, end: number, doff: number): OptPlan | null {
  const at: number[] = [];
  const val: number[] = [];
  const runs: Run[] = [];
  const ops: number[] = [];
  const opAt: number[] = [];
  const opLen: number[] = [];
  let text = '';
  let q = start;
  while (q < end) {
    const n = optionStep(buf, q, end, end);
    if (n < 0) return null;
    const k = buf[q];
    if (k === 0) return null;
    if (q > start) text += ',';
    const rel = q - start;
    at.push(rel);
    val.push(k);
    if (n > 1) {
      at.push(rel + 1);
      val.push(n);
    }
    if (k === 8 && n === 10) {
      runs.push(enc(`${text}{"kind":8,"length":10,"name":"TS","raw":"080a`));
      ops.push(OP_TS);
      opAt.push(rel);
      opLen.push(n);
      text = '}';
    } else {
      const vi = toaVariantAt(buf, q, k, n);
      if (vi >= 0) {
        if (TOA_FAST[vi] === null) return null;
        runs.push(enc(`${text}{"kind":${k},"length":${n},"name":"toa","raw":"`));
        ops.push(vi);
        opAt.push(rel);
        opLen.push(n);
        text = '}}';
      } else {
        if (n > 4) return null; // data that changes per packet (SACK blocks, MD5, cookies...)
        for (let i = 2; i < n; i++) {
          at.push(rel + i);
          val.push(buf[q + i]);
        }
        text += JSON.stringify(decodeOneOption(buf, q, k, n));
      }
    }
    q += n;
  }
  runs.push(enc(`${text}],"truncated":false}}\n`));
  return new OptPlan(
    doff,
    Uint8Array.from(at),
    Uint8Array.from(val),
    runs,
    Int32Array.from(ops),
    Int32Array.from(opAt),
    Int32Array.from(opLen),
  );
}

/** the plan matching the list at buf[start, ...) of a `doff` header, or null */
function findPlan(buf: Uint8Array, start: number, doff: number): OptPlan | null {
  let pl = planTable[planSlot(doff, buf[start], buf[start + 1])];
  search: while (pl !== null) {
    if (pl.doff === doff) {
      const at = pl.chkAt;
      const val = pl.chkVal;
      for (let i = 0; i < at.length; i++) {
        if (buf[start + at[i]] !== val[i]) {
          pl = pl.next;
          continue search;
        }
      }
      return pl;
    }
    pl = pl.next;
  }
  return null;
}

/** write the list with a plan; -1 when a TOA-shaped option is not the plan's variant (a TFO 254) */
function putPlan(p: number, buf: Uint8Array, start: number, pl: OptPlan): number {
  const ops = pl.ops;
  const runs = pl.runs;
  const p0 = p;
  for (let i = 0; i < ops.length; i++) {
    p = putBytes(p, runs[i]);
    const op = ops[i];
    const q = start + pl.opAt[i];
    if (op === OP_TS) p = putTsVals(p, buf, q);
    else {
      const n = pl.opLen[i];
      if (toaVariantAt(buf, q, buf[q], n) !== op) return -1 - p0;
      p = putToaRest(p, buf, q, n, TOA_FAST[op] as ToaFast);
    }
  }
  return putBytes(p, runs[ops.length]);
}

/** putOptionsAndEnd through a plan when the list is complete and one matches (or can be made) */
function putOptionsPlanned(p: number, f: Frame, pk: DecodedPacketExt): number {
  const doff = pk.dataOffset;
  const start = pk.tcpOffset + 20;
  const end = start + doff * 4 - 20;
  if (doff > 5 && pk.capturedEnd >= end) {
    const buf = f.buf;
    let pl = findPlan(buf, start, doff);
    if (pl === null && planCount < MAX_PLANS) {
      pl = buildPlan(buf, start, end, doff);
      if (pl !== null) {
        const slot = planSlot(doff, buf[start], buf[start + 1]);
        let chain = 0;
        for (let c = planTable[slot]; c !== null; c = c.next) chain++;
        if (chain < MAX_PLAN_CHAIN) {
          pl.next = planTable[slot];
          planTable[slot] = pl;
          planCount++;
        }
      }
    }
    if (pl !== null) {
      const r = putPlan(p, buf, start, pl);
      if (r >= 0) return r;
    }
  }
  return putOptionsAndEnd(p, f, pk);
}

function putMalformed(p: number, kind: number, len: number, reason: string, at: number): number {
  p = putBytes(p, K.kind);
  p = putUint(p, kind);
  p = putBytes(p, K.length);
  p = putInt(p, len);
  p = putBytes(p, K.mMalformed);
  p = putStr(p, reason);
  p = putBytes(p, K.mAt);
  p = putUint(p, at);
  return putByte(p, 125);
}

/**
 * `<options>](,"malformed":{...})(,"afterEol":[...]),"truncated":bool}}\n` after `"options":[` —
 * the same content as decodeOptions. Ends the packet (closes tcp and the object).
 */
function putOptionsAndEnd(p: number, f: Frame, pk: DecodedPacketExt): number {
  const buf = f.buf;
  const start = pk.tcpOffset + 20;
  const end = pk.tcpOffset + pk.dataOffset * 4;
  const cend = Math.min(pk.capturedEnd, end);
  let q = start;
  let eol = -1;
  let closed = false;
  let first = true;
  for (;;) {
    const n = optionStep(buf, q, end, cend);
    if (n === WalkStop.END || n === WalkStop.TRUNCATED) break;
    if (n < 0) {
      p = putBytes(p, K.malformed);
      p = putMalformed(p, buf[q], n === WalkStop.NO_LENGTH ? -1 : buf[q + 1], stopReason(n), q - start);
      closed = true;
      break;
    }
    const k = buf[q];
    if (!first) p = putByte(p, 44);
    first = false;
    if (
      k === 1 &&
      q + 12 <= cend &&
      buf[q + 1] === 1 &&
      buf[q + 2] === 8 &&
      buf[q + 3] === 10 &&
      q + 12 <= end
    ) {
      // NOP,NOP,TS: the most common option run (every segment with timestamps)
      p = putBytes(p, K.nopNopTs);
      p = putTsRest(p, buf, q + 2);
      q += 12;
      continue;
    }
    p = putOption(p, buf, q, k, n);
    q += n;
    if (k === 0) {
      eol = q - 1;
      break;
    }
  }
  if (eol >= 0) {
    // bytes after EOL: first the malformed marker, then the options found there
    let r = eol + 1;
    let firstAfter = -1;
    for (;;) {
      const n = optionStep(buf, r, end, cend);
      if (n < 0) {
        if (n !== WalkStop.END && n !== WalkStop.TRUNCATED && firstAfter < 0) firstAfter = r;
        break;
      }
      if (buf[r] !== 0 && firstAfter < 0) firstAfter = r;
      r += n;
    }
    if (firstAfter >= 0) {
      const len = firstAfter + 1 < cend && buf[firstAfter] > 1 ? buf[firstAfter + 1] : 1;
      p = putBytes(p, K.malformed);
      p = putMalformed(p, buf[firstAfter], len, 'after-eol', firstAfter - start);
      closed = true;
      let listed = false;
      r = eol + 1;
      for (;;) {
        const n = optionStep(buf, r, end, cend);
        if (n < 0) break;
        const k = buf[r];
        if (k !== 0) {
          if (listed) p = putByte(p, 44);
          else p = putBytes(p, K.afterEol);
          listed = true;
          p = putOption(p, buf, r, k, n);
        }
        r += n;
      }
      if (listed) p = putByte(p, 93); // ]
    }
  }
  const t = cend < end;
  return putBytes(
    p,
    closed ? (t ? K.endTruncTrue : K.endTruncFalse) : t ? K.endListTruncTrue : K.endListTruncFalse,
  );
}

/** `<pre><n><suf>` for 0 <= n < 65536, each built on first use (at most MAX_NUM_RUNS of them) */
class NumRuns {
  readonly runs: Array<Run | undefined> = new Array<Run | undefined>(65536).fill(undefined);
  count = 0;
  readonly pre: Run;
  readonly suf: Run;
  constructor(
    readonly preText: string,
    readonly sufText: string,
  ) {
    this.pre = enc(preText);
    this.suf = enc(sufText);
  }
}
const MAX_NUM_RUNS = 16384;

/** `<pre><n><suf>` of a NumRuns table: one copy instead of three writes for repeating values */
function putNumRun(p: number, c: NumRuns, n: number): number {
  let r = n >= 0 && n < 65536 ? c.runs[n] : undefined;
  if (r === undefined) {
    if (c.count >= MAX_NUM_RUNS || !(n >= 0 && n < 65536))
      return putBytes(putUint(putBytes(p, c.pre), n), c.suf);
    r = enc(`${c.preText}${n}${c.sufText}`);
    c.runs[n] = r;
    c.count++;
  }
  return putBytes(p, r);
}

const CAPLEN_LEN = new NumRuns(',"caplen":', ',"len":');
const LENGTH_SRC = new NumRuns(',"length":', ',"src":"');
const SPORT_DPORT = new NumRuns(',"tcp":{"sport":', ',"dport":');
const DPORT_SEQ = new NumRuns('', ',"seq":');
const WIN_PAYLOAD = new NumRuns('', ',"payload":');
/** `<payload length>,"checksum":"<name>","options":[` per TCP checksum status */
const PAYLOAD_CK = [0, 1, 2, 3].map(
  (c) => new NumRuns('', `,"checksum":"${CHECKSUM_NAMES[c as ChecksumStatus]}","options":[`),
);

/** `{"ts":<sec>.` of the last second seen */
let tsSecCached = -1;
let tsHead: Run = K.ts;

/**
 * `,"link":"..","status":"..",("vlans":n,)"ip":{"version":v,"proto":p,"checksum":"..","fragment":b,("fragOffset":n,)"ttl":t,"id":`
 * for one combination of those small values (cached: they repeat for nearly every packet)
 */
const groupCache = new Map<number, Run>();
function groupA(f: Frame, pk: DecodedPacketExt): Run {
  const lt = f.linkType >>> 0;
  const small =
    lt < 65536 && pk.vlanIds < 16 && pk.ipProto >= -1 && pk.ipProto < 256 && pk.ipFragOffset === 0;
  const key = small
    ? (((((lt * 8 + pk.status) * 16 + pk.vlanIds) * 4 + (pk.ipVersion >> 1)) * 257 + (pk.ipProto + 1)) * 8 +
        pk.ipChecksum * 2 +
        (pk.ipFragment ? 1 : 0)) *
        256 +
      (pk.ipTtl & 255)
    : -1;
  let b = small ? groupCache.get(key) : undefined;
  if (b === undefined) {
    let s = `,"link":"${linkTypeName(f.linkType)}","status":"${STATUS_NAMES[pk.status]}"`;
    if (pk.vlanIds) s += `,"vlans":${pk.vlanIds}`;
    if (pk.ipVersion !== 0 && pk.srcAddrOffset >= 0) {
      s += `,"ip":{"version":${pk.ipVersion},"proto":${pk.ipProto},"checksum":"${CHECKSUM_NAMES[pk.ipChecksum]}","fragment":${pk.ipFragment}`;
      if (pk.ipFragOffset) s += `,"fragOffset":${pk.ipFragOffset}`;
      s += `,"ttl":${pk.ipTtl},"id":`;
    }
    b = enc(s);
    if (small && groupCache.size < 4096) groupCache.set(key, b);
  }
  return b;
}

/**
 * Write one NDJSON object and its newline straight into the sink's buffer (bytes, no strings).
 * Keys are ordered so constant runs are long (JSON key order carries no meaning):
 * {ts, caplen, len, link, status, vlans?, ip:{version, proto, checksum, fragment, ttl, id, length, src, dst},
 *  tcp:{sport, dport, seq, ack, flags, flagBits, doff, win, payload, checksum, options, malformed?, afterEol?, truncated}}
 */
export function writePacketJson(w: ByteSink, f: Frame, pk: DecodedPacketExt): void {
  if (w.pos >= w.flushAt) w.flush();
  D = w.buf;
  V = w.view;
  const buf = f.buf;
  if (f.tsSec !== tsSecCached) {
    tsSecCached = f.tsSec;
    tsHead = enc(`{"ts":${f.tsSec}.`);
  }
  let p = putBytes(w.pos, tsHead);
  const ns = f.tsNsec;
  p = ns % 1000 === 0 ? putPadded(p, ns / 1000, 6) : putPadded(p, ns, 9);
  p = putNumRun(p, CAPLEN_LEN, f.capturedLength);
  p = putUint(p, f.originalLength);
  p = putBytes(p, groupA(f, pk));
  const v = pk.ipVersion;
  if (v !== 0 && pk.srcAddrOffset >= 0) {
    p = putUint(p, pk.ipId);
    p = putNumRun(p, LENGTH_SRC, pk.ipTotalLength);
    p = putAddr(p, buf, pk.srcAddrOffset, v);
    p = putBytes(p, K.dst);
    p = putAddr(p, buf, pk.dstAddrOffset, v);
    p = putBytes(p, K.ipEnd);
  }
  const st = pk.status;
  if (st === DecodeStatus.OK || st === DecodeStatus.BAD_TCP) {
    p = putNumRun(p, SPORT_DPORT, pk.srcPort);
    p = putNumRun(p, DPORT_SEQ, pk.dstPort);
    // pk.seq / pk.ack, read from the header (decode took them from there)
    p = putU32At(p, buf, pk.tcpOffset + 4);
    p = putBytes(p, K.ack);
    p = putU32At(p, buf, pk.tcpOffset + 8);
    p = putBytes(p, FLAG_CH[(pk.flags << 4) | pk.dataOffset]);
    if (st === DecodeStatus.OK) {
      p = putNumRun(p, WIN_PAYLOAD, pk.window);
      p = putNumRun(p, PAYLOAD_CK[tcpChecksum(f, pk)], pk.payloadLength);
      w.pos = putOptionsPlanned(p, f, pk);
      return;
    }
    p = putUint(p, pk.window);
    p = putBytes(p, K.truncFalseEnd);
  } else if (st === DecodeStatus.TRUNCATED && pk.tcpOffset >= 0 && pk.capturedEnd - pk.tcpOffset >= 4) {
    p = putNumRun(p, SPORT_DPORT, pk.srcPort);
    p = putUint(p, pk.dstPort);
    p = putBytes(p, K.truncTrueEnd);
  } else p = putBytes(p, K.end);
  w.pos = p;
}

/** Write one text line and its newline. */
export function writePacketText(w: ByteSink, f: Frame, p: DecodedPacketExt, o: LineOptions = {}): void {
  w.line(packetText(f, p, o));
}

let jsonParts: Buffer[] = [];
const jsonSink = new ByteSink((b, n) => {
  jsonParts.push(Buffer.from(b.subarray(0, n)));
});

/** One NDJSON object as a string (no newline) — convenience; printing uses writePacketJson. */
export function packetJson(f: Frame, p: DecodedPacketExt): string {
  jsonParts = [];
  writePacketJson(jsonSink, f, p);
  jsonSink.flush();
  return Buffer.concat(jsonParts).toString('latin1').slice(0, -1);
}

/** hex of the raw frame (for debugging output) */
export function frameHex(f: Frame): string {
  return hexOf(f.buf, f.offset, f.offset + f.capturedLength);
}
