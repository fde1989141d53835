/**
 * The collector script without a capture (no root needed): run it with dash and busybox ash against
 * fixture roots, check it collects the same files as the Node host reader, and read the result back.
 */
import { spawnSync } from 'node:child_process';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readArchive } from '../../src/bundle/archive.js';
import { collectorScript } from '../../src/bundle/collector.sh.js';
import { readBundle } from '../../src/bundle/read.js';
import { collectHost, loadHostDir } from '../../src/host/index.js';
import { commandMissingReason, toolSkipReason } from '../helpers/tools.js';
import { tmp } from './helpers.js';

const FIX = (n: string) => new URL(`../../fixtures/hosts/${n}`, import.meta.url).pathname;
/** the shells the script must run under; a missing one is skipped with its name (CI has both) */
const SHELLS = [['dash'], ['busybox', 'ash']].filter(
  (s) => toolSkipReason([commandMissingReason(s[0]!)]) === null,
);

let dir: string;
let script: string;
beforeAll(async () => {
  dir = await tmp('toa-collector-');
  script = join(dir, 'collect.sh');
  await writeFile(script, collectorScript('9.9.9'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function run(shell: string[], args: string[], env: NodeJS.ProcessEnv = {}) {
  return spawnSync(shell[0]!, [...shell.slice(1), script, ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    cwd: dir,
  });
}

describe('collector script', () => {
  it('is POSIX sh: dash -n and busybox ash -n accept it, and it uses no bash-isms', async () => {
    for (const sh of SHELLS) expect(spawnSync(sh[0]!, [...sh.slice(1), '-n', script]).status).toBe(0);
    const text = await readFile(script, 'utf8');
    expect(text.startsWith('#!/bin/sh\n')).toBe(true);
    for (const bashism of ['[[', 'function ', '$(<', '<<<', 'local ', 'declare ', '${!', 'pipefail', '&>'])
      expect(text.includes(bashism), bashism).toBe(false);
    expect(text).toContain("TOOL_VERSION='9.9.9'");
  });

  it('rejects bad options with exit 2', () => {
    for (const sh of SHELLS) {
      const r = run(sh, ['-d', 'soon']);
      expect(r.status).toBe(2);
      expect(r.stderr).toContain('-d: not a number');
      expect(run(sh, ['--bogus']).status).toBe(2);
      expect(run(sh, ['-h']).stdout).toContain('Usage: sh collect.sh');
    }
  });

  for (const sh of SHELLS)
    for (const fixture of [
      'tencent-healthy',
      'vtoa-hookers',
      'tencentos-builtin-params',
      'module-plus-ebpf',
    ]) {
      it(`${sh.join(' ')} on ${fixture}: same files as the host reader, readable as a bundle`, async () => {
        const out = join(dir, `${sh[0]}-${fixture}.tar.gz`);
        const r = run(sh, ['-r', FIX(fixture), '-o', out]);
        expect(r.status, r.stderr).toBe(0);
        const a = await readArchive(await readFile(out));
        expect([...a.members.keys()][0]).toBe('manifest.json');
        const snap = await collectHost(FIX(fixture));
        const expected = Object.keys(snap.raw).sort();
        const got = [...a.members.keys()]
          .filter((k) => k.startsWith('host/after/'))
          .map((k) => k.slice('host/after/'.length))
          .filter((k) => k !== 'meta.json')
          .sort();
        expect(got).toEqual(expected);
        const b = await readBundle(out);
        try {
          expect(b.problems.filter((p) => p.severity !== 'info')).toEqual([]);
          expect(b.manifest!.generator).toBe('collector-script');
          expect(b.capture).toBeNull();
          const ev = await loadHostDir(b.hostDir!);
          const direct = await loadHostDir(FIX(fixture));
          expect(ev.implementations).toEqual(direct.implementations);
          expect(ev.snapshot.modules).toEqual(direct.snapshot.modules);
          expect(ev.snapshot.stats.map((s) => s.totals)).toEqual(direct.snapshot.stats.map((s) => s.totals));
          expect(ev.snapshot.dmesg.events.length).toBe(direct.snapshot.dmesg.events.length);
          expect(ev.snapshot.hostname).toBe(direct.snapshot.hostname);
        } finally {
          await b.close();
        }
      });
    }
});
