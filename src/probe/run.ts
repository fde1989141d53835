/**
 * `toa-doctor probe`: measure which TOA variants, on which packets, the TOA reader of this host
 * (kernel module or eBPF) turns into the address getpeername() returns.
 *
 *   1. load bpf/toa-insert.bpf.o and attach it to a fresh cgroup (src/probe/bpf.ts)
 *   2. listen on an ephemeral port of 127.0.0.1 (or `::`, dual stack, with ipv6Listener)
 *   3. start a client process, move it into the cgroup, and for each (variant, placement) set the
 *      inserter's config and make one connection; the kernel writes the option into the client's
 *      packets (like a full-NAT LB would), the server accepts and reads getpeername()
 *   4. compare the peer with the address in the option; remove everything
 *
 * Only loopback connections to the probe's own port; the application's port is never touched.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import type { ToaVariantRow } from '../decode/toa.js';
import { formatEndpoint } from '../decode/toa.js';
import { BpfSession, checkBpfHost } from './bpf.js';
import {
  buildOption,
  clientVariants,
  encodeInserterConfig,
  INS_MODE,
  PKT,
  type Placement,
  PROBE_CLIENT,
  parsePlacement,
  variantLabel,
} from './config.js';
import { helperScript, JsonLines } from './lines.js';
import { getsockopt4096, type Nat64Answer } from './nat64.js';

/** One row of toa-doctor/probe@1 results (exactly these keys). */
export interface ProbeResult {
  variant: string;
  packet: string;
  /** what getpeername() returned on the accepted socket */
  peer: string;
  /** the client address (and port) the option carried */
  expected: string;
  rewritten: boolean;
}

/** Facts the findings need that the JSON row does not carry. */
export interface ProbeObservation extends ProbeResult {
  variantId: string;
  family: 'ipv4' | 'ipv6';
  /** the option went out (false: the inserter had no room, e.g. 249/40 beside timestamps) */
  sent: boolean;
  /** getpeername() returned something other than the real peer (rewritten or not to expected) */
  changed: boolean;
  /** connection-level error (timeout, reset) */
  error: string | null;
  /** getsockopt(IPPROTO_IP, 4096) on the accepted socket (IPv6 client variants on an IPv4 listener) */
  nat64?: Nat64Answer;
}

export interface ProbeOptions {
  variants?: ToaVariantRow[];
  placements?: Placement[];
  ipv6Listener?: boolean;
  timeoutMs?: number;
  /** progress callback (one call per connection) */
  onProgress?: (done: number, total: number) => void;
}

export interface ProbeRun {
  observations: ProbeObservation[];
  listener: string;
  /** files/dirs left after cleanup (should be empty) */
  leftovers: string[];
  inserterCounters: number[];
}

export const DEFAULT_PLACEMENTS = ['ack', 'syn'];

const CHILD = helperScript(new URL('./client-child.js', import.meta.url));

interface Accepted {
  peerAddress: string;
  peerPort: number;
  nat64?: Promise<Nat64Answer>;
}

