/**
 * Listening sockets from /proc/net/tcp and /proc/net/tcp6 (state 0A). Addresses there are
 * printed as %08X of host-order 32-bit words: on little-endian hosts every 4-byte group is
 * byte-reversed (tcp6: per word, 4 words). Ports are plain big-endian hex. Never throws.
 */
import type { Listener, ListenerInfo, PortListeners } from './types-host.js';

export type Endianness = 'le' | 'be';

function wordBytes(hex8: string, endian: Endianness): number[] | null {
  if (!/^[0-9A-Fa-f]{8}$/.test(hex8)) return null;
  const b = [0, 2, 4, 6].map((i) => Number.parseInt(hex8.slice(i, i + 2), 16));
  return endian === 'le' ? b.reverse() : b;
}

/** 16 bytes → RFC 5952 text (lowercase, longest zero run compressed, v4-mapped dotted). */
export function formatIpv6(bytes: number[]): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i]! << 8) | bytes[i + 1]!);
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return `::ffff:${bytes.slice(12).join('.')}`;
  }
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  const head = hex.slice(0, bestStart).join(':');
  const tail = hex.slice(bestStart + bestLen).join(':');
  return `${head}::${tail}`;
}

/** Decode `0100007F:1F90` (tcp) or `<32 hex>:1F90` (tcp6). Null when malformed. */
export function decodeProcAddress(
  text: string,
  endian: Endianness = 'le',
): { family: 'ipv4' | 'ipv6'; address: string; port: number } | null {
  const m = /^([0-9A-Fa-f]{8}|[0-9A-Fa-f]{32}):([0-9A-Fa-f]{4})$/.exec(text);
  if (!m) return null;
  const port = Number.parseInt(m[2]!, 16);
  const hex = m[1]!;
  if (hex.length === 8) {
    const b = wordBytes(hex, endian);
    return b ? { family: 'ipv4', address: b.join('.'), port } : null;
  }
  const bytes: number[] = [];
  for (let w = 0; w < 4; w++) {
    const b = wordBytes(hex.slice(w * 8, w * 8 + 8), endian);
    if (!b) return null;
    bytes.push(...b);
  }
  return { family: 'ipv6', address: formatIpv6(bytes), port };
}

export interface ProcTcpParse {
  listeners: Listener[];
  others: number;
}

/**
 * One row, read the plain way (trim, split on whitespace, check every field): the reference for
 * what a row means. The scanner below hands it the LISTEN rows and anything unusual.
 */
function parseRow(line: string, endian: Endianness, acc: ProcTcpParse): void {
  const f = line.trim().split(/\s+/);
  if (f.length < 4 || !/^\d+:$/.test(f[0]!)) return;
  const local = decodeProcAddress(f[1]!, endian);
  if (!local) return;
  const st = f[3]!.toUpperCase();
  if (st !== '0A') {
    if (/^[0-9A-F]{2}$/.test(st)) acc.others++;
    return;
  }
  const uid = f[7] !== undefined && /^\d+$/.test(f[7]) ? Number(f[7]) : null;
  const inode = f[9] !== undefined && /^\d+$/.test(f[9]) ? f[9] : null;
  const v4Mapped =
    local.family === 'ipv6' && local.address.startsWith('::ffff:') && local.address.includes('.');
  acc.listeners.push({
    family: local.family,
    address: local.address,
    port: local.port,
    uid,
    inode,
    dualStack: local.family === 'ipv6' && local.address === '::',
    v4Mapped,
  });
}

const isSpace = (c: number) => c === 32 || (c >= 9 && c <= 13);
const isDigit = (c: number) => c >= 48 && c <= 57;
const isHex = (c: number) => isDigit(c) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);

/** starts and ends of the first four fields of the row being scanned */
const FIELD = new Int32Array(8);

/**
 * Row [s, e) of text. A busy host's table is tens of thousands of TIME_WAIT/ESTABLISHED rows of
 * which only the few LISTEN rows are wanted: the other rows are checked and counted on their
 * character codes (no substring, no split); LISTEN rows and rows with any non-ASCII character
 * before the state field go to parseRow, so the outcome is parseRow's on every row.
 */
function scanRow(text: string, s: number, e: number, endian: Endianness, acc: ProcTcpParse): void {
  let n = 0;
  let i = s;
  while (n < 4) {
    for (; i < e; i++) {
      const c = text.charCodeAt(i);
      if (c > 127) {
        parseRow(text.slice(s, e), endian, acc);
        return;
      }
      if (!isSpace(c)) break;
    }
    if (i >= e) break;
    FIELD[2 * n] = i;
    for (; i < e; i++) {
      const c = text.charCodeAt(i);
      if (c > 127) {
        parseRow(text.slice(s, e), endian, acc);
        return;
      }
      if (isSpace(c)) break;
    }
    FIELD[2 * n + 1] = i;
    n++;
  }
  if (n < 4) return;
  // field 0: "<digits>:"
  const s0 = FIELD[0]!;
  const e0 = FIELD[1]!;
  if (e0 - s0 < 2 || text.charCodeAt(e0 - 1) !== 58) return;
  for (let k = s0; k < e0 - 1; k++) if (!isDigit(text.charCodeAt(k))) return;
  // field 1: 8 or 32 hex digits, ':', 4 hex digits (decodeProcAddress's pattern)
  const s1 = FIELD[2]!;
  const len1 = FIELD[3]! - s1;
  if (len1 !== 13 && len1 !== 37) return;
  for (let k = 0; k < len1; k++) {
    const c = text.charCodeAt(s1 + k);
    if (k === len1 - 5 ? c !== 58 : !isHex(c)) return;
  }
  // field 3: the state, two hex digits; LISTEN (0A) is read in full
  const s3 = FIELD[6]!;
  if (FIELD[7]! - s3 !== 2) return;
  const c0 = text.charCodeAt(s3);
  const c1 = text.charCodeAt(s3 + 1);
  if (c0 === 48 && (c1 === 65 || c1 === 97)) parseRow(text.slice(s, e), endian, acc);
  else if (isHex(c0) && isHex(c1)) acc.others++;
}

