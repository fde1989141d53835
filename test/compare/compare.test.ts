/**
 * compare end to end on generated capture pairs: every change code in both modes, ISN kept and
 * rewritten, IPv4 and IPv6, a clock offset of seconds, packets missing on one side, many
 * simultaneous connections to one server port, connections seen on one side only.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCompare } from '../../src/cli/compare.js';
import type { CompareDocument } from '../../src/compare/index.js';
import { renderCompareJson } from '../../src/report/compare-json.js';
import { cdnToaOption, MSS_OPT, TS_OPT, toaOption } from '../helpers/packets.js';
import { checkSchema } from '../report/schema-check.js';
import { front, LB, LB6, leg, type Pkt, RS, RS6, withToa, writePair } from './gen.js';

const dir = mkdtempSync(join(tmpdir(), 'toa-compare-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const schema = JSON.parse(readFileSync(new URL('../../schema/compare.schema.json', import.meta.url), 'utf8'));

let n = 0;
async function compare(
  a: Pkt[],
  b: Pkt[],
  mode?: 'front' | 'path',
  maxFlows?: number,
): Promise<CompareDocument> {
  const f = writePair(dir, `c${n++}`, a, b);
  let out = '';
  const r = await runCompare(f.a, f.b, {
    mode,
    maxFlows,
    format: 'json',
    write: (s) => (out += s),
    toolVersion: '0.0.0-test',
  });
  const parsed = JSON.parse(out) as CompareDocument;
  // the streamed JSON is the document, and it validates against the published schema
  expect(parsed).toEqual(JSON.parse(renderCompareJson(r.doc)));
  expect(checkSchema(schema, parsed)).toEqual([]);
  expect(r.exitCode).toBe(parsed.summary.exitCode);
  return parsed;
}

const T0 = 1_700_000_000;
const join2 = (xs: Array<{ a: Pkt[]; b: Pkt[] }>) => ({
  a: xs.flatMap((x) => x.a),
  b: xs.flatMap((x) => x.b),
});

describe('bounds', () => {
  it('connections beyond --max-flows are evicted, counted and reported, not silently dropped', async () => {
    const conns = [0, 1, 2, 3, 4].map((i) =>
      front({ client: `203.0.113.${60 + i}`, cport: 45000 + i, lport: 8200 + i, t0: T0 + i * 10, offset: 1 }),
    );
    const { a, b } = join2(conns);
    const d = await compare(a, b, 'front', 2);
    expect(d.input.a.evicted).toBe(3);
    expect(d.input.b.evicted).toBe(3);
    expect(d.summary.pairs).toBe(2);
    const f = d.findings.filter((x) => x.code === 'EVICTED');
    expect(f.map((x) => x.title)).toEqual([
      '3 connections of A evicted from the flow table and not compared',
      '3 connections of B evicted from the flow table and not compared',
    ]);
  });
});

describe('front mode', () => {
  it('TOA_INSERTED: B carries the client A saw; clock offset of seconds; ISN kept; detected as front', async () => {
    const conns = [0, 1, 2, 3].map((i) =>
      front({
        client: `203.0.113.${10 + i}`,
        cport: 40000 + i,
        lport: 5000 + i,
        t0: T0 + i * 0.2,
        offset: 7.25,
      }),
    );
    const { a, b } = join2(conns);
    const d = await compare(a, b);
    expect(d.mode).toBe('front');
    expect(d.modeSource).toBe('auto');
    expect(d.summary.pairs).toBe(4);
    expect(d.summary.changes.TOA_INSERTED).toBe(4);
    expect(d.summary.exitCode).toBe(0);
    for (const p of d.pairs) {
      expect(p.change).toBe('TOA_INSERTED');
      expect(p.b.toa?.client).toBe(p.a.client);
      expect(p.matchedBy).toEqual(expect.arrayContaining(['toa', 'isn', 'timing']));
      expect(p.confidenceLevel).toBe('high');
    }
    expect(d.matching.clockOffsetSec).toBeCloseTo(7.25, 6);
    expect(d.matching.isnKept).toBe(true);
    expect(d.matching.portMap).toEqual([{ a: 80, b: 8080, pairs: 4 }]);
    expect(d.findings.find((f) => f.code === 'CLOCK_OFFSET')?.title).toMatch(/ahead of A's by 7\.250 s/);
  });

  it('TOA_NOT_INSERTED with the ISN rewritten: matched by the first request, exit code 1', async () => {
    const conns = [0, 1, 2].map((i) =>
      front({
        client: `203.0.113.${20 + i}`,
        cport: 41000 + i,
        lport: 6000 + i,
        t0: T0 + i * 0.3,
        offset: -3.5,
        isn: 1000 + i * 7919,
        bIsn: 777777 + i * 104729,
        request: `GET /item/${i} HTTP/1.1\r\nHost: shop\r\n\r\n`,
        toa: null,
      }),
    );
    const { a, b } = join2(conns);
    const d = await compare(a, b);
    expect(d.mode).toBe('front');
    expect(d.summary.changes.TOA_NOT_INSERTED).toBe(3);
    expect(d.summary.exitCode).toBe(1);
    for (const p of d.pairs) {
      expect(p.matchedBy).toContain('payload');
      expect(p.matchedBy).not.toContain('isn');
      // the right partner: request /item/i at A went out on LB port 6000 + i
      const i = Number(p.a.client.split('.')[3]!.split(':')[0]) - 20;
      expect(p.b.client).toBe(`${LB}:${6000 + i}`);
    }
    expect(d.matching.isnKept).toBe(false);
    expect(d.matching.clockOffsetSec).toBeCloseTo(-3.5, 6);
    const f = d.findings[0]!;
    expect(f.code).toBe('TOA_NOT_INSERTED');
    expect(f.severity).toBe('error');
    expect(f.title).toBe('the LB inserted no TOA on 3 of 3 connections');
    expect(d.findings.some((x) => x.code === 'ISN_REWRITTEN')).toBe(true);
  });

  it('TOA_WRONG_ADDRESS: B names another client (a SNAT in front of the LB); matched by ISN', async () => {
    const c = front({
      client: '203.0.113.30',
      cport: 42000,
      lport: 7000,
      t0: T0,
      offset: 0.002,
      isn: 123456789,
      toa: { address: '100.64.0.9', port: 1234 },
    });
    const d = await compare(c.a, c.b, 'front');
    expect(d.pairs).toHaveLength(1);
    expect(d.pairs[0]!.change).toBe('TOA_WRONG_ADDRESS');
    expect(d.pairs[0]!.matchedBy).toContain('isn');
    expect(d.pairs[0]!.matchedBy).not.toContain('toa');
    expect(d.pairs[0]!.detail).toMatch(/100\.64\.0\.9:1234.*203\.0\.113\.30:42000/);
    expect(d.summary.exitCode).toBe(1);
  });

  it('IPv6: a 253/20 TOA naming the IPv6 client is TOA_INSERTED', async () => {
    const c = front({ client: '2001:db8:ff::42', cport: 50001, lport: 6100, t0: T0, offset: 1.5, v6: true });
    const d = await compare(c.a, c.b);
    expect(d.mode).toBe('front');
    expect(d.pairs).toHaveLength(1);
    expect(d.pairs[0]!.a.client).toBe('[2001:db8:ff::42]:50001');
    expect(d.pairs[0]!.b.toa).toMatchObject({ kind: 253, length: 20, client: '[2001:db8:ff::42]:50001' });
    expect(d.pairs[0]!.change).toBe('TOA_INSERTED');
  });

  it("a port-less kind-28 TOA (Alibaba CDN, SYN only) naming A's client address is TOA_INSERTED", async () => {
    const c = front({ client: '203.0.113.77', cport: 46000, lport: 8300, t0: T0, offset: 0.5, toa: null });
    const b = leg({
      client: LB,
      cport: 8300,
      server: RS,
      sport: 8080,
      t0: T0 + 0.5,
      synOptions: [...cdnToaOption('203.0.113.77'), 1, ...MSS_OPT],
    });
    const d = await compare(c.a, b, 'front');
    expect(d.pairs).toHaveLength(1);
    expect(d.pairs[0]!.b.toa).toMatchObject({ kind: 28, length: 7, client: '203.0.113.77' });
    expect(d.pairs[0]!.change).toBe('TOA_INSERTED');
    expect(d.pairs[0]!.matchedBy).toContain('toa');
    expect(d.pairs[0]!.detail).toMatch(/on the SYN/);
  });

  it('many simultaneous connections to one server port with the same request: never cross-paired', async () => {
    // 40 clients start within 4 ms, all send the same request; the LB keeps ISNs and inserts TOA
    const conns = Array.from({ length: 40 }, (_, i) =>
      front({
        client: `203.0.113.${100 + (i % 5)}`,
        cport: 30000 + i,
        lport: 10000 + ((i * 37) % 40),
        t0: T0 + i * 0.0001,
        offset: 2,
        isn: 5_000_000 + i * 65537,
      }),
    );
    const { a, b } = join2(conns);
    const d = await compare(a, b);
    expect(d.summary.pairs).toBe(40);
    for (const p of d.pairs) {
      const i = Number(p.a.client.split(':')[1]) - 30000;
      expect(p.b.client).toBe(`${LB}:${10000 + ((i * 37) % 40)}`);
    }
  });

  it('the same crowd with no TOA, ISN rewritten and one request: ambiguous, listed, not guessed', async () => {
    const anchor = [0, 1, 2].map((i) =>
      front({
        client: `198.51.100.${i + 1}`,
        cport: 20000 + i,
        lport: 11000 + i,
        t0: T0 + i,
        offset: 2,
        isn: 42 + i,
        bIsn: 4242 + i,
      }),
    );
    const crowd = Array.from({ length: 6 }, (_, i) =>
      front({
        client: `203.0.113.${200 + i}`,
        cport: 31000 + i,
        lport: 12000 + i,
        t0: T0 + 10 + i * 0.00002,
        offset: 2,
        isn: 1000 + i,
        bIsn: 900000 + i * 3,
        toa: null,
      }),
    );
    const { a, b } = join2([...anchor, ...crowd]);
    const d = await compare(a, b, 'front');
    // the anchors are paired by TOA and teach the offset; the crowd is not guessed
    expect(d.summary.pairs).toBe(3);
    expect(d.summary.ambiguous).toBe(6);
    for (const x of d.ambiguous) {
      expect(x.candidates.length + x.more).toBeGreaterThan(1);
      for (const c of x.candidates) expect(c.matchedBy).toContain('timing');
    }
    expect(d.findings.some((f) => f.code === 'AMBIGUOUS')).toBe(true);
    expect(d.summary.onlyA).toBe(0);
    expect(d.summary.onlyB).toBe(0);
  });

  it('sides given the wrong way round are called out (SIDES_SWAPPED)', async () => {
    const conns = [0, 1, 2].map((i) =>
      front({ client: `203.0.113.${90 + i}`, cport: 47000 + i, lport: 8400 + i, t0: T0 + i, offset: 1 }),
    );
    const { a, b } = join2(conns);
    const d = await compare(b, a);
    const f = d.findings.find((x) => x.code === 'SIDES_SWAPPED');
    expect(f?.title).toBe("A and B look swapped: the TOA at A names B's clients on 3 of 3 connections");
    expect(f?.remediation).toMatch(/compare B A/);
    // the right way round there is no such warning
    expect((await compare(a, b)).findings.some((x) => x.code === 'SIDES_SWAPPED')).toBe(false);
  });

  it('one side only: connections without a partner are listed as onlyA / onlyB', async () => {
    const both = front({ client: '203.0.113.40', cport: 43000, lport: 8000, t0: T0, offset: 4 });
    const onlyA = front({ client: '203.0.113.41', cport: 43001, lport: 8001, t0: T0 + 60, offset: 4 });
    const healthCheck = leg({
      client: LB,
      cport: 9999,
      server: RS,
      sport: 8080,
      t0: T0 + 30,
      isn: 31337,
      request: 'HEAD /health HTTP/1.0\r\n\r\n',
    });
    const d = await compare([...both.a, ...onlyA.a], [...both.b, ...healthCheck]);
    expect(d.summary.pairs).toBe(1);
    expect(d.onlyA.map((x) => x.client)).toEqual(['203.0.113.41:43001']);
    expect(d.onlyB.map((x) => x.client)).toEqual([`${LB}:9999`]);
    expect(d.findings.find((f) => f.code === 'ONLY_A')?.count).toBe(1);
  });

  it('packets missing at B (no SYN, no handshake ACK captured): still paired, by TOA on the data', async () => {
    const c = front({
      client: '203.0.113.50',
      cport: 44000,
      lport: 8100,
      t0: T0,
      offset: 1,
      bSkip: ['syn', 'ack'],
    });
    const d = await compare(c.a, c.b, 'front');
    expect(d.pairs).toHaveLength(1);
    expect(d.pairs[0]!.change).toBe('TOA_INSERTED');
    expect(d.pairs[0]!.matchedBy).toContain('toa');
    const syn = d.pairs[0]!.packets.find((p) => p.packet === 'syn')!;
    expect(syn.b).toBeNull();
    expect(syn.a).not.toBeNull();
  });
});

/** one LB → RS connection seen at the LB egress (A) and at the backend (B) */
function pathConn(
  i: number,
  a: Partial<Parameters<typeof leg>[0]>,
  b: Partial<Parameters<typeof leg>[0]>,
  v6 = false,
): { a: Pkt[]; b: Pkt[] } {
  const base = {
    client: v6 ? LB6 : LB,
    cport: 20000 + i,
    server: v6 ? RS6 : RS,
    sport: 8080,
    t0: T0 + i,
    isn: 7000 + i * 1000,
    request: `GET /p/${i} HTTP/1.1\r\n\r\n`,
  };
  return { a: leg({ ...base, ...a }), b: leg({ ...base, t0: base.t0 + 0.0003 + 5, ...b }) };
}

