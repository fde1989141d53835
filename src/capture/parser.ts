/**
 * StreamParser: the push parser every capture source feeds (reader.ts's files, standard input and
 * buffers; the tcpdump live engine's pipe). Classic pcap (µs/ns, both byte orders; libpcap
 * sf-pcap.c pcap_next_packet()) and pcapng (several sections, per-interface link type and timestamp
 * resolution in pcapng.ts, EPB/SPB/PB; the pcapng specification, draft-ietf-opsawg-pcapng).
 *
 * Records are walked in place inside each chunk; only the one record that straddles a chunk
 * boundary is carried. Frames are one reused object that points into the chunk (no payload copy),
 * valid only during the sink callback. Fatal input problems throw CaptureError (one line + hint);
 * a truncated final record is a warning (TRUNCATED_TAIL) and every packet before it is delivered.
 */
import { hex32, TWO32, u16be, u16le, u32be, u32le } from './bytes.js';
import { isGzip } from './gzip.js';
import { NgInterfaces, TS_DEC } from './pcapng.js';
import { describeBytes, EMPTY_HINT, NOT_CAPTURE_HINT } from './sniff.js';
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

const M_START = 0;
const M_PCAP = 1;
const M_NG = 2;

const SHB = 0x0a0d0d0a;
const BOM = 0x1a2b3c4d;

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

  /** pcapng: the interfaces of the current section */
  private readonly ifs = new NgInterfaces();

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
    this.ifs.foldCounts(linkTypes);
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
    if (isGzip(buf.subarray(off, off + 2)))
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
    const ifs = this.ifs;
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
          if (trailer === blen && caplen <= blen - 32 && ifc < ifs.length) {
            const hi = le ? u32le(buf, p + 12) : u32be(buf, p + 12);
            const lo = le ? u32le(buf, p + 16) : u32be(buf, p + 16);
            if (hi < 0x200000 && ifs.kind[ifc] === TS_DEC) {
              // common case (µs since 1970 is below 2^53): exact in a double, no call
              const d = ifs.units[ifc];
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
              f.tsSec = sec + ifs.off[ifc];
              f.tsNsec = rem * ifs.nsMul[ifc];
            } else ifs.setTs(f, ifc, hi, lo);
            const orig = le ? u32le(buf, p + 24) : u32be(buf, p + 24);
            f.buf = buf;
            f.offset = p + 28;
            f.capturedLength = caplen;
            f.originalLength = orig;
            f.linkType = ifs.link[ifc];
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
      this.ifs.foldCounts(this.linkCounts);
      this.ifs.clear();
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
      if (ifc >= this.ifs.length)
        this.ngFail(
          `packet refers to interface ${ifc} but ${this.ifs.length} interface${this.ifs.length === 1 ? ' is' : 's are'} described in this section`,
          blk,
          absOff,
        );
      const f = this.frame;
      this.ifs.setTs(f, ifc, r32(b, p + 12), r32(b, p + 16));
      const lt = this.ifs.link[ifc];
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
      if (this.ifs.length === 0)
        this.ngFail(
          'simple packet block before any interface description block in this section',
          blk,
          absOff,
        );
      const orig = r32(b, p + 8);
      let caplen = Math.min(orig, blen - 16);
      const snap = this.ifs.snap[0];
      if (snap > 0 && caplen > snap) caplen = snap;
      const f = this.frame;
      const lt = this.ifs.link[0];
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
      this.ifs.addFromBlock(b, p, blen, le);
      return;
    }
    // NRB, ISB, DSB, custom and unknown blocks: skipped by length
  }

  private countPacket(ifc: number, orig: number, ts: boolean): void {
    this.packets++;
    this.wireBytes += orig;
    this.ifs.count[ifc]++;
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
}
