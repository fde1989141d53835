/** --lb CIDR lists: parse once, test addresses held as numbers (IPv4) or bytes (IPv6). */
import { parseAddress } from '../decode/index.js';

export interface Cidr {
  text: string;
  version: 4 | 6;
  bytes: Buffer;
  prefix: number;
}

/** '10.0.0.0/8', '192.0.2.7' (= /32), '2001:db8::/32'. Returns null when the text is not a CIDR. */
export function parseCidr(text: string): Cidr | null {
  const t = text.trim();
  const slash = t.indexOf('/');
  const addr = parseAddress(slash >= 0 ? t.slice(0, slash) : t);
  if (!addr) return null;
  const max = addr.version === 4 ? 32 : 128;
  let prefix = max;
  if (slash >= 0) {
    const p = t.slice(slash + 1);
    if (!/^\d{1,3}$/.test(p)) return null;
    prefix = Number(p);
    if (prefix > max) return null;
  }
  return { text: t, version: addr.version, bytes: addr.bytes, prefix };
}

export class CidrSet {
  private v4: Array<{ net: number; mask: number }> = [];
  private v6: Cidr[] = [];
  readonly size: number;

  constructor(cidrs: Cidr[]) {
    for (const c of cidrs) {
      if (c.version === 4) {
        const mask = c.prefix === 0 ? 0 : (0xffffffff << (32 - c.prefix)) >>> 0;
        this.v4.push({ net: (c.bytes.readUInt32BE(0) & mask) >>> 0, mask });
      } else this.v6.push(c);
    }
    this.size = cidrs.length;
  }

  hasV4(a: number): boolean {
    for (const c of this.v4) if ((a & c.mask) >>> 0 === c.net) return true;
    return false;
  }

  hasV6(buf: Uint8Array, off: number): boolean {
    outer: for (const c of this.v6) {
      let bits = c.prefix;
      for (let i = 0; i < 16 && bits > 0; i++, bits -= 8) {
        const m = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
        if ((buf[off + i]! & m) !== (c.bytes[i]! & m)) continue outer;
      }
      return true;
    }
    return false;
  }
}
