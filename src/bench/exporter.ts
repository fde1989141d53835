/**
 * Exporter bench row: `toa-doctor exporter` on a veth between two private network namespaces while
 * the client namespace sends bulk TCP (default 1 Gbit/s) plus new connections (default 1,000/s) to
 * the server namespace. Measures, over the traffic window:
 *   - CPU of the exporter (node, with the children it waited for: dmesg/journalctl of the host look)
 *     plus its capture child (tcpdump), in % of one core;
 *   - resident memory of the exporter, sampled every 5 s: first sample after warm-up, last, max, slope
 *     (first to last, and the least-squares line through every sample: the GC makes a sawtooth);
 *     beside it, from the scrape, the V8 heap in use and reserved and the external (Buffer) memory,
 *     to tell growth of the JavaScript heap from growth outside it;
 *   - connections the client established vs. connections the exporter judged on :8080 (lost = the
 *     difference), kernel drops, packets that passed the kernel filter.
 *
 *   node dist/bench/exporter.js [--seconds 600] [--mbit 1000] [--cps 1000] [--exporter-arg ARG]...
 *   npm run bench -- --exporter [SECONDS]     (adds the row to the bench table)
 *
 * Needs root and iproute2; the namespaces (toadx-<pid>-a/b, 198.18.0.0/24) are always deleted.
 */
import { type ChildProcess, execFile, execFileSync, spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const LOAD = fileURLToPath(new URL('./exporter-load.js', import.meta.url));

export interface ExporterBenchOptions {
  seconds?: number;
  mbit?: number;
  cps?: number;
  /** more arguments for `toa-doctor exporter` (e.g. --no-dmesg, --host-interval 5) */
  exporterArgs?: string[];
  log?: (line: string) => void;
}

export interface ExporterBenchResult {
  seconds: number;
  target: { mbit: number; cps: number };
  achieved: { mbit: number; cps: number };
  /** CPU of node + tcpdump over the traffic window, % of one core */
  cpuPct: number;
  cpuNodePct: number;
  cpuTcpdumpPct: number;
  rssMB: {
    first: number;
    last: number;
    max: number;
    /** (last - first) per minute */
    slopeMBPerMin: number;
    /** least-squares line through every sample, per minute */
    fitSlopeMBPerMin: number;
    samples: number[];
  };
  /** V8 heap in use (nodejs_heap_size_used_bytes from the scrape), MB, every 5 s */
  heapMB: { first: number; last: number; max: number; samples: number[] };
  /** V8 heap reserved (nodejs_heap_size_total_bytes), MB, every 5 s */
  heapTotalMB: { first: number; last: number; max: number; samples: number[] };
  /** memory of Buffers/ArrayBuffers outside the V8 heap (nodejs_external_memory_bytes), MB, every 5 s */
  externalMB: { first: number; last: number; max: number; samples: number[] };
  exporterArgs: string[];
  tcpdumpRssMB: number | null;
  established: number;
  judged: number;
  lost: number;
  kernelDrops: number;
  packets: number;
  packetsPerSec: number;
  flowsTrackedMax: number;
  load1: number[];
  skipped?: string;
}

const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

function cpuTicks(pid: number): number {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    // utime, stime, and cutime, cstime: children waited for (the host look's dmesg/journalctl)
    return Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
  } catch {
    return 0;
  }
}

function rssMB(pid: number): number | null {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}

function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

