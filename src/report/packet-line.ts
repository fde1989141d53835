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
  TOA_VARIANTS,
  tcpChecksum,
  toaVariantAt,
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
  pos = 0;
  constructor(
    private readonly onFlush: (buf: Buffer, length: number) => void,
    readonly flushAt = 64 * 1024,
  ) {
    this.buf = Buffer.allocUnsafe(flushAt + MAX_PACKET_BYTES);
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

// ---- byte writers: (dest, position, value) → new position. Small enough for TurboFan to inline.

const enc = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'latin1'));
const DIG2 = new Uint8Array(200); // "00".."99"
for (let i = 0; i < 100; i++) {
  DIG2[2 * i] = 48 + Math.floor(i / 10);
  DIG2[2 * i + 1] = 48 + (i % 10);
}
const HEX_CH = new Uint8Array(512); // two hex digits per byte value
for (let i = 0; i < 256; i++) {
  const h = i.toString(16).padStart(2, '0');
  HEX_CH[2 * i] = h.charCodeAt(0);
  HEX_CH[2 * i + 1] = h.charCodeAt(1);
}
const HEX_DIGIT = enc('0123456789abcdef');
const GROUPS = new Uint16Array(8);

function putBytes(d: Uint8Array, p: number, b: Uint8Array): number {
  const n = b.length;
  if (n > 20) {
    d.set(b, p); // memcpy (a fixed ~20 ns) wins over a JS loop (~1 ns/byte) past ~20 bytes
    return p + n;
  }
  for (let i = 0; i < n; i++) d[p + i] = b[i];
  return p + n;
}

/** decimal of a non-negative integer < 2^53 */
function putUint(d: Uint8Array, p: number, n: number): number {
  if (n < 10) {
    d[p] = 48 + n;
    return p + 1;
  }
  if (n < 100) {
    d[p] = DIG2[2 * n];
    d[p + 1] = DIG2[2 * n + 1];
    return p + 2;
  }
  if (n > 0x7fffffff) {
    // split so the rest is small-integer arithmetic (double % is a slow fmod)
    const hi = Math.floor(n / 100000000);
    return put8(d, putUint(d, p, hi), n - hi * 100000000);
  }
  let len = 3;
  for (let lim = 1000; n >= lim && len < 10; lim *= 10) len++;
  let q = p + len;
  let iv = n | 0;
  while (iv >= 100) {
    const t = (iv / 100) | 0;
    const r = iv - t * 100;
    d[--q] = DIG2[2 * r + 1];
    d[--q] = DIG2[2 * r];
    iv = t;
  }
  if (iv >= 10) {
    d[--q] = DIG2[2 * iv + 1];
    d[--q] = DIG2[2 * iv];
  } else d[--q] = 48 + iv;
  return p + len;
}

/** exactly 8 digits of 0 <= v < 10^8 */
function put8(d: Uint8Array, p: number, v: number): number {
  let iv = v | 0;
  for (let q = p + 6; q >= p; q -= 2) {
    const t = (iv / 100) | 0;
    const r = iv - t * 100;
    d[q] = DIG2[2 * r];
    d[q + 1] = DIG2[2 * r + 1];
    iv = t;
  }
  return p + 8;
}

function putInt(d: Uint8Array, p: number, n: number): number {
  if (n >= 0) return putUint(d, p, n);
  d[p] = 45;
  return putUint(d, p + 1, -n);
}

/** zero-padded to `width` digits (width 6 or 9; v < 10^width) */
function putPadded(d: Uint8Array, p: number, n: number, width: number): number {
  let q = p + width;
  let iv = n | 0;
  for (let i = 0; i + 1 < width; i += 2) {
    const t = (iv / 100) | 0;
    const r = iv - t * 100;
    d[--q] = DIG2[2 * r + 1];
    d[--q] = DIG2[2 * r];
    iv = t;
  }
  if (width & 1) d[--q] = 48 + iv;
  return p + width;
}

function putHex(d: Uint8Array, p: number, src: Uint8Array, from: number, to: number): number {
  for (let i = from; i < to; i++) {
    const v = src[i] << 1;
    d[p++] = HEX_CH[v];
    d[p++] = HEX_CH[v + 1];
  }
  return p;
}

