import { describe, expect, it } from 'vitest';
import type { Link } from '../helpers/packets.js';
import { captureOf, type Pkt, SCENARIOS, type ScenarioName, scenario } from '../helpers/scenarios.js';
import { analyze, flowsOf } from './util.js';

/** one connection of every scenario, interleaved in time */
function allScenarios(): { conns: Pkt[][]; want: Map<number, string> } {
  const conns: Pkt[][] = [];
  const want = new Map<number, string>();
  SCENARIOS.forEach((s, i) => {
    conns.push(s.build(i, 1_700_000_000 + i * 0.0007));
    want.set(30000 + i, s.verdict);
  });
  return { conns, want };
}

describe('same verdicts whatever the link type and file format', () => {
  const { conns, want } = allScenarios();
  const cases: Array<[Link, 'pcap' | 'pcapng']> = [
    ['en10mb', 'pcap'],
    ['sll2', 'pcap'],
    ['sll', 'pcap'],
    ['vlan', 'pcap'],
    ['raw', 'pcap'],
    ['en10mb', 'pcapng'],
    ['sll2', 'pcapng'],
  ];
  for (const [link, fmt] of cases) {
    it(`${link} / ${fmt}`, () => {
      const r = analyze(captureOf(conns, link, fmt));
      const flows = flowsOf(r);
      expect(flows).toHaveLength(SCENARIOS.length);
      for (const f of flows) expect(f.verdict, `${f.client.port} ${f.reason}`).toBe(want.get(f.client.port));
      expect(r.stats.decode.ok).toBe(r.stats.packets);
    });
  }

  it('IPv4 and IPv6 flows side by side', () => {
    const names: ScenarioName[] = ['ok-200', 'ok-v6-254-20', 'ok-v6-253-20', 'nat64-253'];
    const r = analyze(captureOf(names.map((n, i) => scenario(n).build(i, 1_700_000_000 + i * 0.001))));
    expect(r.stats.ipv4Flows).toBe(2);
    expect(r.stats.ipv6Flows).toBe(2);
    const v6 = flowsOf(r).filter((f) => f.family === 'ipv6');
    expect(v6.map((f) => f.verdict)).toEqual(['TOA_OK', 'TOA_OK']);
    expect(v6[0]!.client.address).toBe('2001:db8:1::2');
    expect(v6[0]!.toa?.address).toBe('2001:db8:ff::101');
  });

  it('several captures fed to one analyzer are analysed together', () => {
    const a = captureOf([scenario('ok-200').build(1, 1_700_000_000)]);
    const b = captureOf([scenario('missing').build(2, 1_700_000_001)]);
    const r = analyze(Buffer.concat([a])); // sanity
    expect(r.stats.flows).toBe(1);
    const both = analyzeMany([a, b]);
    expect(both.stats.flows).toBe(2);
    expect(both.stats.verdicts.TOA_OK).toBe(1);
    expect(both.stats.verdicts.TOA_MISSING).toBe(1);
  });
});

import { readCaptureBuffer } from '../../src/capture/reader.js';
import { Analyzer } from '../../src/flow/analyzer.js';

function analyzeMany(bufs: Buffer[]) {
  const a = new Analyzer();
  for (const b of bufs) readCaptureBuffer(b, (f) => a.push(f));
  return a.finish();
}
