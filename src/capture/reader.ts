/**
 * Capture-file reader: classic pcap (µs/ns, both byte orders), pcapng (several sections, per-interface
 * link type and timestamp resolution, EPB/SPB/PB), gzip (by magic) and standard input.
 *
 * Everything funnels into StreamParser, a push parser that walks records in place inside each chunk
 * and carries only the one record that straddles a chunk boundary. Frames are one reused object that
 * points into the chunk (no payload copy), valid only during the sink callback.
 *
 * Fatal input problems throw CaptureError (one line + hint). A truncated final record is a warning
 * (TRUNCATED_TAIL) and every packet before it is delivered.
 */
import { closeSync, createReadStream, fstatSync, openSync, readSync } from 'node:fs';
import { pipeline, Readable } from 'node:stream';
import { createGunzip, gunzipSync, constants as zc } from 'node:zlib';
import { cannotReadText } from '../errors.js';
import {
  CaptureError,
  type CaptureFormat,
  type CaptureSummary,
  type CaptureWarning,
  createFrame,
  type Frame,
  type FrameSink,
} from './types.js';

/** Largest captured length accepted in a classic pcap record (libpcap's MAXIMUM_SNAPLEN). */
export const MAX_CAPLEN = 262144;
/** Largest pcapng block accepted (Wireshark uses the same bound). */
export const MAX_BLOCK = 16 * 1024 * 1024;
/** Size of the synchronous reads used for plain files. */
export const READ_CHUNK = 256 * 1024;
/** Minimum time between two onProgress calls. */
const PROGRESS_MS = 100;

export interface ReadOptions {
  /** Called with (bytes read so far, total file bytes or null for pipes) at most every ~100 ms, and once at the end. */
  onProgress?: (done: number, total: number | null) => void;
  /** Size of each synchronous read for plain files (default 4 MiB; tests use small values). */
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

const M_START = 0;
const M_PCAP = 1;
const M_NG = 2;

const SHB = 0x0a0d0d0a;
const BOM = 0x1a2b3c4d;

// pcapng timestamp resolution kinds (per interface)
const TS_DEC = 0; // 10^-r with r <= 9 (units fit in 32 bits)
const TS_BIN = 1; // 2^-n with n <= 32
const TS_BIG = 2; // anything else: BigInt per block

const TWO32 = 4294967296;

function u32le(b: Buffer, p: number): number {
  return (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16)) + b[p + 3] * 0x1000000;
}
function u32be(b: Buffer, p: number): number {
  return b[p] * 0x1000000 + ((b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]);
}
function u16le(b: Buffer, p: number): number {
  return b[p] | (b[p + 1] << 8);
}
function u16be(b: Buffer, p: number): number {
  return (b[p] << 8) | b[p + 1];
}
function hex32(v: number): string {
  return `0x${v.toString(16).padStart(8, '0')}`;
}

const EMPTY_HINT =
  'nothing was captured; if tcpdump wrote it, stop tcpdump with Ctrl-C (not kill -9) so it flushes, or use `tcpdump -U -w FILE`';

const NOT_CAPTURE_HINT =
  'toa-doctor reads pcap, pcapng and gzip-compressed pcap/pcapng; write one with `tcpdump -w FILE` ' +
  '(not `tcpdump > FILE`, which saves text)';

/**
 * Known file signatures (magic numbers at offset 0) that are not captures: one row per format. Only
 * the format's name ever reaches the message, never the file's bytes (a file given by mistake may
 * hold secrets: password hashes, keys).
 */
const NOT_CAPTURE_MAGIC: ReadonlyArray<{ magic: number[]; what: string; hint?: string }> = [
  { magic: [0x50, 0x4b, 0x03, 0x04], what: 'looks like a zip archive', hint: 'unzip it first' },
  {
    magic: [0x42, 0x5a, 0x68],
    what: 'looks bzip2-compressed',
    hint: 'decompress it first (`bunzip2`); only gzip is read directly',
  },
  { magic: [0xfd, 0x37, 0x7a, 0x58], what: 'looks xz-compressed', hint: 'decompress it first (`unxz`)' },
  { magic: [0x28, 0xb5, 0x2f, 0xfd], what: 'looks zstd-compressed', hint: 'decompress it first (`unzstd`)' },
  { magic: [0x37, 0x7a, 0xbc, 0xaf], what: 'looks like a 7-Zip archive', hint: 'extract it first (`7z x`)' },
  { magic: [0x7f, 0x45, 0x4c, 0x46], what: 'looks like an executable (ELF)' },
  { magic: [0x4d, 0x5a], what: 'looks like a Windows executable (PE)' },
  { magic: [0x89, 0x50, 0x4e, 0x47], what: 'looks like a PNG image' },
  { magic: [0xff, 0xd8, 0xff], what: 'looks like a JPEG image' },
  { magic: [0x25, 0x50, 0x44, 0x46], what: 'looks like a PDF document' },
  { magic: [0x53, 0x51, 0x4c, 0x69, 0x74, 0x65], what: 'looks like an SQLite database' },
];

