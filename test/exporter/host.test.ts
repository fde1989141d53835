/** The exporter's host looks: problems logged once when they appear and once when they clear; costly reads carried over. */
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HEAVY_EVERY, HostWatch } from '../../src/exporter/host.js';

const FIXTURE = new URL('../../fixtures/hosts/tencent-healthy', import.meta.url).pathname;

describe('HostWatch', () => {
  it('an unreadable file: logged once, host_up 0, the other rows stay; logged again when it recovers', async () => {
    const root = mkdtempSync(join(tmpdir(), 'toa-hostwatch-'));
    try {
      cpSync(FIXTURE, root, { recursive: true });
      const lines: string[] = [];
      const w = new HostWatch({ root, dmesg: true, log: (l) => lines.push(l) });
      await w.look();
      expect(w.problems).toEqual([]);
      expect(w.samples('toa_doctor_host_up')).toEqual([[{}, 1]]);
      const stats = join(root, 'proc/net/toa_stats');
      rmSync(stats);
      mkdirSync(stats);
      await w.look();
      await w.look();
      expect(lines.filter((l) => l.includes('toa_stats'))).toEqual([
        'host: /proc/net/toa_stats: not a regular file (a directory, FIFO, socket or device): not read (the host metrics keep what could be read)',
      ]);
      expect(w.samples('toa_doctor_host_up')).toEqual([[{}, 0]]);
      expect(w.samples('toa_doctor_module_state')).toEqual([[{ module: 'toa', state: 'Live' }, 1]]);
      expect(w.samples('toa_doctor_stats_file_present')).toContainEqual([{ file: 'toa_stats' }, 0]);
      rmSync(stats, { recursive: true });
      writeFileSync(stats, '');
      cpSync(join(FIXTURE, 'proc/net/toa_stats'), stats);
      await w.look();
      expect(lines.at(-1)).toBe(
        'host: recovered: /proc/net/toa_stats: not a regular file (a directory, FIFO, socket or device): not read',
      );
      expect(w.samples('toa_doctor_host_up')).toEqual([[{}, 1]]);
      expect(w.errors).toBe(1);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('the kernel log and socket tables are read every HEAVY_EVERY looks and carried over in between', async () => {
    const w = new HostWatch({ root: FIXTURE, dmesg: true, log: () => undefined });
    await w.look();
    const first = w.evidence!.snapshot;
    expect(first.dmesg.source).not.toBeNull();
    await w.look();
    const second = w.evidence!.snapshot;
    expect(second.listeners).toBe(first.listeners);
    expect(second.dmesg).toBe(first.dmesg);
    for (let i = 2; i < HEAVY_EVERY; i++) await w.look();
    await w.look();
    expect(w.evidence!.snapshot.listeners).not.toBe(first.listeners);
    expect(w.evidence!.snapshot.listeners).toEqual(first.listeners);
  });
});
