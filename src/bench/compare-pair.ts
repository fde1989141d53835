/**
 * The capture pair for the `compare` bench row: N connections seen in front of an LB (A: client →
 * VIP:80, no TOA) and at the backend (B: LB → RS:8080, full NAT), 6 packets each side. B's clock is
 * 2.5 s ahead, the LB rewrites the client ISN (so ISN is no clue), half the connections send the
 * same request (so the payload is often no clue either); 97% carry the right TOA (200/8) on the
 * handshake ACK and first data, 2% none, 1% a wrong address. Connections start 100 µs apart.
 *
 *   node dist/bench/compare-pair.js [--connections N] [--dir DIR]    (generate, then time the CLI)
 */
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, statSync, writeSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const COMPARE_PAIR_VERSION = 1;
const T0 = 1_736_935_200;
const VIP = [198, 18, 0, 10];
const LB = [10, 0, 0, 7];
const RS = [10, 0, 1, 5];

export interface ComparePairFiles {
  a: string;
  b: string;
  connections: number;
  packets: number;
  bytes: number;
  generated: boolean;
}

function csum(buf: Buffer, from: number, to: number, acc: number): number {
  let s = acc;
  for (let i = from; i + 1 < to; i += 2) s += (buf[i]! << 8) | buf[i + 1]!;
  if ((to - from) & 1) s += buf[to - 1]! << 8;
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

class PcapOut {
  private buf = Buffer.alloc(8 << 20);
  private n = 0;
  bytes = 0;
  packets = 0;
  constructor(private readonly fd: number) {
    const h = Buffer.alloc(24);
    h.writeUInt32LE(0xa1b2c3d4, 0);
    h.writeUInt16LE(2, 4);
    h.writeUInt16LE(4, 6);
    h.writeUInt32LE(262144, 16);
    h.writeUInt32LE(1, 20);
    writeSync(fd, h);
    this.bytes = 24;
  }
  /** one Ethernet/IPv4/TCP packet */
  tcp(
    ts: number,
    src: number[],
    dst: number[],
    sport: number,
    dport: number,
    seq: number,
    ack: number,
    flags: number,
    opts: number[],
    payload: Buffer | null,
  ): void {
    const optLen = (opts.length + 3) & ~3;
    const plen = payload?.length ?? 0;
    const ipLen = 20 + 20 + optLen + plen;
    const rec = 16 + 14 + ipLen;
    if (this.n + rec > this.buf.length) this.flush();
    const b = this.buf;
    let o = this.n;
    const sec = Math.floor(ts);
    b.writeUInt32LE(sec, o);
    b.writeUInt32LE(Math.round((ts - sec) * 1e6), o + 4);
    b.writeUInt32LE(14 + ipLen, o + 8);
    b.writeUInt32LE(14 + ipLen, o + 12);
    o += 16;
    b.fill(0, o, o + 12);
    b[o + 1] = 1;
    b[o + 7] = 2;
    b.writeUInt16BE(0x0800, o + 12);
    o += 14;
    const ip = o;
    b[ip] = 0x45;
    b[ip + 1] = 0;
    b.writeUInt16BE(ipLen, ip + 2);
    b.writeUInt32BE(0x40000000, ip + 4);
    b[ip + 8] = 64;
    b[ip + 9] = 6;
    b.writeUInt16BE(0, ip + 10);
    for (let i = 0; i < 4; i++) {
      b[ip + 12 + i] = src[i]!;
      b[ip + 16 + i] = dst[i]!;
    }
    b.writeUInt16BE(csum(b, ip, ip + 20, 0), ip + 10);
    const t = ip + 20;
    b.writeUInt16BE(sport, t);
    b.writeUInt16BE(dport, t + 2);
    b.writeUInt32BE(seq >>> 0, t + 4);
    b.writeUInt32BE(ack >>> 0, t + 8);
    b[t + 12] = ((20 + optLen) / 4) << 4;
    b[t + 13] = flags;
    b.writeUInt16BE(64240, t + 14);
    b.writeUInt32BE(0, t + 16);
    b.fill(0, t + 20, t + 20 + optLen);
    for (let i = 0; i < opts.length; i++) b[t + 20 + i] = opts[i]!;
    if (payload) payload.copy(b, t + 20 + optLen);
    const tl = 20 + optLen + plen;
    let ps = 0;
    for (let i = 0; i < 8; i += 2) ps += (b[ip + 12 + i]! << 8) | b[ip + 13 + i]!;
    ps += 6 + tl;
    b.writeUInt16BE(csum(b, t, t + tl, ps), t + 16);
    this.n = t + tl;
    this.packets++;
  }
  flush(): void {
    writeSync(this.fd, this.buf, 0, this.n);
    this.bytes += this.n;
    this.n = 0;
  }
}

const SYN = 0x02;
const ACK = 0x10;
const PSH = 0x08;
const FIN = 0x01;
const MSS = [2, 4, 5, 0xb4, 1, 1, 4, 2];
const TS = [1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2];

function conn(
  out: PcapOut,
  t0: number,
  c: number[],
  cport: number,
  s: number[],
  sport: number,
  isn: number,
  ackOpts: number[],
  req: Buffer,
): void {
  const resp = Buffer.from('HTTP/1.1 200 OK\r\n\r\n');
  const sisn = (isn * 7 + 12345) >>> 0;
  out.tcp(t0, c, s, cport, sport, isn, 0, SYN, MSS, null);
  out.tcp(t0 + 0.0001, s, c, sport, cport, sisn, isn + 1, SYN | ACK, MSS.slice(0, 4), null);
  out.tcp(t0 + 0.0002, c, s, cport, sport, isn + 1, sisn + 1, ACK, ackOpts, null);
  out.tcp(t0 + 0.0003, c, s, cport, sport, isn + 1, sisn + 1, ACK | PSH, ackOpts, req);
  out.tcp(t0 + 0.0005, s, c, sport, cport, sisn + 1, isn + 1 + req.length, ACK | PSH, TS, resp);
  out.tcp(t0 + 0.0006, c, s, cport, sport, isn + 1 + req.length, sisn + 1 + resp.length, ACK | FIN, TS, null);
}

/** write (or reuse) bench-compare-<n>-{a,b}.pcap in dir */
export function ensureComparePair(dir: string, n: number): ComparePairFiles {
  mkdirSync(dir, { recursive: true });
  const a = join(dir, `bench-compare-${n}-v${COMPARE_PAIR_VERSION}-a.pcap`);
  const b = join(dir, `bench-compare-${n}-v${COMPARE_PAIR_VERSION}-b.pcap`);
  const packets = n * 12;
  if (existsSync(a) && existsSync(b))
    return { a, b, connections: n, packets, bytes: statSync(a).size + statSync(b).size, generated: false };
  const fa = openSync(a, 'w');
  const fb = openSync(b, 'w');
  const oa = new PcapOut(fa);
  const ob = new PcapOut(fb);
  const same = Buffer.from('GET / HTTP/1.1\r\nHost: shop\r\n\r\n');
  for (let i = 0; i < n; i++) {
    const client = [100 + ((i >>> 16) & 63), (i >>> 8) & 255, i & 255, 1 + (i % 250)];
    const cport = 1024 + ((i * 7919) % 60000);
    const lport = 1024 + (i % 64000);
    const lb = [LB[0]!, LB[1]!, (i >>> 16) & 255, LB[3]! + ((i >>> 14) & 3)];
    const t = T0 + i * 0.0001;
    const isnA = (Math.imul(i + 1, 2654435761) >>> 0) & 0x7fffffff;
    const isnB = (isnA ^ 0x13572468) >>> 0;
    const req = i % 2 ? same : Buffer.from(`GET /item/${i} HTTP/1.1\r\nHost: shop\r\n\r\n`);
    const r = i % 100;
    const toaAddr = r === 0 ? [100, 64, 0, 9] : client;
    const toa = r === 1 || r === 2 ? [] : [200, 8, cport >> 8, cport & 255, ...toaAddr];
    conn(oa, t, client, cport, VIP, 80, isnA, TS, req);
    conn(ob, t + 2.5 + 0.0002 + (i % 5) * 0.00001, lb, lport, RS, 8080, isnB, [...toa, ...TS], req);
  }
  oa.flush();
  ob.flush();
  closeSync(fa);
  closeSync(fb);
  return {
    a,
    b,
    connections: n,
    packets: oa.packets + ob.packets,
    bytes: oa.bytes + ob.bytes,
    generated: true,
  };
}

function main(argv: string[]): void {
  let n = 100_000;
  let dir = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bench-out');
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--connections') n = Math.max(1, Number(argv[++i]) || n);
    else if (argv[i] === '--dir') dir = resolve(argv[++i] ?? dir);
  }
  const t0 = Date.now();
  const f = ensureComparePair(dir, n);
  process.stdout.write(
    `pair: ${f.connections} connections per side, ${f.packets} packets, ${(f.bytes / 1e6).toFixed(1)} MB${f.generated ? ` (generated in ${((Date.now() - t0) / 1000).toFixed(1)} s)` : ' (cached)'}\n`,
  );
  const bin = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'toa-doctor.js');
  const gnu = existsSync('/usr/bin/time');
  const args = [process.execPath, bin, 'compare', '--json', f.a, f.b];
  const start = process.hrtime.bigint();
  const r = gnu
    ? spawnSync('/usr/bin/time', ['-v', ...args], { encoding: 'utf8', maxBuffer: 2 ** 31 })
    : spawnSync(args[0]!, args.slice(1), { encoding: 'utf8', maxBuffer: 2 ** 31 });
  const wall = Number(process.hrtime.bigint() - start) / 1e9;
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr ?? '');
  const cpu = /User time \(seconds\): ([\d.]+)[\s\S]*System time \(seconds\): ([\d.]+)/.exec(r.stderr ?? '');
  let summary = '';
  try {
    const doc = JSON.parse(r.stdout) as {
      summary: Record<string, unknown>;
      matching: Record<string, unknown>;
    };
    summary = `${JSON.stringify(doc.summary)} ${JSON.stringify(doc.matching).slice(0, 200)}`;
  } catch {
    summary = `(no JSON: exit ${r.status}) ${(r.stderr ?? '').slice(-300)}`;
  }
  process.stdout.write(
    `toa-doctor compare --json: exit ${r.status}, wall ${wall.toFixed(2)} s` +
      `${cpu ? `, cpu ${(Number(cpu[1]) + Number(cpu[2])).toFixed(2)} s` : ''}` +
      `${rss ? `, peak RSS ${(Number(rss[1]) / 1024).toFixed(0)} MB` : ''}, JSON ${(r.stdout.length / 1e6).toFixed(1)} MB\n${summary}\n`,
  );
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url))
  main(process.argv.slice(2));
