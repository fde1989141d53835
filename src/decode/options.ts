/**
 * TCP options: ONE table kind → {name, decode, text}, and the allocated full-list decoder used by
 * print/JSON. The hot-path summary walk lives in tcp.ts and shares the TOA table (toa.ts).
 *
 * Names follow tcpdump (print-tcp.c): eol nop mss wscale sackOK sack TS md5 uto tcp-ao mptcp tfo
 * exp unknown-N; a TOA-table match is named 'toa'.
 */

import { decodeToa, formatToa, TFO_EXID, toaVariantAt } from './toa.js';
import type { DecodedOptions, OptionBreak, OptionMalformed, TcpOption } from './types.js';

export interface OptionSpec {
  kind: number;
  name: string;
  /** expected total length when fixed (tcpdump adds `[len N]` when it differs) */
  fixedLength?: number;
  /** fill decoded fields into `o` (bytes p..p+len-1 are present) */
  decode?: (buf: Uint8Array, p: number, len: number, o: TcpOption) => void;
  /** tcpdump-like text of the option (without the TOA case, handled before) */
  text: (buf: Uint8Array, p: number, len: number) => string;
}

export const MPTCP_SUBTYPES: Record<number, string> = {
  0: 'capable',
  1: 'join',
  2: 'dss',
  3: 'add-addr',
  4: 'remove-addr',
  5: 'prio',
  6: 'fail',
  7: 'fast-close',
  8: 'tcprst',
  15: 'experimental',
};

const u16 = (b: Uint8Array, o: number) => (b[o] << 8) | b[o + 1];
const u32 = (b: Uint8Array, o: number) =>
  ((b[o] << 24) >>> 0) + ((b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]);

const HEX: string[] = [];
for (let i = 0; i < 256; i++) HEX.push(i.toString(16).padStart(2, '0'));

/** lowercase hex of buf[from, to) */
export function hexOf(b: Uint8Array, from: number, to: number): string {
  let s = '';
  for (let i = from; i < to; i++) s += HEX[b[i]];
  return s;
}

const lenNote = (len: number) => ` [len ${len}]`;

function fixed(
  kind: number,
  name: string,
  length: number,
  decode: OptionSpec['decode'],
  text: (b: Uint8Array, p: number) => string,
): OptionSpec {
  return {
    kind,
    name,
    fixedLength: length,
    decode: (b, p, len, o) => {
      if (len === length) decode?.(b, p, len, o);
    },
    text: (b, p, len) => (len === length ? text(b, p) : `${name}${lenNote(len)}`),
  };
}

function utoOf(b: Uint8Array, p: number): { granularity: 'seconds' | 'minutes'; value: number } {
  const v = u16(b, p + 2);
  return { granularity: v & 0x8000 ? 'minutes' : 'seconds', value: v & 0x7fff };
}

function expText(b: Uint8Array, p: number, len: number): string {
  if (len < 4) return `exp${lenNote(len)}`;
  const exid = u16(b, p + 2);
  if (exid === TFO_EXID) return len > 4 ? `exp-tfo cookie ${hexOf(b, p + 4, p + len)}` : 'exp-tfo cookiereq';
  return `exp-${HEX[b[p + 2]]}${HEX[b[p + 3]]}`;
}

function expDecode(b: Uint8Array, p: number, len: number, o: TcpOption): void {
  if (len < 4) return;
  o.exid = hexOf(b, p + 2, p + 4);
  if (o.kind === 254 && u16(b, p + 2) === TFO_EXID) {
    o.name = 'tfo';
    if (len > 4) o.tfoCookie = hexOf(b, p + 4, p + len);
  }
}

