/**
 * Reading files below a root directory ('/' on a live host, a fixture or snapshot dir otherwise).
 *
 * A snapshot directory may come from a stranger, so every read here holds against a hostile tree:
 *  - only regular files are read (procfs and sysfs files are regular); a FIFO, socket or device is
 *    reported as 'ENOTREG' without blocking: the open is O_NONBLOCK and the type is checked on the
 *    open descriptor before any read;
 *  - below a snapshot directory, a path whose symlinks lead out of the directory is not followed
 *    ('EXDEV': "link leaves the snapshot"); on the live host (root '/') /proc's own links
 *    (/proc/self, /proc/net -> self/net) are followed as usual;
 *  - reads are capped (maxBytes) and never throw; the error is the errno code ('ENOENT', 'EACCES').
 */
import { constants as fsc } from 'node:fs';
import { type FileHandle, open, readdir, readlink, realpath, stat } from 'node:fs/promises';
import { join, sep } from 'node:path';

export interface ReadResult {
  text: string | null;
  /** errno code when unreadable ('ENOENT', 'EACCES', ...; 'ENOTREG', 'EXDEV' as above) */
  error: string | null;
  truncated: boolean;
}

/** `<root>/<abs>`; abs is a host path like '/proc/net/toa_stats'. */
export function under(root: string, abs: string): string {
  return join(root, abs);
}

/** Words for the error codes readUnder returns (notes, reports). */
export function readErrorText(code: string): string {
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return 'cannot read (permission denied): run as root';
    case 'ENOTREG':
      return 'not a regular file (a directory, FIFO, socket or device): not read';
    case 'EXDEV':
      return 'a symbolic link that leaves the snapshot directory: not followed';
    case 'ENOENT':
      return 'absent';
    default:
      return `cannot read (${code})`;
  }
}

/** Is this error code "permission denied"? */
export function isPermissionError(code: string | null): boolean {
  return code === 'EACCES' || code === 'EPERM';
}

const DEFAULT_MAX = 4 * 1024 * 1024;
const realRoots = new Map<string, string>();

async function realRoot(root: string): Promise<string> {
  let r = realRoots.get(root);
  if (r === undefined) {
    r = await realpath(root).catch(() => root);
    if (realRoots.size > 64) realRoots.clear();
    realRoots.set(root, r);
  }
  return r;
}

/**
 * The path to open for `abs` below `root`: on the live host the plain path; below a snapshot the
 * real path, which must stay inside the snapshot's real path. Throws an errno-style error.
 */
async function resolveUnder(root: string, abs: string): Promise<string> {
  const p = under(root, abs);
  if (root === '/' || root === '') return p;
  const base = await realRoot(root);
  const real = await realpath(p); // ENOENT, EACCES, ELOOP as they come
  if (real !== base && !real.startsWith(base.endsWith(sep) ? base : base + sep)) {
    const e = new Error(`${abs}: link leaves the snapshot`) as NodeJS.ErrnoException;
    e.code = 'EXDEV';
    throw e;
  }
  return real;
}

/** bytes asked of the kernel per read() (procfs files are produced a page or a record at a time) */
const READ_CHUNK = 65536;

/** Open `abs` below `root` for reading: a regular file only ('ENOTREG' otherwise), never blocking. */
async function openUnder(root: string, abs: string): Promise<FileHandle> {
  const path = await resolveUnder(root, abs);
  // O_NOFOLLOW below a snapshot: the real path has no link left to follow
  const flags = fsc.O_RDONLY | fsc.O_NONBLOCK | (root === '/' || root === '' ? 0 : fsc.O_NOFOLLOW);
  const fh = await open(path, flags);
  if (!(await fh.stat()).isFile()) {
    await fh.close().catch(() => undefined);
    const e = new Error(`${abs}: not a regular file`) as NodeJS.ErrnoException;
    e.code = 'ENOTREG';
    throw e;
  }
  return fh;
}

/** After maxBytes were read: is there more? */
async function moreAfter(fh: FileHandle): Promise<boolean> {
  const { bytesRead } = await fh.read(Buffer.alloc(1), 0, 1, null);
  return bytesRead > 0;
}

