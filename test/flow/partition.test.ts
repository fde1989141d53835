import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readCaptureBuffer } from '../../src/capture/reader.js';
import type { Frame } from '../../src/capture/types.js';
import { createDecodedPacket, decodePacket } from '../../src/decode/index.js';
import { DecodeStatus } from '../../src/decode/types.js';
import { Analyzer } from '../../src/flow/analyzer.js';
import { mergePartitions, type PartitionSource } from '../../src/flow/merge.js';
import { decodedPartition, quickPartition } from '../../src/flow/partition.js';
import type { AnalysisResult, AnalyzerOptions } from '../../src/flow/result.js';
import type { ProfileName } from '../../src/flow/types.js';
import { ipTcp, LINKTYPE, type Link, linkWrap, writePcap } from '../helpers/packets.js';
import { captureOf, SCENARIOS, scenarioConns } from '../helpers/scenarios.js';

const ROOT = new URL('../..', import.meta.url).pathname;

function sequential(buf: Buffer, opts: AnalyzerOptions): AnalysisResult {
  const a = new Analyzer(opts);
  readCaptureBuffer(buf, (f) => a.push(f));
  return a.finish();
}

/** the same capture through `count` partition analyzers, merged (all in this thread) */
function partitioned(buf: Buffer, opts: AnalyzerOptions, count: number): AnalysisResult {
  const sources: PartitionSource[] = [];
  for (let i = 0; i < count; i++) {
    const a = new Analyzer({ ...opts, partition: { index: i, count } });
    readCaptureBuffer(buf, (f) => a.push(f));
    sources.push({ partial: a.exportPartial(), list: (mask) => a.listFlows(mask) });
  }
  return mergePartitions(sources, {
    profile: opts.profile ?? 'auto',
    maxFlows: opts.maxFlows ?? 1_000_000,
    lb: opts.lb ?? [],
  });
}

/** everything a report reads from a result */
function view(r: AnalysisResult) {
  return {
    stats: r.stats,
    examples: r.examples,
    linkTypes: r.linkTypes,
    evicted: r.evicted,
    firstTs: r.firstTs,
    lastTs: r.lastTs,
    size: r.flows.size,
    verdicts: [...r.flows.verdicts()],
    flows: [...r.flows],
    problems: [...r.flows.filter((v) => v !== 'TOA_OK')],
  };
}

/** every scenario, several connections each, interleaved in time, IPv4 and IPv6 */
function allScenarios(copies: number, link: Link = 'en10mb', format: 'pcap' | 'pcapng' = 'pcap'): Buffer {
  const conns = SCENARIOS.flatMap((s, k) =>
    scenarioConns(s.name, copies, k * copies, 1_700_000_000 + k * 0.0007),
  );
  return captureOf(conns, link, format);
}

describe('partitioned analysis equals one analyzer', () => {
  const links: Array<[Link, 'pcap' | 'pcapng']> = [
    ['en10mb', 'pcap'],
    ['vlan', 'pcap'],
    ['sll2', 'pcapng'],
    ['sll', 'pcap'],
    ['raw', 'pcap'],
    ['loop', 'pcap'],
  ];
  for (const [link, format] of links) {
    it(`every scenario, ${link} ${format}, 2 and 3 partitions`, () => {
      const buf = allScenarios(4, link, format);
      const one = view(sequential(buf, {}));
      expect(one.size).toBe(SCENARIOS.length * 4);
      for (const n of [2, 3]) expect(view(partitioned(buf, {}, n))).toEqual(one);
    });
  }

  for (const profile of ['tencent', 'alibaba-lvs', 'aliyun-cdn'] as ProfileName[]) {
    it(`--profile ${profile} with an --lb list`, () => {
      const buf = allScenarios(3);
      const opts: AnalyzerOptions = { profile, lb: ['10.0.0.0/30', '2001:db8:1::/120'] };
      const one = view(sequential(buf, opts));
      expect(one.stats.outsideLb).toBeGreaterThan(0);
      expect(view(partitioned(buf, opts, 2))).toEqual(one);
    });
  }

  it('the bundled demo capture and every fixture capture', () => {
    const files = [
      join(ROOT, 'fixtures/samples/demo.pcap'),
      ...readdirSync(join(ROOT, 'fixtures/captures')).map((f) => join(ROOT, 'fixtures/captures', f)),
    ];
    for (const f of files) {
      const buf = readFileSync(f);
      const one = view(sequential(buf, {}));
      expect(view(partitioned(buf, {}, 2)), f).toEqual(one);
    }
  });

  it('both partitions get a fair share of many connections', () => {
    const buf = captureOf(scenarioConns('ok-200', 400));
    const shares = [0, 1].map((i) => {
      const a = new Analyzer({ partition: { index: i, count: 2 } });
      readCaptureBuffer(buf, (f) => a.push(f));
      return a.exportPartial().stats.flows;
    });
    expect(shares[0]! + shares[1]!).toBe(400);
    expect(Math.min(...shares)).toBeGreaterThan(120);
  });

  it('random packet soups (port reuse, broken options, cuts, IPv4 and IPv6)', () => {
    const ADDRS = ['10.0.0.1', '10.0.1.5', '10.0.0.2', '2001:db8::1', '2001:db8::5'];
    const pktArb = fc.record({
      a: fc.integer({ min: 0, max: 4 }),
      b: fc.integer({ min: 0, max: 4 }),
      sport: fc.constantFrom(80, 30000, 30001, 30002, 443),
      dport: fc.constantFrom(80, 30000, 443),
      seq: fc.constantFrom(0, 1000, 1001, 5000, 5001),
      ack: fc.constantFrom(0, 1001, 5001),
      flags: fc.constantFrom('S', 'SA', 'A', 'PA', 'FA', 'R'),
      toa: fc.constantFrom(
        [],
        [200, 8, 1, 2, 203, 0, 113, 1],
        [254, 8, 1, 2, 203, 0, 113, 2],
        [8, 1],
        [0, 200, 8],
      ),
      payload: fc.constantFrom('', 'GET / HTTP/1.0\r\n\r\n'),
      cut: fc.integer({ min: 0, max: 60 }),
    });
    fc.assert(
      fc.property(fc.array(pktArb, { maxLength: 80 }), fc.integer({ min: 2, max: 4 }), (pkts, n) => {
        let t = 1_700_000_000;
        const frames = pkts.map((p) => {
          const src = ADDRS[p.a]!;
          let dst = ADDRS[p.b]!;
          if (src.includes(':') !== dst.includes(':')) dst = src.includes(':') ? '2001:db8::5' : '10.0.1.5';
          const ip = ipTcp({
            src,
            dst,
            sport: p.sport,
            dport: p.dport,
            seq: p.seq,
            ack: p.ack,
            flags: p.flags,
            options: [...p.toa],
            payload: p.payload,
          });
          const data = linkWrap('en10mb', ip);
          t += 0.001;
          return {
            data: p.cut > 0 && p.cut < data.length ? data.subarray(0, data.length - p.cut) : data,
            ts: t,
          };
        });
        const buf = writePcap(frames, { linkType: LINKTYPE.en10mb });
        expect(view(partitioned(buf, { initialSlots: 16 }, n))).toEqual(
          view(sequential(buf, { initialSlots: 16 })),
        );
      }),
      { numRuns: 150 },
    );
  });
});

