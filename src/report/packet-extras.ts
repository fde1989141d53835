/**
 * The parts of a tcpdump line that only some options turn on, in tcpdump 4.99's format (each was
 * checked against `tcpdump -nn -S` output on the fixtures, test/print/tcpdump-format.test.ts):
 *  - timestamps: -t (none), -tt (epoch), -ttt (delta from the previous packet), -tttt (date and
 *    time), -ttttt (delta from the first packet) — tcpdump `util-print.c` ts_print;
 *  - the `-i any` column of LINUX_SLL2 captures: interface name (`%-5s `) and direction (`%-3s `),
 *    always shown, as tcpdump `print-sll.c` sll2_if_print does;
 *  - -e: the link-level header (MACs, ethertypes, VLAN tags, cooked header, BSD AF);
 *  - -x/-xx, -X/-XX, -A: hex, hex+ASCII and ASCII dumps (tcpdump `print-ascii.c`
 *    hex_and_ascii_print_with_offset and ascii_print), without (one letter) or with (two letters)
 *    the link-level header.
 * Pure formatting: the caller passes the interface names (the CLI reads them from the system).
 */
import { type Frame, LinkType } from '../capture/types.js';
import type { DecodedPacket } from '../decode/index.js';

/** -t count: 0 default (HH:MM:SS.us), 1 none, 2 epoch, 3 delta previous, 4 date, 5 delta first */
export type TsFormat = 0 | 1 | 2 | 3 | 4 | 5;

/** previous and first timestamps, for -ttt and -ttttt (one per run) */
export interface TsClock {
  started: boolean;
  firstSec: number;
  firstNsec: number;
  prevSec: number;
  prevNsec: number;
}

export function newClock(): TsClock {
  return { started: false, firstSec: 0, firstNsec: 0, prevSec: 0, prevNsec: 0 };
}

const pad = (n: number, w: number) => String(n).padStart(w, '0');

/** ` HH:MM:SS.uuuuuu` of a non-negative delta, `-HH:...` of a negative one */
function deltaText(sec: number, nsec: number, fromSec: number, fromNsec: number): string {
  let us = (sec - fromSec) * 1_000_000 + Math.floor(nsec / 1000) - Math.floor(fromNsec / 1000);
  const sign = us < 0 ? '-' : ' ';
  us = Math.abs(us);
  const s = Math.floor(us / 1_000_000);
  return `${sign}${pad(Math.floor(s / 3600), 2)}:${pad(Math.floor(s / 60) % 60, 2)}:${pad(s % 60, 2)}.${pad(us % 1_000_000, 6)}`;
}

/** the timestamp of a non-default -t mode, with its trailing space ('' for -t) */
export function tsPrefix(f: Frame, mode: TsFormat, clock: TsClock): string {
  const us = pad(Math.floor(f.tsNsec / 1000), 6);
  switch (mode) {
    case 1:
      return '';
    case 2:
      return `${f.tsSec}.${us} `;
    case 4: {
      const d = new Date(f.tsSec * 1000);
      return `${d.getFullYear()}-${pad(d.getMonth() + 1, 2)}-${pad(d.getDate(), 2)} ${pad(d.getHours(), 2)}:${pad(d.getMinutes(), 2)}:${pad(d.getSeconds(), 2)}.${us} `;
    }
    default: {
      if (!clock.started) {
        clock.started = true;
        clock.firstSec = clock.prevSec = f.tsSec;
        clock.firstNsec = clock.prevNsec = f.tsNsec;
      }
      const t =
        mode === 3
          ? deltaText(f.tsSec, f.tsNsec, clock.prevSec, clock.prevNsec)
          : deltaText(f.tsSec, f.tsNsec, clock.firstSec, clock.firstNsec);
      clock.prevSec = f.tsSec;
      clock.prevNsec = f.tsNsec;
      return `${t} `;
    }
  }
}

/** Linux packet types (sll_pkttype), as tcpdump names them */
const PKTTYPE: Record<number, string> = { 0: 'In', 1: 'B', 2: 'M', 3: 'P', 4: 'Out' };

/** `eth0  In  `: the interface/direction column of a LINUX_SLL2 frame ('' for other link types) */
export function anyColumn(f: Frame, ifName: (index: number) => string | null): string {
  if (f.linkType !== LinkType.LINUX_SLL2 || f.capturedLength < 20) return '';
  const b = f.buf;
  const o = f.offset;
  const idx = b.readUInt32BE(o + 4);
  const name = ifName(idx) ?? '?';
  return `${name.padEnd(5)} ${(PKTTYPE[b[o + 10]!] ?? '?').padEnd(3)} `;
}

const ETHERTYPES: Record<number, string> = {
  2048: 'IPv4',
  2054: 'ARP',
  34525: 'IPv6',
  33024: '802.1Q',
  34984: '802.1Q-QinQ',
  37120: '802.1Q-9100',
  37376: '802.1Q-9200',
  34887: 'MPLS unicast',
  34915: 'PPPoE D',
  34916: 'PPPoE S',
  35020: 'LLDP',
};
const etherTypeText = (t: number) => `ethertype ${ETHERTYPES[t] ?? 'Unknown'} (0x${pad16(t)})`;
const pad16 = (v: number) => v.toString(16).padStart(4, '0');
const isVlan = (t: number) => t === 0x8100 || t === 0x88a8 || t === 0x9100 || t === 0x9200;

