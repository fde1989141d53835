/**
 * `toa-doctor print FILE|-` — tcpdump-like lines (or NDJSON), TOA options decoded.
 *
 * Output goes through a 64 KiB buffer (one write per ~64 KiB). Optionally (TOA_DOCTOR_PRINT_WORKERS)
 * a file printed without filters or -c is formatted by worker threads: the main thread reads and
 * copies frames into batches, each worker decodes and formats its batches and writes them itself,
 * in batch order (a shared turn counter), so the main thread never waits on the event loop.
 */
import { fstatSync, readdirSync, readFileSync, statSync, writeSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { Chalk } from 'chalk';
import type { Command } from 'commander';
import { readCaptureFile, StopReading } from '../capture/reader.js';
import type { CaptureSummary, Frame } from '../capture/types.js';
import {
  ChecksumStatus,
  createDecodedPacket,
  DECODE_STATUS_NAMES,
  type DecodedPacket,
  DecodeStatus,
  decodePacket,
} from '../decode/index.js';
import { CidrSet } from '../flow/cidr.js';
import { ByteSink } from '../report/byte-writer.js';
import type { DumpKind, TsFormat } from '../report/packet-extras.js';
import { writePacketJson } from '../report/packet-json.js';
import { type LineOptions, type Painter, PLAIN, writePacketText } from '../report/packet-text.js';
import { colorEnabled } from './color.js';
import { UserError } from './errors.js';
import { collectList, countFlag, parseHosts, parsePorts, parseSnaplen, positiveInt } from './options.js';

export interface PrintOptions {
  /** -v (a count: -vv is accepted, tcpdump-style) */
  verbose?: boolean | number;
  count?: number;
  json?: boolean;
  /** TCP ports (repeats and comma lists); any of them, as source or destination */
  port?: Array<number | string>;
  /** addresses or CIDR networks (repeats and comma lists); any of them, as source or destination */
  host?: string[];
  toaOnly?: boolean;
  /** false = --no-color */
  color?: boolean;
  /** a pcap-filter expression (tcpdump syntax), compiled by libpcap */
  filter?: string;
  /** -l: write each line as soon as it is formatted (also the default for pipes and FIFOs) */
  lineBuffered?: boolean;
  /** -e: link-level header */
  link?: boolean;
  /** -t count (0: HH:MM:SS.uuuuuu) */
  ts?: number;
  /** -x / -X counts and -A */
  hex?: number;
  hexAscii?: number;
  ascii?: boolean;
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
  /** interface names by ifindex for the `-i any` column (default: this system's, as tcpdump) */
  ifName?: (index: number) => string | null;
  /** handle SIGINT/SIGTERM (flush and exit 0, as tcpdump); default true for the CLI only */
  signals?: boolean;
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
  ...[1, 2, 3, 4, 5, 6, 7].map((s) => DECODE_STATUS_NAMES[s as DecodeStatus]),
  'malformed-options',
  'truncated-tcp',
  'bad-ip-checksum',
];
const P_MALFORMED = 7;
const P_TRUNC_TCP = 8;
const P_BAD_IPCK = 9;

/** decode one frame and count what is wrong with it */
function decodeAndCount(f: Frame, pkt: DecodedPacket, counts: Int32Array): void {
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

/** this system's interface names by ifindex (what tcpdump's if_indextoname shows), read once */
export function systemInterfaceNames(sysRoot = '/sys/class/net'): Record<number, string> {
  const out: Record<number, string> = {};
  try {
    for (const name of readdirSync(sysRoot)) {
      try {
        const i = Number(readFileSync(`${sysRoot}/${name}/ifindex`, 'latin1').trim());
        if (Number.isInteger(i)) out[i] = name;
      } catch {
        // not an interface directory
      }
    }
  } catch {
    // no /sys: names stay unknown ('?'), as with tcpdump on another system
  }
  return out;
}

function lazyInterfaceNames(): (index: number) => string | null {
  let names: Record<number, string> | null = null;
  return (i) => {
    if (names === null) names = systemInterfaceNames();
    return names[i] ?? null;
  };
}

/** the text-line options of a run (shared by the main thread and the print workers) */
function lineOptionsOf(o: PrintOptions, color: boolean, ifName: (i: number) => string | null): LineOptions {
  const lo: LineOptions = { verbose: !!o.verbose, painter: color ? makePainter() : PLAIN, ifName };
  if (o.link) lo.link = true;
  if (o.ts) lo.ts = Math.min(o.ts, 5) as TsFormat;
  const dump: DumpKind = o.hexAscii ? 2 : o.hex ? 1 : o.ascii ? 3 : 0;
  if (dump) {
    lo.dump = dump;
    lo.dumpLink = (o.hexAscii ?? 0) > 1 || (!o.hexAscii && (o.hex ?? 0) > 1);
  }
  return lo;
}

/** a pipe, FIFO, socket or terminal: lines are written one by one (tcpdump -l) */
function isStreamInput(file: string): boolean {
  try {
    // `print - < file.pcap` is a file too: only pipes, FIFOs, sockets and terminals stream
    return !(file === '-' ? fstatSync(0) : statSync(file)).isFile();
  } catch {
    return false; // the reader reports the error
  }
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
  opts: PrintOptions;
  color: boolean;
  ifNames: Record<number, string>;
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
  const lineOpts = lineOptionsOf(init.opts, init.color, (i) => init.ifNames[i] ?? null);
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
  if (
    opts.count !== undefined ||
    opts.port?.length ||
    opts.host?.length ||
    opts.toaOnly ||
    opts.filter ||
    opts.lineBuffered ||
    opts.ts === 3 ||
    opts.ts === 5
  )
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
    opts: { ...opts },
    color,
    ifNames: systemInterfaceNames(),
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
  const ports = parsePorts('--port', (opts.port ?? []).map(String));
  const hosts = new CidrSet(parseHosts('--host', opts.host ?? []));
  const filter = opts.filter?.trim()
    ? new (await import('../capture/filter/compile.js')).FrameFilter(opts.filter.trim())
    : null;
  const colorCapable = io.colorCapable ?? colorEnabled(undefined, process.stdout);
  const color = !opts.json && opts.color !== false && colorCapable;
  const lineOpts = lineOptionsOf(opts, color, io.ifName ?? lazyInterfaceNames());
  const counts = new Int32Array(PROBLEM_KEYS.length);
  let read = 0;
  let printed = 0;
  let summary: CaptureSummary;
  let outputClosed = false;

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
    const nPorts = ports.length;
    const port0 = nPorts ? ports[0]! : -1;
    const toaOnly = !!opts.toaOnly;
    // -l: every line goes out as soon as it is formatted (tcpdump -l). Pipes and FIFOs: every line
    // goes out before the reader waits for more input (a flush once the chunk that arrived is
    // printed: as prompt as -l for a person watching, without a write per packet at full rate)
    const lineByLine = !!opts.lineBuffered;
    const perChunk = !lineByLine && isStreamInput(file);
    let flushQueued = false;
    const queuedFlush = () => {
      flushQueued = false;
      out.flush();
    };

    const matches = (p: DecodedPacket, buf: Buffer): boolean => {
      if (nPorts) {
        const hasPorts =
          p.status === DecodeStatus.OK ||
          p.status === DecodeStatus.BAD_TCP ||
          (p.status === DecodeStatus.TRUNCATED && p.tcpOffset >= 0 && p.capturedEnd - p.tcpOffset >= 4);
        if (!hasPorts) return false;
        if (nPorts === 1) {
          if (p.srcPort !== port0 && p.dstPort !== port0) return false;
        } else if (!ports.includes(p.srcPort) && !ports.includes(p.dstPort)) return false;
      }
      if (hosts.size) {
        if (p.srcAddrOffset < 0) return false;
        if (p.ipVersion === 4) {
          if (
            !hosts.hasV4(buf.readUInt32BE(p.srcAddrOffset)) &&
            !hosts.hasV4(buf.readUInt32BE(p.dstAddrOffset))
          )
            return false;
        } else if (!hosts.hasV6(buf, p.srcAddrOffset) && !hosts.hasV6(buf, p.dstAddrOffset)) return false;
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
      if (filter !== null && !filter.matches(f)) return;
      decodeAndCount(f, pkt, counts);
      if (!matches(pkt, f.buf)) return;
      if (json) writePacketJson(out, f, pkt);
      else writePacketText(out, f, pkt, lineOpts);
      printed++;
      if (lineByLine) out.flush();
      else if (perChunk && !flushQueued) {
        flushQueued = true;
        setImmediate(queuedFlush);
      }
      if (fdw.closed || printed >= limit) throw new StopReading();
    };
    // Ctrl-C / SIGTERM (tcpdump -w - | toa-doctor print -): what is formatted goes out, then exit 0
    const onSignal = () => {
      out.flush();
      process.exit(0);
    };
    const signals = io.signals ?? false;
    if (signals) {
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
    }
    try {
      summary = await readCaptureFile(file, sink);
    } finally {
      out.flush();
      outputClosed = fdw.closed;
      if (signals) {
        process.removeListener('SIGINT', onSignal);
        process.removeListener('SIGTERM', onSignal);
      }
    }
  }

  const problems = problemsOf(counts);
  // the reader went away (| head): nothing more to say, on either stream
  if (outputClosed) return { read, printed, problems, summary, workers };
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

interface PrintCliOptions extends PrintOptions {
  r?: string;
  e?: boolean;
  t?: number;
  x?: number;
  X?: number;
  A?: boolean;
  l?: boolean;
}

export function register(program: Command): void {
  program
    .command('print')
    .description('print packets tcpdump-style, one line each, with TOA options decoded')
    .usage('[options] [-r] FILE [expression]')
    .argument('[file]', "capture file (pcap, pcapng, optionally .gz) or '-' for standard input")
    .argument('[expression...]', "pcap-filter expression, as tcpdump's (e.g. tcp port 80)")
    .option(
      '-r <file>',
      'read this capture file (tcpdump style; then every word after the options is the expression)',
    )
    .option(
      '-v, --verbose',
      'IP details (tos, ttl, id, flags, proto, length) and TCP checksums, as tcpdump -v',
      countFlag,
    )
    .option('-c, --count <n>', 'stop after printing N packets', positiveInt('-c', 100))
    .option('-n', 'do not resolve names (the default: names are never resolved; -nn too)')
    .option('-S', 'absolute TCP sequence numbers (the default here)')
    .option('-s <snaplen>', 'accepted; as with tcpdump -r, no effect on a file', parseSnaplen)
    .option('-p', 'accepted; as with tcpdump -r, no effect on a file')
    .option('-e', 'print the link-level header (MACs, ethertype, VLAN tags, cooked header)')
    .option(
      '-t',
      '-t no time, -tt epoch, -ttt delta from the previous, -tttt date, -ttttt delta from the first',
      countFlag,
    )
    .option('-x', 'hex dump of each packet from the IP header (-xx: from the link header)', countFlag)
    .option('-X', 'hex and ASCII dump (-XX: from the link header)', countFlag)
    .option('-A', 'ASCII dump of each packet from the IP header')
    .option('-l', 'write each line at once (the default when reading a pipe, FIFO or stdin)')
    .option('--json', 'NDJSON: one JSON object per packet (all options decoded)')
    .option(
      '--port <port,...>',
      'only packets with one of these TCP ports, source or destination (repeatable)',
      collectList,
    )
    .option(
      '--host <addr|cidr,...>',
      'only packets from or to one of these addresses or networks (repeatable, IPv4/IPv6)',
      collectList,
    )
    .option('--toa-only', 'only packets carrying a TOA-like option (also after EOL or a broken list)')
    .option('--no-color', 'no colours (also: NO_COLOR=1; colours are only used on a terminal)')
    .addHelpText(
      'after',
      `
A filter expression after the file selects packets exactly as tcpdump would on the same file
(BPF compiled by libpcap through tcpdump, which must be installed for expressions). --port, --host
and --toa-only work without tcpdump and combine with it (all must match).

Examples:
  toa-doctor print capture.pcap
  toa-doctor print -r capture.pcap tcp port 80 and host 10.0.0.5
  toa-doctor print capture.pcapng.gz --toa-only -v
  toa-doctor print capture.pcap --json --port 80,443 | jq .tcp.options
  tcpdump -i eth0 -U -w - 'tcp port 80' | toa-doctor print -`,
    )
    .action(async (file: string | undefined, expression: string[], o: PrintCliOptions) => {
      const words = o.r !== undefined ? [file, ...expression].filter((w) => w !== undefined) : expression;
      const input = o.r ?? file;
      if (input === undefined)
        throw new UserError(
          'no capture file given',
          'toa-doctor print FILE (or -r FILE, or - for standard input)',
        );
      const opts: PrintOptions = {
        ...o,
        filter: words.join(' ') || undefined,
        link: o.e,
        ts: o.t,
        hex: o.x,
        hexAscii: o.X,
        ascii: o.A,
        lineBuffered: o.l,
      };
      await runPrint(input, opts, { signals: true });
    });
}
