/** Reading files below a root directory ('/' on a live host, a fixture or snapshot dir otherwise). */
import { open, readdir, readlink, stat } from 'node:fs/promises';
import { join } from 'node:path';

export interface ReadResult {
  text: string | null;
  /** errno code when unreadable ('ENOENT', 'EACCES', ...) */
  error: string | null;
  truncated: boolean;
}

/** `<root>/<abs>`; abs is a host path like '/proc/net/toa_stats'. */
export function under(root: string, abs: string): string {
  return join(root, abs);
}

const DEFAULT_MAX = 4 * 1024 * 1024;

/**
 * Read a file as UTF-8 text, at most maxBytes. procfs files report size 0, so this reads in
 * a loop until EOF instead of trusting stat. Never throws.
 */
export async function readUnder(root: string, abs: string, maxBytes = DEFAULT_MAX): Promise<ReadResult> {
  let fh: Awaited<ReturnType<typeof open>> | undefined;
  try {
    fh = await open(under(root, abs), 'r');
    const chunks: Buffer[] = [];
    let total = 0;
    let truncated = false;
    for (;;) {
      const want = Math.min(65536, maxBytes - total);
      if (want <= 0) {
        const probe = Buffer.alloc(1);
        const { bytesRead } = await fh.read(probe, 0, 1, null);
        truncated = bytesRead > 0;
        break;
      }
      const buf = Buffer.alloc(want);
      const { bytesRead } = await fh.read(buf, 0, want, null);
      if (bytesRead === 0) break;
      chunks.push(bytesRead === want ? buf : buf.subarray(0, bytesRead));
      total += bytesRead;
    }
    return { text: Buffer.concat(chunks).toString('utf8'), error: null, truncated };
  } catch (err) {
    return { text: null, error: (err as NodeJS.ErrnoException).code ?? 'EIO', truncated: false };
  } finally {
    await fh?.close().catch(() => undefined);
  }
}

export async function textUnder(root: string, abs: string, maxBytes?: number): Promise<string | null> {
  return (await readUnder(root, abs, maxBytes)).text;
}

export async function existsUnder(root: string, abs: string): Promise<boolean> {
  try {
    await stat(under(root, abs));
    return true;
  } catch {
    return false;
  }
}

export async function isDirUnder(root: string, abs: string): Promise<boolean> {
  try {
    return (await stat(under(root, abs))).isDirectory();
  } catch {
    return false;
  }
}

/** Size per stat (0 for procfs files), or null when missing. */
export async function sizeUnder(root: string, abs: string): Promise<number | null> {
  try {
    return (await stat(under(root, abs))).size;
  } catch {
    return null;
  }
}

export async function listUnder(root: string, abs: string): Promise<string[]> {
  try {
    return (await readdir(under(root, abs))).sort();
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