const SPECS: OptionSpec[] = [
  { kind: 0, name: 'eol', text: () => 'eol' },
  { kind: 1, name: 'nop', text: () => 'nop' },
  fixed(
    2,
    'mss',
    4,
    (b, p, _l, o) => {
      o.mss = u16(b, p + 2);
    },
    (b, p) => `mss ${u16(b, p + 2)}`,
  ),
  fixed(
    3,
    'wscale',
    3,
    (b, p, _l, o) => {
      o.wscale = b[p + 2];
    },
    (b, p) => `wscale ${b[p + 2]}`,
  ),
  fixed(4, 'sackOK', 2, undefined, () => 'sackOK'),
  {
    kind: 5,
    name: 'sack',
    decode: (b, p, len, o) => {
      if ((len - 2) % 8 !== 0) return;
      const blocks: Array<[number, number]> = [];
      for (let i = p + 2; i < p + len; i += 8) blocks.push([u32(b, i), u32(b, i + 4)]);
      o.sack = blocks;
    },
    text: (b, p, len) => {
      if ((len - 2) % 8 !== 0) return `sack${lenNote(len)}`;
      let s = `sack ${(len - 2) / 8} `;
      for (let i = p + 2; i < p + len; i += 8) s += `{${u32(b, i)}:${u32(b, i + 4)}}`;
      return s;
    },
  },
  fixed(
    8,
    'TS',
    10,
    (b, p, _l, o) => {
      o.tsval = u32(b, p + 2);
      o.tsecr = u32(b, p + 6);
    },
    (b, p) => `TS val ${u32(b, p + 2)} ecr ${u32(b, p + 6)}`,
  ),
  fixed(19, 'md5', 18, undefined, (b, p) => `md5 0x${hexOf(b, p + 2, p + 18)}`),
  fixed(
    28,
    'uto',
    4,
    (b, p, _l, o) => {
      o.uto = utoOf(b, p);
    },
    (b, p) => {
      const u = utoOf(b, p);
      return `uto ${u.value}${u.granularity === 'minutes' ? 'min' : 's'}`;
    },
  ),
  {
    kind: 29,
    name: 'tcp-ao',
    text: (b, p, len) => {
      if (len < 4) return `tcp-ao${lenNote(len)}`;
      let s = `tcp-ao keyid ${b[p + 2]} rnextkeyid ${b[p + 3]}`;
      if (len > 4) s += ` mac 0x${hexOf(b, p + 4, p + len)}`;
      return s;
    },
  },
  {
    kind: 30,
    name: 'mptcp',
    decode: (b, p, len, o) => {
      if (len < 3) return;
      const st = b[p + 2] >> 4;
      o.mptcpSubtype = st;
      o.mptcpSubtypeName = MPTCP_SUBTYPES[st] ?? `subtype-${st}`;
    },
    text: (b, p, len) => {
      if (len < 3) return `mptcp${lenNote(len)}`;
      const st = b[p + 2] >> 4;
      return `mptcp ${MPTCP_SUBTYPES[st] ?? `subtype-${st}`}`;
    },
  },
  {
    kind: 34,
    name: 'tfo',
    decode: (b, p, len, o) => {
      if (len > 2) o.tfoCookie = hexOf(b, p + 2, p + len);
    },
    text: (b, p, len) => (len > 2 ? `tfo cookie ${hexOf(b, p + 2, p + len)}` : 'tfo cookiereq'),
  },
  { kind: 253, name: 'exp', decode: expDecode, text: expText },
  { kind: 254, name: 'exp', decode: expDecode, text: expText },
];

/** THE table: kind → spec (undefined = unknown-N) */
export const OPTION_TABLE: Array<OptionSpec | undefined> = new Array(256).fill(undefined);
for (const s of SPECS) OPTION_TABLE[s.kind] = s;

const UNKNOWN_NAMES: string[] = [];
for (let i = 0; i < 256; i++) UNKNOWN_NAMES.push(`unknown-${i}`);

export function optionName(kind: number): string {
  return OPTION_TABLE[kind]?.name ?? UNKNOWN_NAMES[kind & 0xff];
}

/** Decode one complete option (its `len` bytes are present). Allocates. */
export function decodeOneOption(buf: Uint8Array, p: number, kind: number, len: number): TcpOption {
  const spec = OPTION_TABLE[kind];
  const o: TcpOption = { kind, length: len, name: spec?.name ?? UNKNOWN_NAMES[kind], raw: '' };
  if (kind > 1) {
    const vi = toaVariantAt(buf, p, kind, len);
    if (vi >= 0) {
      o.name = 'toa';
      o.toa = decodeToa(buf, p, vi);
    } else spec?.decode?.(buf, p, len, o);
  }
  o.raw = hexOf(buf, p, p + len);
  return o;
}

/** tcpdump-like text of one complete option. */
export function optionText(buf: Uint8Array, p: number, kind: number, len: number): string {
  if (kind > 1) {
    const vi = toaVariantAt(buf, p, kind, len);
    if (vi >= 0) return formatToa(decodeToa(buf, p, vi));
  }
  const spec = OPTION_TABLE[kind];
  if (spec) return spec.text(buf, p, len);
  return len > 2 ? `${UNKNOWN_NAMES[kind]} 0x${hexOf(buf, p + 2, p + len)}` : UNKNOWN_NAMES[kind];
}

