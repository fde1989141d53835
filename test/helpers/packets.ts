/**
 * Test helpers: build exact packet bytes (Ethernet/VLAN/SLL/SLL2/RAW/NULL + IPv4/IPv6 + TCP with
 * arbitrary option bytes) and write them into classic pcap or pcapng files. Each test says
 * exactly which bytes it feeds.
 */

export interface TcpSpec {
  src: string; // '192.0.2.1' or '2001:db8::1'
  dst: string;
  sport: number;
  dport: number;
  seq?: number;
  ack?: number;
  /** flag letters: S A F R P U E C, e.g. 'SA' */
  flags?: string;
  win?: number;
  /** raw option bytes; padded with zeros (EOL) to a multiple of 4 unless rawOptions */
  options?: number[] | Buffer;
  /** do not pad options; dataOffset computed by ceil unless dataOffset is given */
  dataOffset?: number;
  payload?: Buffer | string;
  ttl?: number;
  ipId?: number;
  /** corrupt the TCP checksum */
  badChecksum?: boolean;
  /** IPv4 fragment offset in 8-byte units / more-fragments */
  fragOffset?: number;
  moreFragments?: boolean;
  /** IPv6 extension headers before TCP: list of next-header types (0 hop-by-hop, 43 routing, 44 fragment, 60 dstopts, 51 AH) */
  ext6?: number[];
  /** IPv4 options bytes (padded to 4) */
  ipOptions?: number[];
}

const FLAG_BITS: Record<string, number> = { F: 1, S: 2, R: 4, P: 8, A: 16, U: 32, E: 64, C: 128 };