function putDec8(d: Uint8Array, p: number, v: number): number {
  if (v >= 100) {
    const h = (v / 100) | 0;
    const r = v - h * 100;
    d[p] = 48 + h;
    d[p + 1] = DIG2[2 * r];
    d[p + 2] = DIG2[2 * r + 1];
    return p + 3;
  }
  if (v >= 10) {
    d[p] = DIG2[2 * v];
    d[p + 1] = DIG2[2 * v + 1];
    return p + 2;
  }
  d[p] = 48 + v;
  return p + 1;
}

function putIpv4(d: Uint8Array, p: number, src: Uint8Array, o: number): number {
  p = putDec8(d, p, src[o]);
  d[p++] = 46;
  p = putDec8(d, p, src[o + 1]);
  d[p++] = 46;
  p = putDec8(d, p, src[o + 2]);
  d[p++] = 46;
  return putDec8(d, p, src[o + 3]);
}

/** RFC 5952 text (same output as ipv6ToString) */
function putIpv6(d: Uint8Array, p: number, src: Uint8Array, o: number): number {
  const g = GROUPS;
  for (let i = 0; i < 8; i++) g[i] = (src[o + 2 * i] << 8) | src[o + 2 * i + 1];
  if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff) {
    p = putBytes(d, p, K.mapped);
    return putIpv4(d, p, src, o + 12);
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
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) {
      d[p++] = 58;
      d[p++] = 58;
      i += bestLen - 1;
      continue;
    }
    if (i > 0 && d[p - 1] !== 58) d[p++] = 58;
    const v = g[i];
    if (v >= 0x1000) d[p++] = HEX_DIGIT[v >> 12];
    if (v >= 0x100) d[p++] = HEX_DIGIT[(v >> 8) & 15];
    if (v >= 0x10) d[p++] = HEX_DIGIT[(v >> 4) & 15];
    d[p++] = HEX_DIGIT[v & 15];
  }
  return p;
}

function putAddr(d: Uint8Array, p: number, src: Uint8Array, o: number, version: number): number {
  return version === 4 ? putIpv4(d, p, src, o) : putIpv6(d, p, src, o);
}

function putStr(d: Uint8Array, p: number, s: string): number {
  for (let i = 0; i < s.length; i++) d[p + i] = s.charCodeAt(i);
  return p + s.length;
}

function u32be(b: Uint8Array, o: number): number {
  return ((b[o] << 24) >>> 0) + ((b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]);
}

// ---- JSON ---------------------------------------------------------------------------------