function comm(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

function run(cmd: string, args: string[]): void {
  execFileSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

export function exporterBenchUnavailable(): string | null {
  if (typeof process.getuid === 'function' && process.getuid() !== 0)
    return 'needs root (network namespaces)';
  if (spawnSync('sh', ['-c', 'command -v ip'], { stdio: 'ignore' }).status !== 0)
    return 'iproute2 (`ip`) missing';
  if (spawnSync('sh', ['-c', 'command -v tcpdump'], { stdio: 'ignore' }).status !== 0)
    return 'tcpdump missing';
  return null;
}

function waitLine(c: ChildProcess, stream: 'stdout' | 'stderr', re: RegExp, ms: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const t = setTimeout(() => reject(new Error(`timeout waiting for ${re}: ${buf.slice(-500)}`)), ms);
    c[stream]!.on('data', (d: Buffer) => {
      buf += d.toString();
      const m = re.exec(buf);
      if (m) {
        clearTimeout(t);
        resolve(m[0]);
      }
    });
    c.on('exit', (code) => {
      clearTimeout(t);
      reject(new Error(`exited ${code} before ${re}: ${buf.slice(-500)}`));
    });
  });
}

async function scrape(ns: string): Promise<string> {
  const js = `fetch('http://127.0.0.1:9877/metrics').then(r=>r.text()).then(t=>process.stdout.write(t))`;
  const { stdout } = await execFileP('ip', ['netns', 'exec', ns, process.execPath, '-e', js], {
    maxBuffer: 64 * 1024 * 1024,
  });
  return stdout;
}

function sumOf(text: string, name: string, filter = ''): number {
  let n = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name) || (filter && !line.includes(filter))) continue;
    const m = /^([a-z_:]+)(\{[^}]*\})? (\S+)$/.exec(line);
    if (m && m[1] === name) n += Number(m[3]);
  }
  return n;
}

function series(samples: number[]) {
  return {
    first: samples[0] ?? 0,
    last: samples[samples.length - 1] ?? 0,
    max: Math.max(0, ...samples),
    samples,
  };
}

/** Slope of the least-squares line through samples taken every `step` seconds, per second. */
function fitSlope(samples: number[], step: number): number {
  const n = samples.length;
  if (n < 2) return 0;
  const mx = ((n - 1) * step) / 2;
  const my = samples.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (i * step - mx) * (samples[i]! - my);
    den += (i * step - mx) ** 2;
  }
  return num / den;
}

/** every 6th sample (30 s apart): the series in one line */
function every30s(samples: number[]): string {
  return samples.filter((_, i) => i % 6 === 0 || i === samples.length - 1).join(' ');
}