/** What kind of text (never the text itself). */
function describeText(b: Buffer): string {
  const head = b.toString('latin1', 0, Math.min(b.length, 512));
  const t = head.replace(/^\uFEFF|^\xEF\xBB\xBF/, '').trimStart();
  if (/^\d\d:\d\d:\d\d\.\d+ /.test(t) || /^tcpdump: /.test(t) || /^\d+\.\d+ IP6? /.test(t))
    return "looks like tcpdump's text output";
  if (t.startsWith('{') || t.startsWith('[')) return 'looks like JSON text';
  if (/^<(\?xml|!doctype html|html)/i.test(t)) return 'looks like XML/HTML text';
  if (t.startsWith('#!')) return 'looks like a script (text)';
  if (t.startsWith('-----BEGIN ')) return 'looks like a PEM key or certificate (text)';
  return 'looks like text';
}

/**
 * Say what a non-capture input looks like (for the NOT_A_CAPTURE message): a format name from the
 * first bytes, or the magic number in hex. The content itself is never quoted.
 */
export function describeBytes(b: Buffer): { what: string; hint: string } {
  if (b.length < 4) {
    return {
      what: `too short to be a capture (${b.length} byte${b.length === 1 ? '' : 's'})`,
      hint: NOT_CAPTURE_HINT,
    };
  }
  const m = u32be(b, 0);
  if (m === 0xa1b2cd34 || m === 0x34cdb2a1)
    return {
      what: 'a "modified" (Kuznetzov) pcap, which is not supported',
      hint: 'convert it with `editcap -F pcap IN OUT` or `tcpdump -r IN -w OUT`',
    };
  for (const row of NOT_CAPTURE_MAGIC) {
    if (b.length >= row.magic.length && row.magic.every((x, i) => b[i] === x))
      return { what: row.what, hint: row.hint ?? NOT_CAPTURE_HINT };
  }
  if (b.length >= 262 && b.toString('latin1', 257, 262) === 'ustar')
    return {
      what: 'looks like a tar archive',
      hint: 'extract it first; a toa-doctor support bundle is read with `toa-doctor read BUNDLE.tar.gz`',
    };
  const n = Math.min(b.length, 64);
  let printable = 0;
  for (let i = 0; i < n; i++) {
    const c = b[i];
    if ((c >= 0x20 && c < 0x7f) || c === 9 || c === 10 || c === 13 || c >= 0x80) printable++;
  }
  if (printable === n) {
    const what = describeText(b);
    if (what === "looks like tcpdump's text output")
      return { what, hint: 'save packets, not text: `tcpdump -i IFACE -w FILE.pcap`' };
    return { what, hint: NOT_CAPTURE_HINT };
  }
  return { what: `unknown magic number ${hex32(m)}`, hint: NOT_CAPTURE_HINT };
}

/**
 * Push parser for pcap/pcapng bytes. push() chunks of any size (1 byte up to the whole file); frames go
 * to the sink as soon as they are complete. end() returns the summary and records TRUNCATED_TAIL when a
 * partial record remains. Fatal input throws CaptureError from push() or end().
 */
export class StreamParser {
  /** set by readers when the bytes come out of gzip (affects messages and summary) */
  gzip = false;

  private mode = M_START;
  private format: CaptureFormat = 'pcap';
  private le = true;
  private nano = false;
  private linkType = 1;

  private carry: Buffer = Buffer.allocUnsafe(0);
  private carryLen = 0;
  /** file offset of the next unconsumed record/block (start of the carry when carryLen > 0) */
  private offset = 0;
  private bytesIn = 0;

  private packets = 0;
  private wireBytes = 0;
  private blocks = 0;
  private sections = 0;
  private minSec = Number.POSITIVE_INFINITY;
  private minNs = 0;
  private maxSec = Number.NEGATIVE_INFINITY;
  private maxNs = 0;
  private linkCounts: Record<number, number> = {};
  private warnings: CaptureWarning[] = [];
  private ended = false;

  // pcapng per-interface state (current section)
  private ifLink: number[] = [];
  private ifSnap: number[] = [];
  private ifKind: number[] = [];
  private ifUnits: number[] = [];
  private ifNsMul: number[] = [];
  private ifOff: number[] = [];
  private ifRes: number[] = [];
  /** packets per interface in the current section (folded into linkCounts at the next SHB) */
  private ifCount: number[] = [];
  // long-division results (avoid allocating a pair)
  private qSec = 0;
  private qRem = 0;

  // the chunk being fed into the carry, for describing a non-capture start
  private peekChunk: Buffer | null = null;
  private peekPos = 0;

