/**
 * `npm run bench`: generate (or reuse) benchmark captures in bench-out/, then measure
 *   - the capture reader alone, reader + decoder, reader + flow analyzer (in-process, own child)
 *   - `toa-doctor print --json FILE > /dev/null`, `toa-doctor read --json FILE > /dev/null` (and with
 *     --threads 2)
 *   - the 10 M packet file with `read --json --max-flows 100000`
 *   - tcpdump -nn -v -r and tshark -r on the same file, when installed
 *   - `toa-doctor compare --json A B` on two generated captures of 100,000 connections each
 * with packets/s and peak RSS for each, printed next to the targets (PASS/MISS) and written to
 * bench-out/results.json. The bench only measures: it always exits 0.
 *
 *   node dist/bench/run.js [--quick] [--skip-10m] [--live] [--profile] [--repeat N] [--dir DIR]
 */
import { spawn, spawnSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { COMPARE_PAIR_VERSION, ensureComparePair } from './compare-pair.js';
import { GENERATOR_VERSION, type GenerateResult, generatePcap } from './generate.js';
import { formatHotSpots, type HotSpot, topSelfTime } from './profile.js';
import type { WorkerResult } from './worker.js';

const HERE = dirname(fileURLToPath(import.meta.url)); // dist/bench
const ROOT = resolve(HERE, '..', '..');
const BIN = join(ROOT, 'bin', 'toa-doctor.js');
const WORKER = join(HERE, 'worker.js');

export interface BenchOptions {
  quick: boolean;
  skip10m: boolean;
  live: boolean;
  profile: boolean;
  verify: boolean;
  tools: boolean;
  repeat: number;
  dir: string;
  timeoutSec: number;
  /** seconds of the exporter bench (src/bench/exporter.ts); undefined: not run */
  exporterSec?: number;
}

interface FileSpec {
  key: string; // '1M'
  name: string;
  packets: number;
  flows: number;
  seed: number;
}

interface FileInfo extends FileSpec {
  path: string;
  bytes: number;
  generated: boolean;
  gen?: GenerateResult;
  ipv6Flows?: number;
}

interface Target {
  pps?: number;
  rssMB?: number;
}

interface Case {
  id: string;
  label: string;
  file: FileInfo;
  kind: 'worker' | 'cli' | 'tool';
  argv: string[];
  okCodes: number[];
  target?: Target;
  repeat: number;
}

export interface CaseResult {
  id: string;
  label: string;
  file: string;
  kind: Case['kind'];
  command: string;
  packets: number;
  /** wall clock of the child process (incl. start-up), best run */
  wallSec: number | null;
  /** in-process time reported by a worker (no start-up) */
  innerSec: number | null;
  /** packets/s: in-process time for workers, wall clock for commands */
  pps: number | null;
  /** packets/s from wall clock minus the measured Node/CLI start-up (commands only) */
  ppsExclStartup: number | null;
  /** CPU seconds (user + system) of the best run: in-process span for workers, whole process for commands */
  cpuSec: number | null;
  /** packets/s by CPU time: less sensitive to other work on a busy machine */
  ppsCpu: number | null;
  /** which rate the PASS/MISS used: 'wall', or 'cpu' when the machine was busy */
  judgedOn: 'wall' | 'cpu' | null;
  peakRssMB: number | null;
  target: Target | null;
  result: 'PASS' | 'MISS' | 'INFO' | 'ERROR' | 'N/A';
  note?: string;
  runs: number;
  /** 1-minute load average when the case started (other work on the machine skews numbers) */
  load1: number;
  profile?: { totalMs: number; spots: HotSpot[] };
}

interface RunOutcome {
  code: number | null;
  signal: string | null;
  wallSec: number;
  rssKB: number | null;
  /** user + system CPU seconds (GNU time only) */
  cpuSec: number | null;
  stdout: string;
  stderrTail: string;
  timedOut: boolean;
  spawnError?: string;
}

const USAGE = `usage: npm run bench [-- options]   (node dist/bench/run.js [options])
  --quick        100k-packet file only, no 10 M file, no tshark (smoke run)
  --skip-10m     skip the 10,000,000-packet file
  --live         also run the live capture rate probe (needs root; live area's rate-probe)
  --profile      also run each toa-doctor command once under node --cpu-prof and list hot spots
  --verify       run read --json once more into a file and check its packet/flow counts
  --no-tools     skip tcpdump/tshark
  --repeat N     runs per in-repo case on the main file, best time kept (default 3)
  --dir DIR      where captures and results.json go (default bench-out/)
  --timeout S    per-command time limit in seconds (default 1200)
  --exporter [S] also run the exporter under 1 Gbit/s bulk + 1,000 connections/s for S seconds (default 600; root)`;

export function parseBenchArgs(args: string[]): BenchOptions {
  const o: BenchOptions = {
    quick: false,
    skip10m: false,
    live: false,
    profile: false,
    verify: false,
    tools: true,
    repeat: 3,
    dir: join(ROOT, 'bench-out'),
    timeoutSec: 1200,
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--quick') o.quick = true;
    else if (a === '--skip-10m') o.skip10m = true;
    else if (a === '--live') o.live = true;
    else if (a === '--profile') o.profile = true;
    else if (a === '--verify') o.verify = true;
    else if (a === '--no-tools') o.tools = false;
    else if (a === '--repeat') o.repeat = Math.max(1, Number(args[++i]) || 1);
    else if (a === '--dir') o.dir = resolve(args[++i] ?? 'bench-out');
    else if (a === '--timeout') o.timeoutSec = Math.max(1, Number(args[++i]) || 1200);
    else if (a === '--exporter')
      o.exporterSec = /^\d+$/.test(args[i + 1] ?? '') ? Math.max(10, Number(args[++i])) : 600;
    else throw new RangeError(`unknown option ${a}`);
  }
  if (o.quick) o.skip10m = true;
  return o;
}

function which(cmd: string): string | null {
  for (const d of (process.env.PATH ?? '').split(':')) {
    if (!d) continue;
    const p = join(d, cmd);
    try {
      if (statSync(p).isFile()) return p;
    } catch {
      /* not here */
    }
  }
  return null;
}

function toolVersion(cmd: string, args: string[]): string | null {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 10_000 });
  if (r.error) return null;
  const line = `${r.stdout ?? ''}${r.stderr ?? ''}`.split('\n').find((l) => l.trim());
  return line ? line.trim() : null;
}

