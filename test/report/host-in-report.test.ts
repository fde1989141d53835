/**
 * Host evidence inside a capture report (issue #12): the report's ranked list already holds the
 * HOST_* findings, so the embedded host section must not add a second, empty "Findings" block; and a
 * bundle of host evidence only (made without -i) must not be reported as an empty capture ("NO DATA",
 * NO_TCP) nor name the temp directory it was unpacked to.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = new URL('../..', import.meta.url).pathname;
const NO_MODULE = join(ROOT, 'fixtures/hosts/no-module');
/** the temp directory a bundle is unpacked to while it is read (gone afterwards) */
const UNPACKED = /toa-doctor-read-\w+/;
let dir = '';
let bundle = '';

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/toa-doctor.js'), ...args], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', COLUMNS: '100' },
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'toa-hostrep-'));
  bundle = join(dir, 'host-only.tar.gz');
  const b = cli(['bundle', '--root', NO_MODULE, '--duration', '1', '-o', bundle]);
  expect(b.code, b.err).toBe(1); // HOST_MODULE_NOT_LOADED is an error finding
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('read --host DIR: one findings list', () => {
  it('the host section shows evidence, not a second "Findings (0 error, ...) none" block', () => {
    const r = cli(['read', join(ROOT, 'fixtures/samples/demo.pcap'), '--host-dir', NO_MODULE]);
    expect(r.code).toBe(1);
    expect(r.out).toContain('HOST_MODULE_NOT_LOADED');
    expect(r.out).not.toMatch(/Findings \(\d+ error, \d+ warning, \d+ info\)/);
    expect(r.out.match(/^Findings/gm)).toHaveLength(1);
    const md = cli(['read', join(ROOT, 'fixtures/samples/demo.pcap'), '--host-dir', NO_MODULE, '--markdown']);
    expect(md.out.match(/^#+ Findings/gm)).toHaveLength(1);
    expect(md.out).not.toContain('Findings: 0 error');
  });
});

describe('read of a host-only bundle', () => {
  it('text: no capture lines, no NO_TCP, no NO DATA, no temp path; the verdict names the host error', () => {
    const r = cli(['read', bundle]);
    expect(r.code, r.err).toBe(1);
    expect(r.out).toContain('capture     none (host evidence only)');
    expect(r.out).toContain('HOST_MODULE_NOT_LOADED');
    for (const bad of [
      'NO_TCP',
      'EMPTY_CAPTURE',
      'NO DATA',
      'no TCP connections',
      'packets     0',
      'Flows (',
      tmpdir(),
    ])
      expect(r.out, bad).not.toContain(bad);
    expect(r.out).toContain('snapshot: host-only.tar.gz:host');
    expect(r.out.trimEnd().split('\n').slice(-2).join(' ')).toMatch(
      /^Verdict: PROBLEM: HOST_MODULE_NOT_LOADED — host evidence only \(no capture, so no connection was\s+judged\)$/,
    );
  });
  it('Markdown and JSON say the same and name no temp path', () => {
    const md = cli(['read', bundle, '--markdown']);
    expect(md.out).toContain('| Capture | none (host evidence only) |');
    for (const bad of ['NO_TCP', 'NO DATA', '## Flows', '## Verdicts', tmpdir()])
      expect(md.out, bad).not.toContain(bad);
    const js = cli(['read', bundle, '--json']);
    const doc = JSON.parse(js.out);
    expect(doc.summary.verdict).toMatch(/^PROBLEM: HOST_MODULE_NOT_LOADED — host evidence only/);
    expect(doc.findings.map((f: { code: string }) => f.code)).not.toContain('NO_TCP');
    expect(js.out).not.toMatch(UNPACKED);
    expect(doc.host.source).toBe('host-only.tar.gz:host');
  });
});
