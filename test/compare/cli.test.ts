/**
 * `toa-doctor compare` as a user runs it (the built tool): exit codes 0/1/2, one line + hint for
 * bad input, --json / --markdown / text, a support bundle as one side.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TS_OPT } from '../helpers/packets.js';
import { checkSchema } from '../report/schema-check.js';
import { front, LB, leg, RS, withToa, writePair } from './gen.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const FIXTURE_ROOT = join(ROOT, 'fixtures/hosts/tencent-healthy');
const schema = JSON.parse(readFileSync(join(ROOT, 'schema/compare.schema.json'), 'utf8'));
let dir = '';
let ok: { a: string; b: string };
let stripped: { a: string; b: string };

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/toa-doctor.js'), ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', COLUMNS: '100' },
    maxBuffer: 64 * 1024 * 1024,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const T0 = 1_700_000_000;

beforeAll(() => {
  spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, encoding: 'utf8' });
  dir = mkdtempSync(join(tmpdir(), 'toa-compare-cli-'));
  const conns = [0, 1].map((i) =>
    front({ client: `203.0.113.${i + 1}`, cport: 40000 + i, lport: 5000 + i, t0: T0 + i, offset: 3 }),
  );
  ok = writePair(
    dir,
    'ok',
    conns.flatMap((c) => c.a),
    conns.flatMap((c) => c.b),
  );
  const toa = withToa('203.0.113.9', 4444);
  const base = { client: LB, cport: 30000, server: RS, sport: 8080, t0: T0 };
  stripped = writePair(
    dir,
    'stripped',
    leg({ ...base, ackOptions: toa, dataOptions: toa }),
    leg({ ...base, t0: T0 + 0.001, ackOptions: [...TS_OPT], dataOptions: [...TS_OPT] }),
  );
  writeFileSync(join(dir, 'text.txt'), 'not a capture\n');
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('toa-doctor compare', () => {
  it('exit 0 and a text report when the TOA arrives', () => {
    const r = cli(['compare', ok.a, ok.b]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('toa-doctor compare (front mode)');
    expect(r.out).toContain('TOA_INSERTED');
    expect(r.out).toContain('Verdict: no problem change on 2 paired connections');
    expect(r.err).toBe('');
  });

  it('exit 1 when a pair shows a problem change; --json validates against the schema', () => {
    const r = cli(['compare', stripped.a, stripped.b, '--json']);
    expect(r.code, r.err).toBe(1);
    const doc = JSON.parse(r.out);
    expect(checkSchema(schema, doc)).toEqual([]);
    expect(doc.schema).toBe('toa-doctor/compare@1');
    expect(doc.mode).toBe('path');
    expect(doc.pairs[0].change).toBe('TOA_STRIPPED');
    expect(doc.findings[0].code).toBe('TOA_STRIPPED');
  });

  it('--markdown gives a ticket-ready report with the option lists of the problem pair', () => {
    const r = cli(['compare', stripped.a, stripped.b, '--markdown']);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^# toa-doctor compare/);
    expect(r.out).toContain('## Option lists of problem pairs');
    expect(r.out).toContain('removed toa 203.0.113.9:4444 (200/8)');
  });

  it('--html OUT writes the page; stdout and exit code are as without --html', () => {
    for (const [pair, code] of [
      [stripped, 1],
      [ok, 0],
    ] as const) {
      const out = join(dir, `page-${code}.html`);
      const plain = cli(['compare', pair.a, pair.b, '--json']);
      const withHtml = cli(['compare', pair.a, pair.b, '--json', '--html', out]);
      expect(withHtml.code, withHtml.err).toBe(code);
      expect(plain.code).toBe(code);
      expect(withHtml.out).toBe(plain.out);
      const html = readFileSync(out, 'utf8');
      expect(html).toMatch(/^<!DOCTYPE html>/);
      expect(html).toContain("default-src 'none'");
      for (const c of Object.keys(JSON.parse(plain.out).summary.changes))
        if (JSON.parse(plain.out).summary.changes[c] > 0) expect(html).toContain(`>${c}</span>`);
    }
    const text = cli(['compare', stripped.a, stripped.b, '--html', join(dir, 'text-page.html')]);
    expect(text.code).toBe(1);
    expect(text.out).toBe(cli(['compare', stripped.a, stripped.b]).out);
  });

  it('--html to an unwritable path fails before analysing: exit 2, one line and a hint', () => {
    const r = cli(['compare', ok.a, ok.b, '--html', join(dir, 'no-such-dir', 'x.html')]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^toa-doctor: .*x\.html/);
    expect(r.err).toMatch(/hint: /);
    expect(r.out).toBe('');
    const self = cli(['compare', ok.a, ok.b, '--html', ok.b]);
    expect(self.code).toBe(2);
    expect(self.err).toMatch(/also an input/);
  });

  it('usage and input errors: exit 2, one line and a hint, no stack trace', () => {
    const cases: Array<[string[], RegExp]> = [
      [['compare', ok.a, ok.b, '--mode', 'sideways'], /--mode: expected front or path/],
      [['compare', ok.a, ok.b, '--json', '--markdown'], /cannot be combined/],
      [['compare', ok.a, ok.b, '--max-flows', '0'], /--max-flows: not a positive whole number/],
      [['compare', ok.a, join(dir, 'missing.pcap')], /no such file|missing\.pcap/],
      [['compare', ok.a, join(dir, 'text.txt')], /text\.txt/],
      [['compare', '-', '-'], /standard input/],
    ];
    for (const [args, msg] of cases) {
      const r = cli(args);
      expect(r.code, `${args.join(' ')}: ${r.err}`).toBe(2);
      expect(r.err).toMatch(msg);
      expect(r.err).toMatch(/^toa-doctor: /);
      expect(r.err).toMatch(/hint: /);
      expect(r.err).not.toMatch(/\n\s+at /);
    }
    const missingArg = cli(['compare', ok.a]);
    expect(missingArg.code).toBe(2);
    expect(missingArg.err).toMatch(/missing required argument/);
  });

  it('a support bundle works as one side, like read', () => {
    const bundle = join(dir, 'backend.tar.gz');
    const mk = cli(['bundle', '--from-pcap', ok.b, '--root', FIXTURE_ROOT, '--full', '-o', bundle]);
    expect(mk.code === 0 || mk.code === 1, mk.err).toBe(true);
    const r = cli(['compare', ok.a, bundle, '--json']);
    expect(r.code, r.err).toBe(0);
    const doc = JSON.parse(r.out);
    expect(doc.input.b.files[0]).toMatch(/backend\.tar\.gz:capture\.pcap/);
    expect(doc.summary.changes.TOA_INSERTED).toBe(2);
  });
});
