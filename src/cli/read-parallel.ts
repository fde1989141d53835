/**
 * `read` on several threads: every thread reads the same capture files (page-cache copies are
 * cheap next to the analysis) and analyses its own share of the connections (src/flow/partition.ts);
 * the main thread merges the shares into one AnalysisResult (src/flow/merge.ts), identical to what a
 * single Analyzer gives while no flow is evicted.
 *
 * The other threads are worker_threads running this same module. A worker posts its counters when
 * it is done and then serves its flow records in batches, on request, while the report is written:
 * the report's flow list is a synchronous iterator, so the main thread waits for a batch with
 * Atomics.wait on a shared counter and takes it with receiveMessageOnPort. Memory stays flat: at
 * most one batch per worker is in flight.
 *
 * If a worker cannot start or fails, the main thread analyses that share itself (a second read of
 * the files): slower, same result.
 */
import { statSync } from 'node:fs';
import {
  isMainThread,
  MessageChannel,
  type MessagePort,
  receiveMessageOnPort,
  Worker,
  workerData,
} from 'node:worker_threads';
import { readCaptureFile } from '../capture/reader.js';
import type { CaptureSummary } from '../capture/types.js';
import { Analyzer } from '../flow/analyzer.js';
import { mergePartitions, type PartitionSource } from '../flow/merge.js';
import type { AnalysisResult, PartialAnalysis } from '../flow/result.js';
import type { FlowRecord, ProfileName } from '../flow/types.js';
import type { ModuleModel } from '../model/modules.js';
import { type SelectSpec, selectingSink } from './select.js';

export const MAX_THREADS = 16;
const BATCH = 2000;
/** a worker that sends nothing for this long while we wait for it is taken as dead */
const STALL_MS = 120_000;

export interface ParallelSettings {
  profile: ProfileName;
  /** the module model chosen (plain data: it crosses to the workers) */
  model?: ModuleModel;
  lb: string[];
  maxFlows: number;
  keepOptionBytes?: boolean;
  /** packet selection (each thread compiles its own filter) */
  select?: SelectSpec;
}

interface WorkerInit extends ParallelSettings {
  toaDoctorReadWorker: true;
  files: string[];
  index: number;
  count: number;
  port: MessagePort;
  signal: SharedArrayBuffer;
}

type ToMain =
  | { type: 'partial'; partial: PartialAnalysis }
  | { type: 'error'; message: string }
  | { type: 'batch'; seq: number; records: FlowRecord[]; done: boolean };
type ToWorker = { type: 'list'; seq: number; mask: number } | { type: 'more'; seq: number };

/**
 * How many threads `read` uses: `requested` (default 1), or 1 when an input cannot be read twice
 * (standard input, a FIFO) or is missing (the reader then reports the error).
 *
 * One thread is the default because it is faster on the 2-core machine this was measured on: with
 * 2 threads on the 1 M-packet bench file each thread's share ran ~40 % slower than alone (both
 * threads read the whole file and walk their tables at once), so the run took 0.53-0.60 s against
 * 0.45-0.49 s on one thread. Pure computation scales there; this work does not.
 */
export function readThreads(files: string[], requested = 1): number {
  if (requested <= 1) return 1;
  for (const f of files) {
    if (f === '-') return 1;
    try {
      if (!statSync(f).isFile()) return 1;
    } catch {
      return 1;
    }
  }
  return Math.min(requested, MAX_THREADS);
}

function partitionAnalyzer(s: ParallelSettings, index: number, count: number): Analyzer {
  return new Analyzer({
    profile: s.profile,
    model: s.model,
    lb: s.lb,
    maxFlows: Math.max(1, Math.ceil(s.maxFlows / count)),
    keepOptionBytes: s.keepOptionBytes,
    partition: { index, count },
  });
}

function localSource(a: Analyzer): PartitionSource {
  return { partial: a.exportPartial(), list: (mask) => a.listFlows(mask) };
}

/** a worker's share, once it has posted its counters */
class RemoteSource implements PartitionSource {
  private seq = 0;
  constructor(
    readonly partial: PartialAnalysis,
    private readonly port: MessagePort,
    private readonly signal: Int32Array,
  ) {}

  private receive(seq: number): Extract<ToMain, { type: 'batch' }> {
    let waited = 0;
    for (;;) {
      const seen = Atomics.load(this.signal, 0);
      const got = receiveMessageOnPort(this.port);
      if (got) {
        const m = got.message as ToMain;
        if (m.type === 'batch' && m.seq === seq) return m;
        if (m.type === 'error') throw new Error(`analysis thread failed: ${m.message}`);
        continue; // a batch of an abandoned listing
      }
      if (Atomics.wait(this.signal, 0, seen, 1000) === 'timed-out') {
        waited += 1000;
        if (waited >= STALL_MS) throw new Error('analysis thread stopped answering');
      } else waited = 0;
    }
  }

  *list(mask: number): Generator<FlowRecord> {
    const seq = ++this.seq;
    this.port.postMessage({ type: 'list', seq, mask } satisfies ToWorker);
    for (;;) {
      const m = this.receive(seq);
      yield* m.records;
      if (m.done) return;
      this.port.postMessage({ type: 'more', seq } satisfies ToWorker);
    }
  }
}

