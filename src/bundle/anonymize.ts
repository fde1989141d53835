/**
 * Prefix-preserving IP address anonymization (Crypto-PAn: Fan, Xu, Ammar, Moon, "Prefix-preserving
 * IP address anonymization", Computer Networks 46(2), 2004), IPv4 and the 128-bit IPv6 variant,
 * plus the text scrubbers used on host evidence (proc files, dmesg, listeners, command lines).
 *
 * Key: 32 bytes — the first 16 are the AES-128 key, the last 16 are encrypted once to make the pad.
 * Bit i of the output is bit i of the input XOR the first bit of AES(first i input bits ‖ pad bits
 * i..127), so two addresses sharing a k-bit prefix map to two addresses sharing exactly a k-bit
 * prefix (same /24 → same /24).
 *
 * Special addresses (on by default, `preserveSpecial: false` gives the textbook mapping):
 *  - kept as they are: 0.0.0.0, 255.255.255.255, 127.0.0.0/8, ::, ::1 — they identify nobody, and
 *    the diagnosis needs wildcard/loopback listeners to stay recognisable;
 *  - ::ffff:a.b.c.d (v4-mapped) and 64:ff9b::a.b.c.d (NAT64 well-known prefix) keep their prefix and
 *    anonymize the embedded IPv4 exactly like the plain IPv4 address, so one client looks the same
 *    in /proc/net/tcp6, in a TOA option and in an IPv4 header.
 *  To keep the mapping a bijection, the one /8 whose image would be 127/8 takes the image 127/8 would
 *  have had, and an address whose image would be 0.0.0.0 or 255.255.255.255 is cycle-walked to the
 *  next free image (probability 2^-31 per address). Prefix preservation therefore holds everywhere
 *  except between that one swapped /8 and the rest; subnet structure (/8, /16, /24 ...) holds everywhere.
 */
import { createCipheriv, createHmac, randomBytes, scryptSync } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';

export const KEY_BYTES = 32;

export type KeySource = 'random' | 'hex' | 'passphrase';

/** `--anonymize-key`: 64 hex digits are the raw key; anything else is a passphrase (scrypt). */
export function deriveKey(spec: string | undefined): { key: Buffer; source: KeySource } {
  if (spec === undefined || spec === '') return { key: randomBytes(KEY_BYTES), source: 'random' };
  if (/^[0-9a-fA-F]{64}$/.test(spec)) return { key: Buffer.from(spec, 'hex'), source: 'hex' };
  return {
    key: scryptSync(spec, 'toa-doctor/anonymize@1', KEY_BYTES, { N: 1 << 14, r: 8, p: 1 }),
    source: 'passphrase',
  };
}

export interface AnonymizerOptions {
  /** keep 0.0.0.0, 255.255.255.255, 127/8, ::, ::1 and the v4-mapped / NAT64 structure (default true) */
  preserveSpecial?: boolean;
}

const V4_LOOPBACK_OCTET = 127;
const NAT64_PREFIX = Buffer.from('0064ff9b0000000000000000', 'hex');
const MAPPED_PREFIX = Buffer.from('00000000000000000000ffff', 'hex');

/** Crypto-PAn with a per-address cache. Not thread-shared; one per bundle. */
export class IpAnonymizer {
  private readonly cipher;
  private readonly pad: Buffer;
  private readonly blocks4 = Buffer.alloc(32 * 16);
  private readonly blocks16 = Buffer.alloc(128 * 16);
  private readonly preserve: boolean;
  private readonly cache4 = new Map<number, number>();
  private readonly cache6 = new Map<string, Buffer>();
  private readonly cacheMac = new Map<string, Buffer>();
  private readonly macKey: Buffer;
  /** first octet that 127/8 maps to under the plain permutation (swap target), lazily computed */
  private loopbackImageOctet = -1;
  /** number of distinct addresses mapped (for the manifest) */
  counts = { ipv4: 0, ipv6: 0, mac: 0 };

  constructor(key: Buffer, opts: AnonymizerOptions = {}) {
    if (key.length !== KEY_BYTES) throw new RangeError(`anonymization key must be ${KEY_BYTES} bytes`);
    this.cipher = createCipheriv('aes-128-ecb', key.subarray(0, 16), null);
    this.cipher.setAutoPadding(false);
    this.pad = Buffer.from(this.encrypt(key.subarray(16, 32)));
    this.preserve = opts.preserveSpecial !== false;
    this.macKey = createHmac('sha256', key).update('toa-doctor/mac@1').digest();
  }