export async function runExporterBench(o: ExporterBenchOptions = {}): Promise<ExporterBenchResult> {
  const seconds = o.seconds ?? 600;
  const mbit = o.mbit ?? 1000;
  const cps = o.cps ?? 1000;
  const exporterArgs = o.exporterArgs ?? [];
  const log = o.log ?? (() => undefined);
  const empty = (skipped: string): ExporterBenchResult => ({
    seconds,
    target: { mbit, cps },
    achieved: { mbit: 0, cps: 0 },
    cpuPct: 0,
    cpuNodePct: 0,
    cpuTcpdumpPct: 0,
    rssMB: { first: 0, last: 0, max: 0, slopeMBPerMin: 0, fitSlopeMBPerMin: 0, samples: [] },
    heapMB: series([]),
    heapTotalMB: series([]),
    externalMB: series([]),
    exporterArgs,
    tcpdumpRssMB: null,
    established: 0,
    judged: 0,
    lost: 0,
    kernelDrops: 0,
    packets: 0,
    packetsPerSec: 0,
    flowsTrackedMax: 0,
    load1: loadavg(),
    skipped,
  });
  const why = exporterBenchUnavailable();
  if (why) return empty(why);

  const id = `toadx-${process.pid}`;
  const nsC = `${id}-a`;
  const nsS = `${id}-b`;
  const children: ChildProcess[] = [];
  const cleanup = () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    for (const ns of [nsC, nsS]) spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
  };
  process.once('exit', cleanup);
  const inNs = (ns: string, cmd: string, args: string[]) => {
    const c = spawn('ip', ['netns', 'exec', ns, cmd, ...args], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(c);
    return c;
  };
  try {
    run('ip', ['netns', 'add', nsC]);
    run('ip', ['netns', 'add', nsS]);
    run('ip', [
      'link',
      'add',
      'name',
      'tx-c',
      'netns',
      nsC,
      'type',
      'veth',
      'peer',
      'name',
      'tx-s',
      'netns',
      nsS,
    ]);
    for (const [ns, ifc, a] of [
      [nsC, 'tx-c', '198.18.0.1/24'],
      [nsS, 'tx-s', '198.18.0.2/24'],
    ] as const) {
      run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
      run('ip', ['-n', ns, 'addr', 'add', a, 'dev', ifc]);
      run('ip', ['-n', ns, 'link', 'set', ifc, 'up']);
    }
    run('ip', ['netns', 'exec', nsC, 'sysctl', '-q', '-w', 'net.ipv4.ip_local_port_range=1024 65535']);
    run('ip', ['netns', 'exec', nsC, 'sysctl', '-q', '-w', 'net.ipv4.tcp_tw_reuse=1']);
    run('ip', ['netns', 'exec', nsS, 'sysctl', '-q', '-w', 'net.core.somaxconn=4096']);
    run('ip', ['netns', 'exec', nsS, 'sysctl', '-q', '-w', 'net.ipv4.tcp_max_syn_backlog=8192']);

    const srv = inNs(nsS, process.execPath, [LOAD, 'server']);
    await waitLine(srv, 'stdout', /"ready":true/, 10_000);
    const exp = inNs(nsS, process.execPath, [
      join(ROOT, 'bin/toa-doctor.js'),
      'exporter',
      'tx-s',
      '--listen',
      '127.0.0.1:9877',
      ...exporterArgs,
    ]);
    let expErr = '';
    exp.stderr!.on('data', (d: Buffer) => {
      expErr += d.toString();
    });
    await waitLine(exp, 'stderr', /capturing on tx-s/, 20_000);
    const pid = exp.pid!;
    log(
      `exporter pid ${pid} capturing${exporterArgs.length ? ` (${exporterArgs.join(' ')})` : ''}; traffic: ${mbit} Mbit/s bulk + ${cps} connections/s for ${seconds} s`,
    );

    const cli = inNs(nsC, process.execPath, [
      LOAD,
      'client',
      '198.18.0.2',
      String(seconds),
      String(mbit),
      String(cps),
    ]);
    let cliOut = '';
    cli.stdout!.on('data', (d: Buffer) => {
      cliOut += d.toString();
    });
    const cliDone = new Promise<void>((r) => cli.on('exit', () => r()));

    // ---- samples over the traffic window (after 10 s of warm-up)
    const warm = Math.min(10, seconds / 6);
    await new Promise((r) => setTimeout(r, warm * 1000));
    const tcpdumpPid = () => childrenOf(pid).find((c) => comm(c) === 'tcpdump') ?? null;
    const td0 = tcpdumpPid();
    const t0 = Date.now();
    const n0 = cpuTicks(pid);
    const d0 = td0 ? cpuTicks(td0) : 0;
    const samples: number[] = [];
    const heap: number[] = [];
    const heapTotal: number[] = [];
    const external: number[] = [];
    const mb = (bytes: number) => Math.round(bytes / 1e5) / 10;
    let flowsMax = 0;
    const sampler = setInterval(async () => {
      const r = rssMB(pid);
      if (r !== null) samples.push(Math.round(r * 10) / 10);
      try {
        const m = await scrape(nsS);
        flowsMax = Math.max(flowsMax, sumOf(m, 'toa_doctor_exporter_flows_tracked'));
        heap.push(mb(sumOf(m, 'nodejs_heap_size_used_bytes')));
        heapTotal.push(mb(sumOf(m, 'nodejs_heap_size_total_bytes')));
        external.push(mb(sumOf(m, 'nodejs_external_memory_bytes')));
      } catch {
        // scrape failed: the row shows fewer samples
      }
    }, 5000);
    const first = rssMB(pid);
    if (first !== null) samples.push(Math.round(first * 10) / 10);
    await cliDone;
    const t1 = Date.now();
    const n1 = cpuTicks(pid);
    const td1 = tcpdumpPid();
    const d1 = td1 && td1 === td0 ? cpuTicks(td1) : d0;
    const tdRss = td1 ? rssMB(td1) : null;
    clearInterval(sampler);
    const span = (t1 - t0) / 1000;
    const st = JSON.parse(cliOut.trim().split('\n').pop() ?? '{}') as {
      established?: number;
      bulkBytes?: number;
      seconds?: number;
    };
    // the last connections become final after --settle (2 s) / FIN; one more sweep
    await new Promise((r) => setTimeout(r, 4000));
    const text = await scrape(nsS);
    const judged = sumOf(text, 'toa_doctor_connections_judged_total', 'server_port="8080"');
    const established = st.established ?? 0;
    const nodePct = ((n1 - n0) / CLK_TCK / span) * 100;
    const tdPct = ((d1 - d0) / CLK_TCK / span) * 100;
    const slope =
      samples.length > 1
        ? ((samples[samples.length - 1]! - samples[0]!) / ((samples.length - 1) * 5)) * 60
        : 0;
    exp.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 500));
    if (/internal error/.test(expErr)) log(`exporter stderr: ${expErr.slice(-1000)}`);
    const packets = sumOf(text, 'toa_doctor_exporter_packets_total');
    return {
      seconds,
      target: { mbit, cps },
      achieved: {
        mbit: Math.round((((st.bulkBytes ?? 0) * 8) / 1e6 / (st.seconds ?? seconds)) * 10) / 10,
        cps: Math.round((established / (st.seconds ?? seconds)) * 10) / 10,
      },
      cpuPct: Math.round((nodePct + tdPct) * 10) / 10,
      cpuNodePct: Math.round(nodePct * 10) / 10,
      cpuTcpdumpPct: Math.round(tdPct * 10) / 10,
      rssMB: {
        first: samples[0] ?? 0,
        last: samples[samples.length - 1] ?? 0,
        max: Math.max(0, ...samples),
        slopeMBPerMin: Math.round(slope * 100) / 100,
        fitSlopeMBPerMin: Math.round(fitSlope(samples, 5) * 60 * 100) / 100,
        samples,
      },
      heapMB: series(heap),
      heapTotalMB: series(heapTotal),
      externalMB: series(external),
      exporterArgs,
      tcpdumpRssMB: tdRss === null ? null : Math.round(tdRss * 10) / 10,
      established,
      judged,
      lost: Math.max(0, established - judged),
      kernelDrops: sumOf(text, 'toa_doctor_exporter_kernel_drops_total'),
      packets,
      packetsPerSec: Math.round(packets / (st.seconds ?? seconds)),
      flowsTrackedMax: flowsMax,
      load1: loadavg(),
    };
  } finally {
    cleanup();
    process.removeListener('exit', cleanup);
  }
}