  private readonly frame: Frame = createFrame();

  constructor(readonly source: string) {}

  /** Feed the next chunk. The chunk may be reused by the caller after push() returns. */
  push(chunk: Buffer, sink: FrameSink): void {
    const len = chunk.length;
    if (len === 0 || this.ended) return;
    this.bytesIn += len;
    let pos = 0;
    if (this.carryLen > 0 || this.mode === M_START) {
      pos = this.feedCarry(chunk, sink);
      if (pos >= len) return;
    }
    const used =
      this.mode === M_PCAP ? this.parsePcap(chunk, pos, len, sink) : this.parseNg(chunk, pos, len, sink);
    if (used < len) {
      const rest = len - used;
      this.ensureCarry(rest);
      chunk.copy(this.carry, 0, used, len);
      this.carryLen = rest;
    }
  }

  /** Finish: returns the summary (throws CaptureError if the input never got past its header). */
  end(): CaptureSummary {
    if (!this.ended) {
      this.ended = true;
      const what = this.gzip ? 'decompressed data' : 'input';
      if (this.mode === M_START || (this.mode === M_NG && this.sections === 0)) {
        if (this.bytesIn === 0)
          throw new CaptureError(
            'EMPTY_FILE',
            `${this.source}: is empty (0 bytes${this.gzip ? ' after gzip decompression' : ''})`,
            EMPTY_HINT,
          );
        if (this.mode === M_START && this.carryLen < 4) {
          const d = describeBytes(this.carry.subarray(0, this.carryLen));
          throw new CaptureError(
            'NOT_A_CAPTURE',
            `${this.source}: not a pcap or pcapng file: ${this.gzip ? 'gzip-compressed, inside: ' : ''}${d.what}`,
            d.hint,
          );
        }
        const ng = this.mode === M_NG;
        const hdr = ng ? 'pcapng section header block' : 'pcap global header';
        const need = ng ? this.ngNeedForEnd() : 24;
        throw new CaptureError(
          'TRUNCATED_HEADER',
          `${this.source}: file is cut inside the ${hdr} (${this.carryLen} of ${need} bytes in the ${what})`,
          'the file is incomplete (copy interrupted, or the capture never flushed); copy or capture it again',
        );
      }
      if (this.carryLen > 0) this.tailWarning();
    }
    return this.summary();
  }

  /** Summary of what has been delivered so far (end() returns the final one). */
  summary(): CaptureSummary {
    const linkTypes: Record<number, number> = { ...this.linkCounts };
    this.foldCounts(linkTypes);
    if (this.format !== 'pcapng' && this.mode === M_PCAP && this.packets > 0)
      linkTypes[this.linkType] = (linkTypes[this.linkType] ?? 0) + this.packets;
    const hasTs = this.minSec !== Number.POSITIVE_INFINITY;
    return {
      source: this.source,
      format: this.format,
      gzip: this.gzip,
      packets: this.packets,
      bytes: this.wireBytes,
      linkTypes,
      firstTs: hasTs ? this.minSec + this.minNs / 1e9 : null,
      lastTs: hasTs ? this.maxSec + this.maxNs / 1e9 : null,
      warnings: this.warnings.slice(),
    };
  }

  /** Add a warning (used by readers for gzip problems). */
  warn(code: string, message: string): void {
    this.warnings.push({ code, message });
  }

  /** Decompressed/plain bytes pushed so far. */
  get bytesPushed(): number {
    return this.bytesIn;
  }

  // ---------------------------------------------------------------------------------------------
  // carry handling

  private ensureCarry(n: number): void {
    if (this.carry.length >= n) return;
    const nb = Buffer.allocUnsafe(Math.max(n, Math.min(this.carry.length * 2, MAX_BLOCK + 64), 65536));
    this.carry.copy(nb, 0, 0, this.carryLen);
    this.carry = nb;
  }

  /** Move bytes from chunk into the carry until it holds one complete unit, then process it. */
  private feedCarry(chunk: Buffer, sink: FrameSink): number {
    const len = chunk.length;
    let pos = 0;
    while (this.carryLen > 0 || this.mode === M_START) {
      this.peekChunk = chunk;
      this.peekPos = pos;
      const need = this.unitSize(this.carry, 0, this.carryLen);
      this.peekChunk = null;
      if (need <= this.carryLen) {
        const c = this.carry;
        if (this.mode === M_START) this.startHeader(c);
        else if (this.mode === M_PCAP) this.parsePcap(c, 0, need, sink);
        else this.parseNg(c, 0, need, sink);
        this.carryLen = 0;
        if (this.mode !== M_START) return pos;
        continue;
      }
      if (pos >= len) return pos;
      const take = Math.min(need - this.carryLen, len - pos);
      this.ensureCarry(need);
      chunk.copy(this.carry, this.carryLen, pos, pos + take);
      this.carryLen += take;
      pos += take;
    }
    return pos;
  }

