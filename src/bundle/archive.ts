/**
 * Bundle archive I/O: a gzip-compressed tar (the `tar` package writes and parses it; zlib inflates
 * so a truncated download still yields the members before the cut).
 *
 * Layout (README.md "Bundle layout"):
 *   manifest.json          schema 'toa-doctor/bundle@1' (BundleManifest below); always first
 *   report.json            the report (schema 'toa-doctor/report@1') as computed when bundling
 *   report.md              the same report as Markdown, for the ticket
 *   host/before/...        host snapshot at the start (loadHostDir layout: proc/..., sys/..., dmesg.txt, meta)
 *   host/after/...         host snapshot at the end
 *   capture.pcap           classic pcap; last, so a cut archive loses it first
 * The collector script writes the same layout (manifest.generator = 'collector-script').
 */
import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, posix, relative, sep } from 'node:path';
import { gunzipSync, constants as zc } from 'node:zlib';
import * as tar from 'tar';
import { isGzip } from '../capture/gzip.js';

export const BUNDLE_SCHEMA = 'toa-doctor/bundle@1';

export interface ManifestMember {
  /** path inside the archive, '/'-separated, no leading './' */
  path: string;
  /** bytes; -1 when a manifest from elsewhere gave none usable */
  size: number;
  /** lowercase hex; '' when not recorded (collector without sha256sum) */
  sha256: string;
}

export interface CaptureInfo {
  /** 'live' (bundle -i), 'file' (--from-pcap), 'tcpdump' (collector script), 'none' */
  source: 'live' | 'file' | 'tcpdump' | 'none';
  interface: string | null;
  engine: string | null;
  filter: string | null;
  /** 'handshake' (default: SYN/SYN-ACK/handshake ACK/first data per flow + TOA/FIN/RST), 'full' */
  mode: 'handshake' | 'full';
  /** seconds requested and actually captured */
  durationRequested: number | null;
  durationActual: number | null;
  /** capture ended by Ctrl-C / signal before the duration */
  interrupted: boolean;
  packetsSeen: number;
  packetsWritten: number;
  bytesWritten: number;
  maxBytes: number | null;
  /** stopped writing at maxBytes */
  truncatedAtMaxBytes: boolean;
  flows: number;
}

export interface AnonymizationInfo {
  enabled: boolean;
  method: 'crypto-pan-aes128' | null;
  /** 'random' (key discarded: cannot be linked to other bundles), 'hex' or 'passphrase' (user key) */
  keySource: 'random' | 'hex' | 'passphrase' | null;
  preserved: string[];
  addresses: { ipv4: number; ipv6: number; mac: number };
  payload: 'zeroed' | 'kept';
  droppedNonTcp: number;
  /** what was done to TCP/IP options that carry addresses (MPTCP ADD_ADDR, IPv4 timestamps, ...) */
  options?: string[];
}

export interface BundleManifest {
  schema: typeof BUNDLE_SCHEMA;
  generator: 'toa-doctor' | 'collector-script';
  toolVersion: string;
  commandLine: string;
  hostname: string | null;
  /** ISO times */
  startedAt: string;
  endedAt: string;
  anonymized: boolean;
  anonymization?: AnonymizationInfo;
  /** analysis settings used for report.json/report.md (profile, --lb) */
  analysis?: { profile: string; lb: string[] };
  capture: CaptureInfo;
  /** problems met while bundling (no permission for dmesg, engine fell back, ...) */
  notes: string[];
  /** every other member of the archive */
  members: ManifestMember[];
}

export function sha256(buf: Buffer): string {
  return createHash('sha256').update(buf).digest('hex');
}

/** Files below `dir` (relative, '/'-separated, sorted), directories skipped. */
export async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  async function walk(d: string): Promise<void> {
    const ents = await readdir(d, { withFileTypes: true });
    for (const e of ents) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile()) out.push(relative(dir, p).split(sep).join(posix.sep));
    }
  }
  await walk(dir);
  return out.sort();
}

/** sha256 + size of each listed file under `dir`. */
export async function hashMembers(dir: string, paths: string[]): Promise<ManifestMember[]> {
  const out: ManifestMember[] = [];
  for (const p of paths) {
    const buf = await readFile(join(dir, p));
    out.push({ path: p, size: buf.length, sha256: sha256(buf) });
  }
  return out;
}

