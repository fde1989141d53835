/**
 * Live capture rate probe (for `npm run bench`): inside two network namespaces created for the
 * purpose, a small C sender (AF_PACKET + sendmmsg, compiled on the fly) injects TOA handshakes at
 * increasing rates on a veth pair while `toa-doctor live --engine E -c N` captures on the other
 * end; the highest rate at which every packet was analysed and the kernel dropped none is the
 * engine's zero-loss rate. Frames go to a MAC nobody owns, so the receiving kernel drops them right
 * after the capture taps: the probe measures capture + analysis, not the TCP stack.
 *
 *   node dist/capture/live/rate-probe.js [--engines cap,tcpdump] [--rates 50000,100000] [--seconds 3]
 *                                        [--live-args '--buffer 256']
 *
 * Needs root, iproute2, a C compiler and tcpdump/libpcap; otherwise every engine is reported as
 * skipped with the reason. Traffic exists only inside the namespaces, which are always deleted.
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { EngineName } from './engine.js';

export interface RateStep {
  engine: EngineName;
  targetPps: number;
  /** what the sender achieved (a busy machine may not reach the target) */
  sentPps: number;
  sent: number;
  /** packets the analyzer saw */
  analysed: number;
  /** kernel drops reported by the engine (null: the cap engine cannot tell) */
  kernelDrops: number | null;
  lost: number;
  zeroLoss: boolean;
  /** live's own CPU seconds are not measured; wall time of the capture run */
  seconds: number;
}

export interface EngineRate {
  /** highest achieved send rate with zero loss, or null when none */
  maxZeroLossPps: number | null;
  steps: RateStep[];
  skipped?: string;
}

export interface LiveRateResult {
  engines: Partial<Record<EngineName, EngineRate>>;
  frames: { flows: number; perFlow: number; bytesAvg: number };
  loadAverage: number[];
  notes: string[];
}

export interface RateProbeOptions {
  engines?: EngineName[];
  rates?: number[];
  /** seconds of traffic per step */
  seconds?: number;
  /** stop raising the rate after this many lossy steps in a row (default 1) */
  lossyStepsToStop?: number;
  log?: (line: string) => void;
  /** the toa-doctor executable (default bin/toa-doctor.js of this package) */
  bin?: string;
  /** extra arguments for `toa-doctor live` (e.g. ['--buffer', '256']) */
  liveArgs?: string[];
}

export const DEFAULT_RATES = [50_000, 100_000, 150_000, 200_000, 250_000, 300_000, 400_000];

const CLIENT_MAC = '02:7a:0d:00:01:0a';
const SERVER_MAC = '02:7a:0d:00:01:0b';
/** destination MAC of the injected frames: owned by no interface */
const OTHER_MAC = '02:7a:0d:00:01:ff';

const FLOOD_C = String.raw`
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#define BATCH 32
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }
int main(int argc, char **argv) {
  if (argc < 5) { fprintf(stderr, "usage: flood IFACE RATE COUNT FRAMES\n"); return 2; }
  const char *ifname = argv[1]; double rate = atof(argv[2]); long count = atol(argv[3]);
  FILE *f = fopen(argv[4], "rb"); if (!f) { perror("frames"); return 2; }
  static unsigned char data[64 << 20]; size_t n = fread(data, 1, sizeof data, f); fclose(f);
  static unsigned char *fr[1 << 20]; static unsigned short fl[1 << 20]; int nf = 0;
  for (size_t p = 0; p + 2 <= n && nf < (1 << 20);) { unsigned short l = data[p] << 8 | data[p + 1]; fr[nf] = data + p + 2; fl[nf] = l; nf++; p += 2 + l; }
  if (!nf) { fprintf(stderr, "no frames\n"); return 2; }
  int s = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL)); if (s < 0) { perror("socket"); return 2; }
  int sndbuf = 8 << 20; setsockopt(s, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof sndbuf);
  int one = 1; setsockopt(s, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof one);
  struct sockaddr_ll sll; memset(&sll, 0, sizeof sll); sll.sll_family = AF_PACKET; sll.sll_protocol = htons(ETH_P_ALL);
  sll.sll_ifindex = if_nametoindex(ifname); if (!sll.sll_ifindex) { perror("ifindex"); return 2; }
  if (bind(s, (struct sockaddr *)&sll, sizeof sll) < 0) { perror("bind"); return 2; }
  struct mmsghdr msgs[BATCH]; struct iovec iov[BATCH]; memset(msgs, 0, sizeof msgs);
  double t0 = now(); long sent = 0, idx = 0;
  while (sent < count) {
    int b = count - sent < BATCH ? (int)(count - sent) : BATCH;
    if (rate > 0) {
      double due = t0 + (sent + b) / rate, left = due - now();
      if (left > 0.0003) { struct timespec ts = {0, (long)((left - 0.0002) * 1e9)}; nanosleep(&ts, 0); }
      while (now() < due) { }
    }
    for (int i = 0; i < b; i++) { long k = idx++ % nf; iov[i].iov_base = fr[k]; iov[i].iov_len = fl[k]; msgs[i].msg_hdr.msg_iov = &iov[i]; msgs[i].msg_hdr.msg_iovlen = 1; }
    int done = 0;
    while (done < b) { int r = sendmmsg(s, msgs + done, b - done, 0); if (r < 0) { usleep(20); continue; } done += r; }
    sent += b;
  }
  double el = now() - t0;
  printf("{\"sent\":%ld,\"seconds\":%.6f,\"pps\":%.0f}\n", sent, el, sent / el);
  return 0;
}
`;

