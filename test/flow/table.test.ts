import { describe, expect, it } from 'vitest';
import { readCaptureBuffer } from '../../src/capture/reader.js';
import { Analyzer } from '../../src/flow/analyzer.js';
import type { FlowRecord } from '../../src/flow/types.js';
import { connection, ipTcp, toaOption } from '../helpers/packets.js';
import { captureOf, type Pkt, scenario } from '../helpers/scenarios.js';
import { analyze, flowsOf } from './util.js';

function many(n: number, name: Parameters<typeof scenario>[0] = 'ok-200'): Pkt[][] {
  const s = scenario(name);
  const out: Pkt[][] = [];
  for (let i = 0; i < n; i++) {
    // distinct 5-tuples beyond the scenario's own port range
    const conn = s.build(i % 200, 1_700_000_000 + i * 0.01);
    out.push(
      conn.map((p) => {
        const ip = Buffer.from(p.ip);
        // rewrite both ports to make each connection unique (checksums are not the point here)
        const c = 20000 + i;
        const tcp = ip[0]! >> 4 === 4 ? (ip[0]! & 15) * 4 : 40;
        if (ip.readUInt16BE(tcp) !== 80 && ip.readUInt16BE(tcp) !== 443) ip.writeUInt16BE(c, tcp);
        else ip.writeUInt16BE(c, tcp + 2);
        return { ip, ts: p.ts };
      }),
    );
  }
  return out;
}

describe('flow table bounds', () => {
  it('keeps at most maxFlows, evicts the rest but still counts their verdicts', () => {
    const conns = many(1000);
    const r = analyze(captureOf(conns), { maxFlows: 100 });
    expect(r.flows.size).toBeLessThanOrEqual(100);
    expect(r.evicted).toBe(900);
    expect(r.stats.flows).toBe(1000);
    // checksums were broken by the port rewrite: the ACKs are BAD_CHECKSUM, every flow is counted
    const total = Object.values(r.stats.verdicts).reduce((a, b) => a + b, 0);
    expect(total).toBe(1000);
    expect(r.stats.evicted).toBe(900);
  });

  it('evicts finished flows before open ones', () => {
    // 5 long-lived connections that never finish, then 300 short ones (FIN)
    const long: Pkt[][] = [];
    for (let i = 0; i < 5; i++)
      long.push(
        connection({
          client: `10.9.0.${i + 1}`,
          server: '10.0.1.5',
          cport: 50000 + i,
          sport: 80,
          t0: 1_699_999_999,
          ackOptions: toaOption(200, '203.0.113.9', 9),
          skip: ['fin'],
        }),
      );
    const short = many(300);
    const r = analyze(captureOf([...long, ...short]), { maxFlows: 50 });
    const kept = flowsOf(r);
    for (let i = 0; i < 5; i++) expect(kept.some((f) => f.client.address === `10.9.0.${i + 1}`)).toBe(true);
    expect(r.evicted).toBe(305 - 50);
  });

  it('falls back to the most idle flows when none finished', () => {
    const conns = many(200).map((c) => c.slice(0, 3)); // SYN, SYN-ACK, ACK: no FIN
    const r = analyze(captureOf(conns), { maxFlows: 20 });
    expect(r.flows.size).toBe(20);
    expect(r.evicted).toBe(180);
    // the newest connections survive
    expect(flowsOf(r).every((f) => f.firstTs >= 1_700_000_000 + 170 * 0.01)).toBe(true);
  });

  it('grows its columns past the initial allocation without losing flows (IPv4 and IPv6)', () => {
    const conns = [...many(300), ...many(40, 'ok-v6-254-20')];
    const r = analyze(captureOf(conns), { initialSlots: 8 });
    expect(r.flows.size).toBe(340);
    expect(r.evicted).toBe(0);
    const flows = flowsOf(r);
    expect(new Set(flows.map((f) => `${f.client.address}:${f.client.port}`)).size).toBe(340);
    expect(flows.filter((f) => f.family === 'ipv6').every((f) => f.toa?.family === 'ipv6')).toBe(true);
    const r2 = analyze(captureOf(conns), { initialSlots: 8, maxFlows: 50 });
    expect(r2.flows.size).toBe(50);
    expect(r2.stats.flows).toBe(340);
  });

  it('with a full table, bare ACK/FIN tails of unknown connections are counted, not tracked', () => {
    const conns = many(20).map((c) => c.slice(0, 3));
    const tails: Pkt[][] = [];
    for (let i = 0; i < 15; i++)
      tails.push([
        {
          ip: ipTcp({ src: `10.7.0.${i + 1}`, dst: '10.0.1.5', sport: 5000, dport: 80, flags: 'FA' }),
          ts: 1_700_000_100 + i,
        },
      ]);
    const r = analyze(captureOf([...conns, ...tails]), { maxFlows: 10 });
    expect(r.stats.untrackedPackets).toBe(15);
    expect(r.stats.flows).toBe(20);
    // with room in the table the same tails are tracked (a capture that started late)
    expect(analyze(captureOf(tails), { maxFlows: 100 }).stats.flows).toBe(15);
  });

  it('onFlowDone fires once per flow (evicted and final)', () => {
    const seen: FlowRecord[] = [];
    const a = new Analyzer({ maxFlows: 10, onFlowDone: (f) => seen.push(f) });
    readCaptureBuffer(captureOf(many(40)), (f) => a.push(f));
    const r = a.finish();
    expect(seen).toHaveLength(40);
    expect(new Set(seen.map((f) => f.id)).size).toBe(40);
    expect(r.stats.flows).toBe(40);
  });
});