/** Archive member order: manifest, reports, host evidence, capture last. */
export function memberOrder(paths: string[]): string[] {
  const rank = (p: string) =>
    p === 'manifest.json'
      ? 0
      : p === 'report.json' || p === 'report.md' // report.html (redrawable) goes after the evidence
        ? 1
        : p.startsWith('host/before/')
          ? 2
          : p.startsWith('host/')
            ? 3
            : p === 'capture.pcap'
              ? 5
              : 4;
  return [...paths].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

/** Write `files` (relative to `dir`, in that order) into a .tar.gz at `out`. */
export async function writeArchive(out: string, dir: string, files: string[], level = 6): Promise<number> {
  await tar.c({ gzip: { level }, file: out, cwd: dir, portable: true, noDirRecurse: true }, files);
  return (await stat(out)).size;
}

export interface ArchiveMember {
  path: string;
  data: Buffer;
  /** size announced by the tar header */
  size: number;
  /** data is shorter than the header said (archive cut inside this member) */
  partial: boolean;
}

export interface ArchiveContent {
  members: Map<string, ArchiveMember>;
  /** the gzip stream ended early or is corrupt after some point */
  gzipError: string | null;
  /** tar-level problems (bad header, unexpected end) */
  tarErrors: string[];
  /** decompressed bytes obtained */
  bytes: number;
}

/** A tar header at the start of `raw` ('ustar' magic at 257, as GNU, busybox and the tar package write). */
export function isTarHeader(raw: Buffer): boolean {
  return raw.length >= 262 && raw.toString('latin1', 257, 262) === 'ustar';
}

/**
 * Inflate as much of a gzip stream as possible: a complete stream inflates normally; a truncated or
 * damaged one yields the bytes before the problem plus the error text.
 */
export function inflatePartial(buf: Buffer): { data: Buffer; error: string | null } {
  try {
    return { data: gunzipSync(buf), error: null };
  } catch (err) {
    const msg = (err as Error).message;
    try {
      // Z_SYNC_FLUSH as finishFlush returns what was decoded instead of failing at the end
      const data = gunzipSync(buf, { finishFlush: zc.Z_SYNC_FLUSH });
      return { data, error: msg };
    } catch {
      // corrupt inside: inflate chunk by chunk and keep what came out before the error
      const data = inflateUntilError(buf);
      return { data, error: msg };
    }
  }
}

function inflateUntilError(buf: Buffer): Buffer {
  // binary search the longest prefix that inflates with a sync flush
  let lo = 0;
  let hi = buf.length;
  let best = Buffer.alloc(0);
  while (lo < hi) {
    const mid = Math.floor((lo + hi + 1) / 2);
    try {
      best = gunzipSync(buf.subarray(0, mid), { finishFlush: zc.Z_SYNC_FLUSH });
      lo = mid;
    } catch {
      hi = mid - 1;
    }
  }
  return best;
}

/** Strip './' and leading '/' from a member path. */
export function normalizeMemberPath(p: string): string {
  let s = p.replace(/\\/g, '/');
  while (s.startsWith('./')) s = s.slice(2);
  while (s.startsWith('/')) s = s.slice(1);
  // a collector archive may wrap everything in one top directory: handled by the reader
  return s;
}

/**
 * Parse a (possibly partial) tar stream held in memory. For archives this program wrote (tests,
 * inspection); a bundle from elsewhere is read by unpackArchive (unpack.ts), which streams and is bounded.
 */
export async function parseTar(
  raw: Buffer,
): Promise<{ members: Map<string, ArchiveMember>; errors: string[] }> {
  const members = new Map<string, ArchiveMember>();
  const chunks = new Map<string, Buffer[]>();
  const errors: string[] = [];
  await new Promise<void>((resolve) => {
    const parser = new tar.Parser({
      strict: false,
      onwarn: (code: string, message: string | Error) => {
        errors.push(`${code}: ${typeof message === 'string' ? message : message.message}`);
      },
      onReadEntry: (entry: tar.ReadEntry) => {
        if (entry.type !== 'File' && entry.type !== 'OldFile' && entry.type !== 'ContiguousFile') {
          entry.resume();
          return;
        }
        const path = normalizeMemberPath(entry.path);
        const list: Buffer[] = [];
        chunks.set(path, list);
        members.set(path, { path, data: Buffer.alloc(0), size: entry.size, partial: true });
        entry.on('data', (c: Buffer) => list.push(c));
      },
    });
    parser.on('end', () => resolve());
    parser.on('close', () => resolve());
    parser.on('error', (e: Error) => {
      errors.push(e.message);
      resolve();
    });
    parser.end(raw);
  });
  for (const [path, rec] of members) {
    rec.data = Buffer.concat(chunks.get(path) ?? []);
    rec.partial = rec.data.length < rec.size;
  }
  return { members, errors };
}

/** Read a .tar.gz bundle from memory, keeping whatever is readable. Never throws on bad content. */
export async function readArchive(buf: Buffer): Promise<ArchiveContent> {
  const { data, error } = isGzip(buf) ? inflatePartial(buf) : { data: buf, error: null };
  const { members, errors } = await parseTar(data);
  // one top-level directory around everything (tar czf out.tgz dir/): unwrap it
  const names = [...members.keys()];
  if (names.length && !members.has('manifest.json')) {
    const top = names[0]!.split('/')[0]!;
    if (names.every((n) => n.startsWith(`${top}/`)) && members.has(`${top}/manifest.json`)) {
      const unwrapped = new Map<string, ArchiveMember>();
      for (const [k, v] of members) {
        const nk = k.slice(top.length + 1);
        unwrapped.set(nk, { ...v, path: nk });
      }
      return { members: unwrapped, gzipError: error, tarErrors: errors, bytes: data.length };
    }
  }
  return { members, gzipError: error, tarErrors: errors, bytes: data.length };
}