  /**
   * Total size of the unit starting at buf[off] given `avail` bytes, or a smaller number of bytes still
   * needed to tell. Throws on invalid headers (so a bad length is reported as soon as it is visible).
   */
  private unitSize(buf: Buffer, off: number, avail: number): number {
    if (this.mode === M_PCAP) {
      if (avail < 16) return 16;
      const caplen = this.le ? u32le(buf, off + 8) : u32be(buf, off + 8);
      if (caplen > MAX_CAPLEN) this.badCaplen(caplen, this.packets + 1, this.offset);
      return 16 + caplen;
    }
    if (this.mode === M_NG) return this.ngSize(buf, off, avail, this.offset);
    // start: detect the format by magic
    if (avail < 4) return 4;
    const m = u32le(buf, off);
    if (m === 0xa1b2c3d4 || m === 0xd4c3b2a1 || m === 0xa1b23c4d || m === 0x4d3cb2a1) {
      this.format = m === 0xa1b2c3d4 || m === 0xd4c3b2a1 ? 'pcap' : 'pcap-ns';
      return 24;
    }
    if (m === SHB) {
      this.format = 'pcapng';
      this.mode = M_NG;
      return this.ngSize(buf, off, avail, this.offset);
    }
    if (buf[off] === 0x1f && buf[off + 1] === 0x8b)
      throw new CaptureError(
        'GZIP_STREAM',
        `${this.source}: input is gzip-compressed`,
        'pass gzip input through readCaptureFile/readCaptureBuffer (they decompress it) or gunzip it first',
      );
    const peek = this.peekChunk
      ? Buffer.concat([
          buf.subarray(off, off + avail),
          this.peekChunk.subarray(this.peekPos, this.peekPos + 300),
        ])
      : buf.subarray(off, off + avail);
    const d = describeBytes(peek);
    throw new CaptureError(
      'NOT_A_CAPTURE',
      `${this.source}: not a pcap or pcapng file: ${this.gzip ? 'gzip-compressed, inside: ' : ''}${d.what}`,
      d.hint,
    );
  }

  /** Process the 24-byte classic pcap global header. */
  private startHeader(b: Buffer): void {
    const m = u32le(b, 0);
    this.le = m === 0xa1b2c3d4 || m === 0xa1b23c4d;
    this.nano = m === 0xa1b23c4d || m === 0x4d3cb2a1;
    const major = this.le ? u16le(b, 4) : u16be(b, 4);
    const minor = this.le ? u16le(b, 6) : u16be(b, 6);
    if (major !== 2)
      throw new CaptureError(
        'BAD_HEADER',
        `${this.source}: unsupported pcap version ${major}.${minor} (expected 2.x)`,
        'the header is corrupt or the file was written by an unusual tool; try `editcap -F pcap IN OUT`',
      );
    // LT_LINKTYPE(): the upper bits may carry FCS information
    this.linkType = (this.le ? u32le(b, 20) : u32be(b, 20)) & 0x03ffffff;
    this.mode = M_PCAP;
    this.offset = 24;
  }

  private badCaplen(caplen: number, rec: number, off: number): never {
    throw new CaptureError(
      'BAD_RECORD',
      `${this.source}: record #${rec} at byte offset ${off}${this.gzip ? ' (decompressed)' : ''} has captured length ${caplen} (more than ${MAX_CAPLEN}): the file is corrupt from there on`,
      'the file is damaged (or not really a pcap); try repairing it with `pcapfix`, or capture again',
    );
  }

  private tailWarning(): void {
    const have = this.carryLen;
    const c = this.carry;
    const at = `at byte offset ${this.offset}${this.gzip ? ' (decompressed)' : ''}`;
    const kept = `the ${this.packets} packet${this.packets === 1 ? '' : 's'} before it ${this.packets === 1 ? 'was' : 'were'} read`;
    let msg: string;
    if (this.mode === M_PCAP) {
      const rec = `the last record (#${this.packets + 1} ${at})`;
      if (have < 16) msg = `${this.source}: ${rec} is cut inside its header (${have} of 16 bytes); ${kept}`;
      else {
        const need = 16 + (this.le ? u32le(c, 8) : u32be(c, 8));
        msg = `${this.source}: ${rec} is cut short (${have} of ${need} bytes); ${kept}`;
      }
    } else {
      const blk = `the last block (#${this.blocks + 1} ${at})`;
      if (have < 8) msg = `${this.source}: ${blk} is cut inside its header (${have} of 8 bytes); ${kept}`;
      else {
        const need = this.le ? u32le(c, 4) : u32be(c, 4);
        msg = `${this.source}: ${blk} is cut short (${have} of ${need} bytes); ${kept}`;
      }
    }
    this.warnings.push({ code: 'TRUNCATED_TAIL', message: msg });
  }

