import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCaptureBuffer, readCaptureFile, StopReading, StreamParser } from '../../src/capture/reader.js';
import type { Frame } from '../../src/capture/types.js';
import { connection, LINKTYPE, type Link, linkWrap, toaOption, writePcap } from '../helpers/packets.js';
import { collector, feedChunks, rng } from './util.js';

const dir = mkdtempSync(join(tmpdir(), 'toa-cap-'));

function packets(link: Link) {
  const c = connection({
    client: '100.64.0.2',
    server: '10.0.0.5',
    cport: 40000,
    sport: 80,
    ackOptions: toaOption(200, '192.0.2.77', 54321),
  });
  return c.map((p) => linkWrap(link, p.ip));
}

describe('classic pcap', () => {
  for (const nano of [false, true])
    for (const bigEndian of [false, true])
      for (const link of ['en10mb', 'sll', 'sll2', 'raw'] as Link[]) {
        it(`reads ${nano ? 'ns' : 'µs'} ${bigEndian ? 'big' : 'little'}-endian ${link}: lengths, bytes, timestamps, link type`, () => {
          const data = packets(link);
          const ts = [
            1700000000.123456, 1700000001.5, 1700000001.000001, 1700000002, 1700000003.25, 1700000004.75,
          ];
          const recs = data.map((d, i) => ({ data: d, ts: ts[i] }));
          // third record: snaplen-cut (caplen < wirelen)
          recs[2] = { data: data[2].subarray(0, 40), ts: ts[2], origLen: data[2].length } as never;
          const file = writePcap(recs, { linkType: LINKTYPE[link], nano, bigEndian });
          const { sink, got } = collector();
          const s = readCaptureBuffer(file, sink, 'x.pcap');
          expect(s.format).toBe(nano ? 'pcap-ns' : 'pcap');
          expect(s.packets).toBe(data.length);
          expect(s.gzip).toBe(false);
          expect(s.warnings).toEqual([]);
          expect(s.linkTypes).toEqual({ [LINKTYPE[link]]: data.length });
          expect(s.bytes).toBe(data.reduce((a, d) => a + d.length, 0));
          expect(got.map((g) => g.linkType)).toEqual(data.map(() => LINKTYPE[link]));
          expect(got.map((g) => g.hex)).toEqual(recs.map((r) => r.data.toString('hex')));
          expect(got[2].capturedLength).toBe(40);
          expect(got[2].originalLength).toBe(data[2].length);
          expect(got.map((g) => g.interfaceId)).toEqual(data.map(() => 0));
          // exactly the integers the writer stored (it rounds the float seconds at its resolution)
          const want = ts.map((t) => {
            const sec = Math.floor(t);
            return [sec, nano ? Math.round((t - sec) * 1e9) : Math.round((t - sec) * 1e6) * 1000];
          });
          expect(got.map((g) => [g.tsSec, g.tsNsec])).toEqual(want);
          if (!nano) expect(want[0]).toEqual([1700000000, 123456000]);
          expect(s.firstTs).toBeCloseTo(1700000000.123456, 6);
          expect(s.lastTs).toBeCloseTo(1700000004.75, 6);
        });
      }

  it('keeps nanosecond precision exactly (ns magic)', () => {
    const file = writePcap([{ data: Buffer.alloc(20, 1) }], { nano: true, linkType: 101 });
    file.writeUInt32LE(1700000000, 24);
    file.writeUInt32LE(999999999, 28);
    const { sink, got } = collector();
    readCaptureBuffer(file, sink);
    expect([got[0].tsSec, got[0].tsNsec]).toEqual([1700000000, 999999999]);
  });

  it('normalises an out-of-range fraction (µs >= 1e6) into seconds', () => {
    const file = writePcap([{ data: Buffer.alloc(20, 1) }]);
    file.writeUInt32LE(1700000000, 24);
    file.writeUInt32LE(2500000, 28);
    const { sink, got } = collector();
    readCaptureBuffer(file, sink);
    expect([got[0].tsSec, got[0].tsNsec]).toEqual([1700000002, 500000000]);
  });

  it('takes the link type from the header, ignoring the FCS bits in the upper bits', () => {
    const file = writePcap([{ data: Buffer.alloc(60) }], { linkType: 0x04000001 });
    const { sink, got } = collector();
    const s = readCaptureBuffer(file, sink);
    expect(got[0].linkType).toBe(1);
    expect(s.linkTypes).toEqual({ 1: 1 });
  });

  it('reads an empty capture (header only) as zero packets', () => {
    const { sink, got } = collector();
    const s = readCaptureBuffer(writePcap([]), sink);
    expect(got).toEqual([]);
    expect(s.packets).toBe(0);
    expect(s.firstTs).toBeNull();
    expect(s.warnings).toEqual([]);
  });

  it('hands out one reused frame object pointing into the input (no payload copy)', () => {
    const file = writePcap(packets('en10mb').map((d) => ({ data: d })));
    const frames = new Set<Frame>();
    const bufs = new Set<Buffer>();
    readCaptureBuffer(file, (f) => {
      frames.add(f);
      bufs.add(f.buf);
    });
    expect(frames.size).toBe(1);
    expect([...bufs]).toEqual([file]);
    expect([...bufs][0]).toBe(file);
  });
});

