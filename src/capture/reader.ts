/**
 * Capture sources: a file (plain or gzip, seekable or a FIFO/device), standard input, or a buffer in
 * memory, each read in chunks into one StreamParser (parser.ts, the only parser; pcapng's
 * per-interface state is in pcapng.ts, the "not a capture" descriptions in sniff.ts). gzip is
 * recognised by its magic (RFC 1952 section 2.3.1) and decompressed on the way.
 *
 * Fatal input problems throw CaptureError (one line + hint; file-system errors worded by
 * src/errors.ts's errno table). A sink may throw StopReading to end a read early.
 */
import { closeSync, createReadStream, fstatSync, openSync, readSync } from 'node:fs';
import { pipeline, Readable } from 'node:stream';
import { createGunzip, gunzipSync, constants as zc } from 'node:zlib';
import { cannotReadText } from '../errors.js';
import { isGzip } from './gzip.js';
import { StreamParser } from './parser.js';
import { EMPTY_HINT } from './sniff.js';
import { CaptureError, type CaptureSummary, type FrameSink } from './types.js';

export { MAX_BLOCK, MAX_CAPLEN, StreamParser } from './parser.js';
export { describeBytes } from './sniff.js';

/** Size of the synchronous reads used for plain files. */
export const READ_CHUNK = 256 * 1024;
/** Minimum time between two onProgress calls. */
const PROGRESS_MS = 100;

export interface ReadOptions {
  /** Called with (bytes read so far, total file bytes or null for pipes) at most every ~100 ms, and once at the end. */
  onProgress?: (done: number, total: number | null) => void;
  /** Size of each synchronous read for plain files (default READ_CHUNK, 256 KiB; tests use small values). */
  chunkSize?: number;
}

/**
 * Throw this from a sink to stop reading early (e.g. `print -c N`): readCaptureFile/readCaptureBuffer
 * catch it, close the input and resolve with the summary of what was delivered so far.
 */
export class StopReading extends Error {
  constructor() {
    super('stop reading');
    this.name = 'StopReading';
  }
}

const CAPTURE_PERMISSION_HINT =
  'run as a user who can read it (e.g. sudo), or copy it somewhere readable (captures written by tcpdump are often root-only)';

/** the hints a capture reader gives for a file it cannot open; the words are src/errors.ts's */
const FILE_HINTS: Readonly<Record<string, string>> = {
  ENOENT: "check the path (use '-' to read a capture from standard input)",
  EISDIR: 'name a .pcap/.pcapng file inside it',
  EACCES: CAPTURE_PERMISSION_HINT,
  EPERM: CAPTURE_PERMISSION_HINT,
};

function fileError(e: unknown, path: string): CaptureError {
  const t = cannotReadText(path, e, FILE_HINTS, 'check that the file is readable and the disk is healthy');
  // a directory given as a capture says what was expected
  const message = t.code === 'IS_DIRECTORY' ? `${t.message}, not a capture file` : t.message;
  return new CaptureError(t.code, message, t.hint);
}

function gzipFailure(parser: StreamParser, err: unknown): CaptureSummary {
  const e = err as NodeJS.ErrnoException;
  const truncated = e?.code === 'Z_BUF_ERROR' || /unexpected end/i.test(e?.message ?? '');
  const reason = e?.message ?? String(err);
  if (parser.bytesPushed === 0)
    throw new CaptureError(
      'BAD_GZIP',
      `${parser.source}: gzip data is ${truncated ? 'cut short' : 'corrupt'} (${reason}); nothing could be decompressed`,
      'the .gz file is damaged (check with `gzip -t`); copy it again',
    );
  parser.warn(
    truncated ? 'GZIP_TRUNCATED' : 'GZIP_CORRUPT',
    `${parser.source}: gzip stream ${truncated ? 'ends early' : 'is corrupt'} (${reason}) after ${parser.bytesPushed} decompressed bytes; packets before that point were kept`,
  );
  return parser.end();
}

class Progress {
  private last = performance.now();
  constructor(
    private readonly cb: ((done: number, total: number | null) => void) | undefined,
    private readonly total: number | null,
  ) {}
  /** true when the caller should yield to the event loop */
  tick(done: number): boolean {
    const now = performance.now();
    if (now - this.last < PROGRESS_MS) return false;
    this.last = now;
    this.cb?.(done, this.total);
    return true;
  }
  final(done: number): void {
    this.cb?.(done, this.total);
  }
}