const K = {
  mapped: enc('::ffff:'),
  nul: enc('null'),
  ts: enc('{"ts":'),
  caplen: enc(',"caplen":'),
  len: enc(',"len":'),
  id: enc(',"id":'),
  length: enc(',"length":'),
  src: enc(',"src":"'),
  dst: enc('","dst":"'),
  ipEnd: enc('"}'),
  tcp: enc(',"tcp":{"sport":'),
  dport: enc(',"dport":'),
  seq: enc(',"seq":'),
  ack: enc(',"ack":'),
  payload: enc(',"payload":'),
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

/** `,"checksum":"<name>","options":[` per TCP checksum status */
const CK_OPTS = [0, 1, 2, 3].map((c) =>
  enc(`,"checksum":"${CHECKSUM_NAMES[c as ChecksumStatus]}","options":[`),
);
/** `,"flags":"<letters>","flagBits":<n>,"doff":<d>,"win":` per (flag byte << 4 | data offset) */
const FLAG_CH: Uint8Array[] = [];
for (let fl = 0; fl < 256; fl++)
  for (let doff = 0; doff < 16; doff++)
    FLAG_CH.push(enc(`,"flags":"${FLAG_TEXT[fl]}","flagBits":${fl},"doff":${doff},"win":`));
/** whole-option JSON of short options (<= 4 bytes: mss, wscale, sackOK, nop...) keyed by their bytes */
const shortOptionCache = new Map<number, Uint8Array>();
/** TOA variants with no extra fields: written directly; `head` = `","toa":{...,"address":"` */
const TOA_FAST: Array<{ head: Uint8Array; v6: boolean; hasPort: boolean } | null> = TOA_VARIANTS.map((v) =>
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

/** the TS option at buf[q] after its `...,"raw":"080a` head */
function putTsRest(d: Uint8Array, p: number, buf: Uint8Array, q: number): number {
  p = putHex(d, p, buf, q + 2, q + 10);
  p = putBytes(d, p, K.tsval);
  p = putUint(d, p, u32be(buf, q + 2));
  p = putBytes(d, p, K.tsecr);
  p = putUint(d, p, u32be(buf, q + 6));
  d[p] = 125; // }
  return p + 1;
}

/** one option as JSON: same content and key order as JSON.stringify(decodeOneOption(...)) */
function putOption(d: Uint8Array, p: number, buf: Uint8Array, q: number, k: number, n: number): number {
  if (n <= 4) {
    // kind, length and up to 2 data bytes: a small-integer key (doubles as Map keys are slow)
    const key = ((k * 5 + n) * 256 + (n > 2 ? buf[q + 2] : 0)) * 256 + (n > 3 ? buf[q + 3] : 0);
    let hit = shortOptionCache.get(key);
    if (hit === undefined) {
      hit = enc(JSON.stringify(decodeOneOption(buf, q, k, n)));
      if (shortOptionCache.size < 8192) shortOptionCache.set(key, hit);
    }
    return putBytes(d, p, hit);
  }
  if (k === 8 && n === 10) return putTsRest(d, putBytes(d, p, K.ts8), buf, q);
  const vi = toaVariantAt(buf, q, k, n);
  const fast = vi >= 0 ? TOA_FAST[vi] : null;
  if (fast !== null) {
    p = putBytes(d, p, K.kind);
    p = putUint(d, p, k);
    p = putBytes(d, p, K.length);
    p = putUint(d, p, n);
    p = putBytes(d, p, K.toaName);
    p = putHex(d, p, buf, q, q + n);
    p = putBytes(d, p, fast.head);
    p = fast.v6 ? putIpv6(d, p, buf, q + 4) : putIpv4(d, p, buf, q + 4);
    p = putBytes(d, p, K.port);
    p = fast.hasPort ? putUint(d, p, (buf[q + 2] << 8) | buf[q + 3]) : putBytes(d, p, K.nul);
    return putBytes(d, p, K.close2);
  }
  return putStr(d, p, JSON.stringify(decodeOneOption(buf, q, k, n)));
}

function putMalformed(
  d: Uint8Array,
  p: number,
  kind: number,
  len: number,
  reason: string,
  at: number,
): number {
  p = putBytes(d, p, K.kind);
  p = putUint(d, p, kind);
  p = putBytes(d, p, K.length);
  p = putInt(d, p, len);
  p = putBytes(d, p, K.mMalformed);
  p = putStr(d, p, reason);
  p = putBytes(d, p, K.mAt);
  p = putUint(d, p, at);
  d[p] = 125;
  return p + 1;
}

/**
 * `<options>](,"malformed":{...})(,"afterEol":[...]),"truncated":bool}}\n` after `"options":[` —
 * the same content as decodeOptions. Ends the packet (closes tcp and the object).
 */
function putOptionsAndEnd(d: Uint8Array, p: number, f: Frame, pk: DecodedPacketExt): number {
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
      p = putBytes(d, p, K.malformed);
      p = putMalformed(d, p, buf[q], n === WalkStop.NO_LENGTH ? -1 : buf[q + 1], stopReason(n), q - start);
      closed = true;
      break;
    }
    const k = buf[q];
    if (!first) d[p++] = 44;
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
      p = putBytes(d, p, K.nopNopTs);
      p = putTsRest(d, p, buf, q + 2);
      q += 12;
      continue;
    }
    p = putOption(d, p, buf, q, k, n);
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
      p = putBytes(d, p, K.malformed);
      p = putMalformed(d, p, buf[firstAfter], len, 'after-eol', firstAfter - start);
      closed = true;
      let listed = false;
      r = eol + 1;
      for (;;) {
        const n = optionStep(buf, r, end, cend);
        if (n < 0) break;
        const k = buf[r];
        if (k !== 0) {
          if (listed) d[p++] = 44;
          else p = putBytes(d, p, K.afterEol);
          listed = true;
          p = putOption(d, p, buf, r, k, n);
        }
        r += n;
      }
      if (listed) d[p++] = 93; // ]
    }
  }
  const t = cend < end;
  return putBytes(
    d,
    p,
    closed ? (t ? K.endTruncTrue : K.endTruncFalse) : t ? K.endListTruncTrue : K.endListTruncFalse,
  );
}

/** `{"ts":<sec>.` of the last second seen */
let tsSecCached = -1;
let tsHead: Uint8Array = K.ts;

