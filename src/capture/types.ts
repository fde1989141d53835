/**
 * Capture-layer contracts. Everything that produces packets (file readers, live engines)
 * yields Frames; everything downstream consumes them. No decode/flow knowledge here.
 */
import { ToaError } from '../errors.js';

/** Link-layer header types (LINKTYPE_* numbers as written in pcap/pcapng files). */
export const LinkType = {
  NULL: 0,
  EN10MB: 1,
  RAW: 101,
  LOOP: 108,
  LINUX_SLL: 113,
  IPV4: 228,
  IPV6: 229,
  LINUX_SLL2: 276,
} as const;

/** LINKTYPE number → its name, from LinkType itself (228 → 'IPV4'). */
export const LINKTYPE_NAMES: Readonly<Record<number, string>> = Object.fromEntries(
  Object.entries(LinkType).map(([name, n]) => [n, name]),
);

/** The name of a link type, `LINKTYPE_<n>` for one toa-doctor does not know. */
export function linkTypeName(linkType: number): string {
  return LINKTYPE_NAMES[linkType] ?? `LINKTYPE_${linkType}`;
}

/**
 * One captured packet. Readers REUSE one Frame object and hand it to the callback;
 * `buf` is the reader's chunk and is only valid during the callback. A consumer that keeps
 * a frame must copy it (see copyFrame).
 */
export interface Frame {
  /** seconds since the Unix epoch */
  tsSec: number;
  /** nanoseconds within the second (0..999_999_999) */
  tsNsec: number;
  linkType: number;
  /** bytes present in `buf` from `offset` */
  capturedLength: number;
  /** length on the wire (>= capturedLength when the snaplen cut the packet) */
  originalLength: number;
  /** backing buffer (not a copy) */
  buf: Buffer;
  /** start of the packet bytes inside `buf` */
  offset: number;
  /** pcapng interface id (0 for classic pcap and live engines) */
  interfaceId: number;
}

export type FrameSink = (frame: Frame) => void;

/**
 * A blank Frame for a producer to fill and reuse. One factory keeps every Frame the same shape
 * (same fields in the same order), so the hot consumers stay monomorphic.
 */
export function createFrame(buf: Buffer = Buffer.alloc(0), linkType = 0): Frame {
  return {
    tsSec: 0,
    tsNsec: 0,
    linkType,
    capturedLength: 0,
    originalLength: 0,
    buf,
    offset: 0,
    interfaceId: 0,
  };
}

export function frameBytes(f: Frame): Buffer {
  return f.buf.subarray(f.offset, f.offset + f.capturedLength);
}

export function copyFrame(f: Frame): Frame {
  const bytes = Buffer.from(frameBytes(f));
  return { ...f, buf: bytes, offset: 0 };
}

export type CaptureFormat = 'pcap' | 'pcap-ns' | 'pcapng' | 'live';

export interface CaptureWarning {
  /** machine-readable code, e.g. 'TRUNCATED_TAIL' */
  code: string;
  message: string;
}

/** What a reader reports when it has read a whole input. */
export interface CaptureSummary {
  source: string;
  format: CaptureFormat;
  gzip: boolean;
  packets: number;
  bytes: number;
  /** link types seen, with packet counts */
  linkTypes: Record<number, number>;
  firstTs: number | null; // seconds (float)
  lastTs: number | null;
  warnings: CaptureWarning[];
}

/**
 * A fatal input problem (missing file, not a capture, corrupt header...). `message` is the
 * one line a user sees; `hint` says what to do. The CLI turns it into exit code 2.
 */
export class CaptureError extends ToaError {
  constructor(code: string, message: string, hint: string) {
    super(code, message, hint);
    this.name = 'CaptureError';
  }
}