/** GNU time with -v available? */
function haveGnuTime(): boolean {
  if (!existsSync('/usr/bin/time')) return false;
  const r = spawnSync('/usr/bin/time', ['-v', 'true'], { encoding: 'utf8', timeout: 10_000 });
  return !r.error && /Maximum resident set size/.test(r.stderr ?? '');
}

function vmHwmKB(pid: number): number | null {
  try {
    const m = /VmHWM:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/**
 * Runs argv as a child; peak RSS from GNU time -v, else by polling /proc/<pid>/status VmHWM.
 * stdout goes to /dev/null or is collected.
 */
function measure(
  argv: string[],
  opts: { stdout: 'null' | 'pipe'; timeoutSec: number; gnuTime: boolean; tmpDir: string },
): Promise<RunOutcome> {
  return new Promise((resolveP) => {
    const timeFile = join(opts.tmpDir, `.time-${process.pid}-${Date.now()}.txt`);
    const cmd = opts.gnuTime ? '/usr/bin/time' : argv[0]!;
    const args = opts.gnuTime ? ['-v', '-o', timeFile, ...argv] : argv.slice(1);
    const devnull = opts.stdout === 'null' ? openSync('/dev/null', 'w') : null;
    const t0 = process.hrtime.bigint();
    let stdout = '';
    let stderr = '';
    let hwm: number | null = null;
    let timedOut = false;
    const child = spawn(cmd, args, {
      stdio: ['ignore', devnull ?? 'pipe', 'pipe'],
      detached: true, // own process group, so a timeout can stop the whole tree
    });
    if (devnull !== null) closeSync(devnull);
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      if (stdout.length < 1 << 20) stdout += d;
    });
    child.stderr?.setEncoding('utf8').on('data', (d: string) => {
      stderr = (stderr + d).slice(-8192);
    });
    const poll =
      !opts.gnuTime && child.pid
        ? setInterval(() => {
            const v = vmHwmKB(child.pid!);
            if (v !== null && (hwm === null || v > hwm)) hwm = v;
          }, 5)
        : null;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }, opts.timeoutSec * 1000);
    let spawnError: string | undefined;
    child.on('error', (err) => {
      spawnError = err.message;
    });
    child.on('close', (code, signal) => {
      const wallSec = Number(process.hrtime.bigint() - t0) / 1e9;
      clearTimeout(timer);
      if (poll) clearInterval(poll);
      let rssKB: number | null = hwm;
      let cpuSec: number | null = null;
      let exitCode = code;
      if (opts.gnuTime) {
        try {
          const t = readFileSync(timeFile, 'utf8');
          rmSync(timeFile, { force: true });
          const m = /Maximum resident set size \(kbytes\): (\d+)/.exec(t);
          if (m) rssKB = Number(m[1]);
          const u = /User time \(seconds\): ([\d.]+)/.exec(t);
          const sy = /System time \(seconds\): ([\d.]+)/.exec(t);
          if (u && sy) cpuSec = Number(u[1]) + Number(sy[1]);
          const st = /Exit status: (\d+)/.exec(t);
          if (st && exitCode === 0) exitCode = Number(st[1]);
          if (/Command terminated by signal/.test(t) && exitCode === 0) exitCode = 128;
        } catch {
          /* time output missing: keep what we have */
        }
      }
      resolveP({
        code: exitCode,
        signal,
        wallSec,
        rssKB,
        cpuSec,
        stdout,
        stderrTail: stderr,
        timedOut,
        spawnError,
      });
    });
  });
}

