/**
 * print as a tcpdump user drives it: streaming from a pipe (each line as soon as its packet
 * arrives, flushed on SIGINT), a closed pipe on stdout or stderr, -r and a trailing filter
 * expression, repeated/comma-listed --port and --host (with CIDRs).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readCaptureBuffer } from '../../src/capture/reader.js';
import { tcpdumpSkipReason } from '../helpers/tools.js';

const ROOT = join(import.meta.dirname, '../..');
const CAP = join(ROOT, 'fixtures/captures');
const BIN = join(ROOT, 'bin/toa-doctor.js');
const ENV = { ...process.env, TZ: 'UTC', NO_COLOR: '1' };
const NO_TCPDUMP = tcpdumpSkipReason('print expression tests');

function run(args: string[], env: NodeJS.ProcessEnv = ENV) {
  const r = spawnSync('node', [BIN, ...args], { env, maxBuffer: 64 << 20 });
  return { code: r.status, out: r.stdout.toString(), err: r.stderr.toString() };
}
const lines = (s: string) => s.split('\n').filter(Boolean);

beforeAll(() => {
  if (!existsSync(join(ROOT, 'dist/cli/main.js')))
    spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT });
});

/** the pcap file header and each record of a fixture, as separate byte strings */
function records(file: string): { header: Buffer; recs: Buffer[] } {
  const all = readFileSync(file);
  const recs: Buffer[] = [];
  let at = 24;
  readCaptureBuffer(all, (f) => {
    const end = at + 16 + f.capturedLength;
    recs.push(all.subarray(at, end));
    at = end;
  });
  return { header: all.subarray(0, 24), recs };
}

describe('print streams from a pipe', () => {
  it('each packet line appears while the pipe is still open, and SIGINT exits 0 with every line out', async () => {
    const { header, recs } = records(join(CAP, 'toa-variants.pcap'));
    const child = spawn('node', [BIN, 'print', '-'], { env: ENV, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    const waitLines = (n: number) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`timed out waiting for ${n} lines, got: ${out}`)),
          10_000,
        );
        const check = () => {
          if (lines(out).length >= n) {
            clearTimeout(timer);
            child.stdout.off('data', onData);
            resolve();
          }
        };
        const onData = (d: Buffer) => {
          out += d.toString();
          check();
        };
        child.stdout.on('data', onData);
        check();
      });
    child.stdin.write(Buffer.concat([header, recs[0]!]));
    await waitLines(1); // before EOF: the line was not held in a buffer
    expect(lines(out)[0]).toContain('Flags [S], seq 1000');
    child.stdin.write(Buffer.concat([recs[1]!, recs[2]!]));
    await waitLines(3);
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(lines(out)).toHaveLength(3);
  });

  it('-l is accepted for files (tcpdump habit) and prints the same lines', () => {
    const f = join(CAP, 'toa-variants.pcap');
    expect(run(['print', '-l', f]).out).toBe(run(['print', f]).out);
  });
});

describe('a reader that goes away', () => {
  it('print -v FILE 2>&1 | head: exit 0, no stack trace in the pipe', () => {
    // the -v summary goes to stderr after stdout is closed: both ends of the pipe are gone
    for (let i = 0; i < 3; i++) {
      const r = spawnSync(
        'bash',
        ['-c', `set -o pipefail; node ${BIN} print -v ${join(CAP, 'malformed-options.pcap')} 2>&1 | head -1`],
        { env: ENV },
      );
      expect(r.status, r.stdout.toString()).toBe(0);
      expect(r.stdout.toString()).not.toMatch(/Error|at .*\.js:\d+/);
      expect(lines(r.stdout.toString())).toHaveLength(1);
    }
  });

  it('a closed stderr alone (print -v F 2>&1 >/dev/null | head -c 1) exits 0', () => {
    const r = spawnSync(
      'bash',
      [
        '-c',
        `set -o pipefail; node ${BIN} print -v ${join(CAP, 'malformed-options.pcap')} 2>&1 >/dev/null | head -c 1`,
      ],
      { env: ENV },
    );
    expect(r.status).toBe(0);
  });
});

describe('--port and --host repeat and take lists', () => {
  const f = join(CAP, 'toa-variants.pcap');
  const count = (args: string[]) => lines(run(['print', ...args, f]).out).length;

  it('--port 40003 --port 40004 keeps both, the same as a comma list', () => {
    const a = count(['--port', '40003']);
    const b = count(['--port', '40004']);
    expect(a).toBeGreaterThan(0);
    expect(b).toBeGreaterThan(0);
    expect(count(['--port', '40003', '--port', '40004'])).toBe(a + b);
    expect(count(['--port', '40003,40004'])).toBe(a + b);
  });

  it('--host A --host B keeps both; CIDRs and IPv6 networks work', () => {
    const v4 = count(['--host', '10.0.0.5']);
    const v6 = count(['--host', '2001:db8:200::5']);
    expect(v4).toBeGreaterThan(0);
    expect(v6).toBeGreaterThan(0);
    expect(count(['--host', '10.0.0.5', '--host', '2001:db8:200::5'])).toBe(v4 + v6);
    expect(count(['--host', '10.0.0.0/8,2001:db8::/32'])).toBe(v4 + v6);
    expect(count(['--host', '10.0.0.0/8', '--port', '40003'])).toBe(count(['--port', '40003']));
  });

  it('a bad value: one line, a hint with an example, exit 2', () => {
    for (const args of [
      ['--port', '80,http'],
      ['--host', 'example.com'],
      ['--host', '10.0.0.0/33'],
    ]) {
      const r = run(['print', ...args, f]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err).toMatch(/^toa-doctor: .*\n {2}hint: example: /);
    }
  });
});

describe('-r and a trailing filter expression', () => {
  const f = join(CAP, 'toa-variants.pcap');

  it.skipIf(NO_TCPDUMP !== null)('selects what tcpdump selects, with or without -r', () => {
    const want = spawnSync('tcpdump', ['-nn', '-r', f, 'tcp port 40003 and tcp[13] = 2'], { env: ENV })
      .stdout.toString()
      .split('\n')
      .filter(Boolean).length;
    expect(want).toBeGreaterThan(0);
    expect(
      lines(run(['print', '-r', f, 'tcp', 'port', '40003', 'and', 'tcp[13]', '=', '2']).out),
    ).toHaveLength(want);
    expect(lines(run(['print', f, 'tcp port 40003 and tcp[13] = 2']).out)).toHaveLength(want);
    expect(lines(run(['print', '-r', f]).out)).toHaveLength(lines(run(['print', f]).out).length);
  });

  it.skipIf(NO_TCPDUMP !== null)(
    'an invalid expression: one line naming it, a hint, exit 2, nothing on stdout',
    () => {
      const r = run(['print', f, 'tcp', 'prot', '80']);
      expect(r.code).toBe(2);
      expect(r.out).toBe('');
      expect(r.err).toMatch(
        /^toa-doctor: invalid filter 'tcp prot 80' \(link type EN10MB\): .*syntax error\n {2}hint: /,
      );
    },
  );

  it('no compiler installed: says so, exit 2, and --port still works without it', () => {
    const env = { ...ENV, TOA_DOCTOR_TCPDUMP: '/nonexistent/tcpdump' };
    const r = run(['print', f, 'tcp port 80'], env);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^toa-doctor: cannot compile the filter 'tcp port 80'.*\n {2}hint: .*install/);
    expect(run(['print', '--port', '40003', f], env).code).toBe(0);
  });

  it('no file at all: a usage line and a hint', () => {
    const r = run(['print']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^toa-doctor: no capture file given\n {2}hint: /);
  });
});
