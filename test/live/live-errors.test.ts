/** `toa-doctor live` / `interfaces` failures a user can fix: one line, a hint, exit code 2. */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { REPO } from '../helpers/netns.js';

function toa(args: string[], opts: { asNobody?: boolean } = {}) {
  const cmd = opts.asNobody ? 'setpriv' : process.execPath;
  const argv = opts.asNobody
    ? ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, 'bin/toa-doctor.js', ...args]
    : ['bin/toa-doctor.js', ...args];
  return spawnSync(cmd, argv, { cwd: REPO, encoding: 'utf8', timeout: 30_000 });
}

function lines(s: string): string[] {
  return s.split('\n').filter((l) => l.trim());
}

const isRoot = process.getuid?.() === 0;
const hasSetpriv = spawnSync('sh', ['-c', 'command -v setpriv'], { stdio: 'ignore' }).status === 0;

describe('live: errors', () => {
  for (const engine of ['cap', 'tcpdump', 'auto']) {
    it(`--engine ${engine}: a nonexistent interface → exit 2, one line naming the real ones`, () => {
      const r = toa(['live', 'nope0', '--engine', engine, '--no-tui', '--duration', '1']);
      expect(r.status).toBe(2);
      const out = lines(r.stderr);
      expect(out[0]).toBe('toa-doctor: no such interface: nope0');
      expect(out[1]).toMatch(/^ {2}hint: capture devices here: .*\blo\b.*\bany\b/);
      expect(out).toHaveLength(2);
      expect(r.stdout).toBe('');
    });
  }

  it.skipIf(!isRoot || !hasSetpriv)('without CAP_NET_RAW → exit 2 with the permission hint', () => {
    for (const engine of ['tcpdump', 'cap']) {
      const r = toa(['live', 'lo', '--engine', engine, '--no-tui', '--duration', '1'], { asNobody: true });
      expect(r.status, r.stderr).toBe(2);
      const out = lines(r.stderr);
      expect(out[0]).toMatch(/^toa-doctor: no permission to capture on lo/);
      expect(out[1]).toMatch(
        /hint: run as root, or grant CAP_NET_RAW.*CAP_NET_ADMIN is needed only for promiscuous/,
      );
    }
  });

  it.skipIf(!isRoot || !hasSetpriv)('CAP_NET_RAW alone is enough for both engines (no CAP_NET_ADMIN)', () => {
    for (const engine of ['tcpdump', 'cap']) {
      const r = spawnSync(
        'setpriv',
        [
          '--reuid=65534',
          '--regid=65534',
          '--clear-groups',
          '--inh-caps=+net_raw',
          '--ambient-caps=+net_raw',
          process.execPath,
          'bin/toa-doctor.js',
          'live',
          'lo',
          '--engine',
          engine,
          '--json',
          '--duration',
          '1',
        ],
        { cwd: REPO, encoding: 'utf8', timeout: 30_000 },
      );
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr).toContain(`capturing on lo with ${engine}`);
    }
  });

  it('bad values are usage errors (exit 2)', () => {
    expect(toa(['live', 'lo', '--engine', 'pf_ring']).status).toBe(2);
    const d = toa(['live', 'lo', '--duration', 'soon', '--no-tui']);
    expect(d.status).toBe(2);
    expect(lines(d.stderr)[0]).toBe('toa-doctor: --duration: not a positive number of seconds: soon');
    const p = toa(['live', 'lo', '--port', 'http', '--no-tui']);
    expect(p.status).toBe(2);
    expect(lines(p.stderr)[0]).toBe('toa-doctor: not a TCP port: http');
  });

  it.skipIf(!isRoot)('an invalid BPF filter → exit 2 naming the filter', () => {
    const r = toa([
      'live',
      'lo',
      '--engine',
      'tcpdump',
      '--filter',
      'tcp and and',
      '--no-tui',
      '--duration',
      '1',
    ]);
    expect(r.status).toBe(2);
    expect(lines(r.stderr)[0]).toMatch(/^toa-doctor: invalid capture filter 'tcp and and'/);
  });
});

describe('interfaces', () => {
  it('lists devices with addresses; -D numbers the same devices as tcpdump -D does', () => {
    const a = toa(['interfaces']);
    expect(a.status).toBe(0);
    expect(a.stdout).toMatch(/\blo\s+up\s+loopback\s+127\.0\.0\.1\/8/);
    expect(a.stdout).toMatch(/\bany\s+up\s+all interfaces/);
    const d = toa(['-D']);
    expect(d.status).toBe(0);
    const names = lines(a.stdout).map((l) => l.trim().split(/\s+/)[1]);
    const dl = lines(d.stdout);
    expect(dl.map((l) => /^(\d+)\.(\S+) /.exec(l)?.slice(1))).toEqual(
      names.map((n, i) => [String(i + 1), n]),
    );
    expect(dl.find((l) => /^\d+\.lo /.test(l))).toMatch(/\[Up, Running, Loopback\] 127\.0\.0\.1\/8/);
    expect(d.stdout).toContain('.any (Pseudo-device that captures on all interfaces) [Up, Running]');
    const j = JSON.parse(toa(['interfaces', '--json']).stdout) as Array<{
      name: string;
      addresses: string[];
    }>;
    expect(j.find((x) => x.name === 'lo')!.addresses).toContain('127.0.0.1/8');
  });
});
