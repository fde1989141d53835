/**
 * Host snapshots from strangers (issue 16, items 7-12): FIFOs where files should be, symlinks out of
 * the snapshot, a million dmesg lines, a 100 MB toa_stats line, 65k listeners, counters near 2^64 and
 * files the user may not read. Inputs are generated here, never committed.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync } from 'node:fs';
import { symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { diagnoseHost } from '../../src/diagnose/host-rules.js';
import { collectHost } from '../../src/host/collect.js';
import { classifyDmesg, EXAMPLES_PER_PATTERN } from '../../src/host/dmesg.js';
import { readUnder } from '../../src/host/fsroot.js';
import { buildEvidence, computeDeltas, loadHostDir } from '../../src/host/snapshot.js';
import { parseStatsFile } from '../../src/host/stats.js';
import { hostToJson, MAX_LISTENER_ROWS, renderHostMarkdown, renderHostText } from '../../src/report/host.js';
import { FIXTURE_ROOT, tmp } from '../bundle/helpers.js';
import { REPO } from '../helpers/netns.js';

const BIN = join(REPO, 'bin/toa-doctor.js');
let dir: string;

beforeAll(async () => {
  dir = await tmp('toa-host-hostile-');
  chmodSync(dir, 0o755);
});
afterAll(async () => {
  // the generated inputs are large (a 100 MB toa_stats): never leave them behind
  chmodSync(join(dir, 'denied'), 0o755);
  await import('node:fs/promises').then((fs) => fs.rm(dir, { recursive: true, force: true }));
});

async function snapshot(name: string): Promise<string> {
  const d = join(dir, name);
  cpSync(FIXTURE_ROOT, d, { recursive: true });
  return d;
}

function mkfifo(path: string): void {
  const r = spawnSync('mkfifo', [path]);
  if (r.status !== 0) throw new Error(`mkfifo failed: ${r.stderr}`);
}

describe('7. FIFOs never block', () => {
  it('a FIFO at toa_stats, dmesg.txt, meta.json, proc/modules and initstate: read completes, each is named', async () => {
    const d = await snapshot('fifo');
    for (const f of [
      'proc/net/toa_stats',
      'dmesg.txt',
      'meta.json',
      'proc/modules',
      'sys/module/toa/initstate',
    ]) {
      await import('node:fs/promises').then((fs) => fs.rm(join(d, f)));
      mkfifo(join(d, f));
    }
    const r = await readUnder(d, '/proc/net/toa_stats');
    expect(r).toEqual({ text: null, error: 'ENOTREG', truncated: false });
    const ev = await loadHostDir(d); // would hang forever on open() before
    expect(ev.snapshot.notes.join('\n')).toMatch(/\/proc\/net\/toa_stats: not a regular file/);
    expect(ev.snapshot.notes.join('\n')).toMatch(/\/proc\/modules: not a regular file/);
    expect(ev.snapshot.dmesg.error).toMatch(/dmesg\.txt: not a regular file/);
    // and the CLI, which cron and the exporter run, ends too
    const cli = spawnSync(process.execPath, [BIN, 'host', '--root', d], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(cli.signal).toBeNull();
    expect([0, 1]).toContain(cli.status);
  }, 60_000);
});

describe('8. symlinks out of a snapshot are not followed', () => {
  it('toa_stats -> a file outside the snapshot is not read; a link inside it is', async () => {
    const secret = join(dir, 'shadow');
    await writeFile(secret, 'root:$6$secret-shadow-hash:19000:0:99999:7:::\n');
    const d = await snapshot('links');
    const fs = await import('node:fs/promises');
    await fs.rm(join(d, 'proc/net/toa_stats'));
    await symlink(secret, join(d, 'proc/net/toa_stats'));
    await fs.rm(join(d, 'proc/modules'));
    await symlink('../../../shadow', join(d, 'proc/modules')); // relative, climbing out
    await fs.rename(join(d, 'proc/version'), join(d, 'proc/version.real'));
    await symlink('version.real', join(d, 'proc/version')); // inside: fine
    const ev = await loadHostDir(d);
    const out = renderHostText(ev, diagnoseHost(ev), { color: false }) + JSON.stringify(hostToJson(ev, []));
    expect(out).not.toContain('secret-shadow-hash');
    expect(ev.snapshot.notes.join('\n')).toMatch(
      /\/proc\/net\/toa_stats: a symbolic link that leaves the snapshot directory: not followed/,
    );
    expect(ev.snapshot.kernel.version ?? ev.snapshot.raw['proc/version']).toBeTruthy();
  });

  it('on the live host (--root /) /proc links are still followed', async () => {
    const r = await readUnder('/', '/proc/net/snmp');
    expect(r.error).toBeNull();
    expect(r.text).toMatch(/^Tcp:/m);
  });
});

describe('9. output amplification', () => {
  it('1M TOA dmesg lines: every line counted, bounded examples, the replay still right', () => {
    const lines: string[] = [];
    lines.push('[    1.000000] TOA: TOA 2.0.0.0 by pukong.wjm');
    for (let i = 0; i < 1_000_000; i++)
      lines.push(
        `[${(2 + i / 1000).toFixed(6).padStart(12)}] [DEBUG] TOA: ip = 10.0.${(i >> 8) & 255}.${i & 255}`,
      );
    lines.push('[ 9999.000000] TOA: CPU [0] hooked inet_getname', '[ 9999.100000] TOA: toa loaded');
    const text = `${lines.join('\n')}\n`;
    expect(text.length).toBeGreaterThan(40_000_000);
    const r = classifyDmesg(text);
    expect(r.lines).toBe(1_000_003);
    expect(r.counts['debug-toa']).toBe(1_000_000);
    expect(r.events.filter((e) => e.pattern === 'debug-toa')).toHaveLength(2 * EXAMPLES_PER_PATTERN);
    expect(r.events.length).toBeLessThan(100);
    expect(r.omitted).toBe(1_000_000 - 2 * EXAMPLES_PER_PATTERN);
    expect(r.summary.debugLines).toBe(1_000_000);
    expect(r.summary.lastLoad?.message).toBe('TOA: toa loaded');
    expect(r.summary.hooked).toEqual(['inet_getname']);
    // the first and the last lines are among the examples
    expect(r.events[1]!.message).toBe('[DEBUG] TOA: ip = 10.0.0.0');
    expect(r.events.at(-3)!.message).toMatch(/ip = 10\.0\.66\.63$/);
  }, 60_000);

  it('a 100 MB single-line toa_stats is read up to 1 MiB and its line is not parsed', async () => {
    const d = await snapshot('bigstats');
    await writeFile(join(d, 'proc/net/toa_stats'), Buffer.alloc(100 * 1024 * 1024, '7'));
    const ev = await loadHostDir(d);
    expect(ev.snapshot.notes.join('\n')).toMatch(/\/proc\/net\/toa_stats: truncated at 1048576 bytes/);
    const f = ev.snapshot.stats[0]!;
    expect(f.problems.join('\n')).toMatch(/line 1: longer than 131072 characters: not read/);
    expect(JSON.stringify(hostToJson(ev, [])).length).toBeLessThan(4 * 1024 * 1024);
    const p = parseStatsFile(`CPU0\nsyn_recv_sock_toa: ${'9'.repeat(300)}\n`);
    expect(p.firstLines.every((l) => l.length <= 201)).toBe(true);
  });

  it('10. 65k listening ports: the text and Markdown reports show a bounded table and say how many more', async () => {
    const d = await snapshot('ports');
    let tcp =
      '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n';
    for (let p = 1; p <= 65_000; p++)
      tcp += `   ${p}: 00000000:${p.toString(16).toUpperCase().padStart(4, '0')} 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 ${1000 + p} 1 0000000000000000 100 0 0 10 0\n`;
    await writeFile(join(d, 'proc/net/tcp'), tcp);
    const ev = await loadHostDir(d);
    expect(ev.snapshot.listeners.ports).toHaveLength(65_000);
    const text = renderHostText(ev, [], { color: false });
    expect(text).toMatch(/64800 more listening ports not shown \(65000 in all; every one is in --json\)/);
    expect(text.split('\n').filter((l) => /^│ \d+ /.test(l))).toHaveLength(MAX_LISTENER_ROWS);
    expect(renderHostMarkdown(ev, [])).toMatch(/64800 more listening ports not shown/);
    expect((hostToJson(ev, []) as { listeners: { ports: unknown[] } }).listeners.ports).toHaveLength(65_000);
  }, 60_000);
});

describe('11. counters near 2^64', () => {
  it('deltas are exact (BigInt), totals print every digit', async () => {
    const before = parseStatsFile(
      'CPU0 CPU1\nsyn_recv_sock_toa: 18446744073709551000 5\nsyn_recv_sock_no_toa: 1 1\n',
    );
    const after = parseStatsFile(
      'CPU0 CPU1\nsyn_recv_sock_toa: 18446744073709551615 9\nsyn_recv_sock_no_toa: 2 1\n',
    );
    expect(after.counters[0]!.exact?.total).toBe('18446744073709551624');
    const snapBefore = await collectHost(FIXTURE_ROOT, { dmesg: false });
    const snapAfter = await collectHost(FIXTURE_ROOT, { dmesg: false });
    snapBefore.stats = [before];
    snapAfter.stats = [after];
    const d = computeDeltas(snapBefore, snapAfter);
    const c = d.counters.find((x) => x.counter === 'syn_recv_sock_toa')!;
    expect(c.delta).toBe(619);
    expect(c.perCpu).toEqual({ '0': 615, '1': 4 });
    expect(d.normalized.synRecvToa).toBe(619);
    const text = renderHostText(buildEvidence('x', snapAfter, snapBefore), [], { color: false });
    expect(text).toContain('18446744073709551624');
    expect(text).toContain('+619');
  });
});

/** as root, can the user nobody run the CLI from this checkout (the repository path must be readable)? */
const NOBODY = ['--reuid=nobody', '--regid=nogroup', '--clear-groups'];
const canRunAsNobody =
  process.getuid?.() !== 0 || spawnSync('setpriv', [...NOBODY, 'test', '-r', BIN]).status === 0;