/**
 * One step of the option walk, shared by every walker so they agree byte for byte.
 * Returns the option length (>= 1) or a negative WalkStop code.
 */
export const WalkStop = {
  END: -1, // p >= end
  TRUNCATED: -2, // bytes needed are past the captured end
  NO_LENGTH: -3,
  ZERO_LENGTH: -4,
  LENGTH_ONE: -5,
  OVERRUN: -6,
} as const;

export function optionStep(buf: Uint8Array, p: number, end: number, cend: number): number {
  if (p >= end) return WalkStop.END;
  if (p >= cend) return WalkStop.TRUNCATED;
  const k = buf[p];
  if (k <= 1) return 1;
  if (p + 1 >= end) return WalkStop.NO_LENGTH;
  if (p + 1 >= cend) return WalkStop.TRUNCATED;
  const len = buf[p + 1];
  if (len === 0) return WalkStop.ZERO_LENGTH;
  if (len === 1) return WalkStop.LENGTH_ONE;
  if (p + len > end) return WalkStop.OVERRUN;
  if (p + len > cend) return WalkStop.TRUNCATED;
  return len;
}

export function stopReason(code: number): OptionBreak {
  switch (code) {
    case WalkStop.NO_LENGTH:
      return 'no-length';
    case WalkStop.ZERO_LENGTH:
      return 'zero-length';
    case WalkStop.LENGTH_ONE:
      return 'length-one';
    case WalkStop.OVERRUN:
      return 'overrun';
    case WalkStop.TRUNCATED:
      return 'truncated';
    default:
      return 'none';
  }
}

/**
 * The full option list of an option area [start, start+length), allocated, for print/JSON.
 * `capturedEnd` (absolute) is where the captured bytes stop (default: end of buf); an option cut
 * there sets `truncated` (tcpdump's [|tcp]) rather than `malformed`.
 * Options after an EOL are decoded (zeros there are padding) into `afterEol`; non-zero bytes after
 * EOL set `malformed` to an 'after-eol' marker when the list itself did not break.
 */
export function decodeOptions(
  buf: Uint8Array,
  start: number,
  length: number,
  capturedEnd?: number,
): DecodedOptions {
  const end = start + Math.max(0, length);
  const cend = Math.min(end, capturedEnd ?? buf.length, buf.length);
  const options: TcpOption[] = [];
  const afterEol: TcpOption[] = [];
  let malformed: OptionMalformed | null = null;
  let truncated = false;
  let p = start;
  let eol = -1;
  for (;;) {
    const n = optionStep(buf, p, end, cend);
    if (n === WalkStop.END) break;
    if (n === WalkStop.TRUNCATED) {
      truncated = true;
      break;
    }
    if (n < 0) {
      malformed = {
        kind: buf[p],
        length: n === WalkStop.NO_LENGTH ? -1 : buf[p + 1],
        malformed: stopReason(n),
        at: p - start,
      };
      break;
    }
    const k = buf[p];
    options.push(decodeOneOption(buf, p, k, n));
    p += n;
    if (k === 0) {
      eol = p - 1;
      break;
    }
  }
  if (eol >= 0) {
    let q = eol + 1;
    let firstNonZero = -1;
    for (;;) {
      const n = optionStep(buf, q, end, cend);
      if (n < 0) {
        if (n === WalkStop.TRUNCATED) truncated = true;
        else if (n !== WalkStop.END && firstNonZero < 0) firstNonZero = q;
        break;
      }
      const k = buf[q];
      if (k !== 0) {
        if (firstNonZero < 0) firstNonZero = q;
        afterEol.push(decodeOneOption(buf, q, k, n));
      }
      q += n;
    }
    if (firstNonZero >= 0 && malformed === null) {
      malformed = {
        kind: buf[firstNonZero],
        length: firstNonZero + 1 < cend && buf[firstNonZero] > 1 ? buf[firstNonZero + 1] : 1,
        malformed: 'after-eol',
        at: firstNonZero - start,
      };
    }
  }
  // the header itself is cut when the captured bytes end inside the option area
  if (cend < end) truncated = true;
  return { options, malformed, afterEol, truncated };
}
