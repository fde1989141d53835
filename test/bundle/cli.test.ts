/**
 * `toa-doctor bundle` / `read BUNDLE` / `collector-script` end to end (built CLI: npm run build).
 * The verdicts and findings read from a bundle equal those of the raw capture; the report.json
 * inside the bundle equals what `read` prints for it; damaged bundles are named and still analysed.
 */
import { spawnSync } from 'node:child_process';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readArchive } from '../../src/bundle/archive.js';
import { REPO } from '../helpers/netns.js';
import { editArchive, FIXTURE_ROOT, sampleCapture, tmp } from './helpers.js';

const BIN = join(REPO, 'bin/toa-doctor.js');

function cli(args: string[], cwd?: string) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    cwd,
    maxBuffer: 64 * 1024 * 1024,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface Report {
  summary: { verdicts: Record<string, number>; exitCode: number };
  flows: Array<{
    client: { address: string; port: number };
    server: { address: string; port: number };
    verdict: string;
  }>;
  findings: Array<{ code: string; severity: string; source: string; flows: number }>;
  input: { bundle: { description: string; problems: Array<{ kind: string; member: string | null }> } | null };
}

const flowKey = (r: Report) =>
  r.flows
    .map((f) => `${f.client.address}:${f.client.port}>${f.server.address}:${f.server.port} ${f.verdict}`)
    .sort();
const findingKey = (r: Report, sources: string[]) =>
  r.findings
    .filter((f) => sources.includes(f.source))
    .map((f) => `${f.code} ${f.severity} ${f.flows}`)
    .sort();

let dir: string;
let pcap: string;
let bundle: string;
let raw: Report;
let fromBundle: Report;