function mac(b: Uint8Array, at: number): string {
  let s = '';
  for (let i = 0; i < 6; i++) s += (i ? ':' : '') + b[at + i]!.toString(16).padStart(2, '0');
  return s;
}

/** VLAN tags from `at` (the TPID already printed): `vlan 100, p 0, ethertype IPv4 (0x0800), ` */
function vlanChain(b: Uint8Array, at: number, end: number): string {
  let s = '';
  while (at + 4 <= end) {
    const tci = (b[at]! << 8) | b[at + 1]!;
    const next = (b[at + 2]! << 8) | b[at + 3]!;
    s += `vlan ${tci & 0xfff}, p ${tci >> 13}${tci & 0x1000 ? ', DEI' : ''}, ${etherTypeText(next)}, `;
    at += 4;
    if (!isVlan(next)) break;
  }
  return s;
}

/** BSD loopback AF names tcpdump uses (print-null.c af_values) */
const AF_NAMES: Record<number, string> = {
  2: 'IPv4',
  10: 'IPv6',
  24: 'IPv6',
  28: 'IPv6',
  30: 'IPv6',
  7: 'OSI',
  23: 'IPX',
};

/** -e: the link-level header text, ending with `: ` or `, ` as tcpdump prints it before the IP part */
export function linkHeaderText(f: Frame): string {
  const b = f.buf;
  const o = f.offset;
  const end = o + f.capturedLength;
  const len = f.originalLength;
  switch (f.linkType) {
    case LinkType.EN10MB: {
      if (f.capturedLength < 14) return '';
      const t = (b[o + 12]! << 8) | b[o + 13]!;
      const head = `${mac(b, o + 6)} > ${mac(b, o)}, `;
      if (t <= 1500) return `${head}802.3, length ${len}: `;
      return `${head}${etherTypeText(t)}, length ${len}: ${isVlan(t) ? vlanChain(b, o + 14, end) : ''}`;
    }
    case LinkType.LINUX_SLL: {
      if (f.capturedLength < 16) return '';
      const halen = (b[o + 4]! << 8) | b[o + 5]!;
      const t = (b[o + 14]! << 8) | b[o + 15]!;
      const pk = (b[o]! << 8) | b[o + 1]!;
      return `${(PKTTYPE[pk] ?? '?').padStart(3)} ${halen === 6 ? `${mac(b, o + 6)} ` : ''}${etherTypeText(t)}, length ${len}: ${isVlan(t) ? vlanChain(b, o + 16, end) : ''}`;
    }
    case LinkType.LINUX_SLL2: {
      if (f.capturedLength < 20) return '';
      const t = (b[o]! << 8) | b[o + 1]!;
      const idx = b.readUInt32BE(o + 4);
      const halen = b[o + 11]!;
      return `ifindex ${idx} ${halen === 6 ? `${mac(b, o + 12)} ` : ''}${etherTypeText(t)}, length ${len}: ${isVlan(t) ? vlanChain(b, o + 20, end) : ''}`;
    }
    case LinkType.NULL:
    case LinkType.LOOP: {
      if (f.capturedLength < 4) return '';
      const af = f.linkType === LinkType.LOOP ? b.readUInt32BE(o) : b.readUInt32LE(o);
      return `AF ${AF_NAMES[af] ?? 'Unknown'} (${af}), length ${len}: `;
    }
    case LinkType.RAW:
    case LinkType.IPV4:
    case LinkType.IPV6:
      return 'ip: ';
    default:
      return '';
  }
}

/** 0 none; 1 hex (-x); 2 hex and ASCII (-X); 3 ASCII (-A) */
export type DumpKind = 0 | 1 | 2 | 3;

const isGraph = (c: number) => c > 0x20 && c < 0x7f;

/**
 * The dump that follows the line (starting with a newline): from the network header, or from the
 * first byte of the frame when `withLink` (-xx, -XX).
 */
export function dumpText(f: Frame, p: DecodedPacket, kind: DumpKind, withLink: boolean): string {
  if (kind === 0) return '';
  const b = f.buf;
  const end = f.offset + f.capturedLength;
  let start = f.offset;
  if (!withLink) {
    if (p.ipOffset < 0 || p.ipOffset > end) return '';
    start = p.ipOffset;
  }
  if (kind === 3) {
    let s = '\n';
    for (let i = start; i < end; i++) {
      const c = b[i]!;
      if (c === 0x0d) {
        // tcpdump drops a CR before a newline and a CR next to the end; other CRs print '.'
        if (end - (i + 1) > 1 && b[i + 1] !== 0x0a) s += '.';
      } else s += isGraph(c) || c === 0x09 || c === 0x20 || c === 0x0a ? String.fromCharCode(c) : '.';
    }
    return s;
  }
  let s = '';
  for (let at = start; at < end; at += 16) {
    const stop = Math.min(end, at + 16);
    let hex = '';
    let ascii = '';
    for (let i = at; i < stop; i += 2) {
      hex += ` ${b[i]!.toString(16).padStart(2, '0')}${i + 1 < stop ? b[i + 1]!.toString(16).padStart(2, '0') : ''}`;
      if (kind === 2) {
        ascii += isGraph(b[i]!) ? String.fromCharCode(b[i]!) : '.';
        if (i + 1 < stop) ascii += isGraph(b[i + 1]!) ? String.fromCharCode(b[i + 1]!) : '.';
      }
    }
    s += `\n\t0x${pad16(at - start)}: ${kind === 2 ? `${hex.padEnd(40)}  ${ascii}` : hex}`;
  }
  return s;
}
