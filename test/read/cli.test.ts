import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { captureOf, mixedCapture, scenarioConns } from '../helpers/scenarios.js';
import { checkSchema } from '../report/schema-check.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const SCHEMA = JSON.parse(readFileSync(join(ROOT, 'schema/report.schema.json'), 'utf8'));
let dir = '';

function cli(args: string[], input?: Buffer) {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/toa-doctor.js'), ...args], {
    cwd: ROOT,
    input,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', COLUMNS: '100' },
    maxBuffer: 64 * 1024 * 1024,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

beforeAll(() => {
  // CLI tests run the built tool (npm test builds first); build when dist is missing or stale
  const b = spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, encoding: 'utf8' });
  void b;
  dir = mkdtempSync(join(tmpdir(), 'toa-read-'));
  writeFileSync(join(dir, 'ok.pcap'), captureOf(scenarioConns('ok-200', 3)));
  writeFileSync(join(dir, 'bad.pcap'), mixedCapture({ 'ok-200': 2, missing: 2, 'syn-only': 1 }));
  writeFileSync(join(dir, 'ok.pcapng.gz'), gzipSync(mixedCapture({ 'ok-v6-254-20': 2 }, 'sll2', 'pcapng')));
  writeFileSync(join(dir, 'text.txt'), 'hello, not a capture\n');
}, 120_000);

