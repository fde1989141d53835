import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CaptureError } from '../../src/capture/types.js';
import { collectHost } from '../../src/host/collect.js';
import { buildEvidence, computeDeltas, loadHostDir, writeHostSnapshot } from '../../src/host/snapshot.js';

const fixture = (c: string) => new URL(`../../fixtures/hosts/${c}`, import.meta.url).pathname;
const tmp = mkdtempSync(join(tmpdir(), 'toa-host-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The parts of a snapshot that must survive write → read. */
function essence(s: Awaited<ReturnType<typeof collectHost>>) {
  return {
    collectedAt: s.collectedAt,
    hostname: s.hostname,
    kernel: s.kernel,
    stats: s.stats,
    toaTable: s.toaTable,
    hookers: s.hookers,
    procModules: s.procModules,
    modules: s.modules,
    sysModules: s.sysModules,
    ebpf: s.ebpf,
    events: s.dmesg.events,
    listeners: s.listeners,
    container: s.container,
    snmp: s.snmp,
    sysctl: s.sysctl,
  };
}

describe('writeHostSnapshot writes the layout collectHost reads', () => {
  const cases = [
    'tencent-healthy',
    'vtoa-hookers',
    'ttgw',
    'tencentos-builtin-params',
    'module-plus-ebpf',
    'container-no-proc',
    'loaded-but-dead',
  ];
  for (const c of cases) {
    it(`round trip: ${c}`, async () => {
      const a = await collectHost(fixture(c));
      const out = join(tmp, `rt-${c}`);
      const files = await writeHostSnapshot(a, out);
      expect(files).toContain('meta.json');
      const b = await collectHost(out);
      expect(essence(b)).toEqual(essence(a));
    });
  }
  it('writes the documented paths', async () => {
    const a = await collectHost(fixture('tencent-healthy'));
    const out = join(tmp, 'paths');
    const files = await writeHostSnapshot(a, out);
    for (const p of [
      'proc/net/toa_stats',
      'proc/modules',
      'sys/module/toa/taint',
      'dmesg.txt',
      'meta.json',
      'proc/net/tcp',
    ])
      expect(files).toContain(p);
    expect(readFileSync(join(out, 'proc/net/toa_stats'), 'utf8')).toBe(
      readFileSync(join(fixture('tencent-healthy'), 'proc/net/toa_stats'), 'utf8'),
    );
    const meta = JSON.parse(readFileSync(join(out, 'meta.json'), 'utf8'));
    expect(meta).toMatchObject({ time: '2024-05-01T10:00:00.000Z', hostname: 'clb-rs-01', endianness: 'le' });
  });
  it('never writes outside the target directory', async () => {
    const a = await collectHost(fixture('no-module'));
    a.raw['../escape.txt'] = 'x';
    a.raw['/abs/x'] = 'y';
    const out = join(tmp, 'guard');
    const files = await writeHostSnapshot(a, out);
    expect(files.some((f) => f.includes('escape') || f.includes('abs'))).toBe(false);
    expect(existsSync(join(tmp, 'escape.txt'))).toBe(false);
  });
});

describe('loadHostDir', () => {
  it('a before/after directory gives deltas', async () => {
    const ev = await loadHostDir(fixture('deltas-kind-mismatch'));
    expect(ev.before).not.toBeNull();
    expect(ev.deltas?.seconds).toBe(60);
  });
  it('missing directory → CaptureError', async () => {
    await expect(loadHostDir(join(tmp, 'nope'))).rejects.toBeInstanceOf(CaptureError);
  });
  it('a directory with nothing host-like → CaptureError with a hint', async () => {
    const d = join(tmp, 'empty');
    mkdirSync(d);
    writeFileSync(join(d, 'README'), 'hi');
    const err = await loadHostDir(d).catch((e) => e);
    expect(err).toBeInstanceOf(CaptureError);
    expect(err.message).toMatch(/not a host snapshot/);
    expect(err.hint).toMatch(/--save/);
  });
  it('a file is not a snapshot directory', async () => {
    await expect(loadHostDir(join(fixture('ttgw'), 'dmesg.txt'))).rejects.toBeInstanceOf(CaptureError);
  });
});

describe('collectHost options', () => {
  it('--dmesg-file replaces the snapshot dmesg.txt', async () => {
    const f = join(tmp, 'kern.log');
    writeFileSync(f, 'Jan 01 10:00:00 h kernel: TOA: toa unloaded\n');
    const s = await collectHost(fixture('dpvs-ipv6'), { dmesgFile: f });
    expect(s.dmesg.source).toBe(f);
    expect(s.dmesg.events.map((e) => e.kind)).toEqual(['unload']);
  });
  it('dmesg: false reads no kernel log', async () => {
    const s = await collectHost(fixture('dpvs-ipv6'), { dmesg: false });
    expect(s.dmesg.events).toEqual([]);
    expect(s.raw['dmesg.txt']).toBeUndefined();
  });
  it('toa_table: a large or size-0 (procfs) file is not read unless asked', async () => {
    const root = join(tmp, 'tbl');
    mkdirSync(join(root, 'proc/net'), { recursive: true });
    writeFileSync(join(root, 'proc/net/toa_table'), `${'0 ffff 2001:db8::1 80\n'.repeat(5000)}`);
    const a = await collectHost(root);
    expect(a.toaTable).toMatchObject({ read: false, entries: null });
    const b = await collectHost(root, { toaTable: true });
    expect(b.toaTable).toMatchObject({ read: true, entries: 5000 });
    writeFileSync(join(root, 'proc/net/toa_table'), '');
    expect((await collectHost(root)).toaTable?.read).toBe(false);
  });
  it('the live root runs dmesg through the injected exec and never throws', async () => {
    const s = await collectHost('/', {
      exec: async (cmd) =>
        cmd === 'dmesg'
          ? { stdout: '[ 1.0] TOA: toa loaded\n', code: 0, error: null }
          : { stdout: '', code: 1, error: 'no' },
    });
    expect(s.root).toBe('/');
    expect(s.dmesg.source).toBe('dmesg');
    expect(s.dmesg.events[0]?.kind).toBe('load');
    expect(Date.now() - s.collectedAtMs).toBeLessThan(60_000);
  });
  it('useMetaTime: false takes the clock, not meta.json', async () => {
    const s = await collectHost(fixture('ttgw'), {
      useMetaTime: false,
      now: () => new Date('2030-01-01T00:00:00Z'),
    });
    expect(s.collectedAt).toBe('2030-01-01T00:00:00.000Z');
  });
});

describe('deltas', () => {
  it('a counter going backwards marks a reset', async () => {
    const after = await collectHost(fixture('deltas-kind-mismatch/before'));
    const before = await collectHost(fixture('deltas-kind-mismatch/after'));
    const d = computeDeltas(before, after);
    expect(d.reset).toBe(true);
    expect(d.seconds).toBe(0);
    const ev = buildEvidence('x', after, before);
    expect(ev.deltas?.reset).toBe(true);
  });
});
