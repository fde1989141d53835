/**
 * Bench worker: one measurement in its own process, so its peak RSS is its own.
 *
 *   node dist/bench/worker.js reader|decode|analyze FILE [maxFlows]
 *
 * Prints one JSON line: {mode, packets, seconds, ...counts, maxRssKB}. `seconds` is the time inside
 * the process (no Node start-up). The other areas' modules are loaded by a computed specifier so
 * that the bench compiles (and `npm run build` passes) even while they are missing or changing.
 */
import { pathToFileURL } from 'node:url';
import type { CaptureSummary, Frame, FrameSink } from '../capture/types.js';
import type { DecodedPacket } from '../decode/types.js';

type ReadCaptureFile = (path: string, sink: FrameSink, opts?: object) => Promise<CaptureSummary>;
interface DecodeModule {
  createDecodedPacket(): DecodedPacket;
  decodePacket(frame: Frame, out: DecodedPacket): DecodedPacket;
}
interface AnalyzerLike {
  push(frame: Frame): void;
  finish(): unknown;
}
type AnalyzerCtor = new (opts: { maxFlows?: number }) => AnalyzerLike;

export interface WorkerResult {
  mode: string;
  packets: number;
  seconds: number;
  /** user + system CPU seconds of the whole process over the same span */
  cpuSeconds: number;
  maxRssKB: number;
  summaryPackets?: number;
  tcpOk?: number;
  withToa?: number;
  flows?: number;
  error?: string;
}

async function load<T>(rel: string): Promise<T> {
  const spec = new URL(rel, import.meta.url).href;
  return (await import(spec)) as T;
}

export async function runWorker(mode: string, file: string, maxFlows?: number): Promise<WorkerResult> {
  const { readCaptureFile } = await load<{ readCaptureFile: ReadCaptureFile }>('../capture/reader.js');
  let packets = 0;
  const t0 = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  let summary: CaptureSummary;
  const extra: Partial<WorkerResult> = {};
  if (mode === 'reader') {
    summary = await readCaptureFile(file, () => {
      packets++;
    });
  } else if (mode === 'decode') {
    const dec = await load<DecodeModule>('../decode/index.js');
    const pkt = dec.createDecodedPacket();
    let ok = 0;
    let toa = 0;
    summary = await readCaptureFile(file, (f) => {
      packets++;
      dec.decodePacket(f, pkt);
      if (pkt.status === 0) {
        ok++;
        if (pkt.opts.toaVariant >= 0) toa++;
      }
    });
    extra.tcpOk = ok;
    extra.withToa = toa;
  } else if (mode === 'analyze') {
    const { Analyzer } = await load<{ Analyzer: AnalyzerCtor }>('../flow/analyzer.js');
    const an = new Analyzer(maxFlows ? { maxFlows } : {});
    summary = await readCaptureFile(file, (f) => {
      packets++;
      an.push(f);
    });
    const res = an.finish() as { flows?: unknown[] | number; stats?: { flows?: number } } | undefined;
    const flows = res?.flows;
    extra.flows = Array.isArray(flows) ? flows.length : typeof flows === 'number' ? flows : undefined;
  } else {
    throw new Error(`unknown worker mode ${mode}`);
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(c0);
  return {
    mode,
    packets,
    seconds,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    summaryPackets: summary.packets,
    maxRssKB: process.resourceUsage().maxRSS,
    ...extra,
  };
}

const [, script, mode, file, maxFlows] = process.argv;
if (script && import.meta.url === pathToFileURL(script).href && mode && file) {
  runWorker(mode, file, maxFlows ? Number(maxFlows) : undefined).then(
    (r) => process.stdout.write(`${JSON.stringify(r)}\n`),
    (err: Error) => {
      const r: WorkerResult = {
        mode,
        packets: 0,
        seconds: 0,
        cpuSeconds: 0,
        maxRssKB: process.resourceUsage().maxRSS,
        error: (err?.message ?? String(err)).split('\n')[0],
      };
      process.stdout.write(`${JSON.stringify(r)}\n`);
      process.exitCode = 1;
    },
  );
}