function fmtInt(n: number): string {
  return n.toLocaleString('en-US');
}

function ensureFile(spec: FileSpec, dir: string, log: (s: string) => void): FileInfo {
  const path = join(dir, spec.name);
  const metaPath = `${path}.meta.json`;
  try {
    const meta = JSON.parse(readFileSync(metaPath, 'utf8')) as {
      version: number;
      packets: number;
      flows: number;
      seed: number;
      bytes: number;
      ipv6Flows?: number;
    };
    if (
      meta.version === GENERATOR_VERSION &&
      meta.packets === spec.packets &&
      meta.flows === spec.flows &&
      meta.seed === spec.seed &&
      statSync(path).size === meta.bytes
    ) {
      return { ...spec, path, bytes: meta.bytes, generated: false, ipv6Flows: meta.ipv6Flows };
    }
  } catch {
    /* no usable cache */
  }
  log(
    `generating ${relative(process.cwd(), path) || path}: ${fmtInt(spec.packets)} packets, ${fmtInt(spec.flows)} flows ...`,
  );
  const gen = generatePcap({ packets: spec.packets, flows: spec.flows, seed: spec.seed, out: path });
  writeFileSync(
    metaPath,
    JSON.stringify({
      version: GENERATOR_VERSION,
      packets: spec.packets,
      flows: spec.flows,
      seed: spec.seed,
      bytes: gen.bytes,
      ipv6Flows: gen.ipv6Flows,
      toaFlows: gen.toaFlows,
    }),
  );
  spawnSync('sync', [], { timeout: 300_000 }); // let write-back finish so it does not skew the reads
  log(
    `  ${(gen.bytes / 1e6).toFixed(1)} MB in ${gen.seconds.toFixed(2)} s (${(gen.packets / gen.seconds / 1e6).toFixed(2)} M packets/s)`,
  );
  return { ...spec, path, bytes: gen.bytes, generated: true, gen, ipv6Flows: gen.ipv6Flows };
}

function judge(t: Target | undefined, pps: number | null, rssMB: number | null): 'PASS' | 'MISS' | 'INFO' {
  if (!t) return 'INFO';
  let ok = true;
  if (t.pps !== undefined && (pps === null || pps < t.pps)) ok = false;
  if (t.rssMB !== undefined && (rssMB === null || rssMB > t.rssMB)) ok = false;
  return ok ? 'PASS' : 'MISS';
}

function targetText(t: Target | null | undefined): string {
  if (!t) return '-';
  const parts: string[] = [];
  if (t.pps !== undefined) parts.push(`>= ${t.pps / 1e6} M/s`);
  if (t.rssMB !== undefined) parts.push(`<= ${t.rssMB} MB`);
  return parts.join(', ');
}

/** How far a missed target is off, e.g. "speed 0.62x of target (-38%), RSS +40 MB". */
function missText(t: Target | null, pps: number | null, rssMB: number | null): string {
  if (!t) return '';
  const out: string[] = [];
  if (t.pps !== undefined && pps !== null && pps < t.pps)
    out.push(`speed ${(pps / t.pps).toFixed(2)}x of target (${((pps / t.pps - 1) * 100).toFixed(0)}%)`);
  if (t.rssMB !== undefined && rssMB !== null && rssMB > t.rssMB)
    out.push(`RSS +${(rssMB - t.rssMB).toFixed(0)} MB over`);
  return out.join(', ');
}

function pad(s: string, n: number, right = false): string {
  return right ? s.padStart(n) : s.padEnd(n);
}

