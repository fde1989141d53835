/**
 * Host snapshots on disk: the directory mirrors the root it was read from
 * (<dir>/proc/net/toa_stats, <dir>/proc/modules, <dir>/sys/module/..., <dir>/dmesg.txt,
 * <dir>/meta.json). A directory with before/ and after/ holds two snapshots → deltas.
 */
import { stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { CaptureError } from '../capture/types.js';
import { makeDirs } from '../fs-dirs.js';
import {
  type CollectOptions,
  collectHost,
  looksLikeSnapshot,
  SNAPSHOT_META,
  type SnapshotMeta,
} from './collect.js';
import { summarizeDmesg } from './dmesg.js';
import { isDirUnder } from './fsroot.js';
import { identifyImplementations } from './identify.js';
import {
  counterDelta,
  cpuDelta,
  NULL_COUNTERS,
  normalizeStats,
  normalizeTotals,
  sumNormalized,
} from './stats.js';
import type {
  CounterDelta,
  HostDeltas,
  HostEvidence,
  HostSnapshot,
  NormalizedCounters,
} from './types-host.js';

/** Write a snapshot as the directory layout collectHost reads. Returns the files written. */
export async function writeHostSnapshot(snapshot: HostSnapshot, dir: string): Promise<string[]> {
  const base = resolve(dir);
  await makeDirs(base);
  const written: string[] = [];
  for (const [relPath, content] of Object.entries(snapshot.raw)) {
    if (relPath === '' || relPath.split(/[\\/]/).some((seg) => seg === '..' || seg === '')) continue;
    const target = join(base, relPath);
    if (!target.startsWith(base + sep)) continue;
    await makeDirs(dirname(target));
    await writeFile(target, content);
    written.push(relPath);
  }
  const meta: SnapshotMeta & Record<string, unknown> = {
    schema: 'toa-doctor/host-snapshot@1',
    tool: 'toa-doctor',
    time: snapshot.collectedAt,
    hostname: snapshot.hostname,
    root: snapshot.root,
    endianness: snapshot.listeners.endianness,
    dmesgSource: snapshot.dmesg.source,
    dmesgError: snapshot.dmesg.error,
    notes: snapshot.notes,
  };
  await writeFile(join(base, SNAPSHOT_META), `${JSON.stringify(meta, null, 2)}\n`);
  written.push(SNAPSHOT_META);
  return written.sort();
}

function subNormalized(a: NormalizedCounters, b: NormalizedCounters): NormalizedCounters {
  const out: NormalizedCounters = { ...NULL_COUNTERS };
  for (const k of Object.keys(out) as (keyof NormalizedCounters)[]) {
    const x = a[k];
    const y = b[k];
    out[k] = x !== null && y !== null ? x - y : null;
  }
  return out;
}

/** Counter deltas between two snapshots (after − before), per counter and per CPU. */
export function computeDeltas(before: HostSnapshot, after: HostSnapshot): HostDeltas {
  const counters: CounterDelta[] = [];
  const perFile: NormalizedCounters[] = [];
  let reset = false;
  for (const fa of after.stats) {
    const fb = before.stats.find((f) => f.path === fa.path);
    if (!fb || fb.layout !== fa.layout) continue;
    const deltaTotals: Record<string, number> = {};
    for (const ca of fa.counters) {
      const cb = fb.counters.find((c) => c.name === ca.name);
      if (!cb) continue;
      const perCpu: Record<string, number> = {};
      // exact: 64-bit counters near 2^64 differ by less than a double's precision there
      for (const cpu of Object.keys(ca.perCpu)) perCpu[cpu] = cpuDelta(ca, cb, cpu);
      const delta = counterDelta(ca, cb);
      if (delta < 0) reset = true;
      deltaTotals[ca.name] = delta;
      counters.push({ file: fa.path, counter: ca.name, before: cb.total, after: ca.total, delta, perCpu });
    }
    perFile.push(normalizeTotals(deltaTotals, fa.layout));
  }
  // ttgw-derived values are differences themselves; recompute from the two normalized totals
  const normalized = perFile.length
    ? sumNormalized(perFile)
    : subNormalized(normalizeStats(after.stats), normalizeStats(before.stats));
  const pa = after.snmp?.passiveOpens ?? null;
  const pb = before.snmp?.passiveOpens ?? null;
  return {
    seconds: Math.max(0, (after.collectedAtMs - before.collectedAtMs) / 1000),
    counters,
    normalized,
    passiveOpens: pa !== null && pb !== null ? pa - pb : null,
    reset,
  };
}

/** Combine one or two snapshots into what diagnosis reads. */
export function buildEvidence(
  source: string,
  after: HostSnapshot,
  before: HostSnapshot | null = null,
): HostEvidence {
  const dmesgSummary = after.dmesg.summary ?? summarizeDmesg(after.dmesg.events);
  return {
    source,
    snapshot: after,
    before,
    deltas: before ? computeDeltas(before, after) : null,
    normalized: normalizeStats(after.stats),
    dmesgSummary,
    implementations: identifyImplementations(after, dmesgSummary),
  };
}

/**
 * Read a snapshot directory (or one with before/ and after/ subdirectories). A missing or
 * unrecognisable directory is a CaptureError (exit 2 at the CLI).
 */
export async function loadHostDir(dir: string, opts: CollectOptions = {}): Promise<HostEvidence> {
  const abs = resolve(dir);
  let st: Awaited<ReturnType<typeof stat>>;
  try {
    st = await stat(abs);
  } catch {
    throw new CaptureError(
      'HOST_DIR_NOT_FOUND',
      `no such host snapshot directory: ${dir}`,
      'give a directory written by `toa-doctor host --save DIR` (or the host/ of a bundle)',
    );
  }
  if (!st.isDirectory())
    throw new CaptureError(
      'HOST_DIR_NOT_DIR',
      `not a directory: ${dir}`,
      'pass a host snapshot directory (toa-doctor host --save DIR writes one)',
    );
  const o: CollectOptions = { ...opts, dmesg: opts.dmesg ?? true };
  if ((await isDirUnder(abs, '/before')) && (await isDirUnder(abs, '/after'))) {
    const before = await collectHost(join(abs, 'before'), { ...o, dmesgFile: undefined });
    const after = await collectHost(join(abs, 'after'), o);
    return buildEvidence(abs, after, before);
  }
  if (!(await looksLikeSnapshot(abs)))
    throw new CaptureError(
      'HOST_DIR_EMPTY',
      `${dir} is not a host snapshot (no proc/, sys/, dmesg.txt or meta.json)`,
      'create one with `toa-doctor host --save DIR` (or --interval S --count N --save DIR for before/after)',
    );
  return buildEvidence(abs, await collectHost(abs, o));
}