export function exporterBenchText(r: ExporterBenchResult): string {
  if (r.skipped) return `exporter bench skipped: ${r.skipped}`;
  return [
    `traffic: ${r.achieved.mbit} Mbit/s bulk (target ${r.target.mbit}), ${r.achieved.cps} connections/s (target ${r.target.cps}), ${r.seconds} s`,
    `CPU: ${r.cpuPct} % of one core (node ${r.cpuNodePct} %, tcpdump ${r.cpuTcpdumpPct} %)  [target <= 10 %]`,
    `memory (exporter RSS): first ${r.rssMB.first} MB, last ${r.rssMB.last} MB, max ${r.rssMB.max} MB, slope ${r.rssMB.slopeMBPerMin} MB/min (least squares ${r.rssMB.fitSlopeMBPerMin} MB/min); tcpdump ${r.tcpdumpRssMB ?? '?'} MB`,
    `V8 heap in use: first ${r.heapMB.first} MB, last ${r.heapMB.last} MB, max ${r.heapMB.max} MB; reserved (total) first ${r.heapTotalMB.first} MB, last ${r.heapTotalMB.last} MB, max ${r.heapTotalMB.max} MB`,
    `external (Buffers): first ${r.externalMB.first} MB, last ${r.externalMB.last} MB, max ${r.externalMB.max} MB`,
    `RSS every 30 s (MB): ${every30s(r.rssMB.samples)}`,
    `V8 heap reserved every 30 s (MB): ${every30s(r.heapTotalMB.samples)}`,
    `V8 heap in use every 30 s (MB): ${every30s(r.heapMB.samples)}`,
    `external every 30 s (MB): ${every30s(r.externalMB.samples)}`,
    ...(r.exporterArgs.length ? [`exporter arguments: ${r.exporterArgs.join(' ')}`] : []),
    `connections: established ${r.established}, judged ${r.judged}, lost ${r.lost}; kernel drops ${r.kernelDrops}`,
    `packets through the kernel filter: ${r.packets} (${r.packetsPerSec}/s); flows tracked max ${r.flowsTrackedMax}`,
    `load average: ${r.load1.map((x) => x.toFixed(2)).join(' ')}`,
  ].join('\n');
}

