/**
 * Bundles from strangers (issue 16, items 1-6): each test builds the hostile archive itself (bombs
 * and bulk are generated here, never committed) and checks what `read` does with it: bounded
 * memory and time through documented limits, no exit 3, no temp directory left behind, nothing
 * from the archive reaching the terminal unescaped, one bad field not sinking the rest.
 */
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, readdirSync, readFileSync, rmSync } from 'node:fs';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { crc32, deflateRawSync, constants as zc } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readBundle } from '../../src/bundle/read.js';
import { DEFAULT_LIMITS, type UnpackLimits } from '../../src/bundle/unpack.js';
import { REPO } from '../helpers/netns.js';
import { FIXTURE_ROOT, sampleCapture, tmp } from './helpers.js';
import { header, pcapHeader, type RawEntry, writeRawTarGz } from './rawtar.js';

const BIN = join(REPO, 'bin/toa-doctor.js');
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

let dir: string;
let tmpRoot: string;

function cli(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    cwd: dir,
    env: { ...process.env, TMPDIR: tmpRoot, NO_COLOR: '1', ...env },
    maxBuffer: 64 * 1024 * 1024,
  });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

const leftovers = () => readdirSync(tmpRoot).filter((n) => n.startsWith('toa-doctor-'));

/** host/after/ members from the fixture host tree */
function hostEntries(prefix = 'host/after/'): RawEntry[] {
  const out: RawEntry[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push({ name: prefix + relative(FIXTURE_ROOT, p), data: readFileSync(p) });
    }
  };
  walk(FIXTURE_ROOT);
  return out;
}

function manifest(extra: Record<string, unknown> = {}): RawEntry {
  const m = {
    schema: 'toa-doctor/bundle@1',
    generator: 'toa-doctor',
    toolVersion: '0.1.0',
    commandLine: 'toa-doctor bundle',
    hostname: 'web-1',
    startedAt: '2026-01-01T00:00:00.000Z',
    endedAt: '2026-01-01T00:00:30.000Z',
    anonymized: false,
    capture: { source: 'file', mode: 'handshake' },
    notes: [],
    members: [],
    ...extra,
  };
  return { name: 'manifest.json', data: Buffer.from(JSON.stringify(m)) };
}

const small = (
  over: Omit<Partial<UnpackLimits>, 'memberBytes'> & { memberBytes?: Partial<UnpackLimits['memberBytes']> },
): UnpackLimits => ({
  ...DEFAULT_LIMITS,
  ...over,
  memberBytes: { ...DEFAULT_LIMITS.memberBytes, ...(over.memberBytes ?? {}) },
});

/**
 * A gzip bomb without compressing a gigabyte: deflate blocks made with a full flush do not refer to
 * earlier data, so the block for 1 MiB of zeros is made once and repeated (as pigz joins blocks).
 */
async function gzipBomb(path: string, name: string, zeroMiB: number, prefix: Buffer): Promise<void> {
  const MiB = 1 << 20;
  const zeros = Buffer.alloc(MiB);
  const size = prefix.length + zeroMiB * MiB;
  const head = Buffer.concat([header(name, '0', size), prefix]);
  const end = Buffer.alloc(((512 - (size % 512)) % 512) + 1024);
  const out = createWriteStream(path);
  out.write(Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]));
  out.write(deflateRawSync(head, { finishFlush: zc.Z_FULL_FLUSH }));
  const block = deflateRawSync(zeros, { level: 9, finishFlush: zc.Z_FULL_FLUSH });
  let crc = crc32(head);
  for (let i = 0; i < zeroMiB; i++) {
    if (!out.write(block)) await once(out, 'drain');
    crc = crc32(zeros, crc);
  }
  out.write(deflateRawSync(end));
  crc = crc32(end, crc);
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc >>> 0, 0);
  trailer.writeUInt32LE((head.length + zeroMiB * MiB + end.length) >>> 0, 4);
  out.end(trailer);
  await once(out, 'close');
}

beforeAll(async () => {
  dir = await tmp('toa-hostile-');
  tmpRoot = join(dir, 'tmp');
  await mkdir(tmpRoot);
});

afterAll(async () => {
  // every test leaves the temp root empty
  expect(leftovers()).toEqual([]);
  rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
}, 60_000);