/**
 * Read a file as UTF-8 text, at most maxBytes. procfs files report size 0, so this reads in
 * a loop until EOF instead of trusting stat. Never throws, never blocks on a FIFO.
 *
 * The bytes go into one buffer that doubles when full (a few allocations for a file of megabytes,
 * not one 64 KiB buffer per read plus a concatenated copy: the exporter reads these files for weeks).
 */
export async function readUnder(root: string, abs: string, maxBytes = DEFAULT_MAX): Promise<ReadResult> {
  let fh: FileHandle | undefined;
  try {
    fh = await openUnder(root, abs);
    let buf = Buffer.allocUnsafe(Math.max(0, Math.min(READ_CHUNK, maxBytes)));
    let total = 0;
    let truncated = false;
    for (;;) {
      if (total >= maxBytes) {
        truncated = await moreAfter(fh);
        break;
      }
      if (total === buf.length) {
        const next = Buffer.allocUnsafe(Math.min(maxBytes, buf.length * 2));
        buf.copy(next, 0, 0, total);
        buf = next;
      }
      const want = Math.min(READ_CHUNK, buf.length - total);
      const { bytesRead } = await fh.read(buf, total, want, null);
      if (bytesRead === 0) break;
      total += bytesRead;
    }
    return { text: buf.toString('utf8', 0, total), error: null, truncated };
  } catch (err) {
    return { text: null, error: (err as NodeJS.ErrnoException).code ?? 'EIO', truncated: false };
  } finally {
    await fh?.close().catch(() => undefined);
  }
}

export interface ScanResult {
  /** errno code when unreadable, as readUnder */
  error: string | null;
  truncated: boolean;
  bytes: number;
}

/**
 * Read a file as readUnder does (same guards, same cap, never throws), but hand it to onChunk a
 * read at a time instead of keeping it: the chunk is one buffer reused for every read, valid
 * only during the call. For big procfs tables that are parsed, not kept (/proc/net/tcp of a busy
 * host is megabytes on every look).
 */
export async function scanUnder(
  root: string,
  abs: string,
  maxBytes: number,
  onChunk: (chunk: Buffer) => void,
): Promise<ScanResult> {
  let fh: FileHandle | undefined;
  let total = 0;
  try {
    fh = await openUnder(root, abs);
    const buf = Buffer.allocUnsafe(READ_CHUNK);
    let truncated = false;
    for (;;) {
      const want = Math.min(READ_CHUNK, maxBytes - total);
      if (want <= 0) {
        truncated = await moreAfter(fh);
        break;
      }
      const { bytesRead } = await fh.read(buf, 0, want, null);
      if (bytesRead === 0) break;
      total += bytesRead;
      onChunk(buf.subarray(0, bytesRead));
    }
    return { error: null, truncated, bytes: total };
  } catch (err) {
    return { error: (err as NodeJS.ErrnoException).code ?? 'EIO', truncated: false, bytes: total };
  } finally {
    await fh?.close().catch(() => undefined);
  }
}

export async function textUnder(root: string, abs: string, maxBytes?: number): Promise<string | null> {
  return (await readUnder(root, abs, maxBytes)).text;
}

async function statUnder(root: string, abs: string) {
  return stat(await resolveUnder(root, abs));
}

export async function existsUnder(root: string, abs: string): Promise<boolean> {
  try {
    await statUnder(root, abs);
    return true;
  } catch {
    return false;
  }
}

export async function isDirUnder(root: string, abs: string): Promise<boolean> {
  try {
    return (await statUnder(root, abs)).isDirectory();
  } catch {
    return false;
  }
}

/** Size per stat (0 for procfs files), or null when missing. */
export async function sizeUnder(root: string, abs: string): Promise<number | null> {
  try {
    return (await statUnder(root, abs)).size;
  } catch {
    return null;
  }
}

export async function listUnder(root: string, abs: string): Promise<string[]> {
  try {
    return (await readdir(await resolveUnder(root, abs))).sort();
  } catch {
    return [];
  }
}

export async function linkUnder(root: string, abs: string): Promise<string | null> {
  try {
    return await readlink(under(root, abs));
  } catch {
    return null;
  }
}
