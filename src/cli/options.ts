/**
 * Option parsers shared by the commands: each mistake gets the same words, one `toa-doctor:` line
 * and a `hint:` with an example (the shape of read.ts `positiveInt`). Parsers throw UserError
 * (exit 2); main() prints it.
 */
import { type Cidr, parseCidr } from '../flow/cidr.js';
import { UserError } from './errors.js';

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

/** a whole number in [min, max] */
export function wholeNumber(name: string, min: number, max: number, example: number) {
  return (v: string): number => {
    const t = v.trim();
    if (!/^-?\d+$/.test(t) || Number(t) < min || Number(t) > max)
      throw new UserError(
        `${name}: expected a whole number ${max >= Number.MAX_SAFE_INTEGER ? `of at least ${min}` : `from ${min} to ${max}`}, got "${v}"`,
        `example: ${name} ${example}`,
      );
    return Number(t);
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