  // ---------------------------------------------------------------------------------------------
  // classic pcap: the hot loop

  private parsePcap(buf: Buffer, pos: number, end: number, sink: FrameSink): number {
    const f = this.frame;
    f.buf = buf;
    f.linkType = this.linkType;
    f.interfaceId = 0;
    const mul = this.nano ? 1 : 1000;
    const fracMax = this.nano ? 1e9 : 1e6;
    let p = pos;
    let n = 0;
    let wire = 0;
    let minS = this.minSec;
    let minN = this.minNs;
    let maxS = this.maxSec;
    let maxN = this.maxNs;
    try {
      if (this.le) {
        while (end - p >= 16) {
          const caplen = (buf[p + 8] | (buf[p + 9] << 8) | (buf[p + 10] << 16)) + buf[p + 11] * 0x1000000;
          if (caplen > MAX_CAPLEN) this.badCaplen(caplen, this.packets + n + 1, this.offset + (p - pos));
          if (end - p - 16 < caplen) break;
          let sec = (buf[p] | (buf[p + 1] << 8) | (buf[p + 2] << 16)) + buf[p + 3] * 0x1000000;
          let frac = (buf[p + 4] | (buf[p + 5] << 8) | (buf[p + 6] << 16)) + buf[p + 7] * 0x1000000;
          const orig = (buf[p + 12] | (buf[p + 13] << 8) | (buf[p + 14] << 16)) + buf[p + 15] * 0x1000000;
          if (frac >= fracMax) {
            sec += Math.floor(frac / fracMax);
            frac %= fracMax;
          }
          const ns = frac * mul;
          if (sec < minS || (sec === minS && ns < minN)) {
            minS = sec;
            minN = ns;
          }
          if (sec > maxS || (sec === maxS && ns > maxN)) {
            maxS = sec;
            maxN = ns;
          }
          f.tsSec = sec;
          f.tsNsec = ns;
          f.capturedLength = caplen;
          f.originalLength = orig;
          f.offset = p + 16;
          wire += orig;
          n++;
          p += 16 + caplen;
          sink(f);
        }
      } else {
        while (end - p >= 16) {
          const caplen = buf[p + 8] * 0x1000000 + ((buf[p + 9] << 16) | (buf[p + 10] << 8) | buf[p + 11]);
          if (caplen > MAX_CAPLEN) this.badCaplen(caplen, this.packets + n + 1, this.offset + (p - pos));
          if (end - p - 16 < caplen) break;
          let sec = buf[p] * 0x1000000 + ((buf[p + 1] << 16) | (buf[p + 2] << 8) | buf[p + 3]);
          let frac = buf[p + 4] * 0x1000000 + ((buf[p + 5] << 16) | (buf[p + 6] << 8) | buf[p + 7]);
          const orig = buf[p + 12] * 0x1000000 + ((buf[p + 13] << 16) | (buf[p + 14] << 8) | buf[p + 15]);
          if (frac >= fracMax) {
            sec += Math.floor(frac / fracMax);
            frac %= fracMax;
          }
          const ns = frac * mul;
          if (sec < minS || (sec === minS && ns < minN)) {
            minS = sec;
            minN = ns;
          }
          if (sec > maxS || (sec === maxS && ns > maxN)) {
            maxS = sec;
            maxN = ns;
          }
          f.tsSec = sec;
          f.tsNsec = ns;
          f.capturedLength = caplen;
          f.originalLength = orig;
          f.offset = p + 16;
          wire += orig;
          n++;
          p += 16 + caplen;
          sink(f);
        }
      }
    } finally {
      this.packets += n;
      this.wireBytes += wire;
      this.offset += p - pos;
      this.minSec = minS;
      this.minNs = minN;
      this.maxSec = maxS;
      this.maxNs = maxN;
    }
    return p;
  }

  // ---------------------------------------------------------------------------------------------
  // pcapng

  private ngNeedForEnd(): number {
    const c = this.carry;
    if (this.carryLen < 12) return 28;
    return u32le(c, 8) === BOM ? u32le(c, 4) : u32be(c, 4);
  }

  /** A bad block found after ngBlock consumed it: rewind the counters, then throw. */
  private ngFail(what: string, blk: number, off: number): never {
    this.offset = off;
    this.blocks = blk - 1;
    return this.ngBad(what, blk, off);
  }

  private ngBad(what: string, blk: number, off: number): never {
    throw new CaptureError(
      'BAD_BLOCK',
      `${this.source}: pcapng block #${blk} at byte offset ${off}${this.gzip ? ' (decompressed)' : ''}: ${what}`,
      'the file is damaged from there on; try `pcapfix`, or `editcap IN OUT` to salvage it, or capture again',
    );
  }