const yieldLoop = () => new Promise<void>((r) => setImmediate(r));

/** Decompress gzip/stream input into the parser. */
async function readStream(
  src: AsyncIterable<Buffer>,
  parser: StreamParser,
  sink: FrameSink,
  gz: boolean,
  progress: Progress,
): Promise<CaptureSummary> {
  let done = 0;
  if (!gz) {
    try {
      for await (const chunk of src) {
        done += chunk.length;
        parser.push(chunk, sink);
        progress.tick(done);
      }
    } catch (e) {
      if (e instanceof CaptureError || e instanceof StopReading) throw e;
      if ((e as NodeJS.ErrnoException)?.code) throw fileError(e, parser.source);
      throw e;
    }
    progress.final(done);
    return parser.end();
  }
  parser.gzip = true;
  const counted = Readable.from(
    (async function* () {
      for await (const c of src) {
        done += c.length;
        yield c;
      }
    })(),
    { objectMode: false },
  );
  const gunzip = createGunzip();
  pipeline(counted, gunzip, () => undefined);
  try {
    for await (const chunk of gunzip as AsyncIterable<Buffer>) {
      parser.push(chunk, sink);
      progress.tick(done);
    }
  } catch (e) {
    if (e instanceof CaptureError || e instanceof StopReading) throw e;
    const code = (e as NodeJS.ErrnoException)?.code ?? '';
    if (code.startsWith('Z_') || (e as { errno?: number })?.errno !== undefined) {
      if (!code.startsWith('Z_')) throw fileError(e, parser.source);
      progress.final(done);
      return gzipFailure(parser, e);
    }
    throw e;
  } finally {
    counted.destroy();
    gunzip.destroy();
  }
  progress.final(done);
  return parser.end();
}

/** Read the first chunk(s) of an async source to look at the magic, then yield everything. */
async function peekStream(
  src: AsyncIterable<Buffer>,
): Promise<{ head: Buffer; rest: AsyncIterable<Buffer> }> {
  const it = src[Symbol.asyncIterator]();
  const parts: Buffer[] = [];
  let n = 0;
  let finished = false;
  while (n < 2) {
    const r = await it.next();
    if (r.done) {
      finished = true;
      break;
    }
    const b = Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value);
    parts.push(b);
    n += b.length;
  }
  const head = parts.length === 1 ? parts[0] : Buffer.concat(parts);
  const rest = (async function* () {
    if (head.length) yield head;
    if (finished) return;
    for (;;) {
      const r = await it.next();
      if (r.done) return;
      yield Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value);
    }
  })();
  return { head, rest };
}

async function readFd(
  fd: number,
  size: number,
  parser: StreamParser,
  sink: FrameSink,
  opts: ReadOptions,
): Promise<CaptureSummary> {
  const progress = new Progress(opts.onProgress, size);
  const chunkSize = Math.max(1, opts.chunkSize ?? READ_CHUNK);
  const buf = Buffer.allocUnsafe(Math.max(2, Math.min(chunkSize, Math.max(size, 65536))));
  let done = 0;
  let first = true;
  for (;;) {
    let n: number;
    try {
      n = readSync(fd, buf, 0, buf.length, null);
    } catch (e) {
      throw fileError(e, parser.source);
    }
    if (n === 0) break;
    if (first) {
      first = false;
      if (isGzip(buf.subarray(0, n))) {
        // gzip: the bytes read so far, then the rest of the file as a stream, through zlib
        const head = Buffer.from(buf.subarray(0, n));
        const stream = createReadStream('', { fd, autoClose: false, highWaterMark: 1024 * 1024 });
        const all = (async function* () {
          yield head;
          yield* stream as AsyncIterable<Buffer>;
        })();
        return readStream(all, parser, sink, true, progress);
      }
    }
    done += n;
    parser.push(n === buf.length ? buf : buf.subarray(0, n), sink);
    if (progress.tick(done)) await yieldLoop();
  }
  progress.final(done);
  return parser.end();
}

/**
 * Read a capture file ('-' = standard input): pcap, pcapng, either gzip-compressed. Frames go to `sink`
 * (one reused object, valid during the call). Resolves with the summary; rejects with CaptureError for
 * fatal input. A sink may throw StopReading to end early (resolves with the summary so far).
 */