describe('1. gzip bomb and size limits', () => {
  it('a 1 MB gzip bomb: read stops at the capture limit, names it, analyses what fits, leaves no temp dir', async () => {
    const bomb = join(dir, 'bomb.tar.gz');
    await gzipBomb(bomb, 'capture.pcap', 1020, pcapHeader());
    const { size } = (await import('node:fs')).statSync(bomb);
    expect(size).toBeLessThan(1.2 * 1024 * 1024);
    const r = cli(['read', bomb]);
    expect([0, 1, 2]).toContain(r.code);
    expect(r.stderr).not.toMatch(/internal error/);
    if (r.code !== 2) {
      expect(r.stdout).toMatch(/capture\.pcap is larger than 512 MiB \(the limit for capture members\)/);
      expect(r.stdout).toMatch(/BUNDLE_INCOMPLETE/);
    }
    expect(r.stdout + r.stderr).not.toContain(tmpRoot);
    expect(leftovers()).toEqual([]);
  }, 120_000);

  it('each limit is named and what fits is kept (member, host total, total, member count)', async () => {
    const p = join(dir, 'limits.tar.gz');
    await writeRawTarGz(p, [
      manifest(),
      { name: 'capture.pcap', data: Buffer.concat([pcapHeader(), Buffer.alloc(3 << 20)]) },
      ...hostEntries(),
      { name: 'host/after/big1', data: { zeros: 600 << 10 } },
      { name: 'host/after/big2', data: { zeros: 600 << 10 } },
    ]);
    const b = await readBundle(p, {
      limits: small({ memberBytes: { capture: 1 << 20 }, hostBytes: 1 << 20 }),
    });
    try {
      const msgs = b.problems.map((x) => x.message).join('\n');
      expect(msgs).toMatch(
        /capture\.pcap is larger than 1 MiB \(the limit for capture members\): the first 1 MiB are read/,
      );
      expect(msgs).toMatch(/host\/ members pass 1 MiB \(the host-files limit\)/);
      expect(b.capture).not.toBeNull();
      expect(readFileSync(b.capture!).length).toBe(1 << 20);
      expect(b.hostDir).not.toBeNull();
    } finally {
      await b.close();
    }
    const t = await readBundle(p, { limits: small({ totalBytes: 2 << 20 }) });
    try {
      expect(
        t.problems.some((x) => x.kind === 'limit' && /more than 2 MiB \(the total limit\)/.test(x.message)),
      ).toBe(true);
    } finally {
      await t.close();
    }
  });

  it('6. 30k tiny members (the issue had 100k) stop at the member-count limit; a huge manifest is refused by its limit', async () => {
    const many = join(dir, 'many.tar.gz');
    const entries: RawEntry[] = [manifest(), ...hostEntries()];
    for (let i = 0; i < 30_000; i++) entries.push({ name: `x/${i}`, data: Buffer.from('x') });
    await writeRawTarGz(many, entries, 1);
    const b = await readBundle(many);
    try {
      expect(
        b.problems.some((x) => /more than 10000 members \(the member-count limit\)/.test(x.message)),
      ).toBe(true);
      // the problem list itself is bounded
      expect(b.problems.length).toBeLessThanOrEqual(101);
      expect(b.hostDir).not.toBeNull();
    } finally {
      await b.close();
    }

    const huge = join(dir, 'huge-manifest.tar.gz');
    await writeRawTarGz(huge, [manifest({ hostname: 'h'.repeat(50 << 20) }), ...hostEntries()]);
    const r = cli(['read', huge, '--json']);
    expect(r.code, r.stderr).not.toBe(3);
    const doc = JSON.parse(r.stdout) as { input: { bundle: { problems: Array<{ message: string }> } } };
    expect(doc.input.bundle.problems.map((x) => x.message).join('\n')).toMatch(
      /manifest\.json is larger than 1 MiB \(the manifest limit\)/,
    );
    expect(r.stdout.length).toBeLessThan(1 << 20);

    const long = join(dir, 'long-hostname.tar.gz');
    await writeRawTarGz(long, [manifest({ hostname: 'h'.repeat(500_000) }), ...hostEntries()]);
    const l = await readBundle(long);
    try {
      expect(l.manifest?.hostname?.length).toBe(253);
      expect(l.problems.map((x) => x.message).join('\n')).toMatch(
        /hostname is 500000 characters long \(limit 253\): cut/,
      );
    } finally {
      await l.close();
    }
  }, 120_000);
});