interface Started {
  worker: Worker;
  port: MessagePort;
  signal: Int32Array;
  partial: Promise<PartialAnalysis>;
}

function startWorker(files: string[], s: ParallelSettings, index: number, count: number): Started {
  const { port1, port2 } = new MessageChannel();
  const sab = new SharedArrayBuffer(4);
  const init: WorkerInit = {
    toaDoctorReadWorker: true,
    files,
    index,
    count,
    profile: s.profile,
    model: s.model,
    lb: s.lb,
    // the whole analysis' cap: the worker's partitionAnalyzer() takes its share (divided once)
    maxFlows: s.maxFlows,
    keepOptionBytes: s.keepOptionBytes,
    select: s.select,
    port: port2,
    signal: sab,
  };
  const worker = new Worker(new URL(import.meta.url), { workerData: init, transferList: [port2] });
  const partial = new Promise<PartialAnalysis>((resolve, reject) => {
    const onMessage = (m: ToMain): void => {
      port1.off('message', onMessage);
      if (m.type === 'partial') resolve(m.partial);
      else reject(new Error(m.type === 'error' ? m.message : 'unexpected message from analysis thread'));
    };
    port1.on('message', onMessage);
    // listeners stay on: a later 'error' with no listener would be thrown in the main thread
    worker.on('error', reject);
    worker.on('exit', (code) => reject(new Error(`analysis thread exited (${code})`)));
  });
  return { worker, port: port1, signal: new Int32Array(sab), partial };
}

export interface ParallelOutput {
  result: AnalysisResult;
  captures: CaptureSummary[];
  /** stop the worker threads (after the report is written) */
  close: () => Promise<void>;
}

/**
 * Analyse `files` on `threads` threads. Capture errors surface exactly as with one thread: the
 * main thread reads every file itself.
 */
export async function analyzeParallel(
  files: string[],
  s: ParallelSettings,
  threads: number,
  onProgress?: (file: string, done: number, total: number | null) => void,
): Promise<ParallelOutput> {
  const workers: Started[] = [];
  const close = async (): Promise<void> => {
    await Promise.all(workers.map((w) => w.worker.terminate().catch(() => undefined)));
  };
  try {
    for (let i = 1; i < threads; i++) {
      try {
        workers.push(startWorker(files, s, i, threads));
      } catch {
        break; // no worker threads here: the main thread does that share below
      }
    }
    // keep rejections from surfacing as unhandled while the main thread is busy reading
    for (const w of workers) w.partial.catch(() => undefined);
    const main = partitionAnalyzer(s, 0, threads);
    const push = await selectingSink(main.push.bind(main), s.select);
    const captures: CaptureSummary[] = [];
    for (const f of files) {
      captures.push(
        await readCaptureFile(
          f,
          push,
          onProgress ? { onProgress: (d, t) => onProgress(f, d, t) } : undefined,
        ),
      );
    }
    const sources: PartitionSource[] = [localSource(main)];
    for (let i = 1; i < threads; i++) {
      const w = workers[i - 1];
      let partial: PartialAnalysis | null = null;
      if (w) partial = await w.partial.catch(() => null);
      if (w && partial) {
        w.port.unref();
        w.worker.unref(); // a report that ends early must not wait for it
        sources.push(new RemoteSource(partial, w.port, w.signal));
      } else {
        // the worker failed: analyse its share here
        const a = partitionAnalyzer(s, i, threads);
        const p = await selectingSink(a.push.bind(a), s.select);
        for (const f of files) await readCaptureFile(f, p);
        sources.push(localSource(a));
      }
    }
    const result = mergePartitions(sources, s);
    return { result, captures, close };
  } catch (e) {
    await close();
    throw e;
  }
}

// ---------------------------------------------------------------- worker side

async function workerMain(init: WorkerInit): Promise<void> {
  const port = init.port;
  const signal = new Int32Array(init.signal);
  const post = (m: ToMain): void => {
    port.postMessage(m);
    Atomics.add(signal, 0, 1);
    Atomics.notify(signal, 0);
  };
  let a: Analyzer;
  try {
    a = partitionAnalyzer(init, init.index, init.count);
    const push = await selectingSink(a.push.bind(a), init.select);
    for (const f of init.files) await readCaptureFile(f, push);
    post({ type: 'partial', partial: a.exportPartial() });
  } catch (e) {
    post({ type: 'error', message: (e as Error)?.message ?? String(e) });
    port.close();
    return;
  }
  let cursor: Iterator<FlowRecord> | null = null;
  port.on('message', (m: ToWorker) => {
    try {
      if (m.type === 'list') cursor = a.listFlows(m.mask)[Symbol.iterator]();
      if (!cursor) return;
      const records: FlowRecord[] = [];
      let done = false;
      while (records.length < BATCH) {
        const r = cursor.next();
        if (r.done) {
          done = true;
          break;
        }
        records.push(r.value);
      }
      post({ type: 'batch', seq: m.seq, records, done });
    } catch (e) {
      post({ type: 'error', message: (e as Error)?.message ?? String(e) });
    }
  });
}

if (!isMainThread && (workerData as WorkerInit | undefined)?.toaDoctorReadWorker)
  void workerMain(workerData as WorkerInit);
