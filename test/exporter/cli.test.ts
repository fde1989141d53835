/** `toa-doctor exporter` usage errors: one line, a hint, exit 2, and nothing starts. */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { underCi } from '../helpers/netns.js';

function hasTcpdump(): boolean {
  const ok = spawnSync('sh', ['-c', 'command -v tcpdump'], { stdio: 'ignore' }).status === 0;
  if (!ok && underCi()) throw new Error('tcpdump is not installed: .ci/run installs it');
  if (!ok) process.stderr.write('[FILTER check test skipped] tcpdump is not installed\n');
  return ok;
}

const BIN = new URL('../../bin/toa-doctor.js', import.meta.url).pathname;

function run(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, 'exporter', ...args], { encoding: 'utf8', timeout: 20_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('exporter CLI', () => {
  it('--help documents the endpoints and CAP_NET_RAW', () => {
    const r = run(['--help']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('/metrics');
    expect(r.out).toContain('/healthz');
    expect(r.out).toContain('CAP_NET_RAW');
    expect(r.out).toContain('127.0.0.1:9877');
  });

  const cases: Array<[string[], RegExp, RegExp]> = [
    [
      ['lo', '--listen', 'nonsense'],
      /^toa-doctor: --listen: not ADDR:PORT: nonsense$/m,
      /hint: e\.g\. --listen 127\.0\.0\.1:9877/,
    ],
    [['lo', '--listen', '127.0.0.1:70000'], /--listen: not ADDR:PORT/, /hint:/],
    [
      ['lo', '--settle', '0'],
      /^toa-doctor: --settle: not a positive number of seconds: 0$/m,
      /hint: example: --settle 2/,
    ],
    [
      ['lo', '--max-flows', '1.5'],
      /--max-flows: not a positive whole number: 1\.5/,
      /hint: example: --max-flows/,
    ],
    [['lo', '--root', '/nonexistent-toa-root'], /--root: no such directory: \/nonexistent-toa-root/, /hint:/],
    [['lo', '--port-labels', 'x'], /--port-labels: not a positive whole number: x/, /hint:/],
  ];
  for (const [args, msg, hint] of cases)
    it(`${args.slice(1).join(' ')}: exit 2 with a message and a hint`, () => {
      const r = run(args);
      expect(r.code, r.err).toBe(2);
      expect(r.err).toMatch(msg);
      expect(r.err).toMatch(hint);
      expect(r.err).not.toMatch(/\n\s+at /);
      expect(r.out).toBe('');
    });

  // the FILTER is compiled with tcpdump (installed by .ci/run); without it the check cannot run
  it.skipIf(!hasTcpdump())("a FILTER typo is a usage error at start, with tcpdump's complaint", () => {
    const r = run(['lo', 'port', 'banana', '--no-host']);
    expect(r.code, r.err).toBe(2);
    expect(r.err).toMatch(/^toa-doctor: invalid FILTER 'port banana': .*banana/m);
    expect(r.err).toMatch(/hint: FILTER is BPF/);
  });

  it('an unknown engine is a usage error', () => {
    const r = run(['lo', '--engine', 'pcap']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--engine.*pcap/);
  });
});
