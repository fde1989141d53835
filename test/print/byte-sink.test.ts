import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readCaptureBuffer } from '../../src/capture/reader.js';
import { createDecodedPacket, type DecodedPacket, decodePacket } from '../../src/decode/index.js';
import { ByteSink } from '../../src/report/byte-writer.js';
import { packetJson } from '../../src/report/packet-json.js';
import { ipTcp, linkWrap, writePcap } from '../helpers/packets.js';

describe('ByteSink', () => {
  it('flushes at line boundaries once past flushAt; every byte arrives in order', () => {
    const chunks: string[] = [];
    const w = new ByteSink((b, n) => chunks.push(b.toString('latin1', 0, n)), 100);
    const lines = Array.from({ length: 50 }, (_, i) => `line-${i}-${'x'.repeat(i % 37)}`);
    for (const l of lines) w.line(l);
    w.flush();
    expect(chunks.join('')).toBe(lines.map((l) => `${l}\n`).join(''));
    for (const c of chunks.slice(0, -1)) {
      expect(c.length).toBeGreaterThanOrEqual(100);
      expect(c.endsWith('\n')).toBe(true);
    }
  });
  it('a string longer than the buffer goes out whole', () => {
    const chunks: string[] = [];
    const w = new ByteSink((b, n) => chunks.push(b.toString('latin1', 0, n)), 64);
    w.line('a');
    w.line('y'.repeat(50_000));
    w.flush();
    expect(chunks.join('')).toBe(`a\n${'y'.repeat(50_000)}\n`);
  });
});

describe('packetJson numbers and timestamps', () => {
  it('seq/ack/TS values across the uint32 range, µs and ns timestamps', () => {
    const pkt = createDecodedPacket() as DecodedPacket;
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.integer({ min: 0, max: 999_999_999 }),
        fc.boolean(),
        (seq, ack, tsval, ns, micro) => {
          const ts = [8, 10, tsval >>> 24, (tsval >> 16) & 255, (tsval >> 8) & 255, tsval & 255, 0, 0, 0, 1];
          const bytes = linkWrap(
            'raw',
            ipTcp({
              src: '192.0.2.1',
              dst: '192.0.2.2',
              sport: 1,
              dport: 2,
              seq,
              ack,
              options: [1, 1, ...ts],
            }),
          );
          const file = writePcap([{ data: bytes }], { linkType: 101, nano: true });
          readCaptureBuffer(file, (f) => {
            f.tsNsec = micro ? Math.floor(ns / 1000) * 1000 : ns;
            decodePacket(f, pkt);
            const text = packetJson(f, pkt);
            const j = JSON.parse(text);
            expect(j.tcp.seq).toBe(seq);
            expect(j.tcp.ack).toBe(ack);
            expect(j.tcp.options[2].tsval).toBe(tsval);
            const frac = text.match(/"ts":\d+\.(\d+)/)?.[1];
            expect(frac).toBe(
              f.tsNsec % 1000 === 0
                ? String(f.tsNsec / 1000).padStart(6, '0')
                : String(f.tsNsec).padStart(9, '0'),
            );
          });
        },
      ),
      { numRuns: 3000 },
    );
  });
});