export async function readCaptureFile(
  path: string,
  sink: FrameSink,
  opts: ReadOptions = {},
): Promise<CaptureSummary> {
  const stdin = path === '-';
  const parser = new StreamParser(stdin ? 'stdin' : path);
  try {
    if (stdin) return await readStdin(parser, sink, opts);
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (e) {
      throw fileError(e, path);
    }
    try {
      const st = fstatSync(fd);
      if (st.isDirectory()) throw fileError({ code: 'EISDIR' }, path);
      if (st.isFile()) {
        if (st.size === 0) throw new CaptureError('EMPTY_FILE', `${path}: is empty (0 bytes)`, EMPTY_HINT);
        return await readFd(fd, st.size, parser, sink, opts);
      }
      // FIFO, character device, /proc file...: stream it
      const stream = createReadStream('', { fd, autoClose: false, highWaterMark: 1024 * 1024 });
      const { head, rest } = await peekStream(stream as AsyncIterable<Buffer>);
      return await readStream(rest, parser, sink, isGzip(head), new Progress(opts.onProgress, null));
    } finally {
      try {
        closeSync(fd);
      } catch {
        // already closed
      }
    }
  } catch (e) {
    if (e instanceof StopReading) return parser.summary();
    throw e;
  }
}

async function readStdin(parser: StreamParser, sink: FrameSink, opts: ReadOptions): Promise<CaptureSummary> {
  let st: ReturnType<typeof fstatSync> | null = null;
  try {
    st = fstatSync(0);
  } catch {
    st = null;
  }
  if (st?.isFile() && st.size > 0) return readFd(0, st.size, parser, sink, opts);
  if (process.stdin.isTTY)
    throw new CaptureError(
      'STDIN_TTY',
      'stdin: no capture on standard input (it is a terminal)',
      'pipe one in, e.g. `tcpdump -i eth0 -w - tcp | toa-doctor print -`, or name a file',
    );
  const { head, rest } = await peekStream(process.stdin as AsyncIterable<Buffer>);
  return readStream(rest, parser, sink, isGzip(head), new Progress(opts.onProgress, null));
}

/** gunzip a whole buffer, keeping what decompresses when the stream is cut or corrupt. */
function gunzipBuffer(buf: Buffer, parser: StreamParser): Buffer {
  try {
    return gunzipSync(buf);
  } catch (e) {
    let partial: Buffer | null = null;
    try {
      partial = gunzipSync(buf, { finishFlush: zc.Z_SYNC_FLUSH });
    } catch {
      // corrupt in the middle: find the longest prefix that still decompresses (binary search)
      let lo = 0;
      let hi = buf.length;
      let best: Buffer | null = null;
      while (hi - lo > 1) {
        const mid = (lo + hi) >>> 1;
        try {
          best = gunzipSync(buf.subarray(0, mid), { finishFlush: zc.Z_SYNC_FLUSH });
          lo = mid;
        } catch {
          hi = mid;
        }
      }
      partial = best;
    }
    if (!partial || partial.length === 0) {
      gzipFailure(parser, e); // throws BAD_GZIP (nothing pushed yet)
      return Buffer.alloc(0);
    }
    const err = e as NodeJS.ErrnoException;
    const truncated = err?.code === 'Z_BUF_ERROR' || /unexpected end/i.test(err?.message ?? '');
    parser.warn(
      truncated ? 'GZIP_TRUNCATED' : 'GZIP_CORRUPT',
      `${parser.source}: gzip stream ${truncated ? 'ends early' : 'is corrupt'} (${err?.message ?? String(e)}) after ${partial.length} decompressed bytes; packets before that point were kept`,
    );
    return partial;
  }
}

/**
 * Parse a whole capture held in memory (pcap, pcapng, or either gzip-compressed). Frames point into
 * `buf` (or the decompressed copy). Throws CaptureError for fatal input.
 */
export function readCaptureBuffer(buf: Buffer, sink: FrameSink, source = 'buffer'): CaptureSummary {
  const parser = new StreamParser(source);
  try {
    let data = buf;
    if (isGzip(buf)) {
      parser.gzip = true;
      data = gunzipBuffer(buf, parser);
    }
    parser.push(data, sink);
    return parser.end();
  } catch (e) {
    if (e instanceof StopReading) return parser.summary();
    throw e;
  }
}
