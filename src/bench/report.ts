/**
 * The bench's output: the result table (one row per case, fixed columns, numbers right-aligned,
 * the last column unpadded), the notes on what its columns mean, the hot spots of profiled cases
 * (profile.ts), and results.json (schema `toa-doctor/bench@1`: date, machine, options, CLI start-up,
 * files, result rows, and the --verify, --live and --exporter documents, null when not run).
 * Pure formatting except writeResults, which writes the one file; printing goes through the
 * caller's `log`.
 */
import { writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import { type BenchOptions, type CaseResult, type FileInfo, fmtInt, ROOT, type Target } from './model.js';
import { formatHotSpots } from './profile.js';

function targetText(t: Target | null | undefined): string {
  if (!t) return '-';
  const parts: string[] = [];
  if (t.pps !== undefined) parts.push(`>= ${t.pps / 1e6} M/s`);
  if (t.rssMB !== undefined) parts.push(`<= ${t.rssMB} MB`);
  return parts.join(', ');
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

/** The table with a blank line either side, the notes on its columns, then each profiled case's hot spots. */
export function printReport(
  results: CaseResult[],
  startupSec: number | null,
  log: (s: string) => void,
): void {
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
}

export interface ResultsInput {
  started: Date;
  machine: unknown;
  options: BenchOptions;
  startupSec: number | null;
  files: FileInfo[];
  results: CaseResult[];
  verify: unknown;
  live: unknown;
  exporter: unknown;
  instructions?: unknown;
}

/** Writes results.json to path (paths in it are relative to the repository root). */
export function writeResults(path: string, r: ResultsInput): void {
  const doc = {
    schema: 'toa-doctor/bench@1',
    date: r.started.toISOString(),
    machine: r.machine,
    options: { ...r.options, dir: relative(ROOT, r.options.dir) || '.' },
    startupSec: r.startupSec,
    files: r.files.map((f) => ({
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
    results: r.results,
    verify: r.verify,
    live: r.live,
    exporter: r.exporter,
    instructions: r.instructions ?? null,
  };
  writeFileSync(path, `${JSON.stringify(doc, null, 2)}\n`);
}