function sum16(b: Buffer, start: number, end: number, acc: number): number {
  let s = acc;
  let i = start;
  for (; i + 1 < end; i += 2) s += b.readUInt16BE(i);
  if (i < end) s += b[i]! << 8;
  return s;
}
function fold(s: number): number {
  let x = s;
  while (x > 0xffff) x = (x & 0xffff) + (x >>> 16);
  return ~x & 0xffff;
}
function mac(m: string): Buffer {
  return Buffer.from(m.split(':').map((x) => Number.parseInt(x, 16)));
}

/** One Ethernet/IPv4/TCP frame with correct checksums. */
function frame(
  src: number[],
  dst: number[],
  sport: number,
  dport: number,
  seq: number,
  ack: number,
  flags: number,
  options: number[],
  payload: number,
): Buffer {
  const optLen = (options.length + 3) & ~3;
  const tcpLen = 20 + optLen + payload;
  const b = Buffer.alloc(14 + 20 + tcpLen);
  mac(OTHER_MAC).copy(b, 0);
  mac(CLIENT_MAC).copy(b, 6);
  b.writeUInt16BE(0x0800, 12);
  const ip = 14;
  b[ip] = 0x45;
  b.writeUInt16BE(20 + tcpLen, ip + 2);
  b.writeUInt16BE(0x4000, ip + 6);
  b[ip + 8] = 64;
  b[ip + 9] = 6;
  Buffer.from(src).copy(b, ip + 12);
  Buffer.from(dst).copy(b, ip + 16);
  b.writeUInt16BE(fold(sum16(b, ip, ip + 20, 0)), ip + 10);
  const t = ip + 20;
  b.writeUInt16BE(sport, t);
  b.writeUInt16BE(dport, t + 2);
  b.writeUInt32BE(seq >>> 0, t + 4);
  b.writeUInt32BE(ack >>> 0, t + 8);
  b[t + 12] = ((20 + optLen) / 4) << 4;
  b[t + 13] = flags;
  b.writeUInt16BE(64240, t + 14);
  Buffer.from(options).copy(b, t + 20);
  b.fill(0x41, t + 20 + optLen);
  let s = sum16(b, ip + 12, ip + 20, 0) + 6 + tcpLen;
  s = sum16(b, t, t + tcpLen, s);
  b.writeUInt16BE(fold(s), t + 16);
  return b;
}

/**
 * Frames of `flows` TOA connections, 5 frames each (SYN, SYN-ACK, ACK+TOA, data+TOA, FIN),
 * interleaved so the flow table holds many flows at once. Returns the sender's file format
 * (u16 length + bytes per frame) and the frame count.
 */
export function probeFrames(flows = 20_000): { file: Buffer; frames: number; bytes: number } {
  const parts: Buffer[] = [];
  let bytes = 0;
  const perFlow: Buffer[][] = [];
  for (let i = 0; i < flows; i++) {
    const client = [198, 18, 100 + ((i >> 14) & 0x3f), 1 + (i & 0xff)];
    const server = [198, 18, 200, 1 + ((i >> 8) & 0x3f)];
    const cport = 10000 + (i % 50000);
    const isn = (i * 7919) >>> 0;
    const sisn = (i * 104729) >>> 0;
    const toa = [254, 8, (cport >> 8) & 0xff, cport & 0xff, 203, 0, 113, 1 + (i % 250)];
    perFlow.push([
      frame(client, server, cport, 80, isn, 0, 0x02, [2, 4, 5, 180], 0),
      frame(server, client, 80, cport, sisn, isn + 1, 0x12, [2, 4, 5, 180], 0),
      frame(client, server, cport, 80, isn + 1, sisn + 1, 0x10, toa, 0),
      frame(client, server, cport, 80, isn + 1, sisn + 1, 0x18, toa, 64),
      frame(client, server, cport, 80, isn + 65, sisn + 1, 0x11, [], 0),
    ]);
  }
  // interleave: step k of flow i comes after step k of the previous 64 flows
  const group = 64;
  for (let g = 0; g < flows; g += group)
    for (let k = 0; k < 5; k++)
      for (let i = g; i < Math.min(flows, g + group); i++) {
        const f = perFlow[i]![k]!;
        const h = Buffer.alloc(2);
        h.writeUInt16BE(f.length);
        parts.push(h, f);
        bytes += f.length;
      }
  return { file: Buffer.concat(parts), frames: flows * 5, bytes };
}