  private encrypt(block: Buffer): Buffer {
    return this.cipher.update(block);
  }

  /**
   * The textbook Crypto-PAn permutation over the bits of `orig` (4 or 16 bytes), into `out`. The
   * input block for bit i depends only on the original address, so all blocks are built first and
   * encrypted in one ECB call (one native call per address instead of one per bit).
   */
  private cryptoPan(orig: Buffer, out: Buffer): void {
    const nbytes = orig.length;
    const bits = nbytes * 8;
    const blocks = bits === 32 ? this.blocks4 : this.blocks16;
    for (let pos = 0; pos < bits; pos++) {
      const at = pos * 16;
      const full = pos >> 3;
      const rem = pos & 7;
      this.pad.copy(blocks, at);
      orig.copy(blocks, at, 0, full);
      if (rem) {
        const mask = (0xff << (8 - rem)) & 0xff;
        blocks[at + full] = (orig[full]! & mask) | (this.pad[full]! & ~mask & 0xff);
      }
    }
    const enc = this.encrypt(blocks);
    out.fill(0);
    for (let pos = 0; pos < bits; pos++)
      if (enc[pos * 16]! & 0x80) out[pos >> 3] = out[pos >> 3]! | (0x80 >> (pos & 7));
    for (let i = 0; i < nbytes; i++) out[i] = out[i]! ^ orig[i]!;
  }

  /** Textbook Crypto-PAn of an IPv4 address as uint32 (no special cases, no cache). */
  rawV4(addr: number): number {
    const o = Buffer.alloc(4);
    o.writeUInt32BE(addr >>> 0);
    const r = Buffer.alloc(4);
    this.cryptoPan(o, r);
    return r.readUInt32BE(0);
  }

  private baseV4(addr: number): number {
    const y = this.rawV4(addr);
    if (!this.preserve || y >>> 24 !== V4_LOOPBACK_OCTET) return y;
    if (this.loopbackImageOctet < 0) this.loopbackImageOctet = this.rawV4(V4_LOOPBACK_OCTET << 24) >>> 24;
    return ((this.loopbackImageOctet << 24) | (y & 0xffffff)) >>> 0;
  }

  /** Anonymize an IPv4 address given as uint32 (network order value). */
  mapV4(addr: number): number {
    addr >>>= 0;
    const hit = this.cache4.get(addr);
    if (hit !== undefined) return hit;
    let r: number;
    if (this.preserve && (addr === 0 || addr === 0xffffffff || addr >>> 24 === V4_LOOPBACK_OCTET)) r = addr;
    else {
      r = this.baseV4(addr);
      // cycle-walk off the fixed points (keeps the mapping a bijection)
      while (this.preserve && (r === 0 || r === 0xffffffff)) r = this.baseV4(r);
    }
    this.cache4.set(addr, r);
    this.counts.ipv4++;
    return r;
  }

  /** Rewrite 4 address bytes in place. */
  mapV4Bytes(buf: Buffer, off: number): void {
    buf.writeUInt32BE(this.mapV4(buf.readUInt32BE(off)), off);
  }

  /** Anonymize 16 IPv6 address bytes; returns a cached buffer (do not modify). */
  mapV6(addr: Buffer): Buffer {
    const k = addr.toString('hex');
    const hit = this.cache6.get(k);
    if (hit) return hit;
    const out = Buffer.alloc(16);
    const prefix12 = addr.subarray(0, 12);
    if (this.preserve && prefix12.equals(MAPPED_PREFIX)) {
      MAPPED_PREFIX.copy(out);
      out.writeUInt32BE(this.mapV4(addr.readUInt32BE(12)), 12);
    } else if (this.preserve && prefix12.equals(NAT64_PREFIX)) {
      NAT64_PREFIX.copy(out);
      out.writeUInt32BE(this.mapV4(addr.readUInt32BE(12)), 12);
    } else if (this.preserve && isZeroOrOne(addr)) {
      addr.copy(out);
    } else {
      this.cryptoPan(addr, out);
    }
    this.cache6.set(k, out);
    this.counts.ipv6++;
    return out;
  }

  mapV6Bytes(buf: Buffer, off: number): void {
    this.mapV6(Buffer.from(buf.subarray(off, off + 16))).copy(buf, off);
  }

