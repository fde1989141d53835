import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readArchive } from '../../src/bundle/archive.js';
import {
  type AnalyzeFn,
  createBundle,
  defaultBundleName,
  redactCommandLine,
} from '../../src/bundle/create.js';
import { looksLikeBundle, readBundle } from '../../src/bundle/read.js';
import { loadHostDir } from '../../src/host/index.js';
import { editArchive, FIXTURE_ROOT, flowVerdicts, sampleCapture, tmp } from './helpers.js';

let dir: string;
let pcap: string;
let plain: string;
let rawVerdicts: Awaited<ReturnType<typeof flowVerdicts>>;

const analyze: AnalyzeFn = async ({ capture, hostDir }) => {
  const v = capture ? await flowVerdicts(capture) : [];
  const host = hostDir ? await loadHostDir(hostDir) : null;
  return {
    json: { verdicts: v, host: host?.snapshot.hostname ?? null, source: capture },
    markdown: `# report\n${v.map((x) => `- ${x.client} ${x.verdict}`).join('\n')}\n`,
    errorFindings: v.filter((x) => x.verdict !== 'TOA_OK').length,
  };
};

beforeAll(async () => {
  dir = await tmp('toa-bundle-test-');
  pcap = join(dir, 'in.pcap');
  await writeFile(pcap, sampleCapture());
  rawVerdicts = await flowVerdicts(pcap);
  plain = join(dir, 'plain.tar.gz');
  await createBundle({
    root: FIXTURE_ROOT,
    fromPcap: pcap,
    out: plain,
    maxBytes: 50 * 1024 * 1024,
    full: false,
    commandLine: `toa-doctor bundle --from-pcap ${pcap} --root ${FIXTURE_ROOT}`,
    toolVersion: '0.0.0-test',
    analyze,
  });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('bundle → read round trip', () => {
  it('is recognised by content, not by name', async () => {
    const renamed = join(dir, 'renamed.bin');
    await writeFile(renamed, await readFile(plain));
    expect(await looksLikeBundle(renamed)).toBe(true);
    expect(await looksLikeBundle(pcap)).toBe(false);
    const gzPcap = join(dir, 'in.pcap.gz');
    await writeFile(gzPcap, gzipSync(await readFile(pcap)));
    expect(await looksLikeBundle(gzPcap)).toBe(false);
  });

  it('gives the same verdicts as the raw capture, with a smaller capture', async () => {
    const b = await readBundle(plain);
    try {
      expect(b.problems.filter((p) => p.severity !== 'info')).toEqual([]);
      expect(b.analysable).toBe(true);
      expect(b.capture).not.toBeNull();
      expect(await flowVerdicts(b.capture!)).toEqual(rawVerdicts);
      expect(new Set(rawVerdicts.map((v) => v.verdict))).toEqual(
        new Set(
          ['TOA_OK', 'TOA_MISSING', 'TOA_SYN_ONLY', 'TOA_BAD_CHECKSUM', 'TOA_NAT64'].filter((x) =>
            rawVerdicts.some((v) => v.verdict === x),
          ),
        ),
      );
      expect(rawVerdicts.length).toBe(6);
      const m = b.manifest!;
      expect(m.schema).toBe('toa-doctor/bundle@1');
      expect(m.hostname).toBe('clb-rs-01');
      expect(m.capture.mode).toBe('handshake');
      expect(m.capture.packetsWritten).toBeLessThan(m.capture.packetsSeen);
      expect(m.capture.flows).toBe(6);
      expect(b.description).toContain('from host clb-rs-01');
      // the bundled report is what the same analysis says about the bundled members
      expect((b.report as { verdicts: unknown }).verdicts).toEqual(rawVerdicts.map((v) => ({ ...v })));
      // host snapshot with before/after, readable by the host loader
      expect(b.hostDir!.endsWith('host')).toBe(true);
      const ev = await loadHostDir(b.hostDir!);
      expect(ev.before).not.toBeNull();
      expect(ev.snapshot.dmesg.events.length).toBeGreaterThan(0);
    } finally {
      await b.close();
    }
  });

  it('lists every member with size and sha256, manifest first and capture last', async () => {
    const a = await readArchive(await readFile(plain));
    const names = [...a.members.keys()];
    expect(names[0]).toBe('manifest.json');
    expect(names.at(-1)).toBe('capture.pcap');
    expect(names).toContain('report.json');
    expect(names).toContain('report.md');
    const m = JSON.parse(a.members.get('manifest.json')!.data.toString());
    expect(m.members.map((x: { path: string }) => x.path).sort()).toEqual(
      names.filter((n) => n !== 'manifest.json').sort(),
    );
    expect(JSON.stringify(m)).not.toContain('toa-doctor-bundle-'); // staging paths do not leak
    expect(a.members.get('report.json')!.data.toString()).not.toContain('toa-doctor-bundle-');
  });

  it('--full keeps every packet', async () => {
    const out = join(dir, 'full.tar.gz');
    const r = await createBundle({
      root: FIXTURE_ROOT,
      fromPcap: pcap,
      out,
      maxBytes: 50 * 1024 * 1024,
      full: true,
      commandLine: 'x',
      toolVersion: '0',
    });
    expect(r.manifest.capture.packetsWritten).toBe(r.manifest.capture.packetsSeen);
    expect(r.manifest.members.some((m) => m.path === 'report.json')).toBe(false);
  });

  it('stops writing the capture at --max-bytes and says so', async () => {
    const out = join(dir, 'small.tar.gz');
    const r = await createBundle({
      root: FIXTURE_ROOT,
      fromPcap: pcap,
      out,
      maxBytes: 600,
      full: true,
      commandLine: 'x',
      toolVersion: '0',
    });
    expect(r.manifest.capture.truncatedAtMaxBytes).toBe(true);
    expect(r.manifest.capture.bytesWritten).toBeLessThanOrEqual(600);
    expect(r.manifest.notes.join('\n')).toMatch(/max-bytes/);
    const cap = r.manifest.members.find((m) => m.path === 'capture.pcap')!;
    expect(cap.size).toBeLessThanOrEqual(600);
  });

  it('without a capture takes one host snapshot (or two, --duration apart)', async () => {
    const one = await createBundle({
      root: FIXTURE_ROOT,
      out: join(dir, 'h1.tar.gz'),
      maxBytes: 1,
      full: false,
      commandLine: 'x',
      toolVersion: '0',
    });
    expect(one.manifest.capture.source).toBe('none');
    expect(one.manifest.members.some((m) => m.path.startsWith('host/before/'))).toBe(false);
    const b = await readBundle(one.path);
    expect(b.capture).toBeNull();
    expect(b.hostDir!.endsWith('host/after')).toBe(true);
    expect(b.analysable).toBe(true);
    await b.close();
    const two = await createBundle({
      root: FIXTURE_ROOT,
      durationS: 0.2,
      out: join(dir, 'h2.tar.gz'),
      maxBytes: 1,
      full: false,
      commandLine: 'x',
      toolVersion: '0',
    });
    expect(two.manifest.members.some((m) => m.path.startsWith('host/before/'))).toBe(true);
  });

  it('names the default output after host and UTC time, and redacts the key', () => {
    expect(defaultBundleName('clb-rs-01', new Date('2024-05-01T10:00:00.123Z'))).toBe(
      'toa-doctor-clb-rs-01-20240501T100000Z.tar.gz',
    );
    expect(redactCommandLine('bundle --anonymize-key s3cret -o x')).toBe(
      'bundle --anonymize-key <redacted> -o x',
    );
    expect(redactCommandLine('bundle --anonymize-key=s3cret')).toBe('bundle --anonymize-key=<redacted>');
  });
});

describe('corrupt and partial bundles', () => {
  it('names a missing member and still analyses the rest', async () => {
    const out = join(dir, 'missing.tar.gz');
    await editArchive(await readFile(plain), out, (m) => {
      m.delete('host/after/proc/modules');
    });
    const b = await readBundle(out);
    expect(b.problems.find((p) => p.kind === 'missing')?.message).toContain('host/after/proc/modules');
    expect(await flowVerdicts(b.capture!)).toEqual(rawVerdicts);
    await b.close();
  });

  it('names a member whose sha256 does not match', async () => {
    const out = join(dir, 'badsha.tar.gz');
    await editArchive(await readFile(plain), out, (m) => {
      const t = m.get('host/after/proc/net/toa_stats')!;
      m.set('host/after/proc/net/toa_stats', Buffer.from(t.toString().replace(/\d/, '9')));
    });
    const b = await readBundle(out);
    const p = b.problems.find((x) => x.kind === 'bad-sha256');
    expect(p?.member).toBe('host/after/proc/net/toa_stats');
    expect(p?.message).toMatch(/sha256/);
    expect(b.analysable).toBe(true);
    await b.close();
  });

  it('reads a truncated archive as far as it goes', async () => {
    const buf = await readFile(plain);
    const out = join(dir, 'cut.tar.gz');
    await writeFile(out, buf.subarray(0, Math.floor(buf.length * 0.7)));
    const b = await readBundle(out);
    expect(b.problems.some((p) => p.kind === 'truncated-archive')).toBe(true);
    expect(
      b.problems.some((p) => p.member === 'capture.pcap' && (p.kind === 'partial' || p.kind === 'missing')),
    ).toBe(true);
    expect(b.manifest).not.toBeNull();
    expect(b.hostDir).not.toBeNull();
    expect(b.analysable).toBe(true);
    await b.close();
  });

  it('refuses something that is not a bundle at all', async () => {
    const out = join(dir, 'junk.tar.gz');
    await writeFile(out, gzipSync(Buffer.alloc(2048, 0x41)));
    await expect(readBundle(out)).rejects.toThrow(/not a readable toa-doctor bundle/);
  });
});