function scanText(text: string, endian: Endianness, acc: ProcTcpParse): void {
  let s = 0;
  while (s < text.length) {
    let e = text.indexOf('\n', s);
    if (e < 0) e = text.length;
    scanRow(text, s, e, endian, acc);
    s = e + 1;
  }
}

/** Parse /proc/net/tcp or tcp6; only LISTEN (0A) rows become listeners. */
export function parseProcNetTcp(text: string, endian: Endianness = 'le'): ProcTcpParse {
  const acc: ProcTcpParse = { listeners: [], others: 0 };
  scanText(String(text), endian, acc);
  return acc;
}

/**
 * parseProcNetTcp over a file read in chunks (fsroot scanUnder), without ever holding the whole
 * text: each chunk's whole rows are decoded and scanned, the part of a row cut by the chunk's end
 * waits for the next chunk. Rows end at a 0x0A byte, which is never inside a UTF-8 sequence, so
 * the rows and their text are those of the whole file decoded at once.
 */
export class ProcNetTcpScanner {
  private readonly acc: ProcTcpParse = { listeners: [], others: 0 };
  private carry: Buffer | null = null;

  constructor(private readonly endian: Endianness = 'le') {}

  /** The next bytes of the file; they are not kept (the caller may reuse the buffer). */
  push(chunk: Buffer): void {
    let from = 0;
    if (this.carry) {
      const nl = chunk.indexOf(10);
      if (nl < 0) {
        this.carry = Buffer.concat([this.carry, chunk]);
        return;
      }
      scanText(
        Buffer.concat([this.carry, chunk.subarray(0, nl + 1)]).toString('utf8'),
        this.endian,
        this.acc,
      );
      this.carry = null;
      from = nl + 1;
    }
    const last = chunk.lastIndexOf(10);
    if (last >= from) {
      scanText(chunk.toString('utf8', from, last + 1), this.endian, this.acc);
      from = last + 1;
    }
    if (from < chunk.length) this.carry = Buffer.from(chunk.subarray(from));
  }

  /** The file has ended (or was cut): the last row, and the result. */
  end(): ProcTcpParse {
    if (this.carry) scanText(this.carry.toString('utf8'), this.endian, this.acc);
    this.carry = null;
    return this.acc;
  }
}

/** Group by port and decide which path an IPv4 client takes on each port. */
export function groupPorts(listeners: Listener[], bindv6only: number | null): PortListeners[] {
  const byPort = new Map<number, Listener[]>();
  for (const l of listeners) {
    const list = byPort.get(l.port) ?? [];
    list.push(l);
    byPort.set(l.port, list);
  }
  return [...byPort.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([port, ls]) => {
      const v4 = ls.some((l) => l.family === 'ipv4');
      const v6any = ls.some((l) => l.dualStack || l.v4Mapped);
      const ipv4ClientPath: PortListeners['ipv4ClientPath'] = v4 ? 'ipv4' : v6any ? 'ipv6' : 'none';
      return {
        port,
        listeners: ls,
        ipv4ClientPath,
        uncertain: ipv4ClientPath === 'ipv6' && !ls.some((l) => l.v4Mapped) && bindv6only !== 0,
      };
    });
}

export function listenerInfo(
  tcp: string | null,
  tcp6: string | null,
  bindv6only: number | null,
  endian: Endianness = 'le',
): ListenerInfo {
  return listenerInfoOf(
    tcp !== null ? parseProcNetTcp(tcp, endian) : null,
    tcp6 !== null ? parseProcNetTcp(tcp6, endian) : null,
    bindv6only,
    endian,
  );
}

/** listenerInfo from parsed tables (null: the file could not be read). */
export function listenerInfoOf(
  tcp: ProcTcpParse | null,
  tcp6: ProcTcpParse | null,
  bindv6only: number | null,
  endian: Endianness = 'le',
): ListenerInfo {
  const a = tcp ?? { listeners: [], others: 0 };
  const b = tcp6 ?? { listeners: [], others: 0 };
  const listeners = [...a.listeners, ...b.listeners];
  return {
    tcp: tcp !== null,
    tcp6: tcp6 !== null,
    listeners,
    ports: groupPorts(listeners, bindv6only),
    otherSockets: { ipv4: a.others, ipv6: b.others },
    bindv6only,
    endianness: endian,
  };
}
