/**
 * Generated capture pairs for compare tests: one logical connection becomes the packets seen at A
 * and the packets seen at B (front: client → VIP at A, LB → RS with TOA at B; path: the same
 * LB → RS connection at two hops). Each test says exactly which bytes differ between the points.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ipTcp, LINKTYPE, linkWrap, MSS_OPT, TS_OPT, toaOption, writePcap } from '../helpers/packets.js';

export type PacketName = 'syn' | 'synack' | 'ack' | 'data' | 'response' | 'fin';

export interface LegSpec {
  client: string;
  cport: number;
  server: string;
  sport: number;
  /** client ISN (default 1000) and server ISN (default 5000) */
  isn?: number;
  serverIsn?: number;
  t0: number;
  synOptions?: number[];
  ackOptions?: number[];
  dataOptions?: number[];
  request?: string;
  skip?: PacketName[];
  /** corrupt the checksum of these packets */
  bad?: PacketName[];
}

export type Pkt = { ip: Buffer; ts: number };

/** the packets of one connection at one point, 0.5 ms apart */
export function leg(s: LegSpec): Pkt[] {
  const out: Pkt[] = [];
  const skip = new Set(s.skip ?? []);
  const bad = new Set(s.bad ?? []);
  const isn = s.isn ?? 1000;
  const sisn = s.serverIsn ?? 5000;
  const req = s.request ?? 'GET / HTTP/1.1\r\nHost: example\r\n\r\n';
  const resp = 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n';
  let t = s.t0;
  const c = { src: s.client, dst: s.server, sport: s.cport, dport: s.sport };
  const r = { src: s.server, dst: s.client, sport: s.sport, dport: s.cport };
  const push = (name: PacketName, spec: Parameters<typeof ipTcp>[0]) => {
    if (!skip.has(name)) out.push({ ip: ipTcp({ ...spec, badChecksum: bad.has(name) }), ts: t });
    t += 0.0005;
  };
  push('syn', { ...c, flags: 'S', seq: isn, options: s.synOptions ?? [...MSS_OPT, 1, 1, 4, 2] });
  push('synack', { ...r, flags: 'SA', seq: sisn, ack: isn + 1, options: [...MSS_OPT] });
  push('ack', { ...c, flags: 'A', seq: isn + 1, ack: sisn + 1, options: s.ackOptions ?? [...TS_OPT] });
  push('data', {
    ...c,
    flags: 'PA',
    seq: isn + 1,
    ack: sisn + 1,
    options: s.dataOptions ?? [...TS_OPT],
    payload: req,
  });
  push('response', { ...r, flags: 'PA', seq: sisn + 1, ack: isn + 1 + req.length, payload: resp });
  push('fin', { ...c, flags: 'FA', seq: isn + 1 + req.length, ack: sisn + 1 + resp.length });
  return out;
}

export function pcap(pkts: Pkt[]): Buffer {
  const recs = [...pkts]
    .sort((a, b) => a.ts - b.ts)
    .map((p) => ({ data: linkWrap('en10mb', p.ip), ts: p.ts }));
  return writePcap(recs, { linkType: LINKTYPE.en10mb });
}

export function writePair(dir: string, name: string, a: Pkt[], b: Pkt[]): { a: string; b: string } {
  const pa = join(dir, `${name}-a.pcap`);
  const pb = join(dir, `${name}-b.pcap`);
  writeFileSync(pa, pcap(a));
  writeFileSync(pb, pcap(b));
  return { a: pa, b: pb };
}

/** TOA (kind 200/8, or 253/20 for IPv6) followed by timestamps, as an LB inserts it (first) */
export function withToa(client: string, cport: number, kind = client.includes(':') ? 253 : 200): number[] {
  return [...toaOption(kind, client, cport), ...TS_OPT];
}

export const VIP = '198.18.0.10';
export const RS = '10.0.1.5';
export const LB = '10.0.0.7';
export const VIP6 = '2001:db8:100::10';
export const RS6 = '2001:db8:2::5';
export const LB6 = '2001:db8:1::7';

export interface FrontConn {
  client: string;
  cport: number;
  /** LB local port toward the RS */
  lport: number;
  t0: number;
  /** B's ISN (default: the same as A's: the LB keeps it) */
  bIsn?: number;
  isn?: number;
  request?: string;
  /** what the LB puts in B's TOA: the client (default), another address, or nothing */
  toa?: { address: string; port: number } | null;
  /** B's clock minus A's (seconds) plus the LB's delay */
  offset: number;
  bSkip?: PacketName[];
  aSkip?: PacketName[];
  v6?: boolean;
}

/** one connection in front mode: A client → VIP:80 (no TOA), B LB → RS:8080 (TOA on ACK and data) */
export function front(c: FrontConn): { a: Pkt[]; b: Pkt[] } {
  const vip = c.v6 ? VIP6 : VIP;
  const rs = c.v6 ? RS6 : RS;
  const lb = c.v6 ? LB6 : LB;
  const a = leg({
    client: c.client,
    cport: c.cport,
    server: vip,
    sport: 80,
    t0: c.t0,
    isn: c.isn,
    request: c.request,
    skip: c.aSkip,
  });
  const t = c.toa === undefined ? { address: c.client, port: c.cport } : c.toa;
  const opt = t ? withToa(t.address, t.port) : [...TS_OPT];
  const b = leg({
    client: lb,
    cport: c.lport,
    server: rs,
    sport: 8080,
    t0: c.t0 + c.offset,
    isn: c.bIsn ?? c.isn,
    serverIsn: 90000,
    request: c.request,
    ackOptions: opt,
    dataOptions: opt,
    skip: c.bSkip,
  });
  return { a, b };
}