describe('connection tracking', () => {
  it('a reused 5-tuple with a new ISN is a new flow', () => {
    const c = { client: '10.0.0.1', server: '10.0.1.5', cport: 30000, sport: 80 };
    const first = connection({ ...c, ackOptions: toaOption(200, '203.0.113.1', 1) });
    const second = connection({ ...c, t0: 1_700_000_010 }).map((p) => {
      // shift the client ISN
      const ip = Buffer.from(p.ip);
      if (ip.readUInt16BE(20) === 30000) ip.writeUInt32BE((ip.readUInt32BE(24) + 777) >>> 0, 24);
      else ip.writeUInt32BE((ip.readUInt32BE(28) + 777) >>> 0, 28);
      return { ip, ts: p.ts };
    });
    const r = analyze(captureOf([first, second]));
    const flows = flowsOf(r);
    expect(r.stats.flows).toBe(2);
    // both connections are listed, the old one first; the second carries no TOA
    expect(flows.map((f) => f.syn?.seq)).toEqual([1000, 1777]);
    expect(flows[0]!.verdict).toBe('TOA_OK');
    expect(flows[0]!.toa?.address).toBe('203.0.113.1');
    expect(flows[1]!.toa).toBeNull();
    expect(flows[0]!.id).not.toBe(flows[1]!.id);
  });

  it('a reused 5-tuple while the table is full evicts the old connection and keeps counting', () => {
    const c = { client: '10.0.0.1', server: '10.0.1.5', cport: 30000, sport: 80 };
    const first = connection({ ...c, ackOptions: toaOption(200, '203.0.113.1', 1) });
    const second = connection({ ...c, t0: 1_700_000_010 })
      .slice(0, 1)
      .map((p) => {
        const ip = Buffer.from(p.ip);
        ip.writeUInt32BE(999_999, 24);
        return { ip, ts: p.ts };
      });
    const r = analyze(captureOf([first, second]), { maxFlows: 1 });
    expect(r.stats.flows).toBe(2);
    expect(r.evicted).toBe(1);
    expect(r.stats.verdicts.TOA_OK).toBe(1);
    expect(flowsOf(r)).toHaveLength(1);
    expect(flowsOf(r)[0]!.syn?.seq).toBe(999_999);
  });

  it('counts retransmissions of the SYN, SYN-ACK, ACK and first data', () => {
    const p = connection({ client: '10.0.0.1', server: '10.0.1.5', cport: 30000, sport: 80 });
    const dup = (k: number, dt: number) => ({ ip: p[k]!.ip, ts: p[k]!.ts + dt });
    const pk = [...p, dup(0, 0.0001), dup(1, 0.0001), dup(2, 0.0001), dup(3, 0.0001), dup(3, 0.0002)];
    const [f] = flowsOf(analyze(captureOf([pk])));
    expect(f!.syn?.retransmissions).toBe(1);
    expect(f!.synAck?.retransmissions).toBe(1);
    expect(f!.handshakeAck?.retransmissions).toBe(1);
    expect(f!.firstData?.retransmissions).toBe(2);
  });

  it('without a SYN: the TOA sender is the client', () => {
    const conn = connection({
      client: '10.0.0.1',
      server: '10.0.1.5',
      cport: 1000,
      sport: 8080,
      dataOptions: toaOption(200, '203.0.113.5', 5),
      skip: ['syn', 'synack', 'ack'],
    });
    // the server's response first, so the first packet seen is server → client
    const [f] = flowsOf(analyze(captureOf([conn])));
    expect(f!.clientRule).toBe('toa-sender');
    expect(f!.client).toEqual({ address: '10.0.0.1', port: 1000 });
    expect(f!.verdict).toBe('INCOMPLETE');
    expect(f!.reason).toMatch(/later data carries TOA 200\/8 203\.0\.113\.5:5/);
  });

  it('without SYN and TOA: the higher port is the client', () => {
    const conn = connection({
      client: '10.0.0.1',
      server: '10.0.1.5',
      cport: 45000,
      sport: 443,
      skip: ['syn', 'synack', 'ack'],
    });
    const [f] = flowsOf(analyze(captureOf([conn])));
    expect(f!.clientRule).toBe('higher-port');
    expect(f!.client.port).toBe(45000);
    expect(f!.server.port).toBe(443);
  });

  it('a second TOA on one packet is counted and kept', () => {
    const opts = [...toaOption(200, '203.0.113.1', 1), ...toaOption(254, '198.51.100.1', 2)];
    const r = analyze(
      captureOf([
        connection({ client: '10.0.0.1', server: '10.0.1.5', cport: 1, sport: 80, ackOptions: opts }),
      ]),
    );
    const [f] = flowsOf(r);
    expect(f!.handshakeAck?.toa.map((t) => t.address)).toEqual(['203.0.113.1', '198.51.100.1']);
    expect(f!.verdict).toBe('TOA_INCONSISTENT');
    expect(r.stats.duplicateToa).toBe(1);
  });

  it('snapshot() gives copies, newest first, with provisional verdicts', () => {
    const a = new Analyzer();
    const conns = many(30);
    readCaptureBuffer(captureOf(conns), (f) => a.push(f));
    const snap = a.snapshot(5);
    expect(snap.newest).toHaveLength(5);
    expect(snap.activeFlows).toBe(30);
    expect(snap.packets).toBe(30 * 6);
    expect(Object.values(snap.verdicts).reduce((x, y) => x + y, 0)).toBe(30);
    snap.newest[0]!.verdict = 'TOA_MISSING';
    expect(a.snapshot(5).newest[0]!.verdict).not.toBe('TOA_MISSING');
    expect(snap.newest[0]!.firstTs).toBeGreaterThanOrEqual(snap.newest[4]!.firstTs);
  });

  it('non-TCP, ARP and unknown link types are counted, not fatal', () => {
    const udp = ipTcp({ src: '10.0.0.1', dst: '10.0.0.2', sport: 1, dport: 2 });
    udp[9] = 17; // protocol UDP
    const r = analyze(captureOf([[{ ip: udp, ts: 1_700_000_000 }]]));
    expect(r.stats.decode.notTcp).toBe(1);
    expect(r.stats.flows).toBe(0);
  });
});
