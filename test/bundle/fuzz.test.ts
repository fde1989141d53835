/**
 * Property: whatever tar entries a bundle holds (names, types, sizes, manifest shapes, a cut or
 * wrong-sized stream), `read` either analyses it or gives a user error (exit 2): never an internal
 * error (exit 3), never a file outside its temp directory, and the temp directory is always removed.
 * In-process (runRead, the `read` pipeline) so a few hundred archives take a few seconds; the error
 * classes are the ones main() maps to exit 2.
 */
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { liveTempDirs } from '../../src/bundle/tempdir.js';
import { CaptureError } from '../../src/capture/types.js';
import { UserError } from '../../src/cli/errors.js';
import { runRead } from '../../src/cli/read.js';
import { sampleCapture, tmp } from './helpers.js';
import { pcapHeader, type RawEntry, tarChunks } from './rawtar.js';

let base: string;
let tmpRoot: string;
let savedTmp: string | undefined;

beforeAll(async () => {
  base = await tmp('toa-fuzz-');
  tmpRoot = join(base, 'tmp');
  await mkdir(tmpRoot);
  savedTmp = process.env.TMPDIR;
  process.env.TMPDIR = tmpRoot;
});
afterAll(async () => {
  if (savedTmp === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = savedTmp;
  await rm(base, { recursive: true, force: true });
});

const NAMES = [
  'manifest.json',
  'capture.pcap',
  'report.json',
  'report.md',
  'host/after/proc/net/toa_stats',
  'host/before/proc/net/toa_stats',
  'host/after/dmesg.txt',
  'host/after/meta.json',
  'host/after/proc/modules',
  'host',
  'host/after',
  'a',
  'a/b',
  'a/b/c',
  './x',
  '.',
  '',
  '../escaped',
  '../../escaped',
  '/escaped',
  'x/../../escaped',
  'top/manifest.json',
  'top/capture.pcap',
  `${'n'.repeat(260)}`,
  `d/${'n'.repeat(300)}`,
  'e\x1b[2J',
];

const name = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...NAMES) },
  { weight: 1, arbitrary: fc.string({ maxLength: 30 }) },
  { weight: 1, arbitrary: fc.constantFrom('d/'.repeat(2100), 'x'.repeat(5000)) },
);

const anyJson = fc.jsonValue({ maxDepth: 3 });
const member = fc.record({
  path: fc.oneof(fc.constantFrom(...NAMES), anyJson),
  size: fc.oneof(fc.nat(5000), anyJson),
  sha256: fc.oneof(
    fc.constant(''),
    fc.uint8Array({ minLength: 32, maxLength: 32 }).map((u) => Buffer.from(u).toString('hex')),
    anyJson,
  ),
});
const manifestShape = fc.oneof(
  anyJson,
  fc.record(
    {
      schema: fc.oneof(fc.constant('toa-doctor/bundle@1'), anyJson),
      generator: fc.oneof(fc.constantFrom('toa-doctor', 'collector-script'), anyJson),
      toolVersion: anyJson,
      commandLine: anyJson,
      hostname: fc.oneof(fc.string({ maxLength: 300 }), anyJson),
      startedAt: anyJson,
      endedAt: anyJson,
      anonymized: anyJson,
      anonymization: anyJson,
      analysis: fc.oneof(
        fc.record({ profile: anyJson, lb: fc.oneof(fc.array(fc.oneof(fc.string(), anyJson)), anyJson) }),
        anyJson,
      ),
      capture: fc.oneof(fc.record({ source: anyJson, interface: anyJson, durationActual: anyJson }), anyJson),
      notes: fc.oneof(fc.array(anyJson, { maxLength: 5 }), anyJson),
      members: fc.oneof(fc.array(fc.oneof(member, anyJson), { maxLength: 6 }), anyJson),
    },
    { requiredKeys: [] },
  ),
);

const data = fc.oneof(
  fc.uint8Array({ maxLength: 2048 }).map((u) => Buffer.from(u)),
  manifestShape.map((m) => Buffer.from(JSON.stringify(m) ?? 'null')),
  fc.constant(sampleCapture()),
  fc.constant(Buffer.concat([pcapHeader(), Buffer.alloc(64)])),
  fc.constant(Buffer.from('CPU0 CPU1\nsyn_recv_sock_toa: 1 2\n')),
);

const entry: fc.Arbitrary<RawEntry> = fc.record({
  name,
  type: fc.constantFrom('0', '0', '0', '0', '5', '2', '1', '3', '6', '7', 'g'),
  data: fc.option(data, { nil: undefined }),
  headerSize: fc.option(fc.nat(4096), { nil: undefined, freq: 5 }),
  linkname: fc.constantFrom('', '/etc/shadow', '../../x', 'manifest.json'),
  pax: fc.boolean(),
});

const archive = fc.record({
  entries: fc.array(entry, { minLength: 1, maxLength: 12 }),
  /** keep only this fraction of the gzip stream (1 = whole) */
  cut: fc.oneof(fc.constant(1), fc.double({ min: 0.05, max: 1, noNaN: true })),
});

let n = 0;
it('any tar entries: never an internal error, nothing outside the temp dir, temp dir always removed', async () => {
  await fc.assert(
    fc.asyncProperty(archive, async ({ entries, cut }) => {
      const raw = Buffer.concat([...tarChunks(entries)]);
      let gz = gzipSync(raw, { level: 1 });
      if (cut < 1) gz = gz.subarray(0, Math.max(12, Math.floor(gz.length * cut)));
      const work = join(base, `w${n++}`);
      const file = join(work, 'in.tar.gz');
      await mkdir(dirname(file), { recursive: true });
      await writeFile(file, gz);
      try {
        await runRead([file], { write: () => undefined, format: n % 2 ? 'json' : 'text' });
      } catch (e) {
        // exit 2 (a user error with a message) is fine; anything else would be exit 3
        if (!(e instanceof UserError) && !(e instanceof CaptureError)) throw e;
        expect(e.message).not.toContain(tmpRoot);
      }
      expect(readdirSync(tmpRoot)).toEqual([]);
      expect(liveTempDirs()).toEqual([]);
      expect(readdirSync(work)).toEqual(['in.tar.gz']);
      expect(existsSync(join(base, 'escaped'))).toBe(false);
      expect(existsSync('/escaped')).toBe(false);
      expect(readdirSync(base).filter((x) => !/^(tmp|w\d+)$/.test(x))).toEqual([]);
    }),
    { numRuns: 80, seed: 16, endOnFailure: true },
  );
}, 60_000);
