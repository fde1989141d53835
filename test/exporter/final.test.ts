/**
 * When the exporter counts a connection (src/exporter/final.ts): once, when its verdict is final,
 * with the same verdict the offline analyzer gives; and the table stays bounded.
 */
import { describe, expect, it } from 'vitest';
import { createFrame, LinkType } from '../../src/capture/types.js';
import { Finalizer, type FinalOptions, type JudgedConnection } from '../../src/exporter/final.js';
import { Analyzer } from '../../src/flow/analyzer.js';
import { connection, ipTcp, MSS_OPT, toaOption } from '../helpers/packets.js';
import { type Pkt, SCENARIOS } from '../helpers/scenarios.js';

const OPTS: FinalOptions = { settleSec: 2, idleSec: 60, lingerSec: 10 };

function rig(opts: Partial<FinalOptions> = {}, maxFlows = 100_000) {
  const judged: JudgedConnection[] = [];
  let unjudged = 0;
  let fin: Finalizer | null = null;
  const analyzer = new Analyzer({
    maxFlows,
    initialSlots: Math.min(maxFlows, 1024),
    onSlotDone: (slot, v) => fin!.onEvicted(slot, v),
  });
  fin = new Finalizer(
    analyzer,
    { ...OPTS, ...opts },
    (c) => judged.push(c),
    () => unjudged++,
  );
  const frame = createFrame(Buffer.alloc(0), LinkType.RAW);
  const push = (p: Pkt) => {
    frame.buf = p.ip;
    frame.offset = 0;
    frame.capturedLength = p.ip.length;
    frame.originalLength = p.ip.length;
    frame.tsSec = Math.floor(p.ts);
    frame.tsNsec = Math.round((p.ts - Math.floor(p.ts)) * 1e9);
    analyzer.push(frame);
  };
  return { analyzer, fin, judged, push, unjudged: () => unjudged };
}

const T0 = 1_700_000_000;
const base = { src: '10.0.0.1', dst: '10.0.1.5', sport: 40000, dport: 443 };
const back = { src: '10.0.1.5', dst: '10.0.0.1', sport: 443, dport: 40000 };
const handshake = (ackOptions: number[] = [], sport = 40000): Pkt[] => [
  { ip: ipTcp({ ...base, sport, flags: 'S', seq: 1000, options: [...MSS_OPT] }), ts: T0 },
  {
    ip: ipTcp({ ...back, dport: sport, flags: 'SA', seq: 5000, ack: 1001, options: [...MSS_OPT] }),
    ts: T0 + 0.001,
  },
  { ip: ipTcp({ ...base, sport, flags: 'A', seq: 1001, ack: 5001, options: ackOptions }), ts: T0 + 0.002 },
];