  /** Keyed pseudonym for a MAC address: keeps the group bit, sets the locally-administered bit. */
  mapMacBytes(buf: Buffer, off: number): void {
    const mac = buf.subarray(off, off + 6);
    if (mac.every((b) => b === 0) || mac.every((b) => b === 0xff)) return;
    const k = mac.toString('hex');
    let r = this.cacheMac.get(k);
    if (!r) {
      r = createHmac('sha256', this.macKey).update(mac).digest().subarray(0, 6);
      r[0] = (r[0]! & 0xfc) | 0x02 | (mac[0]! & 0x01);
      this.cacheMac.set(k, r);
      this.counts.mac++;
    }
    r.copy(buf, off);
  }

  /** Anonymize one address in text form ('192.0.2.1', '2001:db8::1', '::ffff:192.0.2.1'); null if not one. */
  mapText(text: string): string | null {
    if (isIPv4(text)) return v4ToText(this.mapV4(v4FromText(text)));
    if (isIPv6(text)) {
      const b = parseV6(text);
      if (!b) return null;
      const r = this.mapV6(b);
      // a kept address keeps its spelling ("0::/init.scope" in a cgroup line stays as it is)
      if (r.equals(b)) return text;
      return formatV6(r, text.includes('.'));
    }
    return null;
  }

  /** A pseudonym for a host name ('host-1a2b3c4d'); case does not matter (DNS names are case-blind). */
  mapHostname(name: string): string {
    return `host-${createHmac('sha256', this.macKey).update(`host:${name.toLowerCase()}`).digest('hex').slice(0, 8)}`;
  }

  /** A pseudonym for one DNS label of a domain ('d-1a2b3c'). */
  mapLabel(label: string): string {
    return `d-${createHmac('sha256', this.macKey).update(`label:${label.toLowerCase()}`).digest('hex').slice(0, 6)}`;
  }

  /** Host name, its FQDN labels, its domain, in any case and inside paths (replaceHostname). */
  scrubHostname(text: string, hostname: string | null, pseudonym: string): string {
    return replaceHostname(text, hostname, pseudonym, (l) => this.mapLabel(l));
  }
}

function isZeroOrOne(a: Buffer): boolean {
  for (let i = 0; i < 15; i++) if (a[i] !== 0) return false;
  return a[15] === 0 || a[15] === 1;
}

// ------------------------------------------------------------------------------------ text forms

export function v4FromText(s: string): number {
  const p = s.split('.');
  return ((Number(p[0]) << 24) | (Number(p[1]) << 16) | (Number(p[2]) << 8) | Number(p[3])) >>> 0;
}