/**
 * `,"link":"..","status":"..",("vlans":n,)"ip":{"version":v,"proto":p,"checksum":"..","fragment":b,("fragOffset":n,)"ttl":`
 * for one combination of those small values (cached: they repeat for nearly every packet)
 */
const groupCache = new Map<number, Uint8Array>();
function groupA(f: Frame, pk: DecodedPacketExt): Uint8Array {
  const lt = f.linkType >>> 0;
  const small =
    lt < 65536 && pk.vlanIds < 16 && pk.ipProto >= -1 && pk.ipProto < 256 && pk.ipFragOffset === 0;
  const key = small
    ? ((((lt * 8 + pk.status) * 16 + pk.vlanIds) * 4 + (pk.ipVersion >> 1)) * 257 + (pk.ipProto + 1)) * 8 +
      pk.ipChecksum * 2 +
      (pk.ipFragment ? 1 : 0)
    : -1;
  let b = small ? groupCache.get(key) : undefined;
  if (b === undefined) {
    let s = `,"link":"${linkTypeName(f.linkType)}","status":"${STATUS_NAMES[pk.status]}"`;
    if (pk.vlanIds) s += `,"vlans":${pk.vlanIds}`;
    if (pk.ipVersion !== 0 && pk.srcAddrOffset >= 0) {
      s += `,"ip":{"version":${pk.ipVersion},"proto":${pk.ipProto},"checksum":"${CHECKSUM_NAMES[pk.ipChecksum]}","fragment":${pk.ipFragment}`;
      if (pk.ipFragOffset) s += `,"fragOffset":${pk.ipFragOffset}`;
      s += ',"ttl":';
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
  const d = w.buf;
  const buf = f.buf;
  if (f.tsSec !== tsSecCached) {
    tsSecCached = f.tsSec;
    tsHead = enc(`{"ts":${f.tsSec}.`);
  }
  let p = putBytes(d, w.pos, tsHead);
  const ns = f.tsNsec;
  p = ns % 1000 === 0 ? putPadded(d, p, ns / 1000, 6) : putPadded(d, p, ns, 9);
  p = putBytes(d, p, K.caplen);
  p = putUint(d, p, f.capturedLength);
  p = putBytes(d, p, K.len);
  p = putUint(d, p, f.originalLength);
  p = putBytes(d, p, groupA(f, pk));
  const v = pk.ipVersion;
  if (v !== 0 && pk.srcAddrOffset >= 0) {
    p = putUint(d, p, pk.ipTtl);
    p = putBytes(d, p, K.id);
    p = putUint(d, p, pk.ipId);
    p = putBytes(d, p, K.length);
    p = putUint(d, p, pk.ipTotalLength);
    p = putBytes(d, p, K.src);
    p = putAddr(d, p, buf, pk.srcAddrOffset, v);
    p = putBytes(d, p, K.dst);
    p = putAddr(d, p, buf, pk.dstAddrOffset, v);
    p = putBytes(d, p, K.ipEnd);
  }
  const st = pk.status;
  if (st === DecodeStatus.OK || st === DecodeStatus.BAD_TCP) {
    p = putBytes(d, p, K.tcp);
    p = putUint(d, p, pk.srcPort);
    p = putBytes(d, p, K.dport);
    p = putUint(d, p, pk.dstPort);
    p = putBytes(d, p, K.seq);
    p = putUint(d, p, pk.seq);
    p = putBytes(d, p, K.ack);
    p = putUint(d, p, pk.ack);
    p = putBytes(d, p, FLAG_CH[(pk.flags << 4) | pk.dataOffset]);
    p = putUint(d, p, pk.window);
    if (st === DecodeStatus.OK) {
      p = putBytes(d, p, K.payload);
      p = putUint(d, p, pk.payloadLength);
      p = putBytes(d, p, CK_OPTS[tcpChecksum(f, pk)]);
      w.pos = putOptionsAndEnd(d, p, f, pk);
      return;
    }
    p = putBytes(d, p, K.truncFalseEnd);
  } else if (st === DecodeStatus.TRUNCATED && pk.tcpOffset >= 0 && pk.capturedEnd - pk.tcpOffset >= 4) {
    p = putBytes(d, p, K.tcp);
    p = putUint(d, p, pk.srcPort);
    p = putBytes(d, p, K.dport);
    p = putUint(d, p, pk.dstPort);
    p = putBytes(d, p, K.truncTrueEnd);
  } else p = putBytes(d, p, K.end);
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