describe('toa-doctor read: exit codes', () => {
  it('0 when no error finding', () => {
    const r = cli(['read', join(dir, 'ok.pcap')]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('Verdict: OK');
  });
  it('1 when an error finding', () => {
    const r = cli(['read', join(dir, 'bad.pcap')]);
    expect(r.code).toBe(1);
    expect(r.out).toContain('TOA_MISSING');
  });
  it('2 for a missing file, a non-capture, a bad flag, an unknown profile', () => {
    expect(cli(['read', join(dir, 'nope.pcap')]).code).toBe(2);
    const t = cli(['read', join(dir, 'text.txt')]);
    expect(t.code).toBe(2);
    expect(t.err).not.toMatch(/at .*\.js:\d+/);
    const p = cli(['read', join(dir, 'ok.pcap'), '--profile', 'azure']);
    expect(p.code).toBe(2);
    expect(p.err).toContain('unknown profile "azure"');
    expect(p.err).toContain(
      'tencent, tencent-nat64, alibaba-lvs, dpvs, huawei, ucloud, tencentos, aliyun-cdn, vtoa',
    );
    expect(cli(['read', join(dir, 'ok.pcap'), '--lb', '10.0.0.0/33']).code).toBe(2);
    expect(cli(['read', join(dir, 'ok.pcap'), '--flows', 'some']).code).toBe(2);
    expect(cli(['read', join(dir, 'ok.pcap'), '--max-flows', '0']).code).toBe(2);
    const th = cli(['read', join(dir, 'ok.pcap'), '--threads', '0']);
    expect(th.code).toBe(2);
    expect(th.err).toContain('--threads: not a positive whole number');
    expect(cli(['read', join(dir, 'ok.pcap'), '--json', '--markdown']).code).toBe(2);
    expect(cli(['read']).code).toBe(2);
    const nd = cli(['read', join(dir, 'ok.pcap'), '--host', join(dir, 'no-such-dir')]);
    expect(nd.code).toBe(2);
    expect(nd.err).toMatch(
      /no such directory, and not an address or network\n {2}hint: host snapshots go to --host-dir/,
    );
    expect(cli(['read', join(dir, 'ok.pcap'), '--host-dir', join(dir, 'no-such-dir')]).code).toBe(2);
  });
});

describe('toa-doctor read: outputs', () => {
  it('--json: stdout is one JSON document that validates against the schema', () => {
    const r = cli(['read', join(dir, 'bad.pcap'), '--json', '--flows', 'all']);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.out);
    expect(checkSchema(SCHEMA, doc)).toEqual([]);
    expect(doc.flows).toHaveLength(5);
    expect(doc.summary.exitCode).toBe(1);
  });
  it('--markdown', () => {
    const r = cli(['read', join(dir, 'bad.pcap'), '--markdown']);
    expect(r.out).toMatch(/^# toa-doctor report/);
    expect(r.code).toBe(1);
  });
  it('several files, pcapng + gzip + SLL2, analysed together', () => {
    const r = cli(['read', join(dir, 'ok.pcap'), join(dir, 'ok.pcapng.gz'), '--json']);
    const doc = JSON.parse(r.out);
    expect(doc.input.files.map((f: { format: string }) => f.format)).toEqual(['pcap', 'pcapng']);
    expect(doc.summary.flows.total).toBe(5);
    expect(doc.summary.verdicts.TOA_OK).toBe(5);
    expect(doc.summary.linkTypes.map((l: { name: string }) => l.name).sort()).toEqual(
      ['EN10MB', 'LINUX_SLL2'].sort(),
    );
    expect(r.code).toBe(0);
  });
  it("reads standard input ('-')", () => {
    const r = cli(['read', '-', '--json'], readFileSync(join(dir, 'ok.pcap')));
    expect(JSON.parse(r.out).summary.flows.total).toBe(3);
  });
  it('--profile tencent turns 254/8 into KIND_MISMATCH', () => {
    const r = cli(['read', 'fixtures/samples/demo.pcap', '--profile', 'tencent', '--json']);
    expect(r.err).toBe('');
    const doc = JSON.parse(r.out);
    expect(doc.summary.verdicts.TOA_KIND_MISMATCH).toBeGreaterThan(0);
    expect(doc.findings[0].code).toBe('KIND_MISMATCH');
  });
  it('reads a FIFO (tcpdump -w FIFO in another shell): the bundle check does not eat or wait for its bytes', () => {
    const fifo = join(dir, 'in.fifo');
    spawnSync('mkfifo', [fifo]);
    const r = spawnSync(
      'sh',
      [
        '-c',
        `cat '${join(dir, 'bad.pcap')}' > '${fifo}' & exec '${process.execPath}' '${join(ROOT, 'bin/toa-doctor.js')}' read '${fifo}' --json`,
      ],
      { cwd: ROOT, encoding: 'utf8', timeout: 20_000 },
    );
    expect(r.signal, 'timed out: the FIFO was opened twice').toBeNull();
    expect(r.stderr).toBe('');
    const doc = JSON.parse(r.stdout);
    const file = JSON.parse(cli(['read', join(dir, 'bad.pcap'), '--json']).out);
    expect(doc.summary.verdicts).toEqual(file.summary.verdicts);
    expect(doc.summary.packets).toBe(file.summary.packets);
    expect(r.status).toBe(1);
  });
  it('--host-dir DIR merges host findings; the old --host DIR still works, with a deprecation hint', () => {
    const r = cli(['read', join(dir, 'ok.pcap'), '--host-dir', 'fixtures/hosts/no-module', '--json']);
    expect(r.err).toBe('');
    const legacy = cli(['read', join(dir, 'ok.pcap'), '--host', 'fixtures/hosts/no-module', '--json']);
    expect(legacy.out).toBe(r.out);
    expect(legacy.err).toMatch(
      /^toa-doctor: warning: --host fixtures\/hosts\/no-module names a directory: use --host-dir/,
    );
    expect(legacy.err).toMatch(/\n {2}hint: --host now takes addresses/);
    const doc = JSON.parse(r.out);
    expect(doc.input.host).toBe('fixtures/hosts/no-module');
    expect(doc.findings.some((f: { source: string }) => f.source === 'correlation')).toBe(true);
    expect(doc.host).toBeDefined();
    // the embedded host document names the same tool version as the report (it said null)
    expect(doc.host.tool.version).toBe(doc.tool.version);
    expect(doc.tool.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(r.code).toBe(1);
  });
  it('npm run demo: the bundled sample shows several verdicts side by side', () => {
    const r = cli(['read', 'fixtures/samples/demo.pcap']);
    for (const v of [
      'TOA_OK',
      'TOA_MISSING',
      'TOA_SYN_ONLY',
      'TOA_LATE',
      'TOA_MALFORMED',
      'TOA_NAT64',
      'TOA_INCONSISTENT',
      'TOA_BAD_CHECKSUM',
      'INCOMPLETE',
    ])
      expect(r.out).toContain(v);
    expect(r.code).toBe(1);
  });
  it('no progress noise on stderr when it is not a terminal', () => {
    const r = cli(['read', join(dir, 'ok.pcap'), '--json']);
    expect(r.err).toBe('');
  });
});

describe('npm run demo (issue #12)', () => {
  it('exits 0, says in its last line that the sample is made to show problems, and builds only when sources changed', () => {
    const run = () =>
      spawnSync('npm', ['run', '--silent', 'demo'], {
        cwd: ROOT,
        encoding: 'utf8',
        env: { ...process.env, NO_COLOR: '1' },
      });
    run(); // builds if dist is older than src (the tests may run right after an edit)
    const r = run();
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('Verdict: PROBLEM');
    const last = r.stdout.trimEnd().split('\n').at(-1)!;
    expect(last).toMatch(/^demo: .*exited 1 .*as intended: the sample is made to show problems/);
    // up to date: no second build
    expect(r.stderr).not.toContain('demo: building');
    expect(r.stderr).not.toMatch(/npm (ERR|error)/);
  }, 120_000);
});

describe('toa-doctor read: a truncated capture (issue #12)', () => {
  it('prints one `toa-doctor: warning:` line on stderr, names the path once in the finding, exits by the findings', () => {
    const whole = readFileSync(join(dir, 'ok.pcap'));
    const p = join(dir, 'cut.pcap');
    writeFileSync(p, whole.subarray(0, whole.length - 10));
    for (const extra of [[], ['--threads', '2'], ['--json']]) {
      const r = cli(['read', p, ...extra]);
      expect(r.code, r.err).toBe(0);
      const lines = r.err.split('\n').filter(Boolean);
      expect(lines, extra.join(' ')).toHaveLength(1);
      expect(lines[0]).toMatch(
        new RegExp(
          `^toa-doctor: warning: ${p.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: the last record \\(#\\d+ at byte offset \\d+\\) is cut short`,
        ),
      );
      if (extra[0] === '--json') {
        const f = JSON.parse(r.out).findings.find((x: { code: string }) => x.code === 'CAPTURE_READ_WARNING');
        expect(f.title.split(p).length - 1).toBe(1);
      } else {
        // the finding: from its code to the next finding or the blank line after the list
        const from = r.out.slice(r.out.indexOf('CAPTURE_READ_WARNING'));
        const finding = from.split('\n\n')[0]!.split(/\n [!i] /)[0]!;
        expect(finding.split(p).length - 1, finding).toBe(1);
      }
    }
    // an intact file: nothing on stderr
    expect(cli(['read', join(dir, 'ok.pcap')]).err).toBe('');
  });
});
