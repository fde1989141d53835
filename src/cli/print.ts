/**
 * `toa-doctor print FILE|-` — tcpdump-like lines (or NDJSON), TOA options decoded.
 *
 * Output goes through a 64 KiB buffer (one write per ~64 KiB). Optionally (TOA_DOCTOR_PRINT_WORKERS)
 * a file printed without filters or -c is formatted by worker threads: the main thread reads and
 * copies frames into batches, each worker decodes and formats its batches and writes them itself,
 * in batch order (a shared turn counter), so the main thread never waits on the event loop.
 */
import { statSync, writeSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { Chalk } from 'chalk';
import type { Command } from 'commander';
import { readCaptureFile, StopReading } from '../capture/reader.js';
import type { CaptureSummary, Frame } from '../capture/types.js';
import {
  bytesEqual,
  ChecksumStatus,
  createDecodedPacket,
  type DecodedPacketExt,
  DecodeStatus,
  decodePacket,
  type ParsedAddress,
  parseAddress,
} from '../decode/index.js';
import {
  ByteSink,
  type LineOptions,
  type Painter,
  PLAIN,
  STATUS_NAMES,
  writePacketJson,
  writePacketText,
} from '../report/packet-line.js';
import { colorEnabled } from './color.js';
import { UserError } from './errors.js';
import { positiveInt } from './options.js';

export interface PrintOptions {
  verbose?: boolean;
  count?: number;
  json?: boolean;
  port?: number;
  host?: string;
  toaOnly?: boolean;
  /** false = --no-color */
  color?: boolean;
}

export interface PrintIo {
  /** output file descriptor (default 1) */
  fd?: number;
  /** colours allowed (stdout is a TTY and NO_COLOR unset); default from the process */
  colorCapable?: boolean;
  /** write the end-of-run summary (stderr is a TTY or -v); default from the process */
  stderrTty?: boolean;
  stderr?: (s: string) => void;
  /** worker threads for large unfiltered files: 0 = never; default: env TOA_DOCTOR_PRINT_WORKERS or auto */
  workers?: number;
}

export interface PrintResult {
  read: number;
  printed: number;
  /** per decode status name (non-ok), plus 'malformed-options', 'truncated-tcp', 'bad-ip-checksum' */
  problems: Record<string, number>;
  summary: CaptureSummary;
  /** worker threads used (0 = single-threaded) */
  workers: number;
}

// ---- decode problems, counted by index (shared with workers) ------------------------------

const PROBLEM_KEYS = [
  ...[1, 2, 3, 4, 5, 6, 7].map((s) => STATUS_NAMES[s as DecodeStatus]),
  'malformed-options',
  'truncated-tcp',
  'bad-ip-checksum',
];
const P_MALFORMED = 7;
const P_TRUNC_TCP = 8;
const P_BAD_IPCK = 9;

/** decode one frame and count what is wrong with it */
function decodeAndCount(f: Frame, pkt: DecodedPacketExt, counts: Int32Array): void {
  decodePacket(f, pkt);
  if (pkt.status !== DecodeStatus.OK) counts[pkt.status - 1]++;
  else {
    const br = pkt.opts.breakReason;
    if (br !== 'none' && br !== 'truncated') counts[P_MALFORMED]++;
    if (pkt.tcpTruncated) counts[P_TRUNC_TCP]++;
  }
  if (pkt.ipChecksum === ChecksumStatus.BAD) counts[P_BAD_IPCK]++;
}

function problemsOf(counts: Int32Array): Record<string, number> {
  const out: Record<string, number> = {};
  for (let i = 0; i < PROBLEM_KEYS.length; i++) if (counts[i]) out[PROBLEM_KEYS[i]] = counts[i];
  return out;
}

// ---- output -------------------------------------------------------------------------------

/** Writes whole buffers to a file descriptor; EPIPE (reader went away) ends the run quietly. */
export class FdWriter {
  closed = false;
  constructor(private readonly fd: number) {}

  write(data: Buffer, length: number): void {
    if (this.closed) return;
    let off = 0;
    while (off < length) {
      try {
        off += writeSync(this.fd, data, off, length - off);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN') {
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2); // pipe full: wait 2 ms
          continue;
        }
        if (code === 'EPIPE') {
          this.closed = true; // `| head`: stop quietly
          return;
        }
        throw e;
      }
    }
  }
}

function makePainter(): Painter {
  const c = new Chalk({ level: 1 });
  return { toa: (s) => c.green(s), bad: (s) => c.red(s), warn: (s) => c.yellow(s), dim: (s) => c.dim(s) };
}

// ---- worker-parallel formatting --------------------------------------------------------------

