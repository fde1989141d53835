/**
 * The CLI around the page: `read --html`, `report REPORT.json --html`, and their input errors
 * (one `toa-doctor:` line, a hint, exit 2, no stack trace). Runs the built tool.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mixedCapture } from '../../helpers/scenarios.js';

const ROOT = new URL('../../..', import.meta.url).pathname;
let dir = '';

function cli(args: string[], input?: string) {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/toa-doctor.js'), ...args], {
    cwd: dir,
    input,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
    maxBuffer: 64 * 1024 * 1024,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function oneError(r: { code: number | null; err: string }, msg: RegExp) {
  expect(r.code).toBe(2);
  const lines = r.err.trimEnd().split('\n');
  expect(lines[0]).toMatch(/^toa-doctor: /);
  expect(lines[0]).toMatch(msg);
  expect(lines[1]).toMatch(/^ {2}hint: /);
  expect(lines).toHaveLength(2);
  expect(r.err).not.toMatch(/\n\s+at /);
}

beforeAll(() => {
  spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, encoding: 'utf8' });
  dir = mkdtempSync(join(tmpdir(), 'toa-html-cli-'));
  writeFileSync(join(dir, 'mix.pcap'), mixedCapture({ 'ok-200': 3, missing: 2, 'syn-only': 1 }));
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('read --html', () => {
  it('writes the page and still prints the report (exit code as without --html)', () => {
    const r = cli(['read', 'mix.pcap', '--html', 'out.html']);
    expect(r.code, r.err).toBe(1);
    expect(r.out).toContain('TOA_MISSING');
    const html = readFileSync(join(dir, 'out.html'), 'utf8');
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    // every connection listed (6), problems first
    expect(html).toContain('Connections (6)');
    expect(html.indexOf('data-v="TOA_MISSING"')).toBeLessThan(html.indexOf('data-v="TOA_OK"'));
  });

  it('--flows problems lists only the problem connections', () => {
    expect(cli(['read', 'mix.pcap', '--flows', 'problems', '--html', 'p.html']).code).toBe(1);
    const html = readFileSync(join(dir, 'p.html'), 'utf8');
    expect(html).toContain('Connections (3)');
    expect(html).not.toContain('data-v="TOA_OK"');
  });

  it('an unwritable path fails before reading, with a hint', () => {
    oneError(
      cli(['read', 'mix.pcap', '--html', join(dir, 'no/such/dir/x.html')]),
      /no\/such\/dir\/x\.html: cannot write \(no such directory\)/,
    );
  });
});

describe('report REPORT.json --html', () => {
  it('renders a saved `read --json` report into the same page `read --html` makes', () => {
    const j = cli(['read', 'mix.pcap', '--json', '--flows', 'all']);
    writeFileSync(join(dir, 'r.json'), j.out);
    const r = cli(['report', 'r.json', '--html', 'from-json.html']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toBe('');
    cli(['read', 'mix.pcap', '--html', 'direct.html']);
    const strip = (s: string) =>
      s.replace(/ · page made [^·<]+?(?= ·)/, '').replace(/ · <code>toa-doctor [^<]*<\/code>/, '');
    expect(strip(readFileSync(join(dir, 'from-json.html'), 'utf8'))).toBe(
      strip(readFileSync(join(dir, 'direct.html'), 'utf8')),
    );
  });

  it('reads standard input with -', () => {
    const j = cli(['read', 'mix.pcap', '--json']);
    expect(cli(['report', '-', '--html', 'stdin.html'], j.out).code).toBe(0);
    expect(existsSync(join(dir, 'stdin.html'))).toBe(true);
  });

  it('bad input: one line, a hint, exit 2', () => {
    writeFileSync(join(dir, 'bad.json'), '{"schema": "toa-doctor/report@1", ');
    oneError(cli(['report', 'bad.json', '--html', 'x.html']), /bad\.json: not valid JSON/);
    writeFileSync(join(dir, 'other.json'), '{"schema": "toa-doctor/host@1"}');
    oneError(
      cli(['report', 'other.json', '--html', 'x.html']),
      /not a toa-doctor report: schema is "toa-doctor\/host@1"/,
    );
    writeFileSync(join(dir, 'arr.json'), '[1,2]');
    oneError(cli(['report', 'arr.json', '--html', 'x.html']), /not a toa-doctor report: not a JSON object/);
    oneError(cli(['report', 'missing.json', '--html', 'x.html']), /missing\.json: no such file/);
    // a capture given by mistake: no raw bytes on the terminal, and the command that was meant
    const cap = cli(['report', 'mix.pcap', '--html', 'x.html']);
    oneError(cap, /^toa-doctor: mix\.pcap: not valid JSON$/m);
    expect(cap.err).toContain(
      'hint: this looks like a capture or an archive: toa-doctor read mix.pcap --html',
    );
    expect(cap.err).not.toMatch(/[^\x20-\x7e\n]/);
    oneError(cli(['report', 'bad.json']), /say where the page goes: --html FILE/);
    oneError(cli(['report', 'bad.json', '--html', './bad.json']), /--html \.\/bad\.json is also an input/);
    oneError(cli(['read', 'mix.pcap', '--html', 'mix.pcap']), /--html mix\.pcap is also an input/);
    expect(readFileSync(join(dir, 'mix.pcap')).length).toBeGreaterThan(1000);
    expect(existsSync(join(dir, 'x.html'))).toBe(false);
  });
});