  /** Size of the block at buf[off] (see unitSize). */
  private ngSize(buf: Buffer, off: number, avail: number, absOff: number): number {
    if (avail < 8) return 8;
    const type = u32le(buf, off);
    let le = this.le;
    if (type === SHB) {
      if (avail < 12) return 12;
      const bom = u32le(buf, off + 8);
      if (bom === BOM) le = true;
      else if (bom === 0x4d3c2b1a) le = false;
      else if (this.sections === 0) {
        throw new CaptureError(
          'NOT_A_CAPTURE',
          `${this.source}: not a pcapng file: section header has byte-order magic ${hex32(bom)} instead of 0x1a2b3c4d`,
          NOT_CAPTURE_HINT,
        );
      } else
        this.ngBad(
          `section header has byte-order magic ${hex32(bom)} instead of 0x1a2b3c4d`,
          this.blocks + 1,
          absOff,
        );
    }
    const blen = le ? u32le(buf, off + 4) : u32be(buf, off + 4);
    if (blen < 12 || blen % 4 !== 0)
      this.ngBad(
        `block length ${blen} is invalid (must be a multiple of 4 and at least 12)`,
        this.blocks + 1,
        absOff,
      );
    if (type === SHB && blen < 28)
      this.ngBad(`section header block length ${blen} is too small (at least 28)`, this.blocks + 1, absOff);
    if (blen > MAX_BLOCK)
      this.ngBad(
        `block length ${blen} is larger than ${MAX_BLOCK}: the file is corrupt`,
        this.blocks + 1,
        absOff,
      );
    return blen;
  }

  private parseNg(buf: Buffer, pos: number, end: number, sink: FrameSink): number {
    let p = pos;
    const f = this.frame;
    while (end - p >= 8) {
      // fast path: a well-formed enhanced packet block in the current section
      if (end - p >= 32 && this.sections > 0) {
        const le = this.le;
        const blen = le ? u32le(buf, p + 4) : u32be(buf, p + 4);
        if (
          (le ? u32le(buf, p) : u32be(buf, p)) === 6 &&
          blen >= 32 &&
          (blen & 3) === 0 &&
          blen <= MAX_BLOCK
        ) {
          if (blen > end - p) break;
          const ifc = le ? u32le(buf, p + 8) : u32be(buf, p + 8);
          const caplen = le ? u32le(buf, p + 20) : u32be(buf, p + 20);
          const trailer = le ? u32le(buf, p + blen - 4) : u32be(buf, p + blen - 4);
          if (trailer === blen && caplen <= blen - 32 && ifc < this.ifLink.length) {
            const hi = le ? u32le(buf, p + 12) : u32be(buf, p + 12);
            const lo = le ? u32le(buf, p + 16) : u32be(buf, p + 16);
            if (hi < 0x200000 && this.ifKind[ifc] === TS_DEC) {
              // common case (µs since 1970 is below 2^53): exact in a double, no call
              const d = this.ifUnits[ifc];
              const t = hi * TWO32 + lo;
              let sec = Math.floor(t / d);
              let rem = t - sec * d;
              if (rem < 0) {
                sec--;
                rem += d;
              } else if (rem >= d) {
                sec++;
                rem -= d;
              }
              f.tsSec = sec + this.ifOff[ifc];
              f.tsNsec = rem * this.ifNsMul[ifc];
            } else this.setTs(ifc, hi, lo);
            const orig = le ? u32le(buf, p + 24) : u32be(buf, p + 24);
            f.buf = buf;
            f.offset = p + 28;
            f.capturedLength = caplen;
            f.originalLength = orig;
            f.linkType = this.ifLink[ifc];
            f.interfaceId = ifc;
            this.blocks++;
            this.offset += blen;
            this.countPacket(ifc, orig, true);
            p += blen;
            sink(f);
            continue;
          }
          // otherwise the generic path below reports what is wrong
        }
      }
      const blen = this.ngSize(buf, p, end - p, this.offset);
      if (blen > end - p) break;
      this.ngBlock(buf, p, blen, sink);
      p += blen;
    }
    return p;
  }

