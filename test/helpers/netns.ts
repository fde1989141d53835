/**
 * Live-capture test bed: two network namespaces joined by a veth pair, a real TCP server in the
 * server namespace, and an injector (cap/libpcap) in the client namespace that performs crafted
 * handshakes whose ACKs carry each TOA variant. All addresses exist only inside the namespaces
 * (198.18.0.0/15 benchmark range and fd7a:d0c::/64); nothing touches the host's interfaces.
 *
 *   ns toad-<pid>-<n>a (client)            ns toad-<pid>-<n>b (server)
 *   toad-c 198.18.0.1 02:7a:0d:00:00:0a ---- toad-s 198.18.0.2 / fd7a:d0c::2  02:7a:0d:00:00:0b
 *   injector sends as 198.18.0.100 / fd7a:d0c::100 (owned by no interface; the server has a static
 *   neighbour entry for them) so the client kernel drops the SYN-ACKs instead of answering RST.
 *
 * Cleanup always runs: destroyNetns() (call it in afterAll), a process 'exit' hook, SIGINT/SIGTERM
 * hooks, and a sweep of namespaces left by dead test processes at the next setup.
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findTcpdump } from '../../src/capture/live/tcpdump-engine.js';
import { ipTcp, ipToBytes, MSS_OPT, type TcpSpec, toaOption } from './packets.js';

export const REPO = fileURLToPath(new URL('../..', import.meta.url));
const HELPERS = fileURLToPath(new URL('.', import.meta.url));

export const ADDR = {
  clientOwn4: '198.18.0.1',
  server4: '198.18.0.2',
  client4: '198.18.0.100',
  server6: 'fd7a:d0c::2',
  client6: 'fd7a:d0c::100',
  clientMac: '02:7a:0d:00:00:0a',
  serverMac: '02:7a:0d:00:00:0b',
  clientIf: 'toad-c',
  serverIf: 'toad-s',
} as const;

export interface NetnsEnv {
  id: string;
  nsClient: string;
  nsServer: string;
  clientIf: string;
  serverIf: string;
  port: number;
  server: ChildProcess | null;
  /** lines the server printed (accepted / request JSON) */
  serverLog: Array<Record<string, unknown>>;
  /** other processes started inside the namespaces (killed at destroy) */
  children: Set<ChildProcess>;
  tmp: string;
}

const live = new Set<NetnsEnv>();
let hooksInstalled = false;
let seq = 0;

