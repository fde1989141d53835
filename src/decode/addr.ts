/**
 * Address text <-> bytes. IPv4 dotted quad; IPv6 in RFC 5952 canonical form (lowercase, no
 * leading zeros, the longest run of two or more zero groups compressed — the first on a tie —
 * and IPv4-mapped addresses as ::ffff:a.b.c.d). Formatting reads the bytes in place and uses
 * lookup tables; nothing is sliced.
 */

const DEC: string[] = [];
for (let i = 0; i < 256; i++) DEC.push(String(i));

/** scratch for IPv6 groups (module-level: formatting is synchronous) */
const groups = new Uint16Array(8);

export function ipv4ToString(buf: Uint8Array, off: number): string {
  return `${DEC[buf[off]]}.${DEC[buf[off + 1]]}.${DEC[buf[off + 2]]}.${DEC[buf[off + 3]]}`;
}

export function ipv6ToString(buf: Uint8Array, off: number): string {
  for (let i = 0; i < 8; i++) groups[i] = (buf[off + 2 * i] << 8) | buf[off + 2 * i + 1];
  // IPv4-mapped ::ffff:a.b.c.d (RFC 5952 section 5)
  if (
    groups[0] === 0 &&
    groups[1] === 0 &&
    groups[2] === 0 &&
    groups[3] === 0 &&
    groups[4] === 0 &&
    groups[5] === 0xffff
  ) {
    return `::ffff:${ipv4ToString(buf, off + 12)}`;
  }
  let bestStart = -1;
  let bestLen = 0;
  let curStart = -1;
  let curLen = 0;
  for (let i = 0; i < 8; i++) {
    if (groups[i] === 0) {
      if (curStart < 0) {
        curStart = i;
        curLen = 1;
      } else curLen++;
      if (curLen > bestLen) {
        bestLen = curLen;
        bestStart = curStart;
      }
    } else curStart = -1;
  }
  if (bestLen < 2) bestStart = -1;
  let s = '';
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) {
      s += '::';
      i += bestLen - 1;
      continue;
    }
    if (s.length > 0 && s[s.length - 1] !== ':') s += ':';
    s += groups[i].toString(16);
  }
  return s;
}

/** Address bytes at `offset` as text: IPv4 dotted quad or RFC 5952 IPv6. */
export function addressToString(buf: Uint8Array, offset: number, ipVersion: number): string {
  return ipVersion === 6 ? ipv6ToString(buf, offset) : ipv4ToString(buf, offset);
}

/** '192.0.2.1' → 4 bytes, or null when it is not a dotted quad of 0..255. */
export function parseIPv4(text: string): Buffer | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  const out = Buffer.alloc(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i];
    if (!/^\d{1,3}$/.test(p)) return null;
    const v = Number(p);
    if (v > 255) return null;
    out[i] = v;
  }
  return out;
}

/** IPv6 text (with '::' and an optional trailing dotted quad) → 16 bytes, or null. */
export function parseIPv6(text: string): Buffer | null {
  let t = text;
  if (t.startsWith('[') && t.endsWith(']')) t = t.slice(1, -1);
  if (t.includes('%') || t.length < 2) return null;
  const dbl = t.indexOf('::');
  if (dbl >= 0 && t.indexOf('::', dbl + 1) >= 0) return null;
  const words: number[] = [];
  const parseSide = (side: string, isLast: boolean): number[] | null => {
    if (side === '') return [];
    const parts = side.split(':');
    const w: number[] = [];
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i];
      if (isLast && i === parts.length - 1 && p.includes('.')) {
        const v4 = parseIPv4(p);
        if (!v4) return null;
        w.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
        continue;
      }
      if (!/^[0-9a-fA-F]{1,4}$/.test(p)) return null;
      w.push(Number.parseInt(p, 16));
    }
    return w;
  };
  if (dbl >= 0) {
    const head = parseSide(t.slice(0, dbl), false);
    const tail = parseSide(t.slice(dbl + 2), true);
    if (!head || !tail || head.length + tail.length > 7) return null;
    words.push(...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail);
  } else {
    const all = parseSide(t, true);
    if (all?.length !== 8) return null;
    words.push(...all);
  }
  const out = Buffer.alloc(16);
  for (let i = 0; i < 8; i++) out.writeUInt16BE(words[i], i * 2);
  return out;
}

export interface ParsedAddress {
  version: 4 | 6;
  bytes: Buffer;
}

/** Text → bytes for either family, or null. */
export function parseAddress(text: string): ParsedAddress | null {
  const t = text.trim();
  if (t.includes(':')) {
    const b = parseIPv6(t);
    return b ? { version: 6, bytes: b } : null;
  }
  const b = parseIPv4(t);
  return b ? { version: 4, bytes: b } : null;
}

/** Compare `len` bytes at buf[off] with `want` (no allocation). */
export function bytesEqual(buf: Uint8Array, off: number, want: Uint8Array): boolean {
  for (let i = 0; i < want.length; i++) if (buf[off + i] !== want[i]) return false;
  return true;
}
