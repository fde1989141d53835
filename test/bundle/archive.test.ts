import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  hashMembers,
  isTarHeader,
  listFiles,
  memberOrder,
  readArchive,
  sha256,
  writeArchive,
} from '../../src/bundle/archive.js';

let dir: string;
let archive: Buffer;
const payload = Buffer.alloc(300_000);
for (let i = 0; i < payload.length; i++) payload[i] = (i * 7919) & 0xff;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'toa-archive-'));
  const s = join(dir, 'stage');
  await mkdir(join(s, 'host/before/proc/net'), { recursive: true });
  await mkdir(join(s, 'host/after/proc'), { recursive: true });
  await writeFile(join(s, 'manifest.json'), '{"schema":"x"}');
  await writeFile(join(s, 'report.json'), '{}');
  await writeFile(join(s, 'host/before/proc/net/toa_stats'), 'x\n');
  await writeFile(join(s, 'host/after/proc/modules'), 'toa 1 0 - Live 0x0\n');
  await writeFile(join(s, 'capture.pcap'), payload);
  const files = memberOrder(await listFiles(s));
  await writeArchive(join(dir, 'b.tar.gz'), s, files);
  archive = await readFile(join(dir, 'b.tar.gz'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('bundle archive', () => {
  it('orders members manifest first, capture last', async () => {
    const files = memberOrder(await listFiles(join(dir, 'stage')));
    expect(files[0]).toBe('manifest.json');
    expect(files[1]).toBe('report.json');
    expect(files.at(-1)).toBe('capture.pcap');
    expect(files.indexOf('host/before/proc/net/toa_stats')).toBeLessThan(
      files.indexOf('host/after/proc/modules'),
    );
  });

  it('writes a gzip whose inflated start is a tar header, and reads every member back', async () => {
    expect(archive[0]).toBe(0x1f);
    expect(isTarHeader(gunzipSync(archive).subarray(0, 512))).toBe(true);
    const r = await readArchive(archive);
    expect(r.gzipError).toBeNull();
    expect([...r.members.keys()].sort()).toEqual(
      [
        'capture.pcap',
        'host/after/proc/modules',
        'host/before/proc/net/toa_stats',
        'manifest.json',
        'report.json',
      ].sort(),
    );
    expect(sha256(r.members.get('capture.pcap')!.data)).toBe(sha256(payload));
    const h = await hashMembers(join(dir, 'stage'), ['capture.pcap']);
    expect(h[0]!.sha256).toBe(sha256(payload));
    expect(h[0]!.size).toBe(payload.length);
  });

  it('keeps the members before the cut of a truncated archive and marks the cut one partial', async () => {
    const cut = archive.subarray(0, Math.floor(archive.length * 0.6));
    const r = await readArchive(cut);
    expect(r.gzipError).toMatch(/end of file|unexpected/i);
    expect(r.members.get('manifest.json')!.partial).toBe(false);
    expect(r.members.get('host/after/proc/modules')!.data.toString()).toContain('toa');
    const cap = r.members.get('capture.pcap');
    expect(cap?.partial).toBe(true);
  });

  it('keeps what precedes corruption inside the gzip stream', async () => {
    const bad = Buffer.from(archive);
    for (let i = 0; i < 64; i++) bad[Math.floor(bad.length * 0.5) + i] ^= 0x5a;
    const r = await readArchive(bad);
    expect(r.gzipError).not.toBeNull();
    expect(r.members.get('manifest.json')!.data.toString()).toBe('{"schema":"x"}');
  });
});