/** The row for the bench table (src/bench/model.ts CaseResult shape): CPU judged against 10 % of one core. */
export function exporterBenchRow(r: ExporterBenchResult, load1: number) {
  const ok = !r.skipped && r.cpuPct <= 10 && r.lost === 0;
  return {
    id: 'exporter',
    label: `exporter: ${r.target.mbit} Mbit/s bulk + ${r.target.cps} conn/s, ${r.seconds} s`,
    file: 'veth',
    kind: 'cli' as const,
    command: `node dist/bench/exporter.js --seconds ${r.seconds}`,
    packets: r.packets,
    wallSec: r.seconds,
    innerSec: null,
    pps: r.packetsPerSec || null,
    ppsExclStartup: null,
    cpuSec: null,
    ppsCpu: null,
    judgedOn: 'cpu' as const,
    peakRssMB: r.rssMB.max || null,
    target: null,
    result: r.skipped ? ('N/A' as const) : ok ? ('PASS' as const) : ('MISS' as const),
    note: r.skipped
      ? r.skipped
      : `CPU ${r.cpuPct} % of a core (<= 10 %), lost ${r.lost}/${r.established}, RSS ${r.rssMB.first}->${r.rssMB.last} MB, heap ${r.heapMB.first}->${r.heapMB.last} MB, achieved ${r.achieved.mbit} Mbit/s + ${r.achieved.cps} conn/s`,
    runs: 1,
    load1,
  };
}

async function main(argv: string[]): Promise<void> {
  const o: ExporterBenchOptions = { log: (l) => process.stderr.write(`${l}\n`) };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--seconds') o.seconds = Number(argv[++i]);
    else if (a === '--mbit') o.mbit = Number(argv[++i]);
    else if (a === '--cps') o.cps = Number(argv[++i]);
    else if (a === '--exporter-arg' && i + 1 < argv.length)
      o.exporterArgs = [...(o.exporterArgs ?? []), argv[++i]!];
    else if (a === '--json') continue;
    else {
      process.stderr.write(
        'usage: node dist/bench/exporter.js [--seconds 600] [--mbit 1000] [--cps 1000] [--exporter-arg ARG]... [--json]\n',
      );
      process.exit(2);
    }
  }
  const r = await runExporterBench(o);
  process.stdout.write(argv.includes('--json') ? `${JSON.stringify(r)}\n` : `${exporterBenchText(r)}\n`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main(process.argv.slice(2)).catch((e) => {
    process.stderr.write(`exporter bench failed: ${(e as Error).message}\n`);
    process.exit(3);
  });
}
