/**
 * Reading big files without one buffer per read: readUnder (one buffer that doubles) returns the
 * bytes it returned before at every size around the read size and the cap; scanUnder hands the
 * same bytes over a read at a time; collectHost with keepRaw: false (the exporter) keeps no file
 * text and gets the listeners the text path gets, also from a table cut at its cap.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { collectHost } from '../../src/host/collect.js';
import { readUnder, scanUnder } from '../../src/host/fsroot.js';

const dir = mkdtempSync(join(tmpdir(), 'toa-read-chunks-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function bytes(n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = i % 251 === 250 ? 10 : 97 + (i % 23);
  return b;
}

describe('readUnder and scanUnder', () => {
  it('same bytes and the same cut at every size around the read size and the cap', async () => {
    for (const n of [0, 1, 65535, 65536, 65537, 200_000, 300_001]) {
      const file = `f${n}`;
      const data = bytes(n);
      writeFileSync(join(dir, file), data);
      for (const max of [0, 1, 65536, 100_000, 131072, 4 * 1024 * 1024]) {
        const r = await readUnder(dir, `/${file}`, max);
        expect(r.error).toBeNull();
        expect(r.text).toBe(data.subarray(0, Math.min(n, max)).toString('utf8'));
        expect(r.truncated).toBe(n > max);
        const seen: Buffer[] = [];
        const s = await scanUnder(dir, `/${file}`, max, (c) => seen.push(Buffer.from(c)));
        expect(s).toEqual({ error: null, truncated: n > max, bytes: Math.min(n, max) });
        expect(Buffer.concat(seen).equals(data.subarray(0, Math.min(n, max)))).toBe(true);
        expect(seen.every((c) => c.length > 0 && c.length <= 65536)).toBe(true);
      }
    }
  });

  it('errors as readUnder: absent, a directory', async () => {
    mkdirSync(join(dir, 'adir'));
    const none = () => undefined;
    expect(await scanUnder(dir, '/nothing', 100, none)).toEqual({
      error: 'ENOENT',
      truncated: false,
      bytes: 0,
    });
    expect(await scanUnder(dir, '/adir', 100, none)).toEqual({
      error: 'ENOTREG',
      truncated: false,
      bytes: 0,
    });
  });
});

describe('collectHost keepRaw: false', () => {
  const HEAD =
    '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n';
  const listen = (i: number, port: number) =>
    `${String(i).padStart(4)}: 00000000:${port.toString(16).toUpperCase().padStart(4, '0')} 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 ${21000 + i} 1 ffff 100 0 0 10 0\n`;
  const tw = (i: number) =>
    `${String(i).padStart(4)}: 0200A8C6:1F90 0100A8C6:${(1024 + (i % 60000)).toString(16).toUpperCase().padStart(4, '0')} 06 00000000:00000000 03:00000F2B 00000000     0        0 0 3 0000000000000000\n`;

  it('the listeners of the text path, no file text kept, also from a table cut at 16 MiB', async () => {
    for (const rows of [1000, 160_000]) {
      const root = join(dir, `root${rows}`);
      mkdirSync(join(root, 'proc/net'), { recursive: true });
      let t = HEAD + listen(0, 80) + listen(1, 8080);
      const parts = [t];
      for (let i = 2; i < rows; i++) parts.push(tw(i));
      parts.push(listen(rows, 9000)); // past the cap in the big table
      t = parts.join('');
      writeFileSync(join(root, 'proc/net/tcp'), t);
      writeFileSync(join(root, 'proc/net/tcp6'), HEAD);
      writeFileSync(join(root, 'dmesg.txt'), '[    1.000000] toa: loaded\n');
      const text = await collectHost(root, { dmesg: true });
      const streamed = await collectHost(root, { dmesg: true, keepRaw: false });
      expect(streamed.listeners).toEqual(text.listeners);
      expect(streamed.notes).toEqual(text.notes);
      expect(streamed.dmesg).toEqual(text.dmesg);
      expect(text.raw['proc/net/tcp']).toBeDefined();
      expect(Object.keys(streamed.raw).filter((k) => k.startsWith('proc/') || k === 'dmesg.txt')).toEqual([]);
      if (rows > 150_000) {
        expect(t.length).toBeGreaterThan(16 * 1024 * 1024);
        expect(streamed.listeners.truncated).toBe(true);
        expect(streamed.listeners.ports.map((p) => p.port)).toEqual([80, 8080]);
      } else {
        expect(streamed.listeners.ports.map((p) => p.port)).toEqual([80, 8080, 9000]);
        expect(streamed.listeners.otherSockets.ipv4).toBe(rows - 2);
      }
    }
  });
});