export function v4ToText(a: number): string {
  return `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
}

/** Parse an IPv6 text address (validated by node:net) into 16 bytes; zone ids are not accepted. */
export function parseV6(text: string): Buffer | null {
  if (!isIPv6(text)) return null;
  let s = text;
  const out = Buffer.alloc(16);
  let tailV4: number | null = null;
  const lastColon = s.lastIndexOf(':');
  if (s.indexOf('.', lastColon) > 0) {
    tailV4 = v4FromText(s.slice(lastColon + 1));
    s = `${s.slice(0, lastColon + 1)}0:0`;
  }
  const [head, tail] = s.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = s.includes('::') ? [...h, ...Array(8 - h.length - t.length).fill('0'), ...t] : h;
  if (groups.length !== 8) return null;
  for (let i = 0; i < 8; i++) out.writeUInt16BE(Number.parseInt(groups[i]!, 16), i * 2);
  if (tailV4 !== null) out.writeUInt32BE(tailV4, 12);
  return out;
}

/** RFC 5952 text; `dottedTail` prints v4-mapped / NAT64 addresses as ::ffff:a.b.c.d. */
export function formatV6(b: Buffer, dottedTail = false): string {
  const g: number[] = [];
  for (let i = 0; i < 8; i++) g.push(b.readUInt16BE(i * 2));
  const p12 = b.subarray(0, 12);
  const embedV4 = dottedTail || p12.equals(MAPPED_PREFIX);
  if (embedV4 && (p12.equals(MAPPED_PREFIX) || p12.equals(NAT64_PREFIX))) {
    const head = p12.equals(MAPPED_PREFIX) ? '::ffff:' : '64:ff9b::';
    return head + v4ToText(b.readUInt32BE(12));
  }
  // longest run of >= 2 zero groups, first one wins
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = g.map((x) => x.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

// ------------------------------------------------------------------------------ text scrubbing

const DOTTED = /(?<![\d.])(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?!\d|\.\d)/g;
/** runs of characters an address can be made of (hex digits, ':' and '.') */
const RUN = /[0-9A-Fa-f:.]+/g;
/** "TOA 2.0.0.0 by ...", "version 1.0.0.0": a version number, not an address */
const VERSION_BEFORE = /(?:\bTOA|\bversion|\bVersion|\bVERSION|\bver|\bv)[\s:=]*$/;

function validOctets(m: RegExpExecArray | RegExpMatchArray): boolean {
  return Number(m[1]) <= 255 && Number(m[2]) <= 255 && Number(m[3]) <= 255 && Number(m[4]) <= 255;
}

/**
 * Replace every IPv4 (dotted) and IPv6 text address in `text`, in one pass (an address is never
 * rewritten twice). IPv6 candidates are maximal runs of [0-9a-f:.] with at least two colons; a run
 * that is not an address as a whole is retried without a leading ':' and without a trailing ':port'
 * (netstat's ':::22'), and otherwise searched for dotted quads.
 */
export function anonymizeText(text: string, ip: IpAnonymizer): string {
  return text.replace(RUN, (run: string, at: number) => {
    if (!run.includes('.') && run.split(':').length < 3) return run;
    if (run.split(':').length >= 3) {
      const v6 = replaceV6InRun(run, ip);
      if (v6 !== null) return v6;
    }
    return replaceDottedInRun(run, at, text, ip);
  });
}

function replaceDottedInRun(run: string, runAt: number, text: string, ip: IpAnonymizer): string {
  return run.replace(DOTTED, (...args: unknown[]) => {
    const m = args as unknown as RegExpMatchArray;
    const off = args[args.length - 2] as number;
    if (!validOctets(m)) return m[0]!;
    const before = text.slice(Math.max(0, runAt + off - 16), runAt + off);
    if (VERSION_BEFORE.test(before)) return m[0]!;
    return ip.mapText(m[0]!) ?? m[0]!;
  });
}

function replaceV6InRun(run: string, ip: IpAnonymizer): string | null {
  // trim a trailing '.' (end of sentence) and try the prefix/suffix variants
  let core = run;
  let trail = '';
  while (core.endsWith('.')) {
    core = core.slice(0, -1);
    trail = `.${trail}`;
  }
  const tries: Array<[string, string, string]> = [['', core, '']];
  if (core.startsWith(':') && !core.startsWith('::')) tries.push([':', core.slice(1), '']);
  const lc = core.lastIndexOf(':');
  if (lc > 0) {
    const port = core.slice(lc);
    if (/^:\d{1,5}$/.test(port)) {
      tries.push(['', core.slice(0, lc), port]);
      if (core.startsWith(':') && !core.startsWith('::')) tries.push([':', core.slice(1, lc), port]);
    }
  }
  for (const [pre, cand, post] of tries) {
    if (cand.split(':').length < 3) continue;
    const r = ip.mapText(cand);
    if (r !== null) return pre + r + post + trail;
  }
  return null;
}

/** Byte order of the host that printed /proc/net/tcp-style hex words. */
export type Endianness = 'le' | 'be';

function hexWordToBytes(word: string, endian: Endianness, out: Buffer, off: number): void {
  const v = Number.parseInt(word, 16) >>> 0;
  if (endian === 'le') out.writeUInt32LE(v, off);
  else out.writeUInt32BE(v, off);
}

function bytesToHexWord(b: Buffer, off: number, endian: Endianness, upper: boolean, width = 8): string {
  const v = endian === 'le' ? b.readUInt32LE(off) : b.readUInt32BE(off);
  const s = v.toString(16).padStart(width, '0');
  return upper ? s.toUpperCase() : s;
}

/** One proc-style hex address (8 hex digits = IPv4, 32 = IPv6 as four host-order words). */
export function mapProcHex(hex: string, endian: Endianness, ip: IpAnonymizer): string {
  const upper = hex !== hex.toLowerCase();
  if (hex.length === 8) {
    const b = Buffer.alloc(4);
    hexWordToBytes(hex, endian, b, 0);
    ip.mapV4Bytes(b, 0);
    return bytesToHexWord(b, 0, endian, upper);
  }
  if (hex.length === 32) {
    const b = Buffer.alloc(16);
    for (let i = 0; i < 4; i++) hexWordToBytes(hex.slice(i * 8, i * 8 + 8), endian, b, i * 4);
    const r = ip.mapV6(b);
    let s = '';
    for (let i = 0; i < 4; i++) s += bytesToHexWord(r, i * 4, endian, upper);
    return s;
  }
  return hex;
}

/** `ADDR:PORT` with ADDR 8 or 32 hex digits: /proc/net/tcp, tcp6, udp, raw..., and similar dumps. */
const PROC_ADDR_PORT = /(?<![0-9A-Fa-f])([0-9A-Fa-f]{32}|[0-9A-Fa-f]{8}):([0-9A-Fa-f]{4})(?![0-9A-Fa-f])/g;

export function anonymizeProcHex(text: string, endian: Endianness, ip: IpAnonymizer): string {
  return text.replace(
    PROC_ADDR_PORT,
    (_m, hex: string, port: string) => `${mapProcHex(hex, endian, ip)}:${port}`,
  );
}

/**
 * Hex addresses in kernel log lines: a keyword (ip, sip, dip, saddr, daddr, cip, vip, lip, rip, addr,
 * src, dst) followed by `=`/`:`/space and a hex number of up to 8 digits (optionally 0x), read as a
 * host-order __be32 as `%x`/`%08X` print it. Decimal-looking dotted addresses are left to anonymizeText.
 */
const KEYWORD_HEX =
  /\b(ip|sip|dip|saddr|daddr|cip|vip|lip|rip|addr|src|dst|ip4|ipv4)(\s*[=:]\s*|\s+)(0x)?([0-9A-Fa-f]{1,8})(?![\w.:])/gi;

export function anonymizeKernelHex(text: string, endian: Endianness, ip: IpAnonymizer): string {
  return text.replace(KEYWORD_HEX, (m, kw: string, sep: string, ox: string | undefined, hex: string) => {
    // a plain small decimal ("ip 4") is not an address; require hex letters, 0x, or 8 digits
    if (!ox && hex.length < 8 && !/[a-fA-F]/.test(hex)) return m;
    const v = Number.parseInt(hex, 16) >>> 0;
    if (v === 0) return m;
    const padded = v.toString(16).padStart(8, '0');
    const mapped = mapProcHex(padded, endian, ip);
    const width = Math.max(hex.length, mapped.replace(/^0+/, '').length || 1);
    let out = mapped.slice(8 - width);
    if (hex === hex.toUpperCase() && /[A-F]/.test(hex)) out = out.toUpperCase();
    else out = out.toLowerCase();
    return `${kw}${sep}${ox ?? ''}${out}`;
  });
}

/**
 * Anonymize a CIDR ('10.0.0.0/8', '2001:db8::/32', or a bare address). Prefix preservation means every
 * address of the original network maps into the returned network, so `--lb` lists keep working on
 * anonymized data. Host bits are zeroed.
 */
export function mapCidr(cidr: string, ip: IpAnonymizer): string {
  const [addr, len] = cidr.trim().split('/') as [string, string | undefined];
  const mapped = ip.mapText(addr);
  if (mapped === null) return cidr;
  if (len === undefined || !/^\d+$/.test(len)) return mapped;
  const n = Number(len);
  if (isIPv4(mapped)) {
    const mask = n <= 0 ? 0 : n >= 32 ? 0xffffffff : (0xffffffff << (32 - n)) >>> 0;
    return `${v4ToText((v4FromText(mapped) & mask) >>> 0)}/${n}`;
  }
  const b = Buffer.from(parseV6(mapped)!);
  for (let i = 0; i < 16; i++) {
    const keep = Math.max(0, Math.min(8, n - i * 8));
    b[i] = b[i]! & ((0xff << (8 - keep)) & 0xff);
  }
  return `${formatV6(b)}/${n}`;
}

// ------------------------------------------------------------------------------ MAC addresses

/** six bytes with one separator (':' or '-'), as `ip link`, dmesg, Windows and DHCP logs print them */
const MAC_SEP =
  /(?<![0-9A-Fa-f:-])([0-9A-Fa-f]{2})([:-])([0-9A-Fa-f]{2})\2([0-9A-Fa-f]{2})\2([0-9A-Fa-f]{2})\2([0-9A-Fa-f]{2})\2([0-9A-Fa-f]{2})(?![0-9A-Fa-f]|[:-][0-9A-Fa-f])/g;
/** Cisco dotted form 5254.00aa.bb01 */
const MAC_DOTTED =
  /(?<![0-9A-Fa-f.])([0-9A-Fa-f]{4})\.([0-9A-Fa-f]{4})\.([0-9A-Fa-f]{4})(?![0-9A-Fa-f]|\.[0-9A-Fa-f])/g;
/** iptables LOG `MAC=` dst(6):src(6):ethertype(2), or a longer link header (VLAN) */
const MAC_IPTABLES = /\bMAC=((?:[0-9A-Fa-f]{2}:){11,}[0-9A-Fa-f]{2})/g;

function mapMacHex(ip: IpAnonymizer, hex: string): string {
  const b = Buffer.from(hex, 'hex');
  ip.mapMacBytes(b, 0);
  const out = b.toString('hex');
  return /[A-F]/.test(hex) && !/[a-f]/.test(hex) ? out.toUpperCase() : out;
}

/**
 * Replace every MAC address written as text, keeping its notation (separator, grouping, case): the
 * same keyed pseudonym as the capture's link headers get, so one NIC looks the same everywhere.
 */
export function anonymizeMacText(text: string, ip: IpAnonymizer): string {
  let out = text.replace(MAC_IPTABLES, (_m, body: string) => {
    const bytes = body.split(':');
    const hex = bytes.join('');
    const mapped = mapMacHex(ip, hex.slice(0, 12)) + mapMacHex(ip, hex.slice(12, 24)) + hex.slice(24);
    return `MAC=${mapped.match(/../g)!.join(':')}`;
  });
  out = out.replace(MAC_SEP, (m: string, ...g: string[]) => {
    const sep = g[1]!;
    const hex = [g[0], g[2], g[3], g[4], g[5], g[6]].join('');
    if (/^(0{12}|f{12})$/i.test(hex)) return m;
    return mapMacHex(ip, hex).match(/../g)!.join(sep);
  });
  out = out.replace(MAC_DOTTED, (m: string, a: string, b: string, c: string) => {
    const hex = a + b + c;
    // "1.0.2" style versions never have 4-digit groups; a dotted quad of hex words is a MAC
    if (/^(0{12}|f{12})$/i.test(hex)) return m;
    return mapMacHex(ip, hex).match(/..../g)!.join('.');
  });
  return out;
}

// ------------------------------------------------------------------------------ host names

/** dotted suffixes after a host name that are file extensions, not domain labels */
const FILE_EXT = /^(\.(tar|gz|tgz|pcap|pcapng|json|md|txt|log|cap|zip|xz|bz2|zst|out|csv|html))+$/i;

/**
 * Replace a host name wherever it appears, in any case: as a word, as the first label of an FQDN
 * (the domain labels after it are mapped too, each to a keyed pseudonym, so no domain is left), and
 * inside file names and paths (`/tmp/zebra-web-17-ticket.tar.gz`). When the host name is an FQDN,
 * its domain is mapped wherever it appears on its own. `mapLabel` gives a label's pseudonym.
 */
export function replaceHostname(
  text: string,
  hostname: string | null,
  pseudonym: string,
  mapLabel: (label: string) => string = () => 'domain',
): string {
  if (!hostname || hostname.length < 3) return text;
  const esc = (x: string) => x.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const [short, ...domainLabels] = hostname.split('.');
  const names = [hostname];
  if (short && short !== hostname && short.length >= 3) names.push(short);
  let out = text;
  for (const n of names) {
    // not inside a longer name: no letter or digit right before or after (web-1 is not web-10)
    const re = new RegExp(`(?<![A-Za-z0-9])${esc(n)}((?:\\.[A-Za-z0-9-]+)*)(?![A-Za-z0-9])`, 'gi');
    out = out.replace(re, (_m, labels: string) => {
      if (!labels || FILE_EXT.test(labels)) return pseudonym + (labels ?? '');
      // a known file extension at the end stays; the labels before it are domain labels
      const ext = /((?:\.(?:tar|gz|tgz|pcap|pcapng|json|md|txt|log))+)$/i.exec(labels)?.[1] ?? '';
      const dom = labels.slice(0, labels.length - ext.length);
      return `${pseudonym}${dom
        .split('.')
        .filter(Boolean)
        .map((l) => `.${mapLabel(l.toLowerCase())}`)
        .join('')}${ext}`;
    });
  }
  const domain = domainLabels.join('.');
  if (domainLabels.length >= 2 && domain.length >= 4) {
    const re = new RegExp(`(?<![A-Za-z0-9-])${esc(domain)}(?![A-Za-z0-9-])`, 'gi');
    out = out.replace(re, () => domainLabels.map((l) => mapLabel(l.toLowerCase())).join('.'));
  }
  return out;
}