function have(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

function run(cmd: string, args: string[]): void {
  execFileSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

interface Bed {
  a: string;
  b: string;
  tmp: string;
  flood: string;
  framesPath: string;
  children: Set<ChildProcess>;
}

function destroy(bed: Bed): void {
  for (const c of bed.children) if (c.exitCode === null && c.pid) c.kill('SIGKILL');
  for (const ns of [bed.a, bed.b]) spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
  rmSync(bed.tmp, { recursive: true, force: true });
}

function setup(frames: Buffer): Bed {
  const id = `toad-rate-${process.pid}`;
  const tmp = mkdtempSync(join(tmpdir(), `${id}-`));
  const bed: Bed = {
    a: `${id}a`,
    b: `${id}b`,
    tmp,
    flood: join(tmp, 'flood'),
    framesPath: join(tmp, 'frames.bin'),
    children: new Set(),
  };
  try {
    writeFileSync(join(tmp, 'flood.c'), FLOOD_C);
    run('cc', ['-O2', '-o', bed.flood, join(tmp, 'flood.c')]);
    writeFileSync(bed.framesPath, frames);
    run('ip', ['netns', 'add', bed.a]);
    run('ip', ['netns', 'add', bed.b]);
    run('ip', [
      'link',
      'add',
      'name',
      'toad-c',
      'netns',
      bed.a,
      'address',
      CLIENT_MAC,
      'type',
      'veth',
      'peer',
      'name',
      'toad-s',
      'netns',
      bed.b,
      'address',
      SERVER_MAC,
    ]);
    run('ip', ['-n', bed.a, 'link', 'set', 'toad-c', 'up']);
    run('ip', ['-n', bed.b, 'link', 'set', 'toad-s', 'up']);
    run('ip', ['-n', bed.b, 'addr', 'add', '198.18.0.2/24', 'dev', 'toad-s']);
    return bed;
  } catch (e) {
    destroy(bed);
    throw e;
  }
}

function spawnIn(bed: Bed, ns: string, cmd: string, args: string[]): ChildProcess {
  const c = spawn('ip', ['netns', 'exec', ns, cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  bed.children.add(c);
  c.on('exit', () => bed.children.delete(c));
  return c;
}

function collect(c: ChildProcess): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    let out = '';
    let err = '';
    c.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
    });
    c.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
    });
    c.on('close', (code) => resolve({ code, out, err }));
  });
}

async function step(
  bed: Bed,
  bin: string,
  engine: EngineName,
  rate: number,
  seconds: number,
  liveArgs: string[],
): Promise<RateStep> {
  const count = Math.round(rate * seconds);
  const live = spawnIn(bed, bed.b, process.execPath, [
    bin,
    'live',
    'toad-s',
    '--engine',
    engine,
    '--json',
    '--no-host-poll',
    '-c',
    String(count),
    '--duration',
    String(Math.ceil(seconds * 6 + 10)),
    ...liveArgs,
  ]);
  const liveDone = collect(live);
  await new Promise<void>((resolve, reject) => {
    let err = '';
    const onData = (d: Buffer) => {
      err += d.toString();
      if (/capturing on /.test(err)) {
        live.stderr!.off('data', onData);
        resolve();
      }
    };
    live.stderr!.on('data', onData);
    live.on('exit', (code) => reject(new Error(`live exited (${code}) before capturing: ${err.trim()}`)));
  });
  const t0 = Date.now();
  const sender = await collect(
    spawnIn(bed, bed.a, bed.flood, ['toad-c', String(rate), String(count), bed.framesPath]),
  );
  if (sender.code !== 0) throw new Error(`sender failed: ${sender.err.trim()}`);
  const sent = JSON.parse(sender.out.trim()) as { sent: number; seconds: number; pps: number };
  // all sent: give the capture a moment for the tail, then stop it (if -c has not already)
  await new Promise((r) => setTimeout(r, 1500));
  if (live.exitCode === null) live.kill('SIGINT');
  const r = await liveDone;
  const end = r.out
    .split('\n')
    .filter((l) => l.startsWith('{"event":"end"'))
    .map((l) => JSON.parse(l) as { analysed: number; kernelDrops: number | null })[0];
  if (!end) throw new Error(`live gave no end event (exit ${r.code}): ${r.err.trim().split('\n').pop()}`);
  const lost = Math.max(0, sent.sent - end.analysed);
  return {
    engine,
    targetPps: rate,
    sentPps: Math.round(sent.pps),
    sent: sent.sent,
    analysed: end.analysed,
    kernelDrops: end.kernelDrops,
    lost,
    zeroLoss: lost === 0 && !end.kernelDrops,
    seconds: (Date.now() - t0) / 1000,
  };
}