export function ipToBytes(ip: string): Buffer {
  if (ip.includes(':')) {
    const [head, tail] = ip.split('::') as [string, string | undefined];
    const h = head ? head.split(':') : [];
    const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
    let groups: string[];
    if (ip.includes('::')) groups = [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
    else groups = h;
    const b = Buffer.alloc(16);
    for (let i = 0; i < groups.length; i++) b.writeUInt16BE(Number.parseInt(groups[i] || '0', 16), i * 2);
    return b;
  }
  return Buffer.from(ip.split('.').map((x) => Number(x)));
}

function sum16(buf: Buffer, acc = 0): number {
  let s = acc;
  for (let i = 0; i + 1 < buf.length; i += 2) s += buf.readUInt16BE(i);
  if (buf.length & 1) s += buf[buf.length - 1]! << 8;
  return s;
}
function fold(s: number): number {
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

/** TOA option bytes: classic (kind, len=8, port, IPv4) or IPv6 (len 20). */
export function toaOption(kind: number, address: string, port: number): number[] {
  const a = ipToBytes(address);
  return [kind, 4 + a.length, port >> 8, port & 0xff, ...a];
}
/** Alibaba CDN kind 28: (28, 7|19, version, address) */
export function cdnToaOption(address: string): number[] {
  const a = ipToBytes(address);
  return [28, 3 + a.length, a.length === 4 ? 1 : 2, ...a];
}
export const NOP = 1;
export const TS_OPT = [1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2];
export const MSS_OPT = [2, 4, 0x05, 0xb4];

/** The IP packet (no link header). */
export function ipTcp(spec: TcpSpec): Buffer {
  const v6 = spec.src.includes(':');
  let opts = Buffer.from(spec.options ?? []);
  const doff = spec.dataOffset ?? 5 + Math.ceil(opts.length / 4);
  const optArea = (doff - 5) * 4;
  if (opts.length < optArea) opts = Buffer.concat([opts, Buffer.alloc(optArea - opts.length)]);
  const payload =
    typeof spec.payload === 'string' ? Buffer.from(spec.payload) : (spec.payload ?? Buffer.alloc(0));
  const tcp = Buffer.alloc(20 + Math.max(optArea, opts.length) + payload.length);
  tcp.writeUInt16BE(spec.sport, 0);
  tcp.writeUInt16BE(spec.dport, 2);
  tcp.writeUInt32BE((spec.seq ?? 1000) >>> 0, 4);
  tcp.writeUInt32BE((spec.ack ?? 0) >>> 0, 8);
  tcp[12] = (doff & 0xf) << 4;
  let flags = 0;
  for (const c of spec.flags ?? 'A') flags |= FLAG_BITS[c] ?? 0;
  tcp[13] = flags;
  tcp.writeUInt16BE(spec.win ?? 64240, 14);
  opts.copy(tcp, 20);
  payload.copy(tcp, 20 + Math.max(optArea, opts.length));
  const src = ipToBytes(spec.src);
  const dst = ipToBytes(spec.dst);
  const pseudo = Buffer.alloc(v6 ? 40 : 12);
  if (v6) {
    src.copy(pseudo, 0);
    dst.copy(pseudo, 16);
    pseudo.writeUInt32BE(tcp.length, 32);
    pseudo[39] = 6;
  } else {
    src.copy(pseudo, 0);
    dst.copy(pseudo, 4);
    pseudo[9] = 6;
    pseudo.writeUInt16BE(tcp.length, 10);
  }
  let ck = fold(sum16(tcp, sum16(pseudo)));
  if (spec.badChecksum) ck = (ck + 0x1111) & 0xffff;
  tcp.writeUInt16BE(ck, 16);
  if (v6) {
    const ext = spec.ext6 ?? [];
    const extBufs: Buffer[] = [];
    for (let i = 0; i < ext.length; i++) {
      const next = i + 1 < ext.length ? ext[i + 1]! : 6;
      if (ext[i] === 44) {
        const f = Buffer.alloc(8);
        f[0] = next;
        extBufs.push(f);
      } else if (ext[i] === 51) {
        const f = Buffer.alloc(12); // AH: payload len in 4-byte units minus 2 => (12/4)-2 = 1
        f[0] = next;
        f[1] = 1;
        extBufs.push(f);
      } else {
        const f = Buffer.alloc(8);
        f[0] = next;
        f[1] = 0;
        if (ext[i] === 43) f[2] = 0; // routing type
        f[2] = ext[i] === 43 ? 0 : 1; // PadN for options headers
        if (ext[i] !== 43) f[3] = 4;
        extBufs.push(f);
      }
    }
    const extAll = Buffer.concat(extBufs);
    const ip = Buffer.alloc(40);
    ip.writeUInt32BE(0x60000000, 0);
    ip.writeUInt16BE(extAll.length + tcp.length, 4);
    ip[6] = ext.length ? ext[0]! : 6;
    ip[7] = spec.ttl ?? 64;
    src.copy(ip, 8);
    dst.copy(ip, 24);
    return Buffer.concat([ip, extAll, tcp]);
  }
  let ipo = Buffer.from(spec.ipOptions ?? []);
  if (ipo.length % 4) ipo = Buffer.concat([ipo, Buffer.alloc(4 - (ipo.length % 4))]);
  const ip = Buffer.alloc(20 + ipo.length);
  ip[0] = 0x40 | ((20 + ipo.length) / 4);
  ip.writeUInt16BE(ip.length + tcp.length, 2);
  ip.writeUInt16BE(spec.ipId ?? 1, 4);
  ip.writeUInt16BE(
    ((spec.moreFragments ? 1 : 0) << 13) |
      (spec.fragOffset ?? 0) |
      (spec.fragOffset || spec.moreFragments ? 0 : 0x4000),
    6,
  );
  ip[8] = spec.ttl ?? 64;
  ip[9] = 6;
  src.copy(ip, 12);
  dst.copy(ip, 16);
  ipo.copy(ip, 20);
  ip.writeUInt16BE(fold(sum16(ip)), 10);
  return Buffer.concat([ip, tcp]);
}

export type Link = 'en10mb' | 'vlan' | 'qinq' | 'sll' | 'sll2' | 'raw' | 'null' | 'loop' | 'ipv4' | 'ipv6';
export const LINKTYPE: Record<Link, number> = {
  en10mb: 1,
  vlan: 1,
  qinq: 1,
  sll: 113,
  sll2: 276,
  raw: 101,
  null: 0,
  loop: 108,
  ipv4: 228,
  ipv6: 229,
};

/** Wrap an IP packet in a link header. */
export function linkWrap(link: Link, ip: Buffer): Buffer {
  const v6 = ip[0]! >> 4 === 6;
  const etype = v6 ? 0x86dd : 0x0800;
  const macs = Buffer.from([0, 0x16, 0x3e, 0, 0, 1, 0, 0x16, 0x3e, 0, 0, 2]);
  switch (link) {
    case 'en10mb': {
      const h = Buffer.alloc(2);
      h.writeUInt16BE(etype);
      return Buffer.concat([macs, h, ip]);
    }
    case 'vlan':
    case 'qinq': {
      const tags = link === 'vlan' ? [0x8100, 100, etype] : [0x88a8, 200, 0x8100, 100, etype];
      const h = Buffer.alloc(tags.length * 2);
      for (let i = 0; i < tags.length; i++) h.writeUInt16BE(tags[i]!, i * 2);
      return Buffer.concat([macs, h, ip]);
    }
    case 'sll': {
      const h = Buffer.alloc(16);
      h.writeUInt16BE(0, 0); // to us
      h.writeUInt16BE(1, 2);
      h.writeUInt16BE(6, 4);
      macs.copy(h, 6, 0, 6);
      h.writeUInt16BE(etype, 14);
      return Buffer.concat([h, ip]);
    }
    case 'sll2': {
      const h = Buffer.alloc(20);
      h.writeUInt16BE(etype, 0);
      h.writeUInt32BE(2, 4); // ifindex
      h.writeUInt16BE(1, 8);
      h[10] = 0;
      h[11] = 6;
      macs.copy(h, 12, 0, 6);
      return Buffer.concat([h, ip]);
    }
    case 'null':
    case 'loop': {
      const h = Buffer.alloc(4);
      const af = v6 ? 30 : 2; // AF_INET6 value varies (24/28/30); decoders accept all
      if (link === 'null') h.writeUInt32LE(af);
      else h.writeUInt32BE(af);
      return Buffer.concat([h, ip]);
    }
    default:
      return ip;
  }
}

export interface Rec {
  data: Buffer;
  /** seconds (float) */
  ts?: number;
  origLen?: number;
}

/** Classic pcap. */
export function writePcap(
  recs: Rec[],
  opts: { linkType?: number; nano?: boolean; bigEndian?: boolean; snaplen?: number } = {},
): Buffer {
  const be = !!opts.bigEndian;
  const w32 = (b: Buffer, v: number, o: number) =>
    be ? b.writeUInt32BE(v >>> 0, o) : b.writeUInt32LE(v >>> 0, o);
  const w16 = (b: Buffer, v: number, o: number) => (be ? b.writeUInt16BE(v, o) : b.writeUInt16LE(v, o));
  const gh = Buffer.alloc(24);
  w32(gh, opts.nano ? 0xa1b23c4d : 0xa1b2c3d4, 0);
  w16(gh, 2, 4);
  w16(gh, 4, 6);
  w32(gh, opts.snaplen ?? 262144, 16);
  w32(gh, opts.linkType ?? 1, 20);
  const parts: Buffer[] = [gh];
  let t = 1_700_000_000;
  for (const r of recs) {
    t += 0.001;
    const ts = r.ts ?? t;
    const sec = Math.floor(ts);
    const frac = Math.round((ts - sec) * (opts.nano ? 1e9 : 1e6));
    const h = Buffer.alloc(16);
    w32(h, sec, 0);
    w32(h, frac, 4);
    w32(h, r.data.length, 8);
    w32(h, r.origLen ?? r.data.length, 12);
    parts.push(h, r.data);
  }
  return Buffer.concat(parts);
}

function pad4(b: Buffer): Buffer {
  return b.length % 4 ? Buffer.concat([b, Buffer.alloc(4 - (b.length % 4))]) : b;
}
function block(type: number, body: Buffer, be: boolean): Buffer {
  const b = pad4(body);
  const out = Buffer.alloc(12 + b.length);
  const w = (v: number, o: number) => (be ? out.writeUInt32BE(v >>> 0, o) : out.writeUInt32LE(v >>> 0, o));
  w(type, 0);
  w(out.length, 4);
  b.copy(out, 8);
  w(out.length, out.length - 4);
  return out;
}

export interface NgInterface {
  linkType: number;
  snaplen?: number;
  /** if_tsresol byte: 6 = µs (default), 9 = ns, 0x80|n = 2^-n */
  tsresol?: number;
}
export interface NgPacket extends Rec {
  iface?: number;
  /** 'epb' (default), 'spb' (simple packet block), 'pb' (obsolete packet block) */
  kind?: 'epb' | 'spb' | 'pb';
}

/** pcapng: one section (or pass sections to concatenate several). */
export function writePcapng(
  ifaces: NgInterface[],
  pkts: NgPacket[],
  opts: { bigEndian?: boolean; unknownBlocks?: boolean } = {},
): Buffer {
  const be = !!opts.bigEndian;
  const u32 = (v: number) => {
    const b = Buffer.alloc(4);
    if (be) b.writeUInt32BE(v >>> 0);
    else b.writeUInt32LE(v >>> 0);
    return b;
  };
  const u16 = (v: number) => {
    const b = Buffer.alloc(2);
    if (be) b.writeUInt16BE(v);
    else b.writeUInt16LE(v);
    return b;
  };
  const parts: Buffer[] = [];
  // SHB: BOM, major 1, minor 0, section length -1
  parts.push(block(0x0a0d0d0a, Buffer.concat([u32(0x1a2b3c4d), u16(1), u16(0), Buffer.alloc(8, 0xff)]), be));
  for (const i of ifaces) {
    const optsBuf: Buffer[] = [];
    if (i.tsresol !== undefined) optsBuf.push(u16(9), u16(1), pad4(Buffer.from([i.tsresol])));
    if (optsBuf.length) optsBuf.push(u16(0), u16(0));
    parts.push(block(1, Buffer.concat([u16(i.linkType), u16(0), u32(i.snaplen ?? 262144), ...optsBuf]), be));
  }
  if (opts.unknownBlocks) parts.push(block(0x00000bad, Buffer.from('custom-block-data'), be));
  let t = 1_700_000_000;
  for (const p of pkts) {
    t += 0.001;
    const ts = p.ts ?? t;
    const ifc = ifaces[p.iface ?? 0]!;
    const r = ifc.tsresol ?? 6;
    const units = r & 0x80 ? 2 ** (r & 0x7f) : 10 ** r;
    const ticks = BigInt(Math.floor(ts)) * BigInt(units) + BigInt(Math.round((ts - Math.floor(ts)) * units));
    const hi = Number(ticks >> 32n);
    const lo = Number(ticks & 0xffffffffn);
    const kind = p.kind ?? 'epb';
    if (kind === 'spb') {
      parts.push(block(3, Buffer.concat([u32(p.origLen ?? p.data.length), p.data]), be));
    } else if (kind === 'pb') {
      parts.push(
        block(
          2,
          Buffer.concat([
            u16(p.iface ?? 0),
            u16(0),
            u32(hi),
            u32(lo),
            u32(p.data.length),
            u32(p.origLen ?? p.data.length),
            p.data,
          ]),
          be,
        ),
      );
    } else {
      parts.push(
        block(
          6,
          Buffer.concat([
            u32(p.iface ?? 0),
            u32(hi),
            u32(lo),
            u32(p.data.length),
            u32(p.origLen ?? p.data.length),
            p.data,
          ]),
          be,
        ),
      );
    }
  }
  return Buffer.concat(parts);
}

/** A whole TCP handshake (+ optional request/response) between client and server. */
export interface ConnSpec {
  client: string;
  server: string;
  cport: number;
  sport: number;
  synOptions?: number[];
  synAckOptions?: number[];
  ackOptions?: number[];
  dataOptions?: number[];
  request?: string; // client data after the ACK
  response?: string; // server data
  badAckChecksum?: boolean;
  skip?: Array<'syn' | 'synack' | 'ack' | 'data' | 'response' | 'fin'>;
  t0?: number;
}

/** IP packets of one connection in order (client ISN 1000, server ISN 5000). */
export function connection(c: ConnSpec): Array<{ ip: Buffer; ts: number }> {
  const out: Array<{ ip: Buffer; ts: number }> = [];
  const skip = new Set(c.skip ?? []);
  let t = c.t0 ?? 1_700_000_000;
  const push = (name: string, spec: TcpSpec) => {
    t += 0.0005;
    if (!skip.has(name as never)) out.push({ ip: ipTcp(spec), ts: t });
  };
  const base = { src: c.client, dst: c.server, sport: c.cport, dport: c.sport };
  const back = { src: c.server, dst: c.client, sport: c.sport, dport: c.cport };
  push('syn', { ...base, flags: 'S', seq: 1000, options: c.synOptions ?? [...MSS_OPT] });
  push('synack', { ...back, flags: 'SA', seq: 5000, ack: 1001, options: c.synAckOptions ?? [...MSS_OPT] });
  push('ack', {
    ...base,
    flags: 'A',
    seq: 1001,
    ack: 5001,
    options: c.ackOptions ?? [],
    badChecksum: c.badAckChecksum,
  });
  const req = c.request ?? 'GET / HTTP/1.0\r\n\r\n';
  push('data', { ...base, flags: 'PA', seq: 1001, ack: 5001, options: c.dataOptions ?? [], payload: req });
  const resp = c.response ?? 'HTTP/1.0 200 OK\r\n\r\n';
  push('response', { ...back, flags: 'PA', seq: 5001, ack: 1001 + req.length, payload: resp });
  push('fin', { ...base, flags: 'FA', seq: 1001 + req.length, ack: 5001 + resp.length });
  return out;
}

/** Convenience: connections → pcap bytes on a link type. */
export function pcapOf(conns: Array<Array<{ ip: Buffer; ts: number }>>, link: Link = 'en10mb'): Buffer {
  const recs = conns
    .flat()
    .sort((a, b) => a.ts - b.ts)
    .map((p) => ({ data: linkWrap(link, p.ip), ts: p.ts }));
  return writePcap(recs, { linkType: LINKTYPE[link] });
}

/**
 * Put bytes into the IP header of a packet built by ipTcp(): IPv4 options after the fixed header
 * (IHL, total length and header checksum fixed up), or, for IPv6, a destination-options header
 * (`bytes` starts with its own next-header byte; the IPv6 next header becomes 60). The TCP checksum
 * does not cover either, so it stays valid.
 */
export function withIpHeaderBytes(ip: Buffer, bytes: number[]): Buffer {
  const add = Buffer.from(bytes);
  if (ip[0]! >> 4 === 4) {
    const ihl = (ip[0]! & 0x0f) * 4;
    const out = Buffer.concat([ip.subarray(0, ihl), add, ip.subarray(ihl)]);
    out[0] = 0x40 | ((ihl + add.length) / 4);
    out.writeUInt16BE(out.length, 2);
    out.writeUInt16BE(0, 10);
    let sum = 0;
    for (let i = 0; i < ihl + add.length; i += 2) sum += out.readUInt16BE(i);
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
    out.writeUInt16BE(~sum & 0xffff, 10);
    return out;
  }
  const out = Buffer.concat([ip.subarray(0, 40), add, ip.subarray(40)]);
  out[6] = 60;
  out.writeUInt16BE(out.length - 40, 4);
  return out;
}

/** TTGW IPv4 option 31 (16 bytes): operation 0, client port/IPv4, VIP port/IPv4 */
export function ttgwIp4Option(client: string, cport: number, vip: string, vport: number): number[] {
  return [
    31,
    16,
    0,
    0,
    cport >> 8,
    cport & 0xff,
    vport >> 8,
    vport & 0xff,
    ...ipToBytes(client),
    ...ipToBytes(vip),
  ];
}

/** TTGW IPv6 destination-options header (16 bytes) carrying an IPv4 client: next header TCP */
export function ttgwIp6DstOption(client: string, cport: number, vip: string, vport: number): number[] {
  return [
    6,
    1,
    31,
    12,
    cport >> 8,
    cport & 0xff,
    vport >> 8,
    vport & 0xff,
    ...ipToBytes(client),
    ...ipToBytes(vip),
  ];
}
