/**
 * Option parsers shared by every command: one set, so each mistake gets the same words and a hint
 * with an example (README "Exit codes": one `toa-doctor: ...` line, one `hint:` line, exit 2).
 * Each returns a commander argParser (or is called from an action) and throws UserError. Also the
 * tcpdump-style pieces: repeatable/comma-list options, -s, -Q, and where a trailing pcap-filter
 * expression starts among the positional words.
 */
import { statSync } from 'node:fs';
import { type Cidr, parseCidr } from '../flow/cidr.js';
import { isProfileName } from '../flow/profiles.js';
import { PROFILES, type ProfileName } from '../flow/types.js';
import { UserError } from './errors.js';

/** A whole number ≥ 1 (`-c 100`, `--max-flows 100000`). */
export function positiveInt(name: string, example: number | string, max = Number.MAX_SAFE_INTEGER) {
  return (v: string): number => {
    const t = v.trim();
    if (!/^\d+$/.test(t) || Number(t) < 1)
      throw new UserError(`${name}: not a positive whole number: ${v}`, `example: ${name} ${example}`);
    const n = Number(t);
    if (n > max) throw new UserError(`${name}: ${v} is more than ${max}`, `example: ${name} ${example}`);
    return n;
  };
}

/** A number > 0, fractions allowed (seconds: `--duration 30`, `--interval 0.5`). */
export function positiveNumber(name: string, example: number | string, unit = '') {
  return (v: string): number => {
    const t = v.trim();
    const n = /^(\d+\.?\d*|\.\d+)$/.test(t) ? Number(t) : Number.NaN;
    if (!(n > 0) || !Number.isFinite(n))
      throw new UserError(
        `${name}: not a positive number${unit ? ` of ${unit}` : ''}: ${v}`,
        `example: ${name} ${example}`,
      );
    return n;
  };
}

/** One of a fixed list (`--flows all|problems`). */
export function choice<T extends string>(name: string, values: readonly T[]) {
  return (v: string): T => {
    if (!(values as readonly string[]).includes(v))
      throw new UserError(`${name}: unknown value "${v}"`, `use one of: ${values.join(', ')}`);
    return v as T;
  };
}

/** A --profile name, worded the same in every command. */
export function profileName(v: string): ProfileName {
  if (!isProfileName(v))
    throw new UserError(`unknown profile "${v}"`, `valid profiles: ${PROFILES.join(', ')}`);
  return v;
}

/**
 * The --lb list: addresses and networks, repeatable and comma-listed (`--lb 10.0.0.0/8,100.64.0.0/10`),
 * checked here so every command refuses the same mistake in the same words.
 */
export function lbList(list: readonly string[] | string | undefined): string[] {
  if (list === undefined) return [];
  const items = (Array.isArray(list) ? list : [list]).flatMap((s) => s.split(',')).map((s) => s.trim());
  const out: string[] = [];
  for (const it of items) {
    if (!it) continue;
    if (!parseCidr(it))
      throw new UserError(
        `--lb: not an IP address or CIDR: ${it}`,
        'example: --lb 10.0.0.0/8,100.125.0.0/16,2001:db8::/32',
      );
    out.push(it);
  }
  return out;
}

/** A TCP port number, 1 to 65535 (`--port 8080`); lists of ports (0 allowed, as tcpdump) use parsePorts. */
export function port(name: string, example: number) {
  return wholeNumber(name, 1, 65535, example);
}

/**
 * A size in bytes: a number with an optional K, M or G (binary multiples), `50M`, `1.5G`, `65536`;
 * at least `min` bytes.
 */
export function size(name: string, example: string, min = 1) {
  return (v: string): number => {
    const m = /^\s*(\d+(?:\.\d+)?)\s*([kmg]?)(i?b)?\s*$/i.exec(v);
    if (!m)
      throw new UserError(
        `${name}: not a size: ${v}`,
        `example: ${name} ${example} (K, M and G are 1024, 1024² and 1024³ bytes)`,
      );
    const mult = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g'];
    const n = Math.floor(Number(m[1]) * mult);
    if (n < min)
      throw new UserError(`${name}: ${v} is less than ${min} bytes`, `example: ${name} ${example}`);
    return n;
  };
}