export async function runProbe(opts: ProbeOptions = {}): Promise<ProbeRun> {
  const host = checkBpfHost(['insert']);
  const variants = opts.variants ?? clientVariants();
  const placements = opts.placements ?? DEFAULT_PLACEMENTS.map((p) => parsePlacement(p)!);
  const timeoutMs = opts.timeoutMs ?? 3000;
  const session = new BpfSession(host, 'probe');
  let server: Server | null = null;
  let child: ChildProcess | null = null;
  let result: ProbeRun;
  try {
    const ins = session.load('insert');
    const cg = session.makeCgroup('client');
    session.attach(cg, 'sock_ops', `${ins.progs}/toa_insert`);
    const cfgMap = `${ins.maps}/toa_ins_cfg`;
    const statsMap = `${ins.maps}/toa_ins_stats`;

    // the listener: accepted sockets queue up for the test loop
    const accepted: Accepted[] = [];
    let acceptWaiter: (() => void) | null = null;
    let askNat64 = false;
    server = createServer((sock: Socket) => {
      // Node's remoteAddress/remotePort call getpeername() on first use: read them now
      const a: Accepted = { peerAddress: sock.remoteAddress ?? '', peerPort: sock.remotePort ?? 0 };
      // ask while the socket is open; the answer is sent only after
      if (askNat64) a.nat64 = getsockopt4096(sock);
      accepted.push(a);
      acceptWaiter?.();
      sock.on('data', () => {
        void (a.nat64 ?? Promise.resolve()).then(() => sock.end('HTTP/1.0 204 toa-doctor probe\r\n\r\n'));
      });
      sock.on('error', () => undefined);
      sock.setTimeout(timeoutMs, () => sock.destroy());
    });
    const listenHost = opts.ipv6Listener ? '::' : '127.0.0.1';
    server.listen({ host: listenHost, port: 0, ipv6Only: false });
    await once(server, 'listening');
    const addr = server.address();
    const port = typeof addr === 'object' && addr ? addr.port : 0;

    child = spawn(process.execPath, [CHILD], { stdio: ['pipe', 'pipe', 'inherit'] });
    const lines = new JsonLines(child);
    const hello = await lines.next(10_000, (o) => !!o.ready, 'the probe client');
    session.enter(cg, Number(hello.pid));

    const observations: ProbeObservation[] = [];
    const total = variants.length * placements.length;
    let n = 0;
    let portSeq = 40001;
    const nat64Placement = placements.find((p) => p.mask & PKT.ack) ?? placements[0];
    // counters before the next connection = after the previous one (one bpftool run less each)
    let counters = session.counters(statsMap);
    for (const v of variants) {
      for (const pl of placements) {
        const family = v.family === 'ipv6' ? 'ipv6' : 'ipv4';
        const cport = portSeq++;
        const address = PROBE_CLIENT[family];
        const option = buildOption(v, address, cport);
        session.mapUpdate(
          cfgMap,
          new Uint8Array(4),
          encodeInserterConfig({ packets: pl.mask, mode: INS_MODE.normal, options: [option] }),
        );
        // one getsockopt(4096) per IPv6 variant (a python3 start each): on the placement with the ACK
        askNat64 = family === 'ipv6' && !opts.ipv6Listener && pl === nat64Placement;
        const before = counters;
        accepted.length = 0;
        const gotAccept = new Promise<void>((resolve) => {
          acceptWaiter = resolve;
          setTimeout(resolve, timeoutMs);
        });
        child.stdin!.write(
          `${JSON.stringify({ id: n, host: '127.0.0.1', port, request: true, timeoutMs })}\n`,
        );
        const res = await lines.next(timeoutMs + 5000, (o) => o.id === n, 'the probe client');
        await gotAccept;
        acceptWaiter = null;
        const after = session.counters(statsMap);
        counters = after;
        const a = accepted[0];
        const peer = a ? formatEndpoint(a.peerAddress, a.peerPort) : '';
        const expected = formatEndpoint(
          v.family === 'ipv6' || !opts.ipv6Listener ? address : `::ffff:${address}`,
          v.hasPort ? cport : null,
        );
        const rewritten = a ? peerMatches(a, address, v.hasPort ? cport : null) : false;
        const failedWrites = (after[3] ?? 0) - (before[3] ?? 0) + ((after[4] ?? 0) - (before[4] ?? 0));
        const wrote = [0, 1, 2].reduce((s, i) => s + (after[i] ?? 0) - (before[i] ?? 0), 0);
        observations.push({
          variant: variantLabel(v),
          packet: pl.name,
          peer,
          expected,
          rewritten,
          variantId: v.id,
          family,
          sent: wrote > 0 && failedWrites === 0,
          changed: !!a && a.peerAddress.replace(/^::ffff:/, '') !== '127.0.0.1',
          error: a ? null : String(res.error ?? 'the connection was not accepted'),
          ...(a?.nat64 ? { nat64: await a.nat64 } : {}),
        });
        n++;
        opts.onProgress?.(n, total);
      }
    }
    const inserterCounters = counters;
    result = { observations, listener: formatEndpoint(listenHost, port), leftovers: [], inserterCounters };
  } finally {
    if (child && child.exitCode === null) {
      child.stdin?.end();
      child.kill('SIGKILL');
      if (child.exitCode === null) await once(child, 'exit').catch(() => undefined);
    }
    server?.close();
    session.close();
  }
  result.leftovers = session.leftovers();
  return result;
}

/** The peer is the option's client (IPv4 may come back v4-mapped on a dual-stack socket). */
function peerMatches(a: Accepted, address: string, port: number | null): boolean {
  const got = a.peerAddress.replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/, '$1');
  if (got !== address) return false;
  return port === null || a.peerPort === port;
}