beforeAll(async () => {
  dir = await tmp('toa-bundle-cli-');
  pcap = join(dir, 'in.pcap');
  await writeFile(pcap, sampleCapture());
  bundle = join(dir, 'b.tar.gz');
  const r = cli(['bundle', '--from-pcap', pcap, '--root', FIXTURE_ROOT, '-o', bundle]);
  expect(r.code, r.stderr).toBe(1); // the sample has error findings
  expect(r.stdout.trim()).toBe(bundle);
  expect(r.stderr).toMatch(/wrote .*b\.tar\.gz .*packets kept \(handshake\), 6 flows/);
  // the same host evidence on both sides: it chooses the module model that judges the flows
  raw = JSON.parse(cli(['read', pcap, '--host-dir', FIXTURE_ROOT, '--json', '--flows', 'all']).stdout);
  const rb = cli(['read', bundle, '--json', '--flows', 'all']);
  expect(rb.code).toBe(1);
  fromBundle = JSON.parse(rb.stdout);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('bundle and read through the CLI', () => {
  it('read BUNDLE gives the same flow verdicts and capture findings as read on the raw capture', () => {
    expect(flowKey(fromBundle)).toEqual(flowKey(raw));
    expect(fromBundle.summary.verdicts).toEqual(raw.summary.verdicts);
    expect(findingKey(fromBundle, ['capture'])).toEqual(findingKey(raw, ['capture']));
    expect(fromBundle.input.bundle?.description).toMatch(/^reading bundle b\.tar\.gz from host clb-rs-01, /);
    expect(fromBundle.input.bundle?.problems).toEqual([]);
  });

  it('the report inside the bundle is the report read prints for it', async () => {
    const a = await readArchive(await readFile(bundle));
    const inside = JSON.parse(a.members.get('report.json')!.data.toString()) as Report;
    // report.json lists problem flows, as `read --json` does by default
    const readDefault = JSON.parse(cli(['read', bundle, '--json']).stdout) as Report;
    expect(flowKey(inside)).toEqual(flowKey(readDefault));
    expect(inside.summary).toEqual(readDefault.summary);
    expect(findingKey(inside, ['capture', 'host', 'correlation'])).toEqual(
      findingKey(fromBundle, ['capture', 'host', 'correlation']),
    );
    expect(inside.input.bundle?.description).toBe(fromBundle.input.bundle?.description);
    const md = a.members.get('report.md')!.data.toString();
    expect(md).toContain('# toa-doctor report');
    expect(md).not.toMatch(/toa-doctor-(read|bundle)-/);
  });

  it('the text report says it reads a bundle, from which host and when', () => {
    const r = cli(['read', bundle]);
    expect(r.stdout).toMatch(/reading bundle b\.tar\.gz from host clb-rs-01/);
    expect(r.stdout).toContain('TOA_BAD_CHECKSUM');
  });

  it('an anonymized bundle yields the same verdict counts and findings', () => {
    const out = join(dir, 'anon.tar.gz');
    const r = cli(['bundle', '--from-pcap', pcap, '--root', FIXTURE_ROOT, '--anonymize', '-o', out]);
    expect(r.code, r.stderr).toBe(1);
    const rep = JSON.parse(cli(['read', out, '--json', '--flows', 'all']).stdout) as Report;
    expect(rep.summary.verdicts).toEqual(raw.summary.verdicts);
    expect(findingKey(rep, ['capture'])).toEqual(findingKey(raw, ['capture']));
    expect(rep.input.bundle?.description).toMatch(/from host host-[0-9a-f]{8}.*addresses anonymized/);
  });

  it('--lb still works on an anonymized bundle (networks are mapped like the addresses)', () => {
    const lb = ['--lb', '198.51.100.0/24'];
    const out = join(dir, 'anon-lb.tar.gz');
    const r = cli(['bundle', '--from-pcap', pcap, '--root', FIXTURE_ROOT, '--anonymize', ...lb, '-o', out]);
    expect(r.code, r.stderr).toBe(1);
    const rawLb = JSON.parse(
      cli(['read', pcap, '--host-dir', FIXTURE_ROOT, '--json', ...lb]).stdout,
    ) as Report;
    expect(findingKey(rawLb, ['capture'])).toContain('TOA_FROM_OUTSIDE_LB warning 2');
    const a = JSON.parse(
      spawnSync('tar', ['xzf', out, '-O', 'report.json'], { encoding: 'utf8' }).stdout,
    ) as Report;
    expect(findingKey(a, ['capture'])).toEqual(findingKey(rawLb, ['capture']));
    const m = JSON.parse(spawnSync('tar', ['xzf', out, '-O', 'manifest.json'], { encoding: 'utf8' }).stdout);
    expect(m.analysis.lb[0]).toMatch(/^\d+\.\d+\.\d+\.0\/24$/);
    expect(JSON.stringify(m)).not.toContain('198.51.100');
  });

  it('a bundle with a missing member names it and still reports', async () => {
    const out = join(dir, 'missing.tar.gz');
    await editArchive(await readFile(bundle), out, (m) => m.delete('host/after/proc/net/toa_stats'));
    const r = cli(['read', out, '--json']);
    expect(r.code).toBe(1);
    const rep = JSON.parse(r.stdout) as Report;
    expect(rep.input.bundle?.problems).toContainEqual(
      expect.objectContaining({ kind: 'missing', member: 'host/after/proc/net/toa_stats' }),
    );
    expect(rep.summary.verdicts).toEqual(raw.summary.verdicts);
    expect(cli(['read', out]).stdout + cli(['read', out]).stderr).toContain('host/after/proc/net/toa_stats');
  });

  it('a bundle with a changed member and a cut bundle are named and still analysed', async () => {
    const bad = join(dir, 'badsha.tar.gz');
    await editArchive(await readFile(bundle), bad, (m) =>
      m.set('host/after/dmesg.txt', Buffer.concat([m.get('host/after/dmesg.txt')!, Buffer.from('x\n')])),
    );
    const r1 = cli(['read', bad, '--json']);
    expect(r1.code).toBe(1);
    expect((JSON.parse(r1.stdout) as Report).input.bundle?.problems).toContainEqual(
      expect.objectContaining({ kind: 'bad-sha256', member: 'host/after/dmesg.txt' }),
    );
    const buf = await readFile(bundle);
    const cut = join(dir, 'cut.tar.gz');
    await writeFile(cut, buf.subarray(0, Math.floor(buf.length * 0.8)));
    const r2 = cli(['read', cut, '--json']);
    expect(r2.code, r2.stderr).not.toBe(2);
    const rep = JSON.parse(r2.stdout) as Report;
    expect(rep.input.bundle?.problems.some((p) => p.kind === 'truncated-archive')).toBe(true);
  });

  it('exit 2 with a clear message when nothing can be analysed', async () => {
    const junk = join(dir, 'junk.tar.gz');
    await writeFile(junk, gzipSync(Buffer.alloc(4096, 0x41)));
    // gzip, but not tar inside: read treats it as a (bad) capture, never as a bundle
    const r = cli(['read', junk]);
    expect(r.code).toBe(2);
    const only = join(dir, 'only-manifest.tar.gz');
    await editArchive(await readFile(bundle), only, (m) => {
      for (const k of [...m.keys()]) if (k !== 'manifest.json') m.delete(k);
    });
    const r2 = cli(['read', only]);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toMatch(/nothing to analyse in bundle/);
    expect(r2.stderr).toMatch(/capture\.pcap .*missing/);
  });

  it('rejects bad options before capturing', () => {
    expect(cli(['bundle', '--max-bytes', 'lots']).code).toBe(2);
    expect(cli(['bundle', '-i', 'lo', '--from-pcap', pcap]).code).toBe(2);
    const r = cli(['bundle', '--root', FIXTURE_ROOT, '-o', join(dir, 'no/such/dir/x.tar.gz')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no\/such\/dir: cannot write \(no such directory\)/);
    expect(cli(['bundle', '--port', '80']).code).toBe(2);
  });

  it('names the default output after the host and UTC time', () => {
    const r = cli(['bundle', '--root', FIXTURE_ROOT], dir);
    expect(r.code, r.stderr).not.toBe(2);
    expect(r.stdout.trim()).toMatch(/\/toa-doctor-clb-rs-01-\d{8}T\d{6}Z\.tar\.gz$/);
  });

  it.skipIf(spawnSync('sh', ['-c', 'command -v script']).status !== 0)(
    'shows progress on a terminal, and nothing but the summary when stderr is not one',
    () => {
      const out = join(dir, 'tty.tar.gz');
      const cmd = `${process.execPath} ${BIN} bundle --root ${FIXTURE_ROOT} --duration 1.2 -o ${out}`;
      const r = spawnSync('script', ['-q', '-e', '-c', cmd, '/dev/null'], { encoding: 'utf8' });
      expect(r.stdout).toMatch(/waiting: \d+s left, 0 packets \(0 kept\), 0 flows/);
      expect(r.stdout).toMatch(/collecting host evidence \(after\)/);
      const plain = cli(['bundle', '--root', FIXTURE_ROOT, '--duration', '0.3', '-o', out]);
      expect(plain.stderr).not.toMatch(/left,/);
      expect(plain.stderr).toMatch(/wrote .*tty\.tar\.gz/);
    },
  );

  it('collector-script prints the POSIX sh script, -o writes it executable', async () => {
    const r = cli(['collector-script']);
    expect(r.code).toBe(0);
    expect(r.stdout.startsWith('#!/bin/sh\n')).toBe(true);
    const f = join(dir, 'c.sh');
    expect(cli(['collector-script', '-o', f]).code).toBe(0);
    expect(await readFile(f, 'utf8')).toBe(r.stdout);
  });
});
