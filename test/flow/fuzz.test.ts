import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Frame } from '../../src/capture/types.js';
import { Analyzer } from '../../src/flow/analyzer.js';
import { ipTcp, LINKTYPE, linkWrap } from '../helpers/packets.js';

const ADDRS = ['10.0.0.1', '10.0.1.5', '10.0.0.2', '2001:db8::1', '2001:db8::5'];
const TOAISH = [
  [200, 8, 1, 2, 203, 0, 113, 1],
  [254, 8, 1, 2, 203, 0, 113, 2],
  [253, 20, 1, 2, ...new Array(16).fill(7)],
  [28, 7, 1, 203, 0, 113, 3],
  [0],
  [1],
  [8, 0],
  [8, 1],
  [2, 4, 5, 180],
  [254, 4, 0xf9, 0x89],
  [249, 40, ...new Array(38).fill(1)],
];

const packetArb = fc.record({
  a: fc.integer({ min: 0, max: 4 }),
  b: fc.integer({ min: 0, max: 4 }),
  sport: fc.constantFrom(80, 30000, 30001, 443),
  dport: fc.constantFrom(80, 30000, 30001, 443),
  seq: fc.constantFrom(0, 1000, 1001, 5000, 5001, 0xffffffff),
  ack: fc.constantFrom(0, 1001, 5001, 1),
  flags: fc.constantFrom('S', 'SA', 'A', 'PA', 'FA', 'R', 'RA', 'SF', ''),
  opts: fc.array(fc.constantFrom(...TOAISH), { maxLength: 4 }),
  payload: fc.constantFrom('', 'x', 'GET / HTTP/1.0\r\n\r\n'),
  bad: fc.boolean(),
  cut: fc.integer({ min: 0, max: 80 }),
});

function frameOf(data: Buffer, ts: number): Frame {
  return {
    tsSec: Math.floor(ts),
    tsNsec: 0,
    linkType: LINKTYPE.en10mb,
    capturedLength: data.length,
    originalLength: data.length,
    buf: data,
    offset: 0,
    interfaceId: 0,
  };
}

describe('random packet sequences never throw', () => {
  it('well-formed headers, random flags/seq/options, random snaplen cuts, tiny table', () => {
    fc.assert(
      fc.property(
        fc.array(packetArb, { maxLength: 60 }),
        fc.integer({ min: 1, max: 8 }),
        (pkts, maxFlows) => {
          const a = new Analyzer({ maxFlows, lb: ['10.0.0.0/30'] });
          let t = 1_700_000_000;
          for (const p of pkts) {
            const src = ADDRS[p.a]!;
            let dst = ADDRS[p.b]!;
            if (src.includes(':') !== dst.includes(':')) dst = src.includes(':') ? '2001:db8::5' : '10.0.1.5';
            let opts = p.opts.flat();
            if (opts.length > 40) opts = opts.slice(0, 40);
            const ip = ipTcp({
              src,
              dst,
              sport: p.sport,
              dport: p.dport,
              seq: p.seq,
              ack: p.ack,
              flags: p.flags,
              options: opts,
              payload: p.payload,
              badChecksum: p.bad,
            });
            let data = linkWrap('en10mb', ip);
            if (p.cut > 0 && p.cut < data.length) data = data.subarray(0, data.length - p.cut);
            t += 0.001;
            a.push(frameOf(data, t));
            if (p.cut === 7) a.snapshot(3);
          }
          const r = a.finish();
          let n = 0;
          for (const f of r.flows) {
            expect(typeof f.reason).toBe('string');
            n++;
          }
          expect(n).toBe(r.flows.size);
          expect(Object.values(r.stats.verdicts).reduce((x, y) => x + y, 0)).toBe(r.stats.flows);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('random bytes as frames', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 120 }), { maxLength: 30 }),
        fc.constantFrom(1, 101, 113, 276, 0, 9999),
        (frames, lt) => {
          const a = new Analyzer({ maxFlows: 4 });
          for (const bytes of frames) {
            const f = frameOf(Buffer.from(bytes), 1_700_000_000);
            f.linkType = lt;
            a.push(f);
          }
          const r = a.finish();
          for (const f of r.flows) expect(f.verdict).toBeTypeOf('string');
        },
      ),
      { numRuns: 300 },
    );
  });
});