describe('2-3. crafted archives never exit 3 and never leave a temp dir', () => {
  const cases: Array<[string, RawEntry[]]> = [
    [
      'a manifest member list holding null',
      [manifest({ members: [null, { path: 7 }, 'x'] }), ...hostEntries()],
    ],
    [
      'a file then a directory member of the same name',
      [
        manifest(),
        ...hostEntries(),
        { name: 'a', data: Buffer.from('1') },
        { name: 'a/b', data: Buffer.from('2') },
      ],
    ],
    [
      'a directory member then a file of the same name',
      [
        manifest(),
        ...hostEntries(),
        { name: 'a/b', data: Buffer.from('2') },
        { name: 'a', data: Buffer.from('1') },
      ],
    ],
    [
      'a name segment over 255 bytes',
      [manifest(), ...hostEntries(), { name: `d/${'n'.repeat(300)}`, data: Buffer.from('1'), pax: true }],
    ],
    [
      'a path over 4096 bytes',
      [manifest(), ...hostEntries(), { name: `${'d/'.repeat(2100)}f`, data: Buffer.from('1'), pax: true }],
    ],
    [
      'names that climb out, absolute names, links and devices',
      [
        manifest(),
        ...hostEntries(),
        { name: '../../escaped', data: Buffer.from('1') },
        { name: '/etc/escaped', data: Buffer.from('1') },
        { name: 'host/after/proc/net/toa_stats2', type: '2', linkname: '/etc/shadow' },
        { name: 'hard', type: '1', linkname: '/etc/passwd' },
        { name: 'fifo', type: '6' },
      ],
    ],
  ];
  for (const [what, entries] of cases)
    it(what, async () => {
      const p = join(dir, 'crafted.tar.gz');
      await writeRawTarGz(p, entries);
      const r = cli(['read', p]);
      expect(r.code, r.stderr).not.toBe(3);
      expect([0, 1]).toContain(r.code);
      expect(r.stdout).toMatch(/Bundle problems/);
      expect(r.stdout + r.stderr).not.toContain(tmpRoot);
      expect(leftovers()).toEqual([]);
      expect(readdirSync(dir).filter((n) => n.includes('escaped'))).toEqual([]);
    });

  it('a file/directory clash is reported as a damaged member, the first one kept', async () => {
    const p = join(dir, 'clash.tar.gz');
    await writeRawTarGz(p, [
      manifest(),
      ...hostEntries(),
      { name: 'a', data: Buffer.from('1') },
      { name: 'a/b', data: Buffer.from('2') },
    ]);
    const b = await readBundle(p);
    try {
      const clash = b.problems.find((x) => x.kind === 'damaged-member');
      expect(clash?.member).toBe('a/b');
      expect(clash?.message).toMatch(/a\/b is damaged \(a member below a, which is a file\)/);
      expect(readFileSync(join(b.dir, 'a'), 'utf8')).toBe('1');
    } finally {
      await b.close();
    }
  });

  it('read b.tar.gz b.tar.gz: exit 2, one message with a hint, no temp dir', async () => {
    const p = join(dir, 'twice.tar.gz');
    await writeRawTarGz(p, [manifest(), ...hostEntries()]);
    const r = cli(['read', p, p]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/toa-doctor: read one support bundle at a time/);
    expect(r.stderr).toMatch(/hint: /);
    expect(leftovers()).toEqual([]);
  });

  for (const sig of ['SIGINT', 'SIGTERM'] as const)
    it(`${sig} during the analysis of a bundle removes its temp dir`, async () => {
      const p = join(dir, `big-${sig}.tar.gz`);
      await gzipBomb(p, 'capture.pcap', 400, pcapHeader());
      const child = spawn(process.execPath, [BIN, 'read', p], {
        cwd: dir,
        env: { ...process.env, TMPDIR: tmpRoot, NO_COLOR: '1' },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      const exited = once(child, 'exit');
      // wait until the capture is unpacked and being analysed
      const t0 = Date.now();
      for (;;) {
        const d = leftovers()[0];
        if (d) {
          const files = await readdir(join(tmpRoot, d)).catch(() => [] as string[]);
          if (files.includes('capture.pcap')) {
            const { size } = (await import('node:fs')).statSync(join(tmpRoot, d, 'capture.pcap'));
            if (size >= 400 << 20) break;
          }
        }
        if (Date.now() - t0 > 60_000) throw new Error('the bundle was never unpacked');
        await new Promise((r) => setTimeout(r, 50));
      }
      child.kill(sig);
      const [code, signal] = (await exited) as [number | null, string | null];
      expect(signal ?? code).toBe(signal ? sig : code);
      expect(signal).toBe(sig);
      expect(leftovers()).toEqual([]);
    }, 120_000);
});

describe('4. terminal escape injection', () => {
  it('host name, member names and dmesg lines from a bundle reach the terminal and Markdown escaped', async () => {
    const evil = '\x1b[2J\x1b]0;pwned\x07\x9b31m\u202eevil';
    const host = hostEntries().map((e) =>
      e.name.endsWith('dmesg.txt')
        ? {
            ...e,
            data: Buffer.from(
              `[    1.000000] TOA: CPU [0] hooked inet_getname ${evil}\n[    2.0] TOA: toa loaded ${evil}\n`,
            ),
          }
        : e.name.endsWith('meta.json')
          ? { ...e, data: Buffer.from(JSON.stringify({ hostname: `meta-${evil}`, notes: [evil] })) }
          : e,
    );
    const p = join(dir, 'evil.tar.gz');
    await writeRawTarGz(p, [
      manifest({ hostname: evil, notes: [evil], commandLine: evil, toolVersion: evil }),
      ...host,
      { name: `host/after/${evil}`, data: Buffer.from('x') },
      { name: `odd-${'\u202e'}name`, data: Buffer.from('x') },
    ]);
    for (const args of [[], ['--markdown'], ['--json']]) {
      const r = cli(['read', p, ...args]);
      expect([0, 1]).toContain(r.code);
      if (args[0] !== '--json') {
        expect(r.stdout).toMatch(/\\x1b\[2J/); // shown, escaped
        expect(CONTROL.test(r.stdout), JSON.stringify(r.stdout.match(CONTROL))).toBe(false);
      }
      expect(CONTROL.test(r.stderr)).toBe(false);
    }
  });
});

describe('4b. error messages quote input escaped', () => {
  it('a bundle with nothing to analyse whose member names hold escapes: exit 2, stderr escaped', async () => {
    const p = join(dir, 'evil-empty.tar.gz');
    await writeRawTarGz(p, [
      manifest({ hostname: '\x1b]0;title\x07' }),
      { name: 'host/after/../\x1b[2Jx', data: Buffer.from('x') },
    ]);
    const r = cli(['read', p]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^toa-doctor: /);
    expect(r.stderr).toMatch(/hint: /);
    expect(CONTROL.test(r.stderr), JSON.stringify(r.stderr)).toBe(false);
    expect(leftovers()).toEqual([]);
  });
});

describe('5. one bad field must not sink the rest', () => {
  it('analysis.lb ["nope"]: a warning naming the field, the bundle is read, --lb is not blamed', async () => {
    const p = join(dir, 'badlb.tar.gz');
    await writeRawTarGz(p, [
      manifest({ analysis: { profile: 'nope', lb: ['nope', '10.0.0.0/8'] } }),
      ...hostEntries(),
    ]);
    const r = cli(['read', p, '--json']);
    expect([0, 1]).toContain(r.code);
    const doc = JSON.parse(r.stdout) as {
      input: { lb: string[]; bundle: { problems: Array<{ message: string }> } };
    };
    const msgs = doc.input.bundle.problems.map((x) => x.message).join('\n');
    expect(msgs).toMatch(/analysis\.lb\[0\] "nope" is not an IP address or CIDR: ignored/);
    expect(msgs).toMatch(/analysis\.profile "nope" is not a known profile/);
    expect(doc.input.lb).toEqual(['10.0.0.0/8']);
    expect(r.stderr).not.toMatch(/--lb/);
  });

  it('a corrupt capture.pcap: the host snapshot is still analysed, the message names the member', async () => {
    const p = join(dir, 'badcap.tar.gz');
    await writeRawTarGz(p, [
      manifest(),
      { name: 'capture.pcap', data: Buffer.alloc(4096, 0x55) },
      ...hostEntries(),
    ]);
    const r = cli(['read', p]);
    expect([0, 1]).toContain(r.code);
    expect(r.stdout).toMatch(
      /capture\.pcap cannot be read \([\s\S]*badcap\.tar\.gz:capture\.pcap[\s\S]*\): only the\s+host\s+snapshot\s+is\s+analysed/,
    );
    expect(r.stdout).toMatch(/Host /);
    expect(r.stdout + r.stderr).not.toContain(tmpRoot);
  });

  it('a corrupt capture.pcap and no host snapshot: exit 2, the member named, a hint, no temp path', async () => {
    const p = join(dir, 'badcap-only.tar.gz');
    await writeRawTarGz(p, [manifest(), { name: 'capture.pcap', data: Buffer.alloc(4096, 0x55) }]);
    const r = cli(['read', p]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/badcap-only\.tar\.gz:capture\.pcap/);
    expect(r.stderr).toMatch(/hint: /);
    expect(r.stderr).not.toContain(tmpRoot);
    expect(leftovers()).toEqual([]);
  });

  it('TOA_DOCTOR_DEBUG=1 prints the details (stack) of an error', async () => {
    const off = cli(['read', join(dir, 'no-such.tar.gz')]);
    const on = cli(['read', join(dir, 'no-such.tar.gz')], { TOA_DOCTOR_DEBUG: '1' });
    expect(off.stderr).not.toMatch(/\n\s+at /);
    expect(on.stderr).toMatch(/toa-doctor debug:.*\n\s+at /);
    expect(on.code).toBe(off.code);
  });

  it('a sample bundle still reads cleanly (no problems)', async () => {
    const pcap = join(dir, 's.pcap');
    await writeFile(pcap, sampleCapture());
    const out = join(dir, 's.tar.gz');
    const made = cli(['bundle', '--from-pcap', pcap, '--root', FIXTURE_ROOT, '-o', out]);
    expect(made.code, made.stderr).toBe(1);
    const b = await readBundle(out);
    try {
      expect(b.problems).toEqual([]);
    } finally {
      await b.close();
    }
  });
});