describe('records split across chunk boundaries', () => {
  const big = Buffer.alloc(3000, 0xab); // a record larger than many chunks
  const recs = [
    ...packets('en10mb').map((d) => ({ data: d })),
    { data: big },
    { data: Buffer.alloc(0) },
    ...packets('sll2').map((d) => ({ data: d })),
  ];
  for (const nano of [false, true])
    for (const bigEndian of [false, true]) {
      const file = writePcap(recs, { nano, bigEndian, linkType: 1 });
      const whole = (() => {
        const { sink, got } = collector();
        const summary = readCaptureBuffer(file, sink, 'chunks');
        return { summary, got };
      })();

      it(`1 byte at a time gives the same frames (${nano ? 'ns' : 'µs'}, ${bigEndian ? 'BE' : 'LE'})`, () => {
        const r = feedChunks(file, () => 1);
        expect(r.got).toEqual(whole.got);
        expect(r.summary).toEqual(whole.summary);
        expect(r.got.length).toBe(recs.length);
      });

      it(`random chunk sizes give the same frames (${nano ? 'ns' : 'µs'}, ${bigEndian ? 'BE' : 'LE'})`, () => {
        for (let seed = 1; seed <= 30; seed++) {
          const rand = rng(seed);
          const max = [3, 17, 100, 4000][seed % 4];
          const r = feedChunks(file, () => 1 + Math.floor(rand() * max));
          expect(r.got).toEqual(whole.got);
          expect(r.summary).toEqual(whole.summary);
        }
      });
    }

  it('readCaptureFile with tiny read sizes gives the same frames as one big read', async () => {
    const file = writePcap(recs, { linkType: 1 });
    const path = join(dir, 'split.pcap');
    writeFileSync(path, file);
    const ref = collector();
    const s0 = await readCaptureFile(path, ref.sink);
    for (const chunkSize of [1, 7, 16, 17, 4096]) {
      const c = collector();
      const s = await readCaptureFile(path, c.sink, { chunkSize });
      expect(c.got).toEqual(ref.got);
      expect(s).toEqual(s0);
    }
    expect(s0.source).toBe(path);
    expect(s0.packets).toBe(recs.length);
  });

  it('a StreamParser chunk may be overwritten after push (the carried record is copied)', () => {
    const file = writePcap(recs, { linkType: 1 });
    const ref = collector();
    readCaptureBuffer(file, ref.sink);
    const c = collector();
    const p = new StreamParser('reuse');
    const scratch = Buffer.alloc(50);
    for (let off = 0; off < file.length; off += 50) {
      const n = file.copy(scratch, 0, off, off + 50);
      p.push(scratch.subarray(0, n), c.sink);
      scratch.fill(0x55);
    }
    p.end();
    expect(c.got).toEqual(ref.got);
  });
});

describe('stopping early', () => {
  it('a sink that throws StopReading ends the read with the summary so far', async () => {
    const recs = Array.from({ length: 50 }, (_, i) => ({ data: Buffer.alloc(60, i) }));
    const path = join(dir, 'stop.pcap');
    writeFileSync(path, writePcap(recs));
    let n = 0;
    const sink = () => {
      n++;
      if (n === 5) throw new StopReading();
    };
    const s = await readCaptureFile(path, sink);
    expect(n).toBe(5);
    expect(s.packets).toBe(5);
    n = 0;
    const s2 = readCaptureBuffer(writePcap(recs), sink);
    expect(s2.packets).toBe(5);
  });

  it('any other error from the sink propagates unchanged', async () => {
    const path = join(dir, 'boom.pcap');
    writeFileSync(path, writePcap([{ data: Buffer.alloc(60) }]));
    await expect(
      readCaptureFile(path, () => {
        throw new RangeError('consumer bug');
      }),
    ).rejects.toThrow(RangeError);
  });
});

describe('progress hook', () => {
  it('reports bytes done against the file size, throttled to ~100 ms, and a final call', async () => {
    const recs = Array.from({ length: 400 }, (_, i) => ({ data: Buffer.alloc(100, i) }));
    const file = writePcap(recs);
    const path = join(dir, 'progress.pcap');
    writeFileSync(path, file);
    const calls: Array<{ done: number; total: number | null; t: number }> = [];
    const slowSink = () => {
      const until = performance.now() + 1;
      while (performance.now() < until) {
        // 1 ms per packet: ~400 ms in all
      }
    };
    const t0 = performance.now();
    await readCaptureFile(path, slowSink, {
      chunkSize: 1000,
      onProgress: (done, total) => calls.push({ done, total, t: performance.now() }),
    });
    const elapsed = performance.now() - t0;
    expect(calls.length).toBeGreaterThanOrEqual(3);
    // throttled: at most one call per 100 ms of reading, plus the final one
    expect(calls.length).toBeLessThanOrEqual(Math.floor(elapsed / 100) + 1);
    expect(calls.every((c) => c.total === file.length)).toBe(true);
    expect(calls.at(-1)!.done).toBe(file.length);
    for (let i = 1; i < calls.length; i++) expect(calls[i].done).toBeGreaterThanOrEqual(calls[i - 1].done);
    for (let i = 1; i < calls.length - 1; i++) expect(calls[i].t - calls[i - 1].t).toBeGreaterThanOrEqual(95);
  });
});
