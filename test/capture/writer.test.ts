import { execFileSync } from 'node:child_process';
import { closeSync, fstatSync, mkdtempSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCaptureBuffer, readCaptureFile } from '../../src/capture/reader.js';
import { copyFrame, type Frame } from '../../src/capture/types.js';
import { PcapWriter, pcapFileBuffer } from '../../src/capture/writer.js';
import { connection, linkWrap, toaOption, writePcapng } from '../helpers/packets.js';
import { commandMissingReason, toolSkipReason } from '../helpers/tools.js';
import { captureError, collector } from './util.js';

const dir = mkdtempSync(join(tmpdir(), 'toa-capw-'));
const ips = connection({
  client: '100.64.0.2',
  server: '10.0.0.5',
  cport: 40000,
  sport: 80,
  ackOptions: toaOption(200, '192.0.2.77', 54321),
}).map((p) => p.ip);

/** Frames with nanosecond timestamps (from a pcapng with if_tsresol 9). */
function nsFrames(): Frame[] {
  const ng = writePcapng(
    [{ linkType: 1, tsresol: 9 }],
    ips.map((ip, i) => ({
      data: linkWrap('en10mb', ip),
      ts: 1700000000 + i + 0.123456789,
      origLen: i === 2 ? 1500 : undefined,
    })),
  );
  const frames: Frame[] = [];
  readCaptureBuffer(ng, (f) => frames.push(copyFrame(f)));
  return frames;
}

describe('PcapWriter', () => {
  for (const nano of [false, true])
    it(`writes a ${nano ? 'nanosecond' : 'microsecond'} pcap to a path that reads back the same`, async () => {
      const frames = nsFrames();
      const p = join(dir, `w-${nano}.pcap`);
      const w = new PcapWriter(p, 1, 262144, { nano });
      for (const f of frames) w.write(f);
      expect(w.packets).toBe(frames.length);
      w.close();
      w.close(); // idempotent
      const { sink, got } = collector();
      const s = await readCaptureFile(p, sink);
      expect(s.format).toBe(nano ? 'pcap-ns' : 'pcap');
      expect(got.map((g) => g.hex)).toEqual(frames.map((f) => f.buf.toString('hex')));
      expect(got.map((g) => [g.tsSec, g.tsNsec])).toEqual(
        frames.map((f) => [f.tsSec, nano ? f.tsNsec : Math.floor(f.tsNsec / 1000) * 1000]),
      );
      expect(got[2].originalLength).toBe(1500);
      expect(got[2].capturedLength).toBe(frames[2].capturedLength);
    });

  it('cuts frames to the snaplen and keeps the original length', () => {
    const f: Frame = {
      tsSec: 1,
      tsNsec: 0,
      linkType: 101,
      capturedLength: 100,
      originalLength: 100,
      buf: Buffer.alloc(110, 9),
      offset: 10,
      interfaceId: 0,
    };
    const p = join(dir, 'snap.pcap');
    const w = new PcapWriter(p, 101, 60);
    w.write(f);
    w.close();
    const { sink, got } = collector();
    readCaptureBuffer(readFileSync(p), sink);
    expect(got[0].capturedLength).toBe(60);
    expect(got[0].originalLength).toBe(100);
    expect(readFileSync(p).readUInt32LE(16)).toBe(60); // snaplen in the header
  });

  it('writes to a caller-owned fd, flushes on close and leaves the fd open', () => {
    const p = join(dir, 'fd.pcap');
    const fd = openSync(p, 'w');
    const w = new PcapWriter(fd, 1);
    for (const f of nsFrames()) w.write(f);
    w.close();
    expect(() => fstatSync(fd)).not.toThrow();
    closeSync(fd);
    expect(readCaptureBuffer(readFileSync(p), () => {}).packets).toBe(ips.length);
  });

  it('a frame larger than the 1 MiB buffer, among small ones, survives (direct write path)', () => {
    const small = nsFrames()[0];
    const big: Frame = {
      ...small,
      capturedLength: 3_000_000,
      originalLength: 3_000_000,
      buf: Buffer.alloc(3_000_000, 0x5a),
      offset: 0,
    };
    const p = join(dir, 'big.pcap');
    const w = new PcapWriter(p, 1, 4_000_000);
    w.write(small);
    w.write(big);
    w.write(small);
    w.close();
    const b = readFileSync(p);
    expect(b.length).toBe(24 + 3 * 16 + 2 * small.capturedLength + 3_000_000);
    expect(b.readUInt32LE(24 + 16 + small.capturedLength + 8)).toBe(3_000_000);
  });

  it('many frames across several buffer flushes', () => {
    const f = nsFrames()[3];
    const p = join(dir, 'many.pcap');
    const w = new PcapWriter(p, 1);
    for (let i = 0; i < 50_000; i++) w.write(f);
    w.close();
    expect(readCaptureBuffer(readFileSync(p), () => {}).packets).toBe(50_000);
  });

  it('an unwritable path is a CaptureError with a hint', () => {
    const e = captureError(() => new PcapWriter(join(dir, 'no/such/dir/x.pcap'), 1));
    expect(e.code).toBe('WRITE_ERROR');
    expect(e.message).toMatch(/x\.pcap: cannot write \(no such directory\)$/);
  });

  // a missing tcpdump is a printed skip, and a failure under CI (test/helpers/tools.ts)
  const noTcpdump = toolSkipReason([commandMissingReason('tcpdump')], undefined, 'writer tcpdump check');
  it.skipIf(noTcpdump !== null)('tcpdump reads what the writer wrote', () => {
    const p = join(dir, 'td.pcap');
    const w = new PcapWriter(p, 1);
    for (const f of nsFrames()) w.write(f);
    w.close();
    const out = execFileSync('tcpdump', ['-r', p, '-nn', '--count'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    }).toString();
    expect(out).toContain(`${ips.length} packets`);
  });
});

describe('pcapFileBuffer', () => {
  it('builds a whole file in memory, link type from the first frame by default', () => {
    const frames = nsFrames();
    const b = pcapFileBuffer(frames);
    const { sink, got } = collector();
    const s = readCaptureBuffer(b, sink);
    expect(s.linkTypes).toEqual({ 1: frames.length });
    expect(got.map((g) => g.hex)).toEqual(frames.map((f) => f.buf.toString('hex')));
    expect(pcapFileBuffer(frames, 1)).toEqual(b);
    // same bytes as the streaming writer
    const p = join(dir, 'same.pcap');
    const w = new PcapWriter(p, 1);
    for (const f of frames) w.write(f);
    w.close();
    expect(readFileSync(p)).toEqual(b);
  });

  it('nanosecond variant and an empty list', () => {
    const frames = nsFrames();
    const { sink, got } = collector();
    readCaptureBuffer(pcapFileBuffer(frames, 1, { nano: true }), sink);
    expect(got.map((g) => g.tsNsec)).toEqual(frames.map((f) => f.tsNsec));
    const empty = pcapFileBuffer([]);
    expect(empty.length).toBe(24);
    expect(empty.readUInt32LE(20)).toBe(1);
  });
});