  private ngBlock(b: Buffer, p: number, blen: number, sink: FrameSink): void {
    const blk = this.blocks + 1;
    const absOff = this.offset;
    // consume first so that a throwing sink leaves a consistent state
    this.blocks = blk;
    this.offset += blen;
    const type = u32le(b, p);
    if (type === SHB) {
      this.le = u32le(b, p + 8) === BOM;
      const le = this.le;
      const major = le ? u16le(b, p + 12) : u16be(b, p + 12);
      const minor = le ? u16le(b, p + 14) : u16be(b, p + 14);
      this.checkTrailer(b, p, blen, blk, absOff);
      if (major !== 1) {
        this.offset = absOff;
        this.blocks = blk - 1;
        throw new CaptureError(
          'BAD_HEADER',
          `${this.source}: pcapng block #${blk} at byte offset ${absOff}: unsupported pcapng version ${major}.${minor} (expected 1.x)`,
          'convert it with `editcap -F pcapng IN OUT`, or capture again',
        );
      }
      this.sections++;
      this.foldCounts(this.linkCounts);
      this.ifCount.length = 0;
      this.ifLink.length = 0;
      this.ifSnap.length = 0;
      this.ifKind.length = 0;
      this.ifUnits.length = 0;
      this.ifNsMul.length = 0;
      this.ifOff.length = 0;
      this.ifRes.length = 0;
      return;
    }
    // the type was read little-endian above; re-read it in the section's byte order
    this.ngTyped(this.le ? type : u32be(b, p), b, p, blen, sink, blk, absOff, this.le);
  }

  private checkTrailer(b: Buffer, p: number, blen: number, blk: number, absOff: number): void {
    const t = this.le ? u32le(b, p + blen - 4) : u32be(b, p + blen - 4);
    const l = this.le ? u32le(b, p + 4) : u32be(b, p + 4);
    if (t !== l)
      this.ngFail(`trailing block length ${t} does not match the leading length ${l}`, blk, absOff);
  }

  private ngTyped(
    type: number,
    b: Buffer,
    p: number,
    blen: number,
    sink: FrameSink,
    blk: number,
    absOff: number,
    le: boolean,
  ): void {
    this.checkTrailer(b, p, blen, blk, absOff);
    const r32 = le ? u32le : u32be;
    const r16 = le ? u16le : u16be;
    if (type === 6 || type === 2) {
      // EPB: if_id u32, ts hi, ts lo, caplen, origlen;  PB: if_id u16, drops u16, ts hi, ts lo, caplen, origlen
      if (blen < 32)
        this.ngFail(
          `${type === 6 ? 'enhanced packet' : 'packet'} block length ${blen} is too small`,
          blk,
          absOff,
        );
      const ifc = type === 6 ? r32(b, p + 8) : r16(b, p + 8);
      const caplen = r32(b, p + 20);
      if (caplen > blen - 32)
        this.ngFail(`captured length ${caplen} does not fit in the block (length ${blen})`, blk, absOff);
      if (ifc >= this.ifLink.length)
        this.ngFail(
          `packet refers to interface ${ifc} but ${this.ifLink.length} interface${this.ifLink.length === 1 ? ' is' : 's are'} described in this section`,
          blk,
          absOff,
        );
      const f = this.frame;
      this.setTs(ifc, r32(b, p + 12), r32(b, p + 16));
      const lt = this.ifLink[ifc];
      f.buf = b;
      f.offset = p + 28;
      f.capturedLength = caplen;
      f.originalLength = r32(b, p + 24);
      f.linkType = lt;
      f.interfaceId = ifc;
      this.countPacket(ifc, f.originalLength, true);
      sink(f);
      return;
    }
    if (type === 3) {
      // SPB: origlen, data; captured length bounded by the block and interface 0's snaplen
      if (blen < 16) this.ngFail(`simple packet block length ${blen} is too small`, blk, absOff);
      if (this.ifLink.length === 0)
        this.ngFail(
          'simple packet block before any interface description block in this section',
          blk,
          absOff,
        );
      const orig = r32(b, p + 8);
      let caplen = Math.min(orig, blen - 16);
      const snap = this.ifSnap[0];
      if (snap > 0 && caplen > snap) caplen = snap;
      const f = this.frame;
      const lt = this.ifLink[0];
      f.tsSec = 0;
      f.tsNsec = 0;
      f.buf = b;
      f.offset = p + 12;
      f.capturedLength = caplen;
      f.originalLength = orig;
      f.linkType = lt;
      f.interfaceId = 0;
      this.countPacket(0, orig, false);
      sink(f);
      return;
    }
    if (type === 1) {
      if (blen < 20) this.ngFail(`interface description block length ${blen} is too small`, blk, absOff);
      const lt = r16(b, p + 8);
      const snap = r32(b, p + 12);
      let res = 6;
      let tsOff = 0;
      let q = p + 16;
      const oend = p + blen - 4;
      while (oend - q >= 4) {
        const code = r16(b, q);
        const olen = r16(b, q + 2);
        if (code === 0) break;
        if (q + 4 + olen > oend) break; // malformed options: keep what was read
        if (code === 9 && olen >= 1) res = b[q + 4];
        else if (code === 14 && olen === 8) {
          const hi = r32(b, q + 4 + (le ? 4 : 0));
          const lo = r32(b, q + 4 + (le ? 0 : 4));
          tsOff = (hi | 0) * TWO32 + lo;
        }
        q += 4 + ((olen + 3) & ~3);
      }
      this.addInterface(lt, snap, res, tsOff);
      return;
    }
    // NRB, ISB, DSB, custom and unknown blocks: skipped by length
  }

