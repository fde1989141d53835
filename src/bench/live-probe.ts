/**
 * The --live row: runs the live capture rate probe, `runLiveRateProbe` exported by
 * dist/capture/live/rate-probe.js (it injects on a veth pair inside private network namespaces and
 * steps the rate up until packets are lost), and turns each engine's highest zero-loss rate into a
 * table row. The module is imported by path at run time, so the bench still runs, with an N/A row,
 * when a build has no probe. Target: tcpdump engine >= 200,000 packets/s; other engines are INFO.
 * Never throws: a failed probe is a row with the error as its note.
 */
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type CaseResult, ROOT, type Target } from './model.js';

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
export async function liveProbe(log: (s: string) => void): Promise<{ doc: unknown; rows: CaseResult[] }> {
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