export function renderTable(rows: CaseResult[]): string {
  const head = [
    'case',
    'file',
    'packets',
    'time s',
    'M pkt/s',
    'excl. start',
    'cpu s',
    'cpu M pkt/s',
    'load',
    'peak RSS MB',
    'target',
    'result',
  ];
  const body = rows.map((r) => [
    r.label,
    r.file,
    r.packets ? fmtInt(r.packets) : '-',
    r.innerSec !== null ? r.innerSec.toFixed(3) : r.wallSec !== null ? r.wallSec.toFixed(3) : '-',
    r.pps !== null ? (r.pps / 1e6).toFixed(2) : '-',
    r.ppsExclStartup !== null ? (r.ppsExclStartup / 1e6).toFixed(2) : '-',
    r.cpuSec !== null ? r.cpuSec.toFixed(3) : '-',
    r.ppsCpu !== null ? (r.ppsCpu / 1e6).toFixed(2) : '-',
    r.load1.toFixed(1),
    r.peakRssMB !== null ? r.peakRssMB.toFixed(1) : '-',
    targetText(r.target),
    r.result + (r.judgedOn === 'cpu' && r.target ? ' (by cpu)' : '') + (r.note ? `  ${r.note}` : ''),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const right = [false, false, true, true, true, true, true, true, true, true, false, false];
  const line = (cells: string[]) =>
    cells
      .map((c, i) => pad(c, i === cells.length - 1 ? 0 : widths[i]!, right[i]))
      .join('  ')
      .trimEnd();
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}

/**
 * Reads the file once so the case measures parsing, not the disk: this VM's page cache is
 * reclaimed aggressively (a cold 2 GB read runs at ~1.5 GB/s, a warm one at ~4.6 GB/s).
 */
function warmFile(path: string): void {
  const fd = openSync(path, 'r');
  const buf = Buffer.allocUnsafe(8 << 20);
  try {
    while (readSync(fd, buf, 0, buf.length, null) > 0) {
      /* just pull it into the page cache */
    }
  } finally {
    closeSync(fd);
  }
}

async function runCase(
  c: Case,
  o: BenchOptions,
  gnuTime: boolean,
  startupSec: number | null,
  log: (s: string) => void,
): Promise<CaseResult> {
  const base: CaseResult = {
    id: c.id,
    label: c.label,
    file: c.file.key,
    kind: c.kind,
    command:
      c.argv.map((a) => (a.includes(' ') ? `'${a}'` : a)).join(' ') +
      (c.kind === 'worker' ? '' : ' > /dev/null'),
    packets: c.file.packets,
    wallSec: null,
    innerSec: null,
    pps: null,
    ppsExclStartup: null,
    cpuSec: null,
    ppsCpu: null,
    judgedOn: null,
    peakRssMB: null,
    target: c.target ?? null,
    result: 'ERROR',
    runs: 0,
    load1: Math.round(loadavg()[0]! * 100) / 100,
  };
  log(`running ${c.label} on ${c.file.key} ...`);
  let best: { out: RunOutcome; inner: WorkerResult | null } | null = null;
  // On a busy machine (load average above half the CPUs) the wall clock mostly measures the
  // others; pick and judge runs by CPU time then.
  const busy = base.load1 > 0.5 * cpus().length;
  let maxRss: number | null = null;
  for (let r = 0; r < c.repeat; r++) {
    warmFile(c.file.path);
    const out = await measure(c.argv, {
      stdout: c.kind === 'worker' ? 'pipe' : 'null',
      timeoutSec: o.timeoutSec,
      gnuTime,
      tmpDir: o.dir,
    });
    base.runs++;
    let inner: WorkerResult | null = null;
    if (c.kind === 'worker') {
      const last = out.stdout.trim().split('\n').pop() ?? '';
      try {
        inner = JSON.parse(last) as WorkerResult;
      } catch {
        inner = null;
      }
    }
    const failed =
      out.spawnError !== undefined ||
      out.timedOut ||
      out.code === null ||
      !c.okCodes.includes(out.code) ||
      (c.kind === 'worker' && (!inner || inner.error !== undefined));
    if (failed) {
      const why = out.spawnError
        ? out.spawnError
        : out.timedOut
          ? `timed out after ${o.timeoutSec} s`
          : inner?.error
            ? inner.error
            : `exit ${out.code}${out.signal ? ` (${out.signal})` : ''}: ${out.stderrTail.trim().split('\n').slice(-2).join(' | ').slice(0, 200)}`;
      const notThere = /Cannot find module|ERR_MODULE_NOT_FOUND|not built yet|unknown command/.test(why);
      base.result = notThere ? 'N/A' : 'ERROR';
      base.note = notThere ? `not available yet (${why.slice(0, 120)})` : why;
      if (!notThere) {
        base.wallSec = out.wallSec;
        base.peakRssMB = out.rssKB !== null ? out.rssKB / 1024 : null;
      }
      log(`  ${base.result}: ${base.note}`);
      return base;
    }
    if (out.rssKB !== null) maxRss = Math.max(maxRss ?? 0, out.rssKB);
    const time = inner ? inner.seconds : out.wallSec;
    const cpu = inner ? inner.cpuSeconds : out.cpuSec;
    const key = (x: { out: RunOutcome; inner: WorkerResult | null }): number => {
      const w = x.inner ? x.inner.seconds : x.out.wallSec;
      const cp = x.inner ? x.inner.cpuSeconds : x.out.cpuSec;
      return busy && cp !== null ? Math.min(cp, w) : w;
    };
    if (!best || key({ out, inner }) < key(best)) best = { out, inner };
    log(
      `  run ${r + 1}: ${time.toFixed(3)} s${inner ? ` (wall ${out.wallSec.toFixed(3)} s)` : ''}, cpu ${cpu !== null ? `${cpu.toFixed(3)} s` : '?'}, peak RSS ${out.rssKB !== null ? (out.rssKB / 1024).toFixed(1) : '?'} MB`,
    );
  }
  if (!best) return base;
  base.wallSec = best.out.wallSec;
  base.peakRssMB = maxRss !== null ? maxRss / 1024 : null;
  if (best.inner) {
    base.innerSec = best.inner.seconds;
    base.pps = best.inner.seconds > 0 ? best.inner.packets / best.inner.seconds : null;
    const notes: string[] = [];
    if (best.inner.packets !== c.file.packets)
      notes.push(`COUNT MISMATCH: ${best.inner.packets} frames, expected ${c.file.packets}`);
    if (best.inner.withToa !== undefined) notes.push(`${fmtInt(best.inner.withToa)} TOA`);
    if (best.inner.flows !== undefined) notes.push(`${fmtInt(best.inner.flows)} flows`);
    if (notes.length) base.note = notes.join('; ');
  } else {
    base.pps = c.file.packets / best.out.wallSec;
    if (startupSec !== null && c.kind === 'cli' && best.out.wallSec > startupSec)
      base.ppsExclStartup = c.file.packets / (best.out.wallSec - startupSec);
  }
  base.cpuSec = best.inner ? best.inner.cpuSeconds : best.out.cpuSec;
  base.ppsCpu = base.cpuSec ? c.file.packets / base.cpuSec : null;
  // busy: the wall clock counts the others' time, CPU time counts our JIT/GC helper threads;
  // the smaller of the two is the better estimate of an idle run
  base.judgedOn = busy && base.ppsCpu !== null && base.ppsCpu > (base.pps ?? 0) ? 'cpu' : 'wall';
  const rate = base.judgedOn === 'cpu' ? base.ppsCpu : base.pps;
  base.result = judge(c.target, rate, base.peakRssMB);
  if (base.result === 'MISS')
    base.note = [missText(base.target, rate, base.peakRssMB), base.note].filter(Boolean).join('; ');
  return base;
}

async function profileNode(c: Case, o: BenchOptions): Promise<{ totalMs: number; spots: HotSpot[] } | null> {
  const dir = join(o.dir, 'prof', c.id);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const argv = [process.execPath, '--cpu-prof', `--cpu-prof-dir=${dir}`, ...c.argv.slice(1)];
  const out = await measure(argv, {
    stdout: 'null',
    timeoutSec: o.timeoutSec,
    gnuTime: false,
    tmpDir: o.dir,
  });
  if (out.code === null || !c.okCodes.includes(out.code)) return null;
  const f = readdirSync(dir).filter((x) => x.endsWith('.cpuprofile'));
  if (!f.length) return null;
  return topSelfTime(join(dir, f[0]!), 15);
}

interface LiveEngineRate {
  maxZeroLossPps: number | null;
  steps: Array<{ sentPps?: number; targetPps?: number; zeroLoss?: boolean }>;
  skipped?: string;
}
interface LiveProbeResult {
  engines: Record<string, LiveEngineRate | undefined>;
  notes?: string[];
}

function stepsNote(er: LiveEngineRate | null): string | undefined {
  if (!er) return undefined;
  const steps = er.steps
    .map((st) => `${Math.round((st.sentPps ?? 0) / 1000)}k ${st.zeroLoss ? 'ok' : 'LOSS'}`)
    .join(', ');
  const allOk = er.steps.length > 0 && er.steps.every((st) => st.zeroLoss) && !er.skipped;
  const lastOk = [...er.steps].reverse().find((st) => st.zeroLoss);
  const lastStep = er.steps[er.steps.length - 1];
  const senderBound = allOk
    ? 'no loss at any rate tried: the ceiling is above the fastest step'
    : lastStep && !lastStep.zeroLoss
      ? ''
      : lastOk?.targetPps !== undefined &&
          lastOk.sentPps !== undefined &&
          lastOk.sentPps < 0.9 * lastOk.targetPps
        ? 'sender-limited: the injector could not reach the asked rate while sharing the CPUs (a lower bound)'
        : '';
  const parts = [
    steps ? `sent pps: ${steps}` : '',
    senderBound,
    er.skipped ? `stopped: ${er.skipped.slice(0, 160)}` : '',
  ];
  return parts.filter(Boolean).join('; ') || undefined;
}

/** Runs the live area's rate probe (runLiveRateProbe in dist/capture/live/rate-probe.js) if present. */
async function liveProbe(log: (s: string) => void): Promise<{ doc: unknown; rows: CaseResult[] }> {
  const found = join(ROOT, 'dist', 'capture', 'live', 'rate-probe.js');
  const row = (engine: string, er: LiveEngineRate | null, note?: string): CaseResult => {
    const target: Target | null = engine === 'tcpdump' ? { pps: 200_000 } : null;
    const pps = er?.maxZeroLossPps ?? null;
    const skipped = !er || er.skipped !== undefined;
    return {
      id: `live-${engine}`,
      label: `live --engine ${engine}: max zero-loss rate`,
      file: 'veth',
      kind: 'cli',
      command: `runLiveRateProbe({engines: ['${engine}']})`,
      packets: 0,
      wallSec: null,
      innerSec: null,
      pps,
      ppsExclStartup: null,
      cpuSec: null,
      ppsCpu: null,
      judgedOn: 'wall',
      peakRssMB: null,
      target,
      result:
        skipped && pps === null
          ? 'N/A'
          : target
            ? pps !== null && pps >= target.pps!
              ? 'PASS'
              : 'MISS'
            : 'INFO',
      note: note ?? stepsNote(er),
      runs: er ? er.steps.length : 0,
      load1: Math.round(loadavg()[0]! * 100) / 100,
    };
  };
  if (!existsSync(found)) {
    log('live rate probe: not available (no src/capture/live/rate-probe.ts in this build)');
    return { doc: { available: false }, rows: [row('tcpdump', null, 'rate probe not available')] };
  }
  try {
    const m = (await import(pathToFileURL(found).href)) as Record<string, unknown>;
    const fn = (m.runLiveRateProbe ?? m.runRateProbe ?? m.default) as
      | ((opts?: { log?: (s: string) => void }) => Promise<LiveProbeResult>)
      | undefined;
    if (typeof fn !== 'function') {
      log(`live rate probe: ${relative(ROOT, found)} exports no runLiveRateProbe function`);
      return { doc: { available: false, exports: Object.keys(m) }, rows: [] };
    }
    log('live rate probe: running (injects on a veth pair inside private network namespaces) ...');
    const r = await fn({ log: (l) => log(`  ${l}`) });
    for (const n of r.notes ?? []) log(`  note: ${n}`);
    const rows = Object.entries(r.engines).map(([engine, er]) => row(engine, er ?? null));
    return { doc: { available: true, result: r }, rows };
  } catch (err) {
    log(`live rate probe failed: ${(err as Error).message}`);
    return {
      doc: { available: true, error: (err as Error).message },
      rows: [row('tcpdump', null, `probe failed: ${(err as Error).message}`)],
    };
  }
}

async function verifyRead(file: FileInfo, o: BenchOptions, log: (s: string) => void): Promise<unknown> {
  const outFile = join(o.dir, `verify-read-${file.key}.json`);
  const r = spawnSync(process.execPath, [BIN, 'read', '--json', file.path], {
    encoding: 'utf8',
    maxBuffer: 1 << 30,
    timeout: o.timeoutSec * 1000,
  });
  writeFileSync(outFile, r.stdout ?? '');
  try {
    const doc = JSON.parse(r.stdout) as { summary?: Record<string, unknown>; flows?: unknown[] };
    const s = doc.summary ?? {};
    log(`verify read --json on ${file.key}: exit ${r.status}; summary ${JSON.stringify(s).slice(0, 600)}`);
    return { exit: r.status, summary: s, flowsListed: Array.isArray(doc.flows) ? doc.flows.length : null };
  } catch (err) {
    log(
      `verify read --json on ${file.key}: exit ${r.status}, output not JSON (${(err as Error).message}); stderr: ${(r.stderr ?? '').slice(0, 300)}`,
    );
    return { exit: r.status, error: 'not JSON' };
  }
}

export async function runBench(o: BenchOptions): Promise<void> {
  const log = (s: string) => process.stdout.write(`${s}\n`);
  mkdirSync(o.dir, { recursive: true });
  const started = new Date();
  const gnuTime = haveGnuTime();
  const tcpdump = o.tools ? which('tcpdump') : null;
  const tshark = o.tools && !o.quick ? which('tshark') : null;
  const cpuList = cpus();
  const machine = {
    cpus: cpuList.length,
    cpuModel: cpuList[0]?.model ?? 'unknown',
    memGB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    tcpdump: tcpdump ? toolVersion(tcpdump, ['--version']) : null,
    tshark: tshark ? toolVersion(tshark, ['--version']) : null,
    rssMethod: gnuTime ? '/usr/bin/time -v' : '/proc/<pid>/status VmHWM polling',
  };
  log(`toa-doctor bench — ${started.toISOString()}`);
  log(
    `machine: ${machine.cpus} x ${machine.cpuModel}, ${machine.memGB} GB, Node ${machine.node}; peak RSS via ${machine.rssMethod}`,
  );
  const load = loadavg()[0]!;
  if (load > 0.5 * machine.cpus)
    log(
      `WARNING: load average ${load.toFixed(2)} on ${machine.cpus} CPUs: other work is running, numbers will be low and noisy`,
    );

  const mainSpec: FileSpec = o.quick
    ? { key: '100k', name: 'bench-100k.pcap', packets: 100_000, flows: 20_000, seed: 1 }
    : { key: '1M', name: 'bench-1m.pcap', packets: 1_000_000, flows: 200_000, seed: 1 };
  const bigSpec: FileSpec = {
    key: '10M',
    name: 'bench-10m.pcap',
    packets: 10_000_000,
    flows: 2_000_000,
    seed: 2,
  };
  const main = ensureFile(mainSpec, o.dir, log);
  const big = o.skip10m ? null : ensureFile(bigSpec, o.dir, log);
  const files = [main, ...(big ? [big] : [])];
  for (const f of files)
    log(
      `file ${f.key}: ${relative(ROOT, f.path)} — ${fmtInt(f.packets)} packets, ${fmtInt(f.flows)} flows` +
        `${f.ipv6Flows !== undefined ? ` (${fmtInt(f.ipv6Flows)} IPv6)` : ''}, ${(f.bytes / 1e6).toFixed(1)} MB${f.generated ? '' : ' (cached)'}`,
    );

  // Start-up cost of the CLI (node + module graph), to show packets/s without it.
  let startupSec: number | null = null;
  for (let i = 0; i < 3; i++) {
    const out = await measure([process.execPath, BIN, '--version'], {
      stdout: 'null',
      timeoutSec: 60,
      gnuTime: false,
      tmpDir: o.dir,
    });
    if (out.code === 0) startupSec = startupSec === null ? out.wallSec : Math.min(startupSec, out.wallSec);
  }
  log(
    `CLI start-up (toa-doctor --version): ${startupSec !== null ? `${startupSec.toFixed(3)} s` : 'failed'}`,
  );

  const node = process.execPath;
  const R = o.repeat;
  const cases: Case[] = [
    {
      id: `reader-${main.key}`,
      label: 'reader alone (readCaptureFile, in-process)',
      file: main,
      kind: 'worker',
      argv: [node, WORKER, 'reader', main.path],
      okCodes: [0],
      target: { pps: 8e6, rssMB: 200 },
      repeat: R,
    },
    {
      id: `decode-${main.key}`,
      label: 'reader + decodePacket (in-process)',
      file: main,
      kind: 'worker',
      argv: [node, WORKER, 'decode', main.path],
      okCodes: [0],
      repeat: R,
    },
    {
      id: `analyze-${main.key}`,
      label: 'reader + Analyzer.push (in-process)',
      file: main,
      kind: 'worker',
      argv: [node, WORKER, 'analyze', main.path],
      okCodes: [0],
      repeat: R,
    },
    {
      // a lower bound, not a toa-doctor path: the least a flow table can do per packet (see worker.ts)
      id: `floor-${main.key}`,
      label: 'flow-table floor: lookup + count only',
      file: main,
      kind: 'worker',
      argv: [node, WORKER, 'floor', main.path],
      okCodes: [0],
      repeat: R,
    },
    {
      id: `print-json-${main.key}`,
      label: 'toa-doctor print --json',
      file: main,
      kind: 'cli',
      argv: [node, BIN, 'print', '--json', main.path],
      okCodes: [0],
      target: { pps: 1e6, rssMB: 200 },
      repeat: R,
    },
    {
      id: `read-json-${main.key}`,
      label: 'toa-doctor read --json',
      file: main,
      kind: 'cli',
      argv: [node, BIN, 'read', '--json', main.path],
      okCodes: [0, 1],
      target: { pps: 5e6, rssMB: 200 },
      repeat: R,
    },
    {
      // the same on two threads (opt-in: on a 2-core machine it has not been faster)
      id: `read-json-2t-${main.key}`,
      label: 'toa-doctor read --json --threads 2',
      file: main,
      kind: 'cli',
      argv: [node, BIN, 'read', '--json', '--threads', '2', main.path],
      okCodes: [0, 1],
      repeat: R,
    },
  ];
  if (tcpdump)
    cases.push({
      id: `tcpdump-${main.key}`,
      label: 'tcpdump -nn -v -r',
      file: main,
      kind: 'tool',
      argv: [tcpdump, '-nn', '-v', '-r', main.path],
      okCodes: [0],
      repeat: 1,
    });
  if (tshark) {
    cases.push({
      id: `tshark-${main.key}`,
      label: 'tshark -r',
      file: main,
      kind: 'tool',
      argv: [tshark, '-r', main.path],
      okCodes: [0],
      repeat: 1,
    });
    cases.push({
      id: `tshark-fields-${main.key}`,
      label: 'tshark -r -T fields -e tcp.option_kind',
      file: main,
      kind: 'tool',
      argv: [tshark, '-r', main.path, '-T', 'fields', '-e', 'tcp.option_kind'],
      okCodes: [0],
      repeat: 1,
    });
  }
  if (big) {
    cases.push({
      id: 'reader-10M',
      label: 'reader alone (readCaptureFile, in-process)',
      file: big,
      kind: 'worker',
      argv: [node, WORKER, 'reader', big.path],
      okCodes: [0],
      repeat: 1,
    });
    cases.push({
      id: 'read-json-10M-maxflows',
      label: 'toa-doctor read --json --max-flows 100000',
      file: big,
      kind: 'cli',
      argv: [node, BIN, 'read', '--json', '--max-flows', '100000', big.path],
      okCodes: [0, 1],
      target: { rssMB: 250 },
      repeat: 1,
    });
  }

  {
    // compare: A and B with 100,000 connections each (src/bench/compare-pair.ts); target: under 10 s
    const n = o.quick ? 10_000 : 100_000;
    const pair = ensureComparePair(o.dir, n);
    const file: FileInfo = {
      key: `cmp-${n / 1000}k`,
      name: `${relative(o.dir, pair.a)} + ${relative(o.dir, pair.b)}`,
      packets: pair.packets,
      flows: 2 * n,
      seed: COMPARE_PAIR_VERSION,
      path: pair.a,
      bytes: pair.bytes,
      generated: pair.generated,
    };
    cases.push({
      id: `compare-json-${file.key}`,
      label: `toa-doctor compare --json (${n / 1000}k connections per side)`,
      file,
      kind: 'cli',
      argv: [node, BIN, 'compare', '--json', pair.a, pair.b],
      okCodes: [0, 1],
      target: { pps: pair.packets / 10 },
      repeat: 1,
    });
  }

  const results: CaseResult[] = [];
  for (const c of cases) {
    const r = await runCase(c, o, gnuTime, startupSec, log);
    if (
      o.profile &&
      c.argv[0] === process.execPath &&
      (r.result === 'PASS' || r.result === 'MISS' || r.result === 'INFO')
    ) {
      log(`  profiling ${c.label} ...`);
      const p = await profileNode(c, o);
      if (p) r.profile = p;
    }
    results.push(r);
  }

  let verify: unknown = null;
  if (o.verify) verify = await verifyRead(main, o, log);
  let live: unknown = null;
  if (o.live) {
    const lp = await liveProbe(log);
    live = lp.doc;
    results.push(...lp.rows);
  }
  let exporter: unknown = null;
  if (o.exporterSec) {
    const { runExporterBench, exporterBenchRow, exporterBenchText } = await import('./exporter.js');
    log(`exporter bench: ${o.exporterSec} s of traffic on a veth in private network namespaces ...`);
    const r = await runExporterBench({ seconds: o.exporterSec, log: (l) => log(`  ${l}`) });
    for (const line of exporterBenchText(r).split('\n')) log(`  ${line}`);
    exporter = r;
    results.push(exporterBenchRow(r, Math.round(loadavg()[0]! * 100) / 100));
  }

  log('');
  log(renderTable(results));
  log('');
  log('M pkt/s: in-process time for the in-process rows; wall clock (incl. Node start-up) for commands;');
  log(
    `"excl. start" subtracts the measured CLI start-up${startupSec !== null ? ` (${startupSec.toFixed(3)} s)` : ''}; ` +
      '"cpu" = user+system CPU time (in-process span, or the whole command; GC threads count too).',
  );
  log(
    'load = 1-minute load average at the start of the case; above half the CPUs runs are picked and judged by the smaller of wall and CPU time ("by cpu" when CPU time was smaller).',
  );
  for (const r of results) {
    if (!r.profile) continue;
    log('');
    log(`hot spots (self time) — ${r.label} on ${r.file} (total ${r.profile.totalMs.toFixed(0)} ms):`);
    log(formatHotSpots(r.profile.spots.slice(0, 12)));
  }
  const doc = {
    schema: 'toa-doctor/bench@1',
    date: started.toISOString(),
    machine,
    options: { ...o, dir: relative(ROOT, o.dir) || '.' },
    startupSec,
    files: files.map((f) => ({
      key: f.key,
      path: relative(ROOT, f.path),
      packets: f.packets,
      flows: f.flows,
      ipv6Flows: f.ipv6Flows ?? null,
      bytes: f.bytes,
      generated: f.generated,
      generateSec: f.gen?.seconds ?? null,
      generatePps: f.gen ? f.gen.packets / f.gen.seconds : null,
    })),
    results,
    verify,
    live,
    exporter,
  };
  const resultsPath = join(o.dir, 'results.json');
  writeFileSync(resultsPath, `${JSON.stringify(doc, null, 2)}\n`);
  log('');
  log(`results written to ${relative(process.cwd(), resultsPath) || resultsPath}`);
}

async function cliMain(argv: string[]): Promise<void> {
  const args = argv.slice(2);
  if (args.includes('-h') || args.includes('--help')) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  let o: BenchOptions;
  try {
    o = parseBenchArgs(args);
  } catch (err) {
    process.stderr.write(`bench: ${(err as Error).message}\n${USAGE}\n`);
    return; // the bench never fails the build
  }
  try {
    await runBench(o);
  } catch (err) {
    process.stderr.write(`bench: ${(err as Error).stack ?? err}\n`);
  }
  process.exitCode = 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) void cliMain(process.argv);