  private addInterface(lt: number, snap: number, res: number, tsOff: number): void {
    let kind: number;
    let units = 0;
    let nsMul = 0;
    if (res & 0x80) {
      const n = res & 0x7f;
      kind = n <= 32 ? TS_BIN : TS_BIG;
      units = n;
    } else if (res <= 9) {
      kind = TS_DEC;
      units = 10 ** res;
      nsMul = 10 ** (9 - res);
    } else {
      kind = TS_BIG;
      units = res;
    }
    this.ifLink.push(lt);
    this.ifSnap.push(snap);
    this.ifKind.push(kind);
    this.ifUnits.push(units);
    this.ifNsMul.push(nsMul);
    this.ifOff.push(tsOff);
    this.ifRes.push(res);
    this.ifCount.push(0);
  }

  private foldCounts(into: Record<number, number>): void {
    for (let i = 0; i < this.ifCount.length; i++)
      if (this.ifCount[i] > 0) into[this.ifLink[i]] = (into[this.ifLink[i]] ?? 0) + this.ifCount[i];
  }

  private countPacket(ifc: number, orig: number, ts: boolean): void {
    this.packets++;
    this.wireBytes += orig;
    this.ifCount[ifc]++;
    if (!ts) return;
    const sec = this.frame.tsSec;
    const ns = this.frame.tsNsec;
    if (sec < this.minSec || (sec === this.minSec && ns < this.minNs)) {
      this.minSec = sec;
      this.minNs = ns;
    }
    if (sec > this.maxSec || (sec === this.maxSec && ns > this.maxNs)) {
      this.maxSec = sec;
      this.maxNs = ns;
    }
  }

  /** 64-bit tick count (hi, lo) at the interface's resolution → frame.tsSec / tsNsec, exactly. */
  private setTs(ifc: number, hi: number, lo: number): void {
    const f = this.frame;
    const kind = this.ifKind[ifc];
    let sec: number;
    let ns: number;
    if (kind === TS_DEC) {
      const d = this.ifUnits[ifc];
      if (hi < 0x200000) {
        // below 2^53: exact in a double
        const t = hi * TWO32 + lo;
        sec = Math.floor(t / d);
        let rem = t - sec * d;
        if (rem < 0) {
          sec--;
          rem += d;
        } else if (rem >= d) {
          sec++;
          rem -= d;
        }
        ns = rem * this.ifNsMul[ifc];
      } else {
        this.div64(hi, lo, d);
        sec = this.qSec;
        ns = this.qRem * this.ifNsMul[ifc];
      }
    } else if (kind === TS_BIN) {
      const n = this.ifUnits[ifc];
      const p2 = 2 ** n;
      sec = hi * 2 ** (32 - n) + Math.floor(lo / p2);
      const frac = lo % p2;
      // frac * 1e9 / 2^n, exact: 1e9 = 2^9 * 1953125 and frac * 1953125 < 2^53
      ns = n >= 9 ? Math.floor((frac * 1953125) / 2 ** (n - 9)) : Math.floor((frac * 1e9) / 2 ** n);
    } else {
      const ticks = (BigInt(hi) << 32n) | BigInt(lo);
      const res = this.ifRes[ifc];
      if (res & 0x80) {
        const n = BigInt(res & 0x7f);
        sec = Number(ticks >> n);
        ns = Number(((ticks & ((1n << n) - 1n)) * 1_000_000_000n) >> n);
      } else {
        const units = 10n ** BigInt(res);
        sec = Number(ticks / units);
        ns = Number((ticks % units) / 10n ** BigInt(res - 9));
      }
    }
    f.tsSec = sec + this.ifOff[ifc];
    f.tsNsec = ns;
  }

  /** (hi * 2^32 + lo) / d for d < 2^32, by 16-bit limbs (every step exact in doubles). */
  private div64(hi: number, lo: number, d: number): void {
    const limbs0 = hi >>> 16;
    const limbs1 = hi & 0xffff;
    const limbs2 = lo >>> 16;
    const limbs3 = lo & 0xffff;
    let r = 0;
    let q = 0;
    for (let i = 0; i < 4; i++) {
      const limb = i === 0 ? limbs0 : i === 1 ? limbs1 : i === 2 ? limbs2 : limbs3;
      const cur = r * 65536 + limb;
      let qd = Math.floor(cur / d);
      r = cur - qd * d;
      if (r < 0) {
        qd--;
        r += d;
      } else if (r >= d) {
        qd++;
        r -= d;
      }
      q = q * 65536 + qd;
    }
    this.qSec = q;
    this.qRem = r;
  }
}

// -------------------------------------------------------------------------------------------------
// file / stdin / buffer front ends

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

function isGzip(b: Buffer): boolean {
  return b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;
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
