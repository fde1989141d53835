/**
 * Running one case: warm its file into the page cache, run it `repeat` times through measure.ts,
 * keep the best run and judge it against the case's target (cases.ts). A worker case reports its
 * own in-process time and counts on the last stdout line (worker.ts WorkerResult); a command is
 * timed by the wall clock, with the measured CLI start-up subtracted beside it. When the 1-minute
 * load average is above half the CPUs, runs are picked and judged by the smaller of wall and CPU
 * time. A failed run ends the case as ERROR (with the reason as its note), or N/A when the command
 * is not built yet.
 *
 * Also the two optional extras on a case: one run under `node --cpu-prof` for the hot spots
 * (profile.ts), and `read --json` once more into a file to check its counts (--verify).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { judge, missText } from './cases.js';
import { measure, type RunOutcome, warmFile } from './measure.js';
import { type BenchOptions, BIN, type Case, type CaseResult, type FileInfo, fmtInt } from './model.js';
import { type HotSpot, topSelfTime } from './profile.js';
import type { WorkerResult } from './worker.js';

export async function runCase(
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

export async function profileNode(
  c: Case,
  o: BenchOptions,
): Promise<{ totalMs: number; spots: HotSpot[] } | null> {
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

export async function verifyRead(
  file: FileInfo,
  o: BenchOptions,
  log: (s: string) => void,
): Promise<unknown> {
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