describe('path mode', () => {
  const toa = withToa('203.0.113.7', 55555);
  const toa6 = withToa('2001:db8:ff::7', 55555);

  it('TOA_INTACT (IPv4 and IPv6), detected as path because A carries TOA', async () => {
    const c4 = pathConn(0, { ackOptions: toa, dataOptions: toa }, { ackOptions: toa, dataOptions: toa });
    const c6 = pathConn(
      1,
      { ackOptions: toa6, dataOptions: toa6 },
      { ackOptions: toa6, dataOptions: toa6 },
      true,
    );
    const d = await compare([...c4.a, ...c6.a], [...c4.b, ...c6.b]);
    expect(d.mode).toBe('path');
    expect(d.summary.changes.TOA_INTACT).toBe(2);
    expect(d.summary.exitCode).toBe(0);
    for (const p of d.pairs) expect(p.matchedBy).toEqual(expect.arrayContaining(['tuple', 'toa', 'isn']));
  });

  it('TOA_STRIPPED on 3 of 3: finding with the middlebox remedy, option lists show what was removed', async () => {
    const cs = [0, 1, 2].map((i) =>
      pathConn(
        i,
        { ackOptions: toa, dataOptions: toa },
        { ackOptions: [...TS_OPT], dataOptions: [...TS_OPT] },
      ),
    );
    const { a, b } = join2(cs);
    const d = await compare(a, b);
    expect(d.mode).toBe('path');
    expect(d.summary.changes.TOA_STRIPPED).toBe(3);
    expect(d.summary.exitCode).toBe(1);
    const f = d.findings[0]!;
    expect(f.code).toBe('TOA_STRIPPED');
    expect(f.title).toBe('TOA present at A but gone at B on 3 of 3 connections');
    expect(f.remediation).toMatch(
      /^the stripped TOA is kind 200: on a Cisco ASA allow it with tcp-options range 200 200 allow/,
    );
    const ack = d.pairs[0]!.packets.find((p) => p.packet === 'ack')!;
    expect(ack.removed).toEqual(['toa 203.0.113.7:55555 (200/8)']);
    expect(ack.added).toEqual([]);
    expect(ack.toaA).toBe('203.0.113.7:55555 (200/8)');
    expect(ack.toaB).toBeNull();
  });

  it('TOA_STRIPPED is detected in path mode even when tuples differ (NAT between) and ISN is rewritten', async () => {
    const c = pathConn(
      3,
      { ackOptions: toa, dataOptions: toa },
      { client: '10.9.9.9', cport: 1111, isn: 99, ackOptions: [...TS_OPT], dataOptions: [...TS_OPT] },
    );
    const d = await compare(c.a, c.b, 'path');
    expect(d.pairs).toHaveLength(1);
    expect(d.pairs[0]!.change).toBe('TOA_STRIPPED');
    expect(d.pairs[0]!.matchedBy).toContain('payload');
  });

  it('TOA_CHANGED: another client address at B', async () => {
    const other = withToa('198.51.100.99', 55555);
    const c = pathConn(4, { ackOptions: toa, dataOptions: toa }, { ackOptions: other, dataOptions: other });
    const d = await compare(c.a, c.b);
    expect(d.pairs[0]!.change).toBe('TOA_CHANGED');
    const ack = d.pairs[0]!.packets.find((p) => p.packet === 'ack')!;
    expect(ack.changed).toEqual([
      { a: 'toa 203.0.113.7:55555 (200/8)', b: 'toa 198.51.100.99:55555 (200/8)' },
    ]);
  });

  it('TOA_CHANGED: another kind at B (200 → 254)', async () => {
    const k254 = [...toaOption(254, '203.0.113.7', 55555), ...TS_OPT];
    const c = pathConn(5, { ackOptions: toa, dataOptions: toa }, { ackOptions: k254, dataOptions: k254 });
    const d = await compare(c.a, c.b);
    expect(d.pairs[0]!.change).toBe('TOA_CHANGED');
    expect(d.pairs[0]!.detail).toMatch(/200\/8.*254\/8/);
  });

  it('CHECKSUM_BROKEN: the TOA-carrying ACK is bad at B only', async () => {
    const c = pathConn(
      6,
      { ackOptions: toa, dataOptions: toa },
      { ackOptions: toa, dataOptions: toa, bad: ['ack'] },
    );
    const d = await compare(c.a, c.b);
    expect(d.pairs[0]!.change).toBe('CHECKSUM_BROKEN');
    const ack = d.pairs[0]!.packets.find((p) => p.packet === 'ack')!;
    expect(ack.checksumA).toBe('ok');
    expect(ack.checksumB).toBe('bad');
    expect(d.summary.exitCode).toBe(1);
  });

  it('TOA_MOVED: on the ACK and data at A, only on the SYN at B', async () => {
    const c = pathConn(
      7,
      { ackOptions: toa, dataOptions: toa },
      {
        synOptions: [...toaOption(200, '203.0.113.7', 55555), ...MSS_OPT],
        ackOptions: [...TS_OPT],
        dataOptions: [...TS_OPT],
      },
    );
    const d = await compare(c.a, c.b);
    expect(d.pairs[0]!.change).toBe('TOA_MOVED');
    expect(d.pairs[0]!.detail).toMatch(/handshake ACK, first data at A, on the SYN at B/);
  });

  it('a packet missing at B is not called stripped: TOA_INTACT on the packets both saw', async () => {
    // A's SYN carries TOA too (Alibaba LVS does); B's capture lost the SYN
    const synToa = [...toaOption(200, '203.0.113.7', 55555), ...MSS_OPT];
    const c = pathConn(
      8,
      { synOptions: synToa, ackOptions: toa, dataOptions: toa },
      { synOptions: synToa, ackOptions: toa, dataOptions: toa, skip: ['syn'] },
    );
    const d = await compare(c.a, c.b);
    expect(d.pairs[0]!.change).toBe('TOA_INTACT');
    expect(d.pairs[0]!.detail).toMatch(/captured at one point only/);
  });

  it('--mode overrides detection and says so', async () => {
    const c = pathConn(9, { ackOptions: toa, dataOptions: toa }, { ackOptions: toa, dataOptions: toa });
    const d = await compare(c.a, c.b, 'front');
    expect(d.mode).toBe('front');
    expect(d.modeSource).toBe('option');
    expect(d.modeReason).toMatch(/detection said path/);
  });
});