if (!canRunAsNobody)
  console.warn(
    'hostile.test.ts item 12: the user nobody cannot read this checkout; the EACCES case runs at the fs layer only (eacces-mock.test.ts)',
  );

describe('12. unreadable files (EACCES as a non-root user)', () => {
  it.runIf(canRunAsNobody)(
    'are reported as "cannot read (permission denied): run as root", not as absent or built-in',
    async () => {
      const d = await snapshot('denied');
      for (const f of ['proc/net/toa_stats', 'sys/module/toa/initstate', 'proc/modules', 'dmesg.txt'])
        chmodSync(join(d, f), 0o600);
      chmodSync(d, 0o755);
      let stdout: string;
      let code: number | null;
      if (process.getuid?.() === 0) {
        // as root every file is readable: run the CLI as nobody (CI runs as root)
        const r = spawnSync(
          'setpriv',
          [...NOBODY, process.execPath, BIN, 'host', '--root', d, '--no-color'],
          { encoding: 'utf8' },
        );
        expect(r.error, 'setpriv is needed to run as a non-root user').toBeUndefined();
        stdout = r.stdout;
        code = r.status;
      } else {
        const r = spawnSync(process.execPath, [BIN, 'host', '--root', d, '--no-color'], { encoding: 'utf8' });
        stdout = r.stdout;
        code = r.status;
      }
      expect(stdout).toMatch(/HOST_PERMISSION_DENIED/);
      expect(stdout).toMatch(
        /Counters \/proc\/net\/toa_stats\n\s+cannot read \(permission denied\): run as root/,
      );
      expect(stdout).not.toMatch(/no \/proc\/net\/toa_stats/);
      expect(stdout).not.toMatch(/built-in/);
      expect(stdout).not.toMatch(/HOST_MODULE_NOT_LOADED|HOST_MODULE_BUILTIN/);
      expect([0, 1]).toContain(code);
    },
  );
});
