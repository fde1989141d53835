/**
 * `npm run bench -- --instructions`: instruction counts of the hot paths under valgrind's
 * callgrind, with `node --single-threaded` (no concurrent JIT compiler or GC threads) and fixed V8
 * seeds, so the count repeats: two runs of one build differ by ~0.02 %. Wall-clock runs on this shared 2-core VM move by
 * ±10 % from one minute to the next; a count shows a change of a few percent in a hot path, which is
 * what a refactoring must not cost. (It found the +7 % of the flow table's split: imported
 * constants that V8 loads through their module cells; see src/flow/table.ts.)
 *
 * Each case runs on two files of the bench's generator, 200,000 packets and 10 packets. The
 * 10-packet run is the start-up (Node, the module graph, the report of nothing); per packet =
 * (count on 200k - count on 10) / (200,000 - 10). Roughly 25x slower than a plain run (~2 min in all).
 */
import { spawnSync } from 'node:child_process';
import { ensureFile } from './cases.js';
import { BIN, type FileSpec, fmtInt, WORKER } from './model.js';

export const SAMPLE: FileSpec = {
  key: '200k',
  name: 'bench-200k.pcap',
  packets: 200_000,
  flows: 40_000,
  seed: 1,
};
export const TINY: FileSpec = { key: '10', name: 'bench-10.pcap', packets: 10, flows: 2, seed: 1 };

export interface InstructionRow {
  id: string;
  label: string;
  /** instructions of the whole process on the 200k file */
  total: number;
  /** instructions of the same command on the 10-packet file */
  startup: number;
  perPacket: number;
}

export interface InstructionReport {
  /** why nothing was counted (valgrind missing, a run failed), else null */
  skipped: string | null;
  file: string | null;
  rows: InstructionRow[];
}

const CASES: Array<{ id: string; label: string; argv: (file: string) => string[] }> = [
  { id: 'reader', label: 'reader alone (in-process)', argv: (f) => [WORKER, 'reader', f] },
  { id: 'decode', label: 'reader + decodePacket (in-process)', argv: (f) => [WORKER, 'decode', f] },
  { id: 'analyze', label: 'reader + Analyzer.push (in-process)', argv: (f) => [WORKER, 'analyze', f] },
  { id: 'print-json', label: 'toa-doctor print --json', argv: (f) => [BIN, 'print', '--json', f] },
  { id: 'read-json', label: 'toa-doctor read --json', argv: (f) => [BIN, 'read', '--json', f] },
];

/** callgrind's `I refs` for one command (node + `args`), or an error text */
export function countOne(args: string[], timeoutSec: number): number | string {
  const r = spawnSync(
    'valgrind',
    [
      '--tool=callgrind',
      '--smc-check=all-non-file', // V8 writes and rewrites its machine code
      '--callgrind-out-file=/dev/null',
      process.execPath,
      '--single-threaded',
      // V8 seeds its string hashes and Math.random per process: fixed, a count repeats to ~0.02 %
      // (random seeds: ±0.7 % on the start-up alone)
      '--hash-seed=1',
      '--random-seed=1',
      ...args,
    ],
    { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'], timeout: timeoutSec * 1000, maxBuffer: 1 << 24 },
  );
  if (r.error)
    return (r.error as NodeJS.ErrnoException).code === 'ENOENT'
      ? 'valgrind is not installed'
      : r.error.message;
  const m = /I\s+refs:\s+([\d,]+)/.exec(r.stderr ?? '');
  if (!m) return `no count from valgrind (exit ${r.status ?? r.signal})`;
  return Number(m[1]!.replace(/,/g, ''));
}

export function countInstructions(
  dir: string,
  timeoutSec: number,
  log: (s: string) => void,
): InstructionReport {
  const probe = spawnSync('valgrind', ['--version'], { encoding: 'utf8' });
  if (probe.error)
    return { skipped: 'valgrind is not installed (apt-get install valgrind)', file: null, rows: [] };
  const sample = ensureFile(SAMPLE, dir, log);
  const tiny = ensureFile(TINY, dir, log);
  const rows: InstructionRow[] = [];
  for (const c of CASES) {
    log(`counting instructions: ${c.label} ...`);
    const total = countOne(c.argv(sample.path), timeoutSec);
    const startup = countOne(c.argv(tiny.path), timeoutSec);
    if (typeof total === 'string' || typeof startup === 'string') {
      return {
        skipped: `${c.label}: ${typeof total === 'string' ? total : startup}`,
        file: sample.path,
        rows,
      };
    }
    rows.push({
      id: c.id,
      label: c.label,
      total,
      startup,
      perPacket: (total - startup) / (sample.packets - tiny.packets),
    });
  }
  return { skipped: null, file: sample.path, rows };
}

export function instructionTable(r: InstructionReport): string[] {
  if (r.skipped) return [`instruction counts skipped: ${r.skipped}`];
  const w = Math.max(...r.rows.map((x) => x.label.length));
  const out = [
    `instructions (callgrind, node --single-threaded) on ${fmtInt(SAMPLE.packets)} packets; start-up = the same command on ${TINY.packets} packets`,
    `${'case'.padEnd(w)}  ${'total'.padStart(15)}  ${'start-up'.padStart(15)}  ${'per packet'.padStart(10)}`,
  ];
  for (const x of r.rows)
    out.push(
      `${x.label.padEnd(w)}  ${fmtInt(x.total).padStart(15)}  ${fmtInt(x.startup).padStart(15)}  ${x.perPacket.toFixed(0).padStart(10)}`,
    );
  return out;
}