describe('Finalizer', () => {
  it('every scenario is counted once, with the verdict the offline analyzer gives', () => {
    for (const sc of SCENARIOS) {
      const r = rig();
      const oracle = new Analyzer({});
      const pkts = sc.build(0, T0);
      for (const p of pkts) r.push(p);
      const frame = createFrame(Buffer.alloc(0), LinkType.RAW);
      for (const p of pkts) {
        frame.buf = p.ip;
        frame.capturedLength = frame.originalLength = p.ip.length;
        frame.tsSec = Math.floor(p.ts);
        frame.tsNsec = Math.round((p.ts - frame.tsSec) * 1e9);
        oracle.push(frame);
      }
      const flows = [...oracle.finish().flows];
      expect(
        flows.map((f) => f.verdict),
        sc.name,
      ).toEqual([sc.verdict]);
      const last = pkts[pkts.length - 1]!.ts;
      for (let t = last; t < last + 70; t += 1) r.fin.sweep(t);
      // a connection whose start (SYN or SYN-ACK) was not seen is not the exporter's to judge:
      // it may have started before the exporter; it is released and counted as unjudged
      const started = flows.filter((f) => f.syn || f.synAck);
      expect(
        r.judged.map((j) => j.verdict),
        sc.name,
      ).toEqual(started.map((f) => f.verdict));
      expect(r.unjudged(), sc.name).toBe(flows.length - started.length);
      // closed connections leave the table after --linger
      expect(r.analyzer.flowTable.count, sc.name).toBe(0);
      r.fin.flush();
      expect(r.judged.length, sc.name).toBe(started.length);
    }
  });

  it('waits --settle after the handshake ACK, then counts once; later packets do not count it again', () => {
    const r = rig();
    for (const p of handshake()) r.push(p);
    r.fin.sweep(T0 + 1);
    expect(r.judged).toEqual([]);
    r.fin.sweep(T0 + 2.01);
    expect(r.judged.map((j) => [j.verdict, j.reason, j.serverPort])).toEqual([
      ['TOA_MISSING', 'settled', 443],
    ]);
    r.push({ ip: ipTcp({ ...base, flags: 'PA', seq: 1001, ack: 5001, payload: 'x' }), ts: T0 + 3 });
    r.push({ ip: ipTcp({ ...base, flags: 'FA', seq: 1002, ack: 5001 }), ts: T0 + 4 });
    for (let t = T0 + 3; t < T0 + 20; t++) r.fin.sweep(t);
    expect(r.judged).toHaveLength(1);
    expect(r.analyzer.flowTable.count).toBe(0);
  });

  it('a TOA on the first data within --settle makes TOA_LATE (counted when the data is seen)', () => {
    const r = rig();
    for (const p of handshake()) r.push(p);
    r.push({
      ip: ipTcp({
        ...base,
        flags: 'PA',
        seq: 1001,
        ack: 5001,
        payload: 'GET',
        options: toaOption(254, '203.0.113.9', 1234),
      }),
      ts: T0 + 0.5,
    });
    r.fin.sweep(T0 + 0.6);
    expect(r.judged.map((j) => [j.verdict, j.variant, j.packet, j.reason])).toEqual([
      ['TOA_LATE', 'toa-254-8', 'data', 'data'],
    ]);
  });

  it('the TOA the module reads: variant and packet labels', () => {
    const r = rig();
    for (const p of handshake(toaOption(200, '203.0.113.9', 1234))) r.push(p);
    r.fin.sweep(T0 + 5);
    expect(r.judged.map((j) => [j.verdict, j.variant, j.packet])).toEqual([['TOA_OK', 'toa-200-8', 'ack']]);
  });

  it('a handshake that never completes is INCOMPLETE after --idle-timeout, then released', () => {
    const r = rig({ idleSec: 30 });
    r.push(handshake()[0]!);
    r.fin.sweep(T0 + 29);
    expect(r.judged).toEqual([]);
    r.fin.sweep(T0 + 31);
    expect(r.judged.map((j) => [j.verdict, j.reason])).toEqual([['INCOMPLETE', 'idle']]);
    expect(r.analyzer.flowTable.count).toBe(0);
  });

  it('a flow whose start was never seen is not counted, only released (unjudged)', () => {
    const r = rig({ idleSec: 30 });
    r.push({ ip: ipTcp({ ...base, flags: 'A', seq: 9, ack: 9 }), ts: T0 });
    r.push({ ip: ipTcp({ ...back, flags: 'A', seq: 9, ack: 9 }), ts: T0 + 1 });
    r.fin.sweep(T0 + 40);
    expect(r.judged).toEqual([]);
    expect(r.unjudged()).toBe(1);
    expect(r.analyzer.flowTable.count).toBe(0);
  });

  it('a full table evicts: each evicted connection is still counted exactly once', () => {
    const r = rig({}, 4);
    for (let i = 0; i < 10; i++) for (const p of handshake([], 41000 + i)) r.push(p);
    expect(r.analyzer.flowTable.count).toBeLessThanOrEqual(4);
    expect(r.judged.filter((j) => j.reason === 'evicted')).toHaveLength(6);
    r.fin.flush();
    expect(r.judged).toHaveLength(10);
    expect(new Set(r.judged.map((j) => j.verdict))).toEqual(new Set(['TOA_MISSING']));
  });

  it('stays bounded over a long run: 1,000 connections/s for 25 s, every one counted once', () => {
    const r = rig();
    let maxTracked = 0;
    let n = 0;
    for (let sec = 0; sec < 25; sec++) {
      for (let k = 0; k < 1000; k++) {
        const t0 = T0 + sec + k / 1000;
        const c = connection({
          client: `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`,
          server: '10.255.0.1',
          cport: 1024 + (n % 60000),
          sport: 80,
          ackOptions: toaOption(254, '203.0.113.1', 1),
          t0,
        });
        for (const p of c) r.push(p);
        n++;
      }
      r.fin.sweep(T0 + sec + 1);
      maxTracked = Math.max(maxTracked, r.analyzer.flowTable.count);
    }
    r.fin.flush();
    expect(r.judged).toHaveLength(n);
    expect(r.judged.every((j) => j.verdict === 'TOA_OK')).toBe(true);
    // about --linger + 1 s of connections, never the whole run
    expect(maxTracked).toBeLessThanOrEqual(1000 * (OPTS.lingerSec + 2));
  });
});
