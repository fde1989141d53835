import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { readCaptureBuffer, readCaptureFile } from '../../src/capture/reader.js';
import { writePcap, writePcapng } from '../helpers/packets.js';
import { captureError, captureErrorAsync, collector } from './util.js';

const dir = mkdtempSync(join(tmpdir(), 'toa-capgz-'));
const recs = Array.from({ length: 300 }, (_, i) => ({ data: Buffer.alloc(100 + (i % 50), i & 0xff) }));
const pcap = writePcap(recs, { linkType: 101 });
const ng = writePcapng([{ linkType: 1, tsresol: 9 }], recs.slice(0, 50));

function readBuf(b: Buffer, source = 'b') {
  const { sink, got } = collector();
  const summary = readCaptureBuffer(b, sink, source);
  return { summary, got };
}
async function readPath(p: string) {
  const { sink, got } = collector();
  const summary = await readCaptureFile(p, sink);
  return { summary, got };
}

describe('gzip-compressed captures (detected by magic, any file name)', () => {
  for (const [name, plain] of [
    ['pcap', pcap],
    ['pcapng', ng],
  ] as const) {
    it(`${name}.gz reads the same frames as the plain file (file and buffer)`, async () => {
      const ref = readBuf(plain);
      const gz = gzipSync(plain);
      const p = join(dir, `c-${name}.cap`); // no .gz suffix on purpose
      writeFileSync(p, gz);
      const f = await readPath(p);
      expect(f.got).toEqual(ref.got);
      expect(f.summary.gzip).toBe(true);
      expect(f.summary.packets).toBe(ref.summary.packets);
      expect(f.summary.format).toBe(ref.summary.format);
      expect(f.summary.warnings).toEqual([]);
      const b = readBuf(gz);
      expect(b.got).toEqual(ref.got);
      expect(b.summary.gzip).toBe(true);
    });
  }

  it('several concatenated gzip members are one stream', async () => {
    const half = 24 + 150 * 16 + recs.slice(0, 150).reduce((a, r) => a + r.data.length, 0);
    const gz = Buffer.concat([gzipSync(pcap.subarray(0, half + 7)), gzipSync(pcap.subarray(half + 7))]);
    const p = join(dir, 'members.pcap.gz');
    writeFileSync(p, gz);
    expect((await readPath(p)).summary.packets).toBe(300);
    expect(readBuf(gz).summary.packets).toBe(300);
  });

  it('a gzip stream cut in the middle: warning, packets before the cut kept', async () => {
    const gz = gzipSync(pcap, { level: 1 });
    const cut = gz.subarray(0, Math.floor(gz.length / 2));
    const p = join(dir, 'cut.pcap.gz');
    writeFileSync(p, cut);
    const ref = readBuf(pcap).got;
    for (const r of [await readPath(p), readBuf(cut, p)]) {
      expect(r.got.length).toBeGreaterThan(10);
      expect(r.got.length).toBeLessThan(300);
      expect(r.got).toEqual(ref.slice(0, r.got.length));
      const codes = r.summary.warnings.map((w) => w.code);
      expect(codes).toContain('GZIP_TRUNCATED');
      const w = r.summary.warnings.find((x) => x.code === 'GZIP_TRUNCATED')!;
      expect(w.message).toMatch(
        /gzip stream ends early \(unexpected end of file\) after \d+ decompressed bytes; packets before that point were kept$/,
      );
    }
  });

  it('a gzip stream corrupt after some data (bad CRC): warning, packets kept', async () => {
    const gz = Buffer.from(gzipSync(pcap, { level: 0 })); // stored blocks: flipping a payload byte is not a format error
    gz[Math.floor(gz.length / 2)] ^= 0xff;
    const p = join(dir, 'crc.pcap.gz');
    writeFileSync(p, gz);
    const ref = readBuf(pcap).got;
    const file = await readPath(p);
    const buf = readBuf(gz, p);
    // from memory everything decompressed before the error is kept; a stream also loses zlib's last
    // output chunk (at most 16 KiB) because zlib reports the error instead of that chunk
    const same = (a: typeof ref, b: typeof ref) =>
      a.filter((g, i) => JSON.stringify(g) !== JSON.stringify(b[i])).length;
    expect(buf.got.length).toBe(300);
    expect(same(buf.got, ref)).toBe(1); // the packet with the flipped byte
    expect(same(file.got, ref.slice(0, file.got.length))).toBeLessThanOrEqual(1);
    expect(file.got.length).toBeGreaterThan(300 - Math.ceil(16384 / 116));
    for (const r of [file, buf]) {
      const w = r.summary.warnings.find((x) => x.code === 'GZIP_CORRUPT');
      expect(w?.message).toMatch(/gzip stream is corrupt \(incorrect data check\)/);
    }
  });

  it('a gzip stream that is corrupt from the start is fatal', async () => {
    const gz = Buffer.from(gzipSync(pcap));
    gz.fill(0xff, 10, 40); // garbage right after the gzip header
    const p = join(dir, 'bad.pcap.gz');
    writeFileSync(p, gz);
    const e = await captureErrorAsync(readCaptureFile(p, () => {}));
    expect(e.code).toBe('BAD_GZIP');
    expect(e.message).toMatch(
      new RegExp(`^${p}: gzip data is corrupt \\(.+\\); nothing could be decompressed$`),
    );
    expect(e.hint).toContain('gzip -t');
    const e2 = captureError(() => readCaptureBuffer(gz, () => {}, p));
    expect(e2.code).toBe('BAD_GZIP');
  });

  it('a gzip of nothing / of text gives the same messages as plain input', async () => {
    const p = join(dir, 'empty.gz');
    writeFileSync(p, gzipSync(Buffer.alloc(0)));
    expect((await captureErrorAsync(readCaptureFile(p, () => {}))).message).toBe(
      `${p}: is empty (0 bytes after gzip decompression)`,
    );
    const t = join(dir, 'text.gz');
    writeFileSync(t, gzipSync(Buffer.from('hello world, not packets\n')));
    const e = await captureErrorAsync(readCaptureFile(t, () => {}));
    expect(e.code).toBe('NOT_A_CAPTURE');
    expect(e.message).toMatch(/: not a pcap or pcapng file: gzip-compressed, inside: looks like text$/);
    expect(e.message).not.toContain('hello');
  });

  it('offsets in gzip error messages say they are in the decompressed data', () => {
    const b = Buffer.from(pcap);
    b.writeUInt32LE(0xffffffff, 24 + 8);
    const e = captureError(() => readCaptureBuffer(gzipSync(b), () => {}, 'z'));
    expect(e.message).toMatch(
      /^z: record #1 at byte offset 24 \(decompressed\) has captured length 4294967295/,
    );
  });
});

