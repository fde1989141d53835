/**
 * Classic pcap writer (µs or ns timestamps, little-endian like libpcap on x86), buffered.
 * Used by `live -w` and by support bundles. Frames are copied into the output buffer, so the caller's
 * frame may be reused right after write().
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { cannotWriteText } from '../errors.js';
import { MAX_CAPLEN } from './parser.js';
import { CaptureError, type Frame } from './types.js';

const BUF_SIZE = 1024 * 1024;

export interface PcapWriterOptions {
  /** nanosecond timestamps (magic 0xa1b23c4d) instead of microseconds */
  nano?: boolean;
}

/** The 24-byte classic pcap global header. */
export function pcapGlobalHeader(linkType: number, snaplen = MAX_CAPLEN, nano = false): Buffer {
  const h = Buffer.alloc(24);
  h.writeUInt32LE(nano ? 0xa1b23c4d : 0xa1b2c3d4, 0);
  h.writeUInt16LE(2, 4);
  h.writeUInt16LE(4, 6);
  h.writeUInt32LE(snaplen >>> 0, 16);
  h.writeUInt32LE(linkType >>> 0, 20);
  return h;
}

function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** writeSync all bytes, retrying on EAGAIN (a non-blocking pipe such as stdout). */
function writeAll(fd: number, buf: Buffer, len: number): void {
  let off = 0;
  while (off < len) {
    try {
      off += writeSync(fd, buf, off, len - off);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EAGAIN') {
        sleepMs(1);
        continue;
      }
      throw e;
    }
  }
}

/**
 * Buffered classic pcap writer. `target` is a path (created/truncated, closed by close()) or an open
 * file descriptor (flushed but NOT closed by close(), e.g. 1 for stdout). Captured bytes beyond
 * `snaplen` are cut (the original length is kept).
 */
export class PcapWriter {
  private readonly fd: number;
  private readonly ownFd: boolean;
  private readonly buf = Buffer.allocUnsafe(BUF_SIZE);
  private used = 0;
  private closed = false;
  private readonly nano: boolean;
  /** packets written so far */
  packets = 0;

  constructor(
    target: string | number,
    readonly linkType: number,
    readonly snaplen: number = MAX_CAPLEN,
    opts: PcapWriterOptions = {},
  ) {
    this.nano = !!opts.nano;
    if (typeof target === 'number') {
      this.fd = target;
      this.ownFd = false;
    } else {
      try {
        this.fd = openSync(target, 'w');
      } catch (e) {
        const t = cannotWriteText(target, e, 'the capture file');
        throw new CaptureError(t.code, t.message, t.hint);
      }
      this.ownFd = true;
    }
    pcapGlobalHeader(linkType, snaplen, this.nano).copy(this.buf, 0);
    this.used = 24;
  }

  /** Append one packet (its timestamp, lengths and captured bytes). */
  write(frame: Frame): void {
    if (this.closed) throw new Error('PcapWriter: write after close');
    const caplen = Math.min(frame.capturedLength, this.snaplen);
    if (this.used + 16 + caplen > this.buf.length) this.flush();
    const b = this.buf;
    let p = this.used;
    const frac = this.nano ? frame.tsNsec : Math.floor(frame.tsNsec / 1000);
    b.writeUInt32LE(frame.tsSec >>> 0, p);
    b.writeUInt32LE(frac >>> 0, p + 4);
    b.writeUInt32LE(caplen, p + 8);
    b.writeUInt32LE(Math.max(frame.originalLength, caplen) >>> 0, p + 12);
    p += 16;
    if (p + caplen > b.length) {
      // larger than the whole buffer: header, then the bytes directly
      writeAll(this.fd, b, p);
      writeAll(this.fd, frame.buf.subarray(frame.offset, frame.offset + caplen), caplen);
      this.used = 0;
    } else {
      frame.buf.copy(b, p, frame.offset, frame.offset + caplen);
      this.used = p + caplen;
    }
    this.packets++;
  }

  /** Write buffered bytes to the file/fd now. */
  flush(): void {
    if (this.used > 0) {
      writeAll(this.fd, this.buf, this.used);
      this.used = 0;
    }
  }

  /** Flush; close the file if the writer opened it. Safe to call twice. */
  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    if (this.ownFd) closeSync(this.fd);
  }
}

/** A whole classic pcap file in memory (link type defaults to the first frame's, else Ethernet). */
export function pcapFileBuffer(
  frames: Frame[],
  linkType: number = frames[0]?.linkType ?? 1,
  opts: PcapWriterOptions & { snaplen?: number } = {},
): Buffer {
  const snaplen = opts.snaplen ?? MAX_CAPLEN;
  let size = 24;
  for (const f of frames) size += 16 + Math.min(f.capturedLength, snaplen);
  const out = Buffer.allocUnsafe(size);
  pcapGlobalHeader(linkType, snaplen, !!opts.nano).copy(out, 0);
  let p = 24;
  for (const f of frames) {
    const caplen = Math.min(f.capturedLength, snaplen);
    out.writeUInt32LE(f.tsSec >>> 0, p);
    out.writeUInt32LE((opts.nano ? f.tsNsec : Math.floor(f.tsNsec / 1000)) >>> 0, p + 4);
    out.writeUInt32LE(caplen, p + 8);
    out.writeUInt32LE(Math.max(f.originalLength, caplen) >>> 0, p + 12);
    f.buf.copy(out, p + 16, f.offset, f.offset + caplen);
    p += 16 + caplen;
  }
  return out;
}
