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

/** Parse /proc/net/tcp or tcp6; only LISTEN (0A) rows become listeners. */
export function parseProcNetTcp(text: string, endian: Endianness = 'le'): ProcTcpParse {
  const listeners: Listener[] = [];
  let others = 0;
  for (const line of String(text).split(/\r?\n/)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 4 || !/^\d+:$/.test(f[0]!)) continue;
    const local = decodeProcAddress(f[1]!, endian);
    if (!local) continue;
    const st = f[3]!.toUpperCase();
    if (st !== '0A') {
      if (/^[0-9A-F]{2}$/.test(st)) others++;
      continue;
    }
    const uid = f[7] !== undefined && /^\d+$/.test(f[7]) ? Number(f[7]) : null;
    const inode = f[9] !== undefined && /^\d+$/.test(f[9]) ? f[9] : null;
    const v4Mapped =
      local.family === 'ipv6' && local.address.startsWith('::ffff:') && local.address.includes('.');
    listeners.push({
      family: local.family,
      address: local.address,
      port: local.port,
      uid,
      inode,
      dualStack: local.family === 'ipv6' && local.address === '::',
      v4Mapped,
    });
  }
  return { listeners, others };
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
  const a = tcp !== null ? parseProcNetTcp(tcp, endian) : { listeners: [], others: 0 };
  const b = tcp6 !== null ? parseProcNetTcp(tcp6, endian) : { listeners: [], others: 0 };
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