/** files at least this big are printed by workers (when no filter/-c is given) */
const PARALLEL_MIN_BYTES = 32 * 1024 * 1024;
const BATCH_FRAMES = 4096;
const BATCH_BYTES = 1024 * 1024;
const META = 6; // tsSec, tsNsec, linkType, capturedLength, originalLength, offset
// control words in the shared Int32Array
const C_NEXT = 0; // next batch sequence number to be written
const C_INFLIGHT = 1; // batches posted and not yet written
const C_FAILED = 2; // a worker threw
const C_CLOSED = 3; // output closed (EPIPE)
const C_COUNTS = 4; // PROBLEM_KEYS.length counters follow

interface WorkerInit {
  toaDoctorPrintWorker: true;
  ctl: SharedArrayBuffer;
  fd: number;
  json: boolean;
  verbose: boolean;
  color: boolean;
}

interface BatchMessage {
  seq: number;
  n: number;
  data: ArrayBuffer;
  meta: ArrayBuffer;
}

/** body of a print worker thread (this module, started with WorkerInit as workerData) */
function workerMain(init: WorkerInit): void {
  const ctl = new Int32Array(init.ctl);
  const counts = new Int32Array(PROBLEM_KEYS.length);
  const pkt = createDecodedPacket();
  const lineOpts: LineOptions = { verbose: init.verbose, painter: init.color ? makePainter() : PLAIN };
  const fdw = new FdWriter(init.fd);
  const frame: Frame = {
    tsSec: 0,
    tsNsec: 0,
    linkType: 0,
    capturedLength: 0,
    originalLength: 0,
    buf: Buffer.alloc(0),
    offset: 0,
    interfaceId: 0,
  };
  parentPort?.on('message', (m: BatchMessage) => {
    const chunks: Buffer[] = [];
    try {
      const out = new ByteSink((b, n) => chunks.push(Buffer.from(b.subarray(0, n))), 1024 * 1024);
      frame.buf = Buffer.from(m.data);
      const meta = new Float64Array(m.meta);
      counts.fill(0);
      for (let i = 0; i < m.n; i++) {
        const o = i * META;
        // `| 0`: keep small-integer representations, as the reader's frames have (doubles
        // here would make every offset computation in the decoder take the slow path)
        frame.tsSec = meta[o];
        frame.tsNsec = meta[o + 1] | 0;
        frame.linkType = meta[o + 2] | 0;
        frame.capturedLength = meta[o + 3] | 0;
        frame.originalLength = meta[o + 4] | 0;
        frame.offset = meta[o + 5] | 0;
        decodeAndCount(frame, pkt, counts);
        if (init.json) writePacketJson(out, frame, pkt);
        else writePacketText(out, frame, pkt, lineOpts);
      }
      out.flush();
      for (let i = 0; i < counts.length; i++) if (counts[i]) Atomics.add(ctl, C_COUNTS + i, counts[i]);
    } catch (e) {
      Atomics.store(ctl, C_FAILED, 1);
      parentPort?.postMessage({ error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
    }
    // wait for our turn, write, pass the turn on
    for (;;) {
      const next = Atomics.load(ctl, C_NEXT);
      if (next === m.seq) break;
      Atomics.wait(ctl, C_NEXT, next, 200);
    }
    if (!Atomics.load(ctl, C_CLOSED) && !Atomics.load(ctl, C_FAILED)) {
      for (const c of chunks) fdw.write(c, c.length);
      if (fdw.closed) Atomics.store(ctl, C_CLOSED, 1);
    }
    Atomics.add(ctl, C_NEXT, 1);
    Atomics.notify(ctl, C_NEXT);
    Atomics.sub(ctl, C_INFLIGHT, 1);
    Atomics.notify(ctl, C_INFLIGHT);
  });
}

if (!isMainThread && (workerData as WorkerInit | undefined)?.toaDoctorPrintWorker)
  workerMain(workerData as WorkerInit);

function workerCount(file: string, opts: PrintOptions, io: PrintIo): number {
  if (opts.count !== undefined || opts.port !== undefined || opts.host !== undefined || opts.toaOnly)
    return 0;
  if (file === '-') return 0;
  const env = process.env.TOA_DOCTOR_PRINT_WORKERS;
  const forced = io.workers ?? (env !== undefined && /^\d+$/.test(env) ? Number(env) : undefined);
  if (forced !== undefined) return Math.min(forced, 16);
  // Opt-in only (TOA_DOCTOR_PRINT_WORKERS=auto). On the 2-core machine, `print --json` of a 1 M-packet
  // pcap to /dev/null: quiet machine 1.71-1.77 s single-threaded vs 1.53-1.65 s with 2 workers
  // (about 10 % faster for about 40 % more CPU: the copy into batches, a JIT warm-up per worker);
  // with one other busy process 2.1-3.8 s vs 3.2-5.1 s. Not a reliable win, so not the default.
  if (env !== 'auto') return 0;
  const cores = availableParallelism();
  if (cores < 2) return 0;
  try {
    const st = statSync(file);
    if (!st.isFile() || st.size < PARALLEL_MIN_BYTES) return 0;
  } catch {
    return 0;
  }
  return Math.min(cores, 4);
}

async function printParallel(
  file: string,
  opts: PrintOptions,
  io: PrintIo,
  workers: number,
  color: boolean,
): Promise<{ read: number; counts: Int32Array; summary: CaptureSummary }> {
  const ctlBuf = new SharedArrayBuffer(4 * (C_COUNTS + PROBLEM_KEYS.length));
  const ctl = new Int32Array(ctlBuf);
  const init: WorkerInit = {
    toaDoctorPrintWorker: true,
    ctl: ctlBuf,
    fd: io.fd ?? 1,
    json: !!opts.json,
    verbose: !!opts.verbose,
    color,
  };
  const errors: string[] = [];
  const pool = Array.from({ length: workers }, () => {
    const w = new Worker(new URL(import.meta.url), { workerData: init });
    w.on('message', (m: { error?: string }) => {
      if (m.error) errors.push(m.error);
    });
    w.on('error', (e) => {
      errors.push(e.stack ?? e.message);
      Atomics.store(ctl, C_FAILED, 1);
      Atomics.notify(ctl, C_NEXT);
      Atomics.notify(ctl, C_INFLIGHT);
    });
    return w;
  });
  const maxInFlight = workers + 2;
  let seq = 0;
  let read = 0;
  let data = Buffer.from(new ArrayBuffer(BATCH_BYTES));
  let meta = new Float64Array(BATCH_FRAMES * META);
  let n = 0;
  let pos = 0;

  const failedOrClosed = () => Atomics.load(ctl, C_FAILED) !== 0 || Atomics.load(ctl, C_CLOSED) !== 0;
  const dispatch = () => {
    if (n === 0) return;
    for (;;) {
      const inflight = Atomics.load(ctl, C_INFLIGHT);
      if (inflight < maxInFlight || failedOrClosed()) break;
      Atomics.wait(ctl, C_INFLIGHT, inflight, 200);
    }
    if (failedOrClosed()) throw new StopReading();
    Atomics.add(ctl, C_INFLIGHT, 1);
    const msg: BatchMessage = { seq, n, data: data.buffer as ArrayBuffer, meta: meta.buffer };
    pool[seq % workers].postMessage(msg, [msg.data, msg.meta]);
    seq++;
    data = Buffer.from(new ArrayBuffer(BATCH_BYTES));
    meta = new Float64Array(BATCH_FRAMES * META);
    n = 0;
    pos = 0;
  };

  const sink = (f: Frame) => {
    read++;
    const len = f.capturedLength;
    if (n === BATCH_FRAMES || pos + len > BATCH_BYTES) dispatch();
    if (len > BATCH_BYTES) {
      // a record larger than a batch (cannot happen with the reader's 256 KiB cap): its own batch
      data = Buffer.from(new ArrayBuffer(len));
    }
    f.buf.copy(data, pos, f.offset, f.offset + len);
    const o = n * META;
    meta[o] = f.tsSec;
    meta[o + 1] = f.tsNsec;
    meta[o + 2] = f.linkType;
    meta[o + 3] = len;
    meta[o + 4] = f.originalLength;
    meta[o + 5] = pos;
    n++;
    pos += len;
  };

  let summary: CaptureSummary;
  try {
    summary = await readCaptureFile(file, sink);
    dispatch();
    // wait until every batch is written (or a worker failed)
    for (;;) {
      const next = Atomics.load(ctl, C_NEXT);
      if (next >= seq || Atomics.load(ctl, C_FAILED)) break;
      Atomics.wait(ctl, C_NEXT, next, 200);
      await new Promise((r) => setImmediate(r)); // let worker 'error' events through
    }
  } finally {
    await Promise.all(pool.map((w) => w.terminate()));
  }
  if (Atomics.load(ctl, C_FAILED)) throw new Error(`print worker failed: ${errors[0] ?? 'unknown error'}`);
  return { read, counts: ctl.slice(C_COUNTS, C_COUNTS + PROBLEM_KEYS.length), summary };
}

// ---- the command --------------------------------------------------------------------------------

/** The whole `print` command as a function (tests and other commands may reuse it). */
export async function runPrint(file: string, opts: PrintOptions, io: PrintIo = {}): Promise<PrintResult> {
  let host: ParsedAddress | null = null;
  if (opts.host !== undefined) {
    host = parseAddress(opts.host);
    if (!host)
      throw new UserError(`--host: not an IPv4 or IPv6 address: ${opts.host}`, 'names are never resolved');
  }
  const colorCapable = io.colorCapable ?? colorEnabled(undefined, process.stdout);
  const color = !opts.json && opts.color !== false && colorCapable;
  const lineOpts: LineOptions = { verbose: !!opts.verbose, painter: color ? makePainter() : PLAIN };
  const counts = new Int32Array(PROBLEM_KEYS.length);
  let read = 0;
  let printed = 0;
  let summary: CaptureSummary;

  const workers = workerCount(file, opts, io);
  if (workers > 0) {
    const r = await printParallel(file, opts, io, workers, color);
    read = r.read;
    printed = r.read;
    counts.set(r.counts);
    summary = r.summary;
  } else {
    const fdw = new FdWriter(io.fd ?? 1);
    const out = new ByteSink((b, n) => fdw.write(b, n));
    const pkt = createDecodedPacket();
    const limit = opts.count ?? Number.POSITIVE_INFINITY;
    const json = !!opts.json;
    const port = opts.port ?? -1;
    const toaOnly = !!opts.toaOnly;

    const matches = (p: DecodedPacketExt, buf: Buffer): boolean => {
      if (port >= 0) {
        const hasPorts =
          p.status === DecodeStatus.OK ||
          p.status === DecodeStatus.BAD_TCP ||
          (p.status === DecodeStatus.TRUNCATED && p.tcpOffset >= 0 && p.capturedEnd - p.tcpOffset >= 4);
        if (!hasPorts || (p.srcPort !== port && p.dstPort !== port)) return false;
      }
      if (host) {
        if (p.srcAddrOffset < 0 || p.ipVersion !== host.version) return false;
        if (!bytesEqual(buf, p.srcAddrOffset, host.bytes) && !bytesEqual(buf, p.dstAddrOffset, host.bytes))
          return false;
      }
      if (toaOnly) {
        if (p.status !== DecodeStatus.OK) return false;
        const s = p.opts;
        if (s.toaVariant < 0 && !s.toaAfterEol && !s.toaAfterBreak) return false;
      }
      return true;
    };

    const sink = (f: Frame) => {
      read++;
      decodeAndCount(f, pkt, counts);
      if (!matches(pkt, f.buf)) return;
      if (json) writePacketJson(out, f, pkt);
      else writePacketText(out, f, pkt, lineOpts);
      printed++;
      if (fdw.closed || printed >= limit) throw new StopReading();
    };
    try {
      summary = await readCaptureFile(file, sink);
    } finally {
      out.flush();
    }
  }

  const problems = problemsOf(counts);
  const err = io.stderr ?? ((s: string) => process.stderr.write(s));
  for (const w of summary.warnings) err(`toa-doctor: warning: ${w.message}\n`);
  const stderrTty = io.stderrTty ?? !!process.stderr.isTTY;
  const keys = Object.keys(problems);
  if ((stderrTty || opts.verbose) && keys.length) {
    const parts = keys.sort().map((k) => `${problems[k]} ${k}`);
    err(`toa-doctor: ${read} packets read, ${printed} printed; decode problems: ${parts.join(', ')}\n`);
  }
  return { read, printed, problems, summary, workers };
}

export function register(program: Command): void {
  program
    .command('print')
    .description('print packets tcpdump-style, one line each, with TOA options decoded')
    .argument('<file>', "capture file (pcap, pcapng, optionally .gz) or '-' for standard input")
    .option('-v, --verbose', 'IP details (ttl, id, length, IP checksum) and TCP checksum status')
    .option('-c, --count <n>', 'stop after printing N packets', positiveInt('-c', 100))
    .option('-n', 'do not resolve names (the default: names are never resolved)')
    .option('--json', 'NDJSON: one JSON object per packet (all options decoded)')
    .option(
      '--port <n>',
      'only packets with this TCP source or destination port',
      positiveInt('--port', 443, 65535),
    )
    .option('--host <ip>', 'only packets from or to this IPv4/IPv6 address')
    .option('--toa-only', 'only packets carrying a TOA-like option (also after EOL or a broken list)')
    .option('--no-color', 'no colours (also: NO_COLOR=1; colours are only used on a terminal)')
    .addHelpText(
      'after',
      `
Filters here apply to files. BPF filter syntax (e.g. 'tcp port 80') applies to live capture
(toa-doctor live / tcpdump -w); use --port/--host/--toa-only for files.

Examples:
  toa-doctor print capture.pcap
  toa-doctor print capture.pcapng.gz --toa-only -v
  toa-doctor print capture.pcap --json --port 80 | jq .tcp.options
  tcpdump -i eth0 -w - 'tcp port 80' | toa-doctor print -`,
    )
    .action(async (file: string, o: PrintOptions) => {
      await runPrint(file, o);
    });
}