describe('FIFO input', () => {
  it('reads a named pipe as a stream (plain and gzip)', async () => {
    for (const [name, bytes] of [
      ['fifo-plain', pcap],
      ['fifo-gz', gzipSync(pcap)],
    ] as const) {
      const fifo = join(dir, name);
      spawnSync('mkfifo', [fifo]);
      const src = join(dir, `${name}.src`);
      writeFileSync(src, bytes);
      // a writer in another process (the reader opens the FIFO, which blocks until both ends exist)
      const { spawn } = await import('node:child_process');
      const w = spawn('sh', ['-c', `cat '${src}' > '${fifo}'`]);
      const exited = new Promise((res) => w.on('exit', res));
      const r = await readPath(fifo);
      await exited;
      expect(r.summary.packets).toBe(300);
      expect(r.summary.gzip).toBe(name === 'fifo-gz');
    }
  });
});

const dist = join(process.cwd(), 'dist/capture/reader.js');
describe.runIf(existsSync(dist))("'-' reads standard input (built reader in a child process)", () => {
  const script = `import('${dist}').then(async (m) => {
      let n = 0;
      const progress = [];
      const s = await m.readCaptureFile('-', () => { n++; }, { onProgress: (d, t) => progress.push([d, t]) });
      console.log(JSON.stringify({ n, s, last: progress.at(-1) }));
    }, (e) => console.log('import failed', e)).catch((e) => console.log(JSON.stringify({ code: e.code, message: e.message })))`;
  const run = (input: Buffer | number) =>
    JSON.parse(
      spawnSync(process.execPath, ['--input-type=module', '-e', script], {
        input: typeof input === 'number' ? undefined : input,
        stdio: typeof input === 'number' ? [input, 'pipe', 'pipe'] : ['pipe', 'pipe', 'pipe'],
        encoding: 'utf8',
      }).stdout.trim(),
    );

  it('a pipe with a plain pcap', () => {
    const r = run(pcap);
    expect(r.n).toBe(300);
    expect(r.s.source).toBe('stdin');
    expect(r.s.packets).toBe(300);
    expect(r.last).toEqual([pcap.length, null]);
  });
  it('a pipe with a gzip-compressed pcapng', () => {
    const r = run(gzipSync(ng));
    expect(r.n).toBe(50);
    expect(r.s.gzip).toBe(true);
    expect(r.s.format).toBe('pcapng');
  });
  it('stdin redirected from a file (read with the fast path, total known)', () => {
    const p = join(dir, 'redirect.pcap');
    writeFileSync(p, pcap);
    const fd = openSync(p, 'r');
    try {
      const r = run(fd);
      expect(r.n).toBe(300);
      expect(r.last).toEqual([pcap.length, pcap.length]);
    } finally {
      closeSync(fd);
    }
  });
  it('empty stdin and text on stdin give the usual messages', () => {
    expect(run(Buffer.alloc(0))).toEqual({ code: 'EMPTY_FILE', message: 'stdin: is empty (0 bytes)' });
    expect(run(Buffer.from('hello\n')).message).toBe('stdin: not a pcap or pcapng file: looks like text');
  });
});