/** Why the probe cannot run here, or null. */
export function rateProbeUnavailable(): string | null {
  if (process.platform !== 'linux') return 'needs Linux network namespaces';
  if (process.getuid?.() !== 0) return 'needs root (network namespaces, raw sockets)';
  if (!have('ip')) return 'needs iproute2 (ip)';
  if (!have('cc')) return 'needs a C compiler (cc) for the packet sender';
  return null;
}

export async function runLiveRateProbe(opts: RateProbeOptions = {}): Promise<LiveRateResult> {
  const { loadavg } = await import('node:os');
  const engines = opts.engines ?? ['tcpdump', 'cap'];
  const rates = [...(opts.rates ?? DEFAULT_RATES)].sort((a, b) => a - b);
  const seconds = opts.seconds ?? 3;
  const log = opts.log ?? (() => undefined);
  const bin = opts.bin ?? fileURLToPath(new URL('../../../bin/toa-doctor.js', import.meta.url));
  const flows = 20_000;
  const frames = probeFrames(flows);
  const result: LiveRateResult = {
    engines: {},
    frames: { flows, perFlow: 5, bytesAvg: Math.round(frames.bytes / frames.frames) },
    loadAverage: loadavg(),
    notes: [],
  };
  const unavailable = rateProbeUnavailable();
  if (unavailable) {
    for (const e of engines) result.engines[e] = { maxZeroLossPps: null, steps: [], skipped: unavailable };
    return result;
  }
  const bed = setup(frames.file);
  const cleanup = () => destroy(bed);
  process.once('exit', cleanup);
  try {
    for (const engine of engines) {
      if (engine === 'tcpdump' && !have('tcpdump')) {
        result.engines[engine] = { maxZeroLossPps: null, steps: [], skipped: 'tcpdump is not installed' };
        continue;
      }
      const er: EngineRate = { maxZeroLossPps: null, steps: [] };
      result.engines[engine] = er;
      let lossy = 0;
      for (const rate of rates) {
        let s: RateStep;
        try {
          s = await step(bed, bin, engine, rate, seconds, opts.liveArgs ?? []);
        } catch (e) {
          er.skipped = (e as Error).message;
          break;
        }
        er.steps.push(s);
        log(
          `live ${engine.padEnd(7)} target ${String(rate).padStart(7)} pps: sent ${String(s.sentPps).padStart(7)} pps, ` +
            `analysed ${s.analysed}/${s.sent}, kernel drops ${s.kernelDrops ?? 'n/a'}${s.zeroLoss ? '' : '  LOSS'}`,
        );
        if (s.zeroLoss) {
          er.maxZeroLossPps = Math.max(er.maxZeroLossPps ?? 0, s.sentPps);
          lossy = 0;
        } else if (++lossy >= (opts.lossyStepsToStop ?? 1)) break;
        if (s.sentPps < rate * 0.9)
          result.notes.push(
            `${engine} @ ${rate}: the sender reached only ${s.sentPps} pps (CPU shared with the capture on this machine)`,
          );
      }
    }
  } finally {
    process.removeListener('exit', cleanup);
    cleanup();
  }
  result.loadAverage = loadavg();
  return result;
}

async function main(argv: string[]): Promise<void> {
  const arg = (name: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const engines = arg('--engines')?.split(',') as EngineName[] | undefined;
  const rates = arg('--rates')
    ?.split(',')
    .map((x) => Number(x));
  const seconds = arg('--seconds') ? Number(arg('--seconds')) : undefined;
  const liveArgs = arg('--live-args')?.split(' ').filter(Boolean);
  const res = await runLiveRateProbe({
    engines,
    rates,
    seconds,
    liveArgs,
    log: (l) => process.stderr.write(`${l}\n`),
  });
  process.stdout.write(`${JSON.stringify(res, null, 2)}\n`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).catch((e: Error) => {
    process.stderr.write(`rate-probe: ${e.message}\n`);
    process.exit(1);
  });
}
