/**
 * The shapes every part of the bench shares: the parsed options, the capture files, a case (one
 * command to time, with its target) and its result row, which is what results.json lists and the
 * table prints. Also where the built CLI (bin/toa-doctor.js) and the in-process worker
 * (dist/bench/worker.js) are, seen from dist/bench/, and the one number format the rows share.
 * No I/O here.
 */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { GenerateResult } from './generate.js';
import type { HotSpot } from './profile.js';

const HERE = dirname(fileURLToPath(import.meta.url)); // dist/bench
export const ROOT = resolve(HERE, '..', '..');
export const BIN = join(ROOT, 'bin', 'toa-doctor.js');
export const WORKER = join(HERE, 'worker.js');

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
  /** count instructions under valgrind (src/bench/instructions.ts) */
  instructions?: boolean;
}

export interface FileSpec {
  key: string; // '1M'
  name: string;
  packets: number;
  flows: number;
  seed: number;
}

export interface FileInfo extends FileSpec {
  path: string;
  bytes: number;
  generated: boolean;
  gen?: GenerateResult;
  ipv6Flows?: number;
}

export interface Target {
  pps?: number;
  rssMB?: number;
}

export interface Case {
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

export function fmtInt(n: number): string {
  return n.toLocaleString('en-US');
}