function run(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function tryRun(cmd: string, args: string[]): boolean {
  return spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
}

function hasCommand(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

/** Can this machine run the namespace tests? Returns null when yes, else the reason. */
export function netnsUnsupportedReason(): string | null {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return 'not running as root';
  if (!hasCommand('ip')) return 'iproute2 (`ip`) is not installed';
  return null;
}

/** Reason the cap engine cannot run here, or null. */
export function capUnavailableReason(): string | null {
  const r = spawnSync(process.execPath, ['-e', "require('cap')"], { cwd: REPO, encoding: 'utf8' });
  if (r.status === 0) return null;
  const msg = (r.stderr || '').split('\n').find((l) => /Error|error/.test(l)) ?? 'cannot load';
  return `the cap module (libpcap) is not usable: ${msg.trim()}`;
}

/** tcpdump as toa-doctor's engine finds it (PATH plus the sbin directories), so a skip never claims a
 * tcpdump that the tool itself would find is missing. */
export function tcpdumpUnavailableReason(): string | null {
  return findTcpdump()
    ? null
    : 'tcpdump is not installed (not on PATH, nor in /usr/sbin, /sbin, /usr/local/sbin)';
}

/**
 * Are we under CI? vitest.config.ts sets CI=false inside the test workers (ink needs it) and passes
 * the runner's CI=true on as TOA_DOCTOR_CI=true; outside vitest CI=true counts as well.
 */
export function underCi(): boolean {
  return process.env.CI === 'true' || process.env.TOA_DOCTOR_CI === 'true';
}

/**
 * Skip policy of the live tests: a printed reason when not root / libpcap / tcpdump absent,
 * but under CI=true they must run, so this throws instead.
 */
export function liveSkipReason(
  extra: Array<string | null> = [],
  report: (line: string) => void = (l) => process.stderr.write(l),
): string | null {
  const reason = [netnsUnsupportedReason(), ...extra].find((r) => r) ?? null;
  if (!reason) return null;
  if (underCi()) throw new Error(`live-capture tests cannot run under CI: ${reason}`);
  report(`[live tests skipped] ${reason}\n`);
  return reason;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Delete namespaces named toad-<pid>-* whose creating process is gone (a crashed earlier run). */
export function sweepStaleNamespaces(): string[] {
  let out = '';
  try {
    out = run('ip', ['netns', 'list']);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const line of out.split('\n')) {
    const name = line.split(' ')[0] ?? '';
    const m = /^toad-(\d+)-\d+[ab]$/.exec(name);
    if (!m) continue;
    const pid = Number(m[1]);
    if (pid === process.pid || pidAlive(pid)) continue;
    killNsPids(name);
    if (tryRun('ip', ['netns', 'del', name])) removed.push(name);
  }
  return removed;
}

function killNsPids(ns: string): void {
  try {
    const pids = run('ip', ['netns', 'pids', ns])
      .split('\n')
      .map((s) => Number(s.trim()))
      .filter((n) => n > 0);
    for (const p of pids) {
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  } catch {
    // namespace already gone
  }
}

function destroySync(env: NetnsEnv): void {
  for (const c of env.children) {
    if (c.exitCode === null && c.pid) {
      try {
        process.kill(c.pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
  }
  env.children.clear();
  for (const ns of [env.nsClient, env.nsServer]) {
    killNsPids(ns);
    tryRun('ip', ['netns', 'del', ns]);
  }
  try {
    rmSync(env.tmp, { recursive: true, force: true });
  } catch {
    // ignore
  }
  live.delete(env);
}

function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', () => {
    for (const env of [...live]) destroySync(env);
  });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      for (const env of [...live]) destroySync(env);
      process.exit(128 + (sig === 'SIGINT' ? 2 : sig === 'SIGTERM' ? 15 : 1));
    });
  }
}

/** Create the two namespaces, the veth pair, addresses, neighbours, and start the TCP server. */
export async function createNetns(opts: { port?: number; server?: boolean } = {}): Promise<NetnsEnv> {
  installHooks();
  sweepStaleNamespaces();
  const n = seq++;
  const id = `toad-${process.pid}-${n}`;
  const env: NetnsEnv = {
    id,
    nsClient: `${id}a`,
    nsServer: `${id}b`,
    clientIf: ADDR.clientIf,
    serverIf: ADDR.serverIf,
    port: opts.port ?? 8080,
    server: null,
    serverLog: [],
    children: new Set(),
    tmp: mkdtempSync(join(tmpdir(), `${id}-`)),
  };
  live.add(env);
  try {
    const c = env.nsClient;
    const s = env.nsServer;
    run('ip', ['netns', 'add', c]);
    run('ip', ['netns', 'add', s]);
    // both ends are created directly inside the namespaces: nothing appears in the host namespace
    run('ip', [
      'link',
      'add',
      'name',
      ADDR.clientIf,
      'netns',
      c,
      'address',
      ADDR.clientMac,
      'type',
      'veth',
      'peer',
      'name',
      ADDR.serverIf,
      'netns',
      s,
      'address',
      ADDR.serverMac,
    ]);
    for (const [ns, ifc] of [
      [c, ADDR.clientIf],
      [s, ADDR.serverIf],
    ] as const) {
      run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
      // no IPv6 autoconf/DAD chatter on the test link
      tryRun('ip', ['netns', 'exec', ns, 'sysctl', '-q', '-w', `net.ipv6.conf.${ifc}.accept_ra=0`]);
    }
    run('ip', ['-n', c, 'addr', 'add', `${ADDR.clientOwn4}/24`, 'dev', ADDR.clientIf]);
    run('ip', ['-n', s, 'addr', 'add', `${ADDR.server4}/24`, 'dev', ADDR.serverIf]);
    run('ip', ['-n', s, '-6', 'addr', 'add', `${ADDR.server6}/64`, 'dev', ADDR.serverIf, 'nodad']);
    run('ip', ['-n', c, 'link', 'set', ADDR.clientIf, 'up']);
    run('ip', ['-n', s, 'link', 'set', ADDR.serverIf, 'up']);
    for (const a of [ADDR.client4, ADDR.client6]) {
      run('ip', [
        '-n',
        s,
        'neigh',
        'replace',
        a,
        'lladdr',
        ADDR.clientMac,
        'dev',
        ADDR.serverIf,
        'nud',
        'permanent',
      ]);
    }
    if (opts.server !== false) await startServer(env);
    return env;
  } catch (err) {
    destroySync(env);
    throw err;
  }
}

export async function destroyNetns(env: NetnsEnv | undefined | null): Promise<void> {
  if (env) destroySync(env);
}

/** Spawn a process inside a namespace; tracked and killed at destroy. */
export function spawnIn(
  env: NetnsEnv,
  ns: string,
  cmd: string,
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): ChildProcess {
  const child = spawn('ip', ['netns', 'exec', ns, cmd, ...args], {
    cwd: opts.cwd ?? REPO,
    env: opts.env ?? process.env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  env.children.add(child);
  child.on('exit', () => env.children.delete(child));
  return child;
}

function startServer(env: NetnsEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawnIn(env, env.nsServer, process.execPath, [
      join(HELPERS, 'netns-server.cjs'),
      String(env.port),
    ]);
    env.server = child;
    let buf = '';
    const timer = setTimeout(() => reject(new Error('test TCP server did not start')), 10_000);
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      let i = buf.indexOf('\n');
      while (i >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        i = buf.indexOf('\n');
        try {
          const o = JSON.parse(line) as Record<string, unknown>;
          if (o.ready) {
            clearTimeout(timer);
            resolve();
          } else env.serverLog.push(o);
        } catch {
          // not JSON
        }
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`test TCP server exited with ${code}`));
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Crafted handshakes

function macBytes(mac: string): Buffer {
  return Buffer.from(mac.split(':').map((x) => Number.parseInt(x, 16)));
}

/** Ethernet frame client→server around an IP packet. */
export function ethToServer(ip: Buffer): Buffer {
  const h = Buffer.alloc(14);
  macBytes(ADDR.serverMac).copy(h, 0);
  macBytes(ADDR.clientMac).copy(h, 6);
  h.writeUInt16BE(ip[0]! >> 4 === 6 ? 0x86dd : 0x0800, 12);
  return Buffer.concat([h, ip]);
}

export interface ScenarioOptions {
  name: string;
  family?: 4 | 6;
  /** corrupt the TCP checksum of the handshake ACK after the injector patched it */
  badAckChecksum?: boolean;
  synOptions?: number[];
  ackOptions?: number[];
  dataOptions?: number[];
  /** send no request (server-speaks-first shape: only the handshake ACK) */
  noData?: boolean;
}

export interface InjectFlow {
  name: string;
  badAckChecksum?: boolean;
  family: 4 | 6;
  client: string;
  cport: number;
  server: string;
  sport: number;
  syn: string;
  ack: string;
  data: string | null;
  rst: string;
}

export const REQUEST = 'GET / HTTP/1.0\r\n\r\n';
const CLIENT_ISN = 0x10000000;

/** Frames of one crafted flow (ack numbers are patched by the injector once the ISN is known). */
export function buildFlow(env: NetnsEnv, sc: ScenarioOptions, cport: number): InjectFlow {
  const v6 = sc.family === 6;
  const client = v6 ? ADDR.client6 : ADDR.client4;
  const server = v6 ? ADDR.server6 : ADDR.server4;
  const base = { src: client, dst: server, sport: cport, dport: env.port };
  const isn = (CLIENT_ISN + cport * 0x1000) >>> 0;
  const mk = (s: Partial<TcpSpec>) => ethToServer(ipTcp({ ...base, ...s })).toString('hex');
  const dataLen = sc.noData ? 0 : REQUEST.length;
  return {
    name: sc.name,
    badAckChecksum: sc.badAckChecksum,
    family: v6 ? 6 : 4,
    client,
    cport,
    server,
    sport: env.port,
    syn: mk({ flags: 'S', seq: isn, options: sc.synOptions ?? [...MSS_OPT] }),
    ack: mk({ flags: 'A', seq: isn + 1, ack: 0, options: sc.ackOptions ?? [] }),
    data: sc.noData
      ? null
      : mk({ flags: 'PA', seq: isn + 1, ack: 0, options: sc.dataOptions ?? [], payload: REQUEST }),
    rst: mk({ flags: 'R', seq: (isn + 1 + dataLen) >>> 0, options: [] }),
  };
}

export interface InjectResult {
  name: string;
  synAck: boolean;
  serverIsn: number | null;
  replied: boolean;
  fin: boolean;
}

/** Run crafted flows from the client namespace; resolves with the per-flow outcome. */
export function injectFlows(env: NetnsEnv, flows: InjectFlow[], timeoutMs = 2000): Promise<InjectResult[]> {
  const specPath = join(env.tmp, `inject-${Date.now()}-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(
    specPath,
    JSON.stringify({
      iface: env.clientIf,
      filter: `tcp and src port ${env.port}`,
      timeoutMs,
      flows: flows.map((f) => ({
        name: f.name,
        cport: f.cport,
        sport: f.sport,
        syn: f.syn,
        ack: f.ack,
        data: f.data,
        rst: f.rst,
        badAckChecksum: !!f.badAckChecksum,
      })),
    }),
  );
  return new Promise((resolve, reject) => {
    const child = spawnIn(env, env.nsClient, process.execPath, [
      join(HELPERS, 'netns-injector.cjs'),
      specPath,
    ]);
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
    });
    child.on('exit', (code) => {
      const results: InjectResult[] = [];
      for (const line of out.split('\n')) {
        if (!line.trim()) continue;
        const o = JSON.parse(line) as InjectResult & { error?: string; done?: boolean };
        if (o.error) return reject(new Error(`injector: ${o.error}`));
        if (!o.done) results.push(o);
      }
      if (code !== 0) return reject(new Error(`injector exited ${code}: ${err.trim()}`));
      resolve(results);
    });
  });
}

export { toaOption };

/** kind-28 (Alibaba CDN) option: 28, 3+addr, version, address — padded with a leading NOP */
export function cdnOption(address: string): number[] {
  const a = ipToBytes(address);
  return [1, 28, 3 + a.length, a.length === 4 ? 1 : 2, ...a];
}

/** TTGW 254/16: classic TOA + 2 pad + destination port + destination IPv4 */
export function ttgwOption(address: string, port: number, dst: string, dport: number): number[] {
  return [
    254,
    16,
    port >> 8,
    port & 0xff,
    ...ipToBytes(address),
    0,
    0,
    dport >> 8,
    dport & 0xff,
    ...ipToBytes(dst),
  ];
}

/** vtoa 252/20: cport, cip, VPC id, VIP, vport, 2 pad */
export function vtoaOption(address: string, port: number): number[] {
  return [
    252,
    20,
    port >> 8,
    port & 0xff,
    ...ipToBytes(address),
    0,
    0,
    0,
    7,
    ...ipToBytes('198.51.100.1'),
    0,
    80,
    0,
    0,
  ];
}

/** vtoa 249/40: cport, client IPv6, 24-bit VPC id + reserved, VIP IPv6 — the whole option area */
export function v6vtoaOption(address: string, port: number): number[] {
  return [
    249,
    40,
    port >> 8,
    port & 0xff,
    ...ipToBytes(address),
    0,
    0,
    7,
    0,
    ...ipToBytes('2001:db8:ffff::1'),
  ];
}

export interface Scenario extends ScenarioOptions {
  /** the verdict toa-doctor must give this flow (profile auto unless the test says otherwise) */
  expect: string;
  /** the client address the TOA carries, when it carries one */
  realClient?: string;
}

const C4 = '203.0.113.7';
const C6 = '2001:db8::7';

/**
 * One flow per case: every TOA variant on the handshake ACK, no TOA, SYN-only, late, malformed,
 * inconsistent, bad checksum, NAT64, IPv6 flows. Verdicts under --profile auto.
 */
export const SCENARIOS: Scenario[] = [
  {
    name: 'toa-200-8 ack+data',
    ackOptions: toaOption(200, C4, 4242),
    dataOptions: toaOption(200, C4, 4242),
    expect: 'TOA_OK',
    realClient: `${C4}:4242`,
  },
  { name: 'toa-254-8 ack', ackOptions: toaOption(254, C4, 4243), expect: 'TOA_OK', realClient: `${C4}:4243` },
  { name: 'toa-253-8 ack', ackOptions: toaOption(253, C4, 4244), expect: 'TOA_OK', realClient: `${C4}:4244` },
  {
    name: 'toa-254-16 ack (ttgw)',
    ackOptions: ttgwOption(C4, 4245, '198.18.0.2', 8080),
    expect: 'TOA_OK',
    realClient: `${C4}:4245`,
  },
  {
    name: 'toa-252-20 ack (vtoa)',
    ackOptions: vtoaOption(C4, 4246),
    expect: 'TOA_OK',
    realClient: `${C4}:4246`,
  },
  {
    name: 'toa-28-7 syn (cdn)',
    synOptions: [2, 4, 0x05, 0xb4, ...cdnOption(C4)],
    expect: 'TOA_OK',
    realClient: C4,
  },
  { name: 'toa-253-20 ack on ipv4 (nat64)', ackOptions: toaOption(253, C6, 4247), expect: 'TOA_NAT64' },
  { name: 'toa-254-20 ack on ipv4 (nat64)', ackOptions: toaOption(254, C6, 4248), expect: 'TOA_NAT64' },
  { name: 'toa-249-40 ack on ipv4 (nat64)', ackOptions: v6vtoaOption(C6, 4249), expect: 'TOA_NAT64' },
  { name: 'toa-201-6 vpc id only', ackOptions: [1, 1, 201, 6, 0, 0, 0, 9], expect: 'TOA_MISSING' },
  { name: 'toa-202-8 vip only', ackOptions: [202, 8, 0, 80, 198, 51, 100, 1], expect: 'TOA_MISSING' },
  { name: 'toa-250-8 vip only', ackOptions: [250, 8, 0, 80, 198, 51, 100, 1], expect: 'TOA_MISSING' },
  { name: 'no toa', expect: 'TOA_MISSING' },
  {
    name: 'syn-only toa-254-8',
    synOptions: [2, 4, 0x05, 0xb4, ...toaOption(254, C4, 4250)],
    expect: 'TOA_SYN_ONLY',
  },
  { name: 'late: data-only toa-200-8', dataOptions: toaOption(200, C4, 4251), expect: 'TOA_LATE' },
  {
    name: 'malformed: zero-length option before toa',
    ackOptions: [1, 8, 0, 1, ...toaOption(254, C4, 4252)],
    expect: 'TOA_MALFORMED',
  },
  {
    name: 'malformed: toa after eol',
    ackOptions: [0, 0, 0, 0, ...toaOption(254, C4, 4253)],
    expect: 'TOA_MALFORMED',
  },
  {
    name: 'inconsistent: ack and data disagree',
    ackOptions: toaOption(254, C4, 4254),
    dataOptions: toaOption(254, '203.0.113.99', 4254),
    expect: 'TOA_INCONSISTENT',
  },
  {
    name: 'bad checksum on the toa ack',
    ackOptions: toaOption(254, C4, 4255),
    dataOptions: toaOption(254, C4, 4255),
    badAckChecksum: true,
    expect: 'TOA_BAD_CHECKSUM',
  },
  {
    name: 'ipv6 toa-253-20 ack',
    family: 6,
    ackOptions: toaOption(253, C6, 4256),
    expect: 'TOA_OK',
    realClient: `[${C6}]:4256`,
  },
  {
    name: 'ipv6 toa-254-20 ack',
    family: 6,
    ackOptions: toaOption(254, C6, 4257),
    expect: 'TOA_OK',
    realClient: `[${C6}]:4257`,
  },
  { name: 'ipv6 no toa', family: 6, expect: 'TOA_MISSING' },
];

/** true when the kernel-side setup works at all (used by the helper self-test) */
export function namespacesExist(env: NetnsEnv): boolean {
  return existsSync(`/run/netns/${env.nsClient}`) && existsSync(`/run/netns/${env.nsServer}`);
}

export interface LiveRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** stdout lines that parse as JSON objects */
  events: Array<Record<string, unknown>>;
}

/**
 * Run `toa-doctor live ...` inside the server namespace; `during` runs once the capture is ready
 * (the "capturing on" line) and may return a signal to send when it is done.
 */
export function runLiveInNs(
  env: NetnsEnv,
  args: string[],
  during?: (child: ChildProcess) => Promise<unknown>,
  timeoutMs = 60_000,
): Promise<LiveRun> {
  return new Promise((resolve, reject) => {
    const child = spawnIn(env, env.nsServer, process.execPath, [
      join(REPO, 'bin/toa-doctor.js'),
      'live',
      ...args,
    ]);
    let stdout = '';
    let stderr = '';
    let started = false;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`live did not finish within ${timeoutMs} ms; stderr: ${stderr}`));
    }, timeoutMs);
    child.stdout!.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (!started && /capturing on /.test(stderr)) {
        started = true;
        if (during)
          during(child).then(
            (sig) => {
              if (typeof sig === 'string') child.kill(sig as NodeJS.Signals);
            },
            (err) => {
              child.kill('SIGKILL');
              reject(err);
            },
          );
      }
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      const events: Array<Record<string, unknown>> = [];
      for (const line of stdout.split('\n')) {
        if (!line.startsWith('{')) continue;
        try {
          events.push(JSON.parse(line) as Record<string, unknown>);
        } catch {
          // a text report line starting with {
        }
      }
      resolve({ code, signal, stdout, stderr, events });
    });
  });
}