/** An existing directory (`--root DIR`, `--host-dir DIR`); `what` says what it should hold. */
export function existingDir(name: string, path: string, what: string): string {
  let isDir = false;
  try {
    isDir = statSync(path).isDirectory();
  } catch {
    // missing or unreadable: said below
  }
  if (!isDir) throw new UserError(`${name}: no such directory: ${path}`, `give ${what}`);
  return path;
}

/** commander collector for a repeatable option that also takes comma lists: `--port 80 --port 443,8443` */
export function collectList(v: string, prev: string[] = []): string[] {
  return [
    ...prev,
    ...v
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== ''),
  ];
}

/** commander accumulator for a flag that may be repeated (`-v -v`, `-vv`, `-tttt`) */
export function countFlag(_v: unknown, prev = 0): number {
  return prev + 1;
}

/** a whole number in [min, max] (`--port 0`, `-s 96`), worded like positiveInt */
export function wholeNumber(name: string, min: number, max: number, example: number) {
  return (v: string): number => {
    const t = v.trim();
    if (!/^-?\d+$/.test(t))
      throw new UserError(`${name}: not a whole number: ${v}`, `example: ${name} ${example}`);
    const n = Number(t);
    if (n < min) throw new UserError(`${name}: ${v} is less than ${min}`, `example: ${name} ${example}`);
    if (n > max) throw new UserError(`${name}: ${v} is more than ${max}`, `example: ${name} ${example}`);
    return n;
  };
}

/** TCP ports from repeated / comma-listed values */
export function parsePorts(name: string, values: string[]): number[] {
  const one = wholeNumber(name, 0, 65535, 443);
  return values.map((v) => one(v));
}

/** addresses and networks (`10.0.0.5`, `10.0.0.0/8`, `2001:db8::/32`); names are never resolved */
export function parseHosts(name: string, values: string[]): Cidr[] {
  return values.map((v) => {
    const c = parseCidr(v);
    if (!c)
      throw new UserError(
        `${name}: not an IPv4/IPv6 address or network: "${v}"`,
        `example: ${name} 10.0.0.5 ${name} 10.1.0.0/16,2001:db8::/32 (names are never resolved)`,
      );
    return c;
  });
}

/** tcpdump -s: 0 means the maximum (262144), as in tcpdump */
export const parseSnaplen = (v: string): number => {
  const n = wholeNumber('-s', 0, 262144, 262144)(v);
  return n === 0 ? 262144 : n;
};

export type Direction = 'in' | 'out' | 'inout';

/** tcpdump -Q / --direction */
export function parseDirection(v: string): Direction {
  const d = v.trim().toLowerCase();
  if (d === 'in' || d === 'out' || d === 'inout') return d;
  throw new UserError(`-Q: expected in, out or inout, got "${v}"`, 'example: -Q in (packets received)');
}

/**
 * Words a pcap-filter expression can start with (pcap-filter(7) primitives, qualifiers and
 * operators). Used to tell where the file or interface arguments end and the expression begins:
 * `toa-doctor read a.pcap b.pcap tcp port 80`, `toa-doctor live eth0 host 10.0.0.5`.
 */
const FILTER_WORDS = new Set(
  (
    'dst src host net port portrange gateway ether fddi tr wlan ip ip6 arp rarp decnet lat sca moprc mopdl ' +
    'tcp udp icmp icmp6 igmp igrp pim ah esp vrrp carp sctp less greater proto protochain broadcast multicast ' +
    'vlan mpls pppoed pppoes geneve iso clnp esis isis stp ipx netbeui atalk aarp link inbound outbound ' +
    'ifindex not and or type subtype dir len llc'
  ).split(' '),
);

/** true when `word` (one argument, possibly a quoted whole expression) starts a filter expression */
export function startsFilterExpression(word: string): boolean {
  const first = word.trim().split(/\s+/)[0]?.toLowerCase() ?? '';
  return FILTER_WORDS.has(first) || /^[(!]/.test(first) || /^[a-z0-9]+\[/.test(first);
}

/**
 * Split positional words into leading inputs and a trailing expression: the expression starts at the
 * first word that is not an existing path (nor '-') and reads as the start of a pcap-filter expression.
 */
export function splitExpression(
  words: string[],
  isInput: (w: string) => boolean,
): { inputs: string[]; expression: string | undefined } {
  const at = words.findIndex((w) => w !== '-' && !isInput(w) && startsFilterExpression(w));
  if (at < 0) return { inputs: words, expression: undefined };
  return { inputs: words.slice(0, at), expression: words.slice(at).join(' ') };
}
