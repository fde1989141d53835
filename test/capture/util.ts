/** Shared helpers for the capture tests: collect frames as plain records, raw pcapng blocks. */
import { StreamParser } from '../../src/capture/reader.js';
import { CaptureError, type CaptureSummary, type Frame, type FrameSink } from '../../src/capture/types.js';

export interface Got {
  tsSec: number;
  tsNsec: number;
  linkType: number;
  capturedLength: number;
  originalLength: number;
  interfaceId: number;
  hex: string;
}

export function toGot(f: Frame): Got {
  return {
    tsSec: f.tsSec,
    tsNsec: f.tsNsec,
    linkType: f.linkType,
    capturedLength: f.capturedLength,
    originalLength: f.originalLength,
    interfaceId: f.interfaceId,
    hex: f.buf.toString('hex', f.offset, f.offset + f.capturedLength),
  };
}

export function collector(): { sink: FrameSink; got: Got[] } {
  const got: Got[] = [];
  return { sink: (f) => got.push(toGot(f)), got };
}

/** Feed `buf` to a StreamParser in chunks whose sizes come from `next()`. */
export function feedChunks(
  buf: Buffer,
  next: () => number,
  source = 'chunks',
): { summary: CaptureSummary; got: Got[] } {
  const { sink, got } = collector();
  const p = new StreamParser(source);
  let off = 0;
  while (off < buf.length) {
    const n = Math.max(1, Math.min(next(), buf.length - off));
    // a fresh copy per chunk, then scribble over it: frames must not depend on old chunks
    const chunk = Buffer.from(buf.subarray(off, off + n));
    p.push(chunk, sink);
    chunk.fill(0xee);
    off += n;
  }
  return { summary: p.end(), got };
}

/** Deterministic PRNG (mulberry32) for chunk sizes. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Run fn, expect a CaptureError, return it. */
export function captureError(fn: () => unknown): CaptureError {
  try {
    fn();
  } catch (e) {
    if (e instanceof CaptureError) return e;
    throw e;
  }
  throw new Error('expected a CaptureError');
}

export async function captureErrorAsync(p: Promise<unknown>): Promise<CaptureError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof CaptureError) return e;
    throw e;
  }
  throw new Error('expected a CaptureError');
}

// ---- raw pcapng blocks (for cases the shared helper does not cover: exact ticks, options) ----

export function u32(v: number, be: boolean): Buffer {
  const b = Buffer.alloc(4);
  if (be) b.writeUInt32BE(v >>> 0);
  else b.writeUInt32LE(v >>> 0);
  return b;
}
export function u16(v: number, be: boolean): Buffer {
  const b = Buffer.alloc(2);
  if (be) b.writeUInt16BE(v);
  else b.writeUInt16LE(v);
  return b;
}
export function pad4(b: Buffer): Buffer {
  return b.length % 4 ? Buffer.concat([b, Buffer.alloc(4 - (b.length % 4))]) : b;
}
export function rawBlock(type: number, body: Buffer, be = false): Buffer {
  const b = pad4(body);
  return Buffer.concat([u32(type, be), u32(12 + b.length, be), b, u32(12 + b.length, be)]);
}
export function shb(be = false, major = 1): Buffer {
  return rawBlock(
    0x0a0d0d0a,
    Buffer.concat([u32(0x1a2b3c4d, be), u16(major, be), u16(0, be), Buffer.alloc(8, 0xff)]),
    be,
  );
}
export function option(code: number, value: Buffer, be = false): Buffer {
  return Buffer.concat([u16(code, be), u16(value.length, be), pad4(value)]);
}
export function idb(
  linkType: number,
  opts: { snaplen?: number; tsresol?: number; tsoffset?: bigint; name?: string } = {},
  be = false,
): Buffer {
  const o: Buffer[] = [];
  if (opts.name !== undefined) o.push(option(2, Buffer.from(opts.name), be));
  if (opts.tsresol !== undefined) o.push(option(9, Buffer.from([opts.tsresol]), be));
  if (opts.tsoffset !== undefined) {
    const v = Buffer.alloc(8);
    if (be) v.writeBigInt64BE(opts.tsoffset);
    else v.writeBigInt64LE(opts.tsoffset);
    o.push(option(14, v, be));
  }
  if (o.length) o.push(option(0, Buffer.alloc(0), be));
  return rawBlock(
    1,
    Buffer.concat([u16(linkType, be), u16(0, be), u32(opts.snaplen ?? 262144, be), ...o]),
    be,
  );
}
/** EPB with an exact 64-bit tick count. */
export function epb(
  ifc: number,
  ticks: bigint,
  data: Buffer,
  opts: { origLen?: number; options?: Buffer } = {},
  be = false,
): Buffer {
  return rawBlock(
    6,
    Buffer.concat([
      u32(ifc, be),
      u32(Number(ticks >> 32n), be),
      u32(Number(ticks & 0xffffffffn), be),
      u32(data.length, be),
      u32(opts.origLen ?? data.length, be),
      pad4(data),
      opts.options ?? Buffer.alloc(0),
    ]),
    be,
  );
}
