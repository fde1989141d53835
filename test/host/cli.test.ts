/** `toa-doctor host` end to end (needs `npx tsc -p tsconfig.build.json` first). */
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = new URL('../..', import.meta.url).pathname;
const BIN = join(ROOT, 'bin/toa-doctor.js');
const fx = (c: string) => join(ROOT, 'fixtures/hosts', c);
const tmp = mkdtempSync(join(tmpdir(), 'toa-host-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function run(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, 'host', ...args], {
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
    timeout: 30_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('toa-doctor host', () => {
  it('is built', () => {
    expect(existsSync(join(ROOT, 'dist/cli/host.js'))).toBe(true);
  });
  it('healthy fixture: exit 0, text report', () => {
    const r = run('--root', fx('ucloud'));
    expect(r.code).toBe(0);
    expect(r.out).toContain('Implementation: UCloud ucloud-toa');
    expect(r.out).toContain('Findings (0 error, 0 warning');
  });
  it('error findings: exit 1', () => {
    expect(run('--root', fx('no-module')).code).toBe(1);
    expect(run('--root', fx('loaded-but-dead')).code).toBe(1);
  });
  it('--json', () => {
    const r = run('--root', fx('deltas-kind-mismatch'), '--json');
    expect(r.code).toBe(1);
    const j = JSON.parse(r.out);
    expect(j.schema).toBe('toa-doctor/host@1');
    expect(j.findings[0].code).toBe('HOST_NO_TOA_RISING');
    expect(j.tool.version).toMatch(/^\d+\.\d+\.\d+/);
  });
  it('--markdown and --format markdown', () => {
    expect(run('--root', fx('ttgw'), '--markdown').out).toMatch(/^# toa-doctor host report: ttgw-rs-9/);
    expect(run('--root', fx('ttgw'), '--format', 'markdown').out).toMatch(/^# toa-doctor host report/);
  });
  it('--format prometheus', () => {
    const r = run('--root', fx('dpvs-ipv6'), '--format', 'prometheus');
    expect(r.code).toBe(0);
    expect(r.out).toContain('# TYPE toa_doctor_counter_total counter');
    expect(r.out).toContain(
      'toa_doctor_counter_total{file="toa_stats",counter="ip6_address_alloc",cpu="0"} 812',
    );
  });
  it('--no-info hides info findings in text', () => {
    const r = run('--root', fx('dpvs-ipv6'), '--no-info');
    expect(r.out).not.toContain('HOST_GETNAME_EMPTY_NORMAL');
  });
  it('--dmesg-file replaces the kernel log', () => {
    const f = join(tmp, 'k.log');
    writeFileSync(
      f,
      "[1.0] do_init_module: 'toa'->init suspiciously returned 1, it should follow 0/-E convention\n",
    );
    const r = run('--root', fx('ucloud'), '--dmesg-file', f, '--json');
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out).findings[0].code).toBe('HOST_MODULE_LOADED_BUT_DEAD');
  });
  it('usage errors exit 2 with one line', () => {
    for (const args of [
      ['--json', '--markdown'],
      ['--format', 'xml'],
      ['--count', '3'],
      ['--interval', '0'],
      ['--interval', 'abc'],
      ['--interval', '1', '--count', '1'],
      ['--root', join(tmp, 'missing')],
      ['--dmesg-file', join(tmp, 'missing.log')],
      ['--root', fx('deltas-ip6-leak'), '--interval', '0.1'],
    ]) {
      const r = run(...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err, args.join(' ')).toMatch(/^toa-doctor: /);
      expect(r.out).toBe('');
    }
  });
  it('a directory that is not a snapshot: exit 2 with a hint', () => {
    const d = join(tmp, 'notsnap');
    mkdirSync(d);
    writeFileSync(join(d, 'x.txt'), 'x');
    const r = run('--root', d);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/not a host snapshot/);
    expect(r.err).toMatch(/hint: .*--save/);
  });
  it('--interval/--count stream one line per interval and finish with the report', () => {
    const r = run('--root', fx('ucloud'), '--interval', '0.2', '--count', '3', '--no-dmesg');
    expect(r.code).toBe(0);
    const lines = r.out.split('\n');
    expect(
      lines.filter((l) => /→ .*\(0\.[0-9] s\) {2}no counter moved {2}PassiveOpens \+0/.test(l)),
    ).toHaveLength(2);
    expect(r.out).toContain('HOST_NO_TRAFFIC_IN_INTERVAL');
  });
  it('--interval --json carries the intervals', () => {
    const r = run('--root', fx('ucloud'), '--interval', '0.1', '--json');
    const j = JSON.parse(r.out);
    expect(j.intervals).toHaveLength(1);
    expect(j.deltas.seconds).toBeGreaterThan(0);
  });
  it('--save where no directory can be made (/proc, a dangling link, below a file): one line, exit 2, no spin', () => {
    // Node's recursive mkdir retries forever on procfs's ENOENT (30 s timeout here → signal)
    symlinkSync(join(tmp, 'nowhere'), join(tmp, 'dangling'));
    writeFileSync(join(tmp, 'plain-file'), 'x');
    for (const [dir, words] of [
      [`/proc/toa-doctor-test-${process.pid}`, /cannot write \(no such directory\)/],
      [join(tmp, 'dangling', 'snap'), /cannot write \(already exists\)/],
      [join(tmp, 'plain-file', 'snap'), /cannot write \(no such directory \(a parent is not a directory\)\)/],
    ] as const) {
      const r = run('--root', fx('ucloud'), '--no-dmesg', '--save', dir);
      expect(r.code, `${dir}: ${r.err}`).toBe(2);
      expect(r.err).toMatch(words);
      expect(r.err).toMatch(/^toa-doctor: [^\n]+\n {2}hint: [^\n]*for --save\n$/);
    }
  });
  it('--save makes the missing directories of a deep path', () => {
    const d = join(tmp, 'deep', 'a', 'b');
    expect(run('--root', fx('ucloud'), '--no-dmesg', '--save', d).code).toBe(0);
    expect(existsSync(join(d, 'meta.json'))).toBe(true);
  });
  it('--save writes a snapshot that --root reads back to the same findings', () => {
    const d = join(tmp, 'saved');
    const a = run('--root', fx('huawei-ipv4-dualstack-listener'), '--save', d, '--json');
    const b = run('--root', d, '--json');
    expect(b.code).toBe(a.code);
    expect(JSON.parse(b.out).findings).toEqual(JSON.parse(a.out).findings);
    expect(readFileSync(join(d, 'proc/net/toa_stats'), 'utf8')).toBe(
      readFileSync(fx('huawei-ipv4-dualstack-listener/proc/net/toa_stats'), 'utf8'),
    );
  });
  it('--interval --save writes before/ and after/', () => {
    const d = join(tmp, 'pair');
    run('--root', fx('vtoa-hookers'), '--interval', '0.1', '--save', d);
    expect(readdirSync(d).sort()).toEqual(['after', 'before']);
    const j = JSON.parse(run('--root', d, '--json').out);
    expect(j.beforeCollectedAt).not.toBeNull();
    expect(j.deltas).not.toBeNull();
  });
  it('-o writes atomically (temp file + rename) and prints nothing', () => {
    const f = join(tmp, 'toa.prom');
    const r = run('--root', fx('tencent-healthy'), '--format', 'prometheus', '-o', f);
    expect(r.code).toBe(0);
    expect(r.out).toBe('');
    expect(readFileSync(f, 'utf8')).toContain('toa_doctor_scrape_timestamp_seconds');
    expect(readdirSync(tmp).filter((x) => x.includes('.tmp-'))).toEqual([]);
  });
  it('the live host (/) never fails with a usage or internal error', () => {
    const r = run('--json');
    expect([0, 1]).toContain(r.code);
    expect(JSON.parse(r.out).schema).toBe('toa-doctor/host@1');
  });
});
