/** Small /proc parsers: toa_table (5.4), /proc/hookers (3.3), /proc/net/snmp Tcp:. Never throw. */
import type { HookerEntry, TcpSnmp, ToaTableInfo } from './types-host.js';

export const TOA_TABLE_WARNING =
  '/proc/net/toa_table walks every stored IPv6 TOA entry under a lock; Tencent documents that reading it ' +
  'may degrade performance on a busy server. toa-doctor reads it only with --toa-table (or from a snapshot copy).';

const MAX_TABLE_LINES = 200;
const ADDRESS_TOKEN =
  /(\b\d{1,3}(\.\d{1,3}){3}\b)|([0-9a-f]{0,4}:[0-9a-f:]*:[0-9a-f]{0,4})|(\b[0-9A-Fa-f]{8,32}\b)/i;

/**
 * toa_table's format is not public: count lines that carry an address-looking token (dotted
 * IPv4, IPv6 with colons, or a long hex word), skipping a first line that looks like a header.
 */
export function parseToaTable(
  text: string | null,
  path = '/proc/net/toa_table',
  truncated = false,
): ToaTableInfo {
  if (text === null) {
    return { path, read: false, entries: null, lines: [], truncated: false, warning: TOA_TABLE_WARNING };
  }
  const lines = String(text)
    .split(/\r?\n/)
    .filter((l) => l.trim() !== '');
  const entries = lines.filter((l) => ADDRESS_TOKEN.test(l)).length;
  return {
    path,
    read: true,
    entries,
    lines: lines.slice(0, MAX_TABLE_LINES),
    truncated: truncated || lines.length > MAX_TABLE_LINES,
    warning: TOA_TABLE_WARNING,
  };
}

const HOOKER_LINE = /^\s*name:\s*(\S+)\s+addr:\s*(\S+)\s+hookers:\s*(\d+)/;

function hookerPlace(place: string): Pick<HookerEntry, 'family' | 'role'> {
  const role = place.endsWith('.getname')
    ? 'getname'
    : place.endsWith('.syn_recv_sock')
      ? 'syn_recv_sock'
      : 'other';
  const family = place.startsWith('ipv6_mapped')
    ? 'mapped'
    : place.startsWith('inet6_') || place.startsWith('ipv6_')
      ? 'ipv6'
      : place.startsWith('inet_') || place.startsWith('ipv4_')
        ? 'ipv4'
        : 'unknown';
  return { role, family };
}

/** `/proc/hookers`: `name:<place padded to 24> addr:0x<ptr> hookers:<n>` per line. */
export function parseHookers(text: string): HookerEntry[] {
  const out: HookerEntry[] = [];
  for (const line of String(text).split(/\r?\n/)) {
    const m = HOOKER_LINE.exec(line);
    if (!m) continue;
    out.push({ place: m[1]!, addr: m[2]!, hookers: Number(m[3]), ...hookerPlace(m[1]!) });
  }
  return out;
}

/** `/proc/net/snmp`: the `Tcp:` header/value line pair. */
export function parseSnmpTcp(text: string): TcpSnmp | null {
  const lines = String(text).split(/\r?\n/);
  for (let i = 0; i + 1 < lines.length; i++) {
    const h = lines[i]!;
    const v = lines[i + 1]!;
    if (!h.startsWith('Tcp:') || !v.startsWith('Tcp:')) continue;
    const names = h.split(/\s+/).slice(1);
    const vals = v.split(/\s+/).slice(1);
    if (vals.some((x) => !/^-?\d+$/.test(x))) continue;
    const get = (n: string): number | null => {
      const idx = names.indexOf(n);
      if (idx < 0 || vals[idx] === undefined) return null;
      const num = Number(vals[idx]);
      return Number.isFinite(num) ? num : null;
    };
    return {
      passiveOpens: get('PassiveOpens'),
      activeOpens: get('ActiveOpens'),
      currEstab: get('CurrEstab'),
    };
  }
  return null;
}