describe('quickPartition', () => {
  it('agrees with the decoded packet on every TCP frame of every fixture, for 2 to 5 partitions', () => {
    const pkt = createDecodedPacket();
    let checked = 0;
    let quick = 0;
    const bufs = [
      ...readdirSync(join(ROOT, 'fixtures/captures')).map((f) =>
        readFileSync(join(ROOT, 'fixtures/captures', f)),
      ),
      allScenarios(2, 'vlan'),
      allScenarios(2, 'sll2', 'pcapng'),
    ];
    for (const buf of bufs) {
      readCaptureBuffer(buf, (f: Frame) => {
        decodePacket(f, pkt);
        for (let n = 2; n <= 5; n++) {
          const q = quickPartition(f, n);
          if (pkt.status !== DecodeStatus.OK) continue;
          checked++;
          if (q >= 0) {
            quick++;
            expect(q).toBe(decodedPartition(f.buf, pkt, n));
          }
        }
      });
    }
    expect(checked).toBeGreaterThan(1000);
    // the fast path decides nearly everything (IPv6 extension headers are the exception)
    expect(quick / checked).toBeGreaterThan(0.9);
  });
});

describe('toa-doctor read --threads', () => {
  it('worker threads give the same report as one thread (JSON, all flows; text)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'toa-par-'));
    const file = join(dir, 'all.pcap');
    writeFileSync(file, allScenarios(20));
    const run = (args: string[]) => {
      const r = spawnSync(process.execPath, [join(ROOT, 'bin/toa-doctor.js'), 'read', file, ...args], {
        encoding: 'utf8',
        env: { ...process.env, NO_COLOR: '1', COLUMNS: '120' },
        maxBuffer: 64 * 1024 * 1024,
      });
      expect(r.stderr).toBe('');
      return { code: r.status, out: r.stdout };
    };
    const one = run(['--json', '--flows', 'all', '--threads', '1']);
    expect(one.code).toBe(1);
    const flows = (JSON.parse(one.out) as { flows: unknown[] }).flows;
    expect(flows).toHaveLength(SCENARIOS.length * 20);
    for (const n of ['2', '3']) expect(run(['--json', '--flows', 'all', '--threads', n])).toEqual(one);
    expect(run(['--threads', '2'])).toEqual(run(['--threads', '1']));
    expect(run(['--markdown', '--threads', '4'])).toEqual(run(['--markdown', '--threads', '1']));
    // --max-flows is the whole analysis' cap: each of N threads gets its Nth once (a worker share once
    // got maxFlows / N², and evicted flows one thread keeps)
    const cap = String(2 * SCENARIOS.length * 20);
    const capped = run(['--json', '--flows', 'all', '--max-flows', cap, '--threads', '1']);
    expect(
      (JSON.parse(capped.out) as { summary: { flows: { evicted: number } } }).summary.flows.evicted,
    ).toBe(0);
    for (const n of ['3', '4'])
      expect(run(['--json', '--flows', 'all', '--max-flows', cap, '--threads', n])).toEqual(capped);
  });

  it('problem flows are fetched from the workers in several batches, in order', () => {
    const dir = mkdtempSync(join(tmpdir(), 'toa-par-'));
    const file = join(dir, 'missing.pcap');
    writeFileSync(
      file,
      captureOf([...scenarioConns('missing', 5000), ...scenarioConns('ok-254', 500, 5000)]),
    );
    const run = (threads: string) =>
      spawnSync(
        process.execPath,
        [join(ROOT, 'bin/toa-doctor.js'), 'read', file, '--json', '--threads', threads],
        {
          encoding: 'utf8',
          maxBuffer: 64 * 1024 * 1024,
        },
      );
    const one = run('1');
    const two = run('2');
    expect(two.stderr).toBe('');
    const doc = JSON.parse(two.stdout) as { flows: Array<{ id: number; verdict: string }> };
    expect(doc.flows).toHaveLength(5000);
    expect(doc.flows.every((f, i) => i === 0 || f.id > doc.flows[i - 1]!.id)).toBe(true);
    expect(two.stdout).toBe(one.stdout);
  });
});
