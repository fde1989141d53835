/**
 * `npm run bench`: generate (or reuse) benchmark captures in bench-out/, then measure
 *   - the capture reader alone, reader + decoder, reader + flow analyzer (in-process, own child)
 *   - `toa-doctor print --json FILE > /dev/null`, `toa-doctor read --json FILE > /dev/null` (and with
 *     --threads 2)
 *   - the 10 M packet file with `read --json --max-flows 100000`
 *   - tcpdump -nn -v -r and tshark -r on the same file, when installed
 *   - `toa-doctor compare --json A B` on two generated captures of 100,000 connections each
 *   - with --instructions, instruction counts of the hot paths under valgrind (instructions.ts)
 * with packets/s and peak RSS for each, printed next to the targets (PASS/MISS) and written to
 * bench-out/results.json. The bench only measures: it always exits 0.
 *
 * This file is the entry point and the order of the run; the parts are model.ts (shared shapes),
 * cases.ts (files, case table with targets, PASS/MISS), measure.ts (running and measuring one
 * command), run-case.ts (repeats, best run, judgement), live-probe.ts (--live) and report.ts (table,
 * notes, results.json).
 *
 *   node dist/bench/run.js [--quick] [--skip-10m] [--live] [--profile] [--repeat N] [--dir DIR]
 */
import { mkdirSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BIG_FILE_SPEC, benchCases, ensureFile, mainFileSpec } from './cases.js';
import { liveProbe } from './live-probe.js';
import { haveGnuTime, measure, toolVersion, which } from './measure.js';
import { type BenchOptions, BIN, type CaseResult, fmtInt, ROOT } from './model.js';
import { printReport, writeResults } from './report.js';
import { profileNode, runCase, verifyRead } from './run-case.js';

export type { BenchOptions, CaseResult } from './model.js';
export { renderTable } from './report.js';

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
  --exporter [S] also run the exporter under 1 Gbit/s bulk + 1,000 connections/s for S seconds (default 600; root)
  --instructions also count instructions per packet under valgrind (repeatable to ~0.1 %, unlike the clock)`;

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
    else if (a === '--instructions') o.instructions = true;
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

  const main = ensureFile(mainFileSpec(o.quick), o.dir, log);
  const big = o.skip10m ? null : ensureFile(BIG_FILE_SPEC, o.dir, log);
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

  const cases = benchCases(o, main, big, { tcpdump, tshark });

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

  let instructions: unknown = null;
  if (o.instructions) {
    const { countInstructions, instructionTable } = await import('./instructions.js');
    const r = countInstructions(o.dir, o.timeoutSec, log);
    instructions = r;
    log('');
    for (const line of instructionTable(r)) log(line);
  }

  printReport(results, startupSec, log);
  const resultsPath = join(o.dir, 'results.json');
  writeResults(resultsPath, {
    started,
    machine,
    options: o,
    startupSec,
    files,
    results,
    verify,
    live,
    exporter,
    instructions,
  });
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
