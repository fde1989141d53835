/**
 * Temporary directories that must not outlive the process: an unpacked bundle can hold a gigabyte of
 * a stranger's capture. Every directory made here is removed by its owner's close(), and, whatever
 * happens, on the way out:
 *   - process exit (normal end, process.exit() after an error message): removed synchronously;
 *   - SIGINT / SIGTERM / SIGHUP while one exists: removed, then the signal is raised again with the
 *     default action, so the exit status still says "killed by SIGINT" (130 in a shell). When the
 *     command has its own handler for the signal (bundle's Ctrl-C ends the capture early), this one
 *     stands aside and that command's normal close() path, or the exit hook, removes the directory.
 * This is the one process-level hook below src/cli; it is installed only while a directory exists.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const live = new Set<string>();
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
let installed = false;

function removeAllSync(): void {
  for (const d of live) {
    try {
      rmSync(d, { recursive: true, force: true });
    } catch {
      // nothing more can be done on the way out
    }
  }
  live.clear();
}

function onSignal(sig: NodeJS.Signals): void {
  // another handler owns this signal (bundle: Ctrl-C ends the capture and the bundle is still
  // written from these directories): leave them to its close() and the exit hook
  if (process.listenerCount(sig) > 1) return;
  removeAllSync();
  uninstall();
  process.kill(process.pid, sig);
}

function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', removeAllSync);
  for (const s of SIGNALS) process.on(s, onSignal);
}

function uninstall(): void {
  if (!installed) return;
  installed = false;
  process.off('exit', removeAllSync);
  for (const s of SIGNALS) process.off(s, onSignal);
}

/** Make a private temp directory (mode 0700) that is removed on every exit path. */
export function makeTempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  live.add(dir);
  install();
  return dir;
}

/** Remove a directory made by makeTempDir (idempotent, never throws). */
export async function removeTempDir(dir: string): Promise<void> {
  live.delete(dir);
  if (live.size === 0) uninstall();
  await rm(dir, { recursive: true, force: true }).catch(() => undefined);
}

/** Directories still registered (tests). */
export function liveTempDirs(): string[] {
  return [...live];
}
