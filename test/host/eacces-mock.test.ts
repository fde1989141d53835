/**
 * Issue 16 item 12 at the fs layer: files that exist but cannot be read (EACCES) are reported as
 * "cannot read (permission denied): run as root" and nothing is concluded from them. Root reads
 * every file whatever its mode, so here `open` itself fails with EACCES for chosen paths; the same
 * case as a real non-root user (setpriv) is in hostile.test.ts.
 */
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';

const DENY = /\/(proc\/net\/toa_stats|sys\/module\/toa\/initstate|proc\/modules|dmesg\.txt)$/;

vi.mock('node:fs/promises', async (importOriginal) => {
  const orig = await importOriginal<typeof import('node:fs/promises')>();
  return {
    ...orig,
    open: async (path: string, ...rest: unknown[]) => {
      if (DENY.test(String(path))) {
        const e = new Error(`EACCES: permission denied, open '${path}'`) as NodeJS.ErrnoException;
        e.code = 'EACCES';
        throw e;
      }
      return (orig.open as (...a: unknown[]) => unknown)(path, ...rest);
    },
  };
});

describe('unreadable host files (EACCES)', () => {
  it('are named, and no "absent" or "built-in" conclusion is drawn from them', async () => {
    const { loadHostDir } = await import('../../src/host/snapshot.js');
    const { diagnoseHost } = await import('../../src/diagnose/host-rules.js');
    const { renderHostText } = await import('../../src/report/host.js');
    const root = join(new URL('../../fixtures/hosts/tencent-healthy', import.meta.url).pathname);
    const ev = await loadHostDir(root);
    expect(ev.snapshot.unreadable).toEqual(
      expect.arrayContaining([
        '/proc/net/toa_stats',
        '/proc/modules',
        '/sys/module/toa/initstate',
        '/dmesg.txt',
      ]),
    );
    expect(ev.snapshot.sysModules.find((m) => m.name === 'toa')?.builtin).toBe(false);
    const findings = diagnoseHost(ev);
    const codes = findings.map((f) => f.code);
    expect(codes).toContain('HOST_PERMISSION_DENIED');
    expect(codes).not.toContain('HOST_MODULE_NOT_LOADED');
    expect(codes).not.toContain('HOST_MODULE_BUILTIN');
    const text = renderHostText(ev, findings, { color: false });
    expect(text).toMatch(
      /Counters \/proc\/net\/toa_stats\n\s+cannot read \(permission denied\): run as root/,
    );
    expect(text).not.toMatch(/no \/proc\/net\/toa_stats|built-in/);
    expect(ev.snapshot.dmesg.error).toMatch(/dmesg\.txt: cannot read \(permission denied\): run as root/);
  });
});
