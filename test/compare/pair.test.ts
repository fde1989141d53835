/**
 * pairFlows() on its own, against the ground truth of generated connections: whatever mix of clues
 * survives the NAT (TOA or not, ISN kept or rewritten, distinct or identical requests, clock offset,
 * jitter, dropped connections), a pair it reports is always a true pair, and nothing is dropped:
 * every connection is paired, ambiguous or listed as one side only.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { pairFlows } from '../../src/compare/pair.js';
import type { CompareFlow } from '../../src/compare/types.js';

interface Truth {
  a: CompareFlow[];
  b: CompareFlow[];
  /** b index → a index of the same connection */
  truth: Map<number, number>;
}

function flow(
  p: Partial<CompareFlow> & Pick<CompareFlow, 'id' | 'client' | 'server' | 'start'>,
): CompareFlow {
  const [ca, cp] = p.client.split(':');
  const [sa, sp] = p.server.split(':');
  return {
    family: 'ipv4',
    clientAddress: ca!,
    clientPort: Number(cp),
    serverAddress: sa!,
    serverPort: Number(sp),
    isn: null,
    payload: null,
    payloadLength: null,
    toa: null,
    verdict: 'TOA_OK',
    packets: { syn: null, ack: null, data: null },
    ...p,
  };
}

interface Gen {
  n: number;
  toa: boolean;
  isnKept: boolean;
  distinctRequests: boolean;
  offset: number;
  spacing: number;
  jitter: number[];
  dropA: number[];
  dropB: number[];
}

function generate(g: Gen): Truth {
  const a: CompareFlow[] = [];
  const b: CompareFlow[] = [];
  const truth = new Map<number, number>();
  const dropA = new Set(g.dropA.map((x) => x % g.n));
  const dropB = new Set(g.dropB.map((x) => x % g.n));
  for (let i = 0; i < g.n; i++) {
    const client = `203.0.113.${1 + (i % 200)}:${10000 + i}`;
    const t = 1_700_000_000 + i * g.spacing;
    const isn = (i * 2654435761) >>> 0;
    const payload = g.distinctRequests
      ? `${(i * 40503).toString(16).padStart(16, '0')}/48`
      : 'aaaaaaaaaaaaaaaa/48';
    const fa = flow({
      id: i + 1,
      client,
      server: '198.18.0.10:443',
      start: t,
      isn,
      payload,
      payloadLength: 100,
    });
    const fb = flow({
      id: i + 1,
      client: `10.0.0.7:${20000 + ((i * 7) % 40000)}`,
      server: '10.0.1.5:8443',
      start: t + g.offset + 0.0002 + (g.jitter[i % g.jitter.length] ?? 0),
      isn: g.isnKept ? isn : (isn ^ 0x5a5a5a5a) >>> 0,
      payload,
      payloadLength: 100,
      toa: g.toa ? { variant: 'toa-200-8', kind: 200, length: 8, client } : null,
    });
    if (!dropA.has(i)) a.push(fa);
    if (!dropB.has(i)) {
      if (!dropA.has(i)) truth.set(b.length, a.length - 1);
      b.push(fb);
    }
  }
  return { a, b, truth };
}

describe('pairFlows', () => {
  it('never pairs two different connections, and accounts for every connection', () => {
    fc.assert(
      fc.property(
        fc.record({
          n: fc.integer({ min: 1, max: 60 }),
          toa: fc.boolean(),
          isnKept: fc.boolean(),
          distinctRequests: fc.boolean(),
          offset: fc.double({ min: -30, max: 30, noNaN: true }),
          spacing: fc.constantFrom(0.00001, 0.0005, 0.01, 0.5),
          jitter: fc.array(fc.double({ min: 0, max: 0.0003, noNaN: true }), { minLength: 1, maxLength: 5 }),
          dropA: fc.array(fc.nat(), { maxLength: 5 }),
          dropB: fc.array(fc.nat(), { maxLength: 5 }),
        }),
        (g) => {
          const { a, b, truth } = generate(g);
          const r = pairFlows(a, b, 'front');
          for (const p of r.pairs) expect(truth.get(p.b)).toBe(p.a);
          const seenA = new Set([...r.pairs.map((p) => p.a), ...r.ambiguous.map((x) => x.a), ...r.onlyA]);
          expect(seenA.size).toBe(a.length);
          const inAmb = new Set(r.ambiguous.flatMap((x) => x.candidates.map((c) => c.b)));
          for (let j = 0; j < b.length; j++)
            expect(r.pairs.some((p) => p.b === j) || inAmb.has(j) || r.onlyB.includes(j)).toBe(true);
          // with a strong clue (TOA, or an ISN the LB keeps, or distinct requests) every connection seen
          // on both sides is paired
          if (g.toa || g.isnKept || g.distinctRequests) expect(r.pairs.length).toBe(truth.size);
        },
      ),
      { numRuns: 150, seed: 14 },
    );
  });

  it('estimates the clock offset and a window from the confident pairs (not a constant)', () => {
    const tight = generate({
      n: 30,
      toa: true,
      isnKept: false,
      distinctRequests: false,
      offset: 12.5,
      spacing: 0.1,
      jitter: [0],
      dropA: [],
      dropB: [],
    });
    const loose = generate({
      n: 30,
      toa: true,
      isnKept: false,
      distinctRequests: false,
      offset: 12.5,
      spacing: 0.1,
      jitter: [0, 0.05, 0.1, 0.02],
      dropA: [],
      dropB: [],
    });
    const rt = pairFlows(tight.a, tight.b, 'front').matching;
    const rl = pairFlows(loose.a, loose.b, 'front').matching;
    expect(rt.clockOffsetSec).toBeCloseTo(12.5002, 4);
    expect(rt.windowSec).toBe(0.001);
    expect(rl.windowSec).toBeGreaterThan(0.1);
    expect(rt.isnKept).toBe(false);
    expect(rt.portMap).toEqual([{ a: 443, b: 8443, pairs: 30 }]);
  });

  it('timing pairs a lone connection that has no exact clue, with the learned offset', () => {
    const g = generate({
      n: 10,
      toa: true,
      isnKept: false,
      distinctRequests: false,
      offset: -4,
      spacing: 1,
      jitter: [0],
      dropA: [],
      dropB: [],
    });
    // connection 5 lost its TOA at B: only timing (and the port mapping) can pair it
    g.b[5] = { ...g.b[5]!, toa: null };
    const r = pairFlows(g.a, g.b, 'front');
    const p = r.pairs.find((x) => x.b === 5)!;
    expect(p.a).toBe(5);
    expect(p.clues).toEqual(['payload', 'port-map', 'timing']);
    expect(p.confidence).toBeLessThan(0.95);
  });
});
