import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generatePcap } from '../../src/bench/generate.js';
import { commandMissingReason, toolSkipReason } from '../helpers/tools.js';

const dir = mkdtempSync(join(tmpdir(), 'toa-bench-gen-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// a missing tcpdump is a printed skip, and a failure under CI (test/helpers/tools.ts)
const NO_TCPDUMP = toolSkipReason([commandMissingReason('tcpdump')], undefined, 'generator tcpdump check');

interface Parsed {
  linkType: number;
  records: number;
  flows: Map<
    string,
    {
      v6: boolean;
      packets: number;
      firstFlags: number;
      first: number;
      last: number;
      toa: Array<[number, number]>;
    }
  >;
  monotonic: boolean;
}

/** A minimal independent pcap + Ethernet/IP/TCP walk (no project code). */
function parse(buf: Buffer): Parsed {
  expect(buf.readUInt32LE(0)).toBe(0xa1b2c3d4);
  const linkType = buf.readUInt32LE(20);
  const flows: Parsed['flows'] = new Map();
  let off = 24;
  let records = 0;
  let lastTs = -1;
  let monotonic = true;
  while (off < buf.length) {
    const ts = buf.readUInt32LE(off) * 1e6 + buf.readUInt32LE(off + 4);
    if (ts < lastTs) monotonic = false;
    lastTs = ts;
    const incl = buf.readUInt32LE(off + 8);
    expect(buf.readUInt32LE(off + 12)).toBe(incl);
    const p = off + 16;
    const etype = buf.readUInt16BE(p + 12);
    const v6 = etype === 0x86dd;
    const ip = p + 14;
    let src: string;
    let dst: string;
    let tcp: number;
    if (v6) {
      expect(buf[ip + 6]).toBe(6);
      src = buf.subarray(ip + 8, ip + 24).toString('hex');
      dst = buf.subarray(ip + 24, ip + 40).toString('hex');
      tcp = ip + 40;
      expect(buf.readUInt16BE(ip + 4)).toBe(incl - 14 - 40);
    } else {
      expect(etype).toBe(0x0800);
      expect(buf[ip + 9]).toBe(6);
      expect(buf.readUInt16BE(ip + 2)).toBe(incl - 14);
      src = buf.subarray(ip + 12, ip + 16).toString('hex');
      dst = buf.subarray(ip + 16, ip + 20).toString('hex');
      tcp = ip + 20;
    }
    const sp = buf.readUInt16BE(tcp);
    const dp = buf.readUInt16BE(tcp + 2);
    const a = `${src}:${sp}`;
    const b = `${dst}:${dp}`;
    const key = a < b ? `${a}-${b}` : `${b}-${a}`;
    const flags = buf[tcp + 13]!;
    let f = flows.get(key);
    if (!f) {
      f = { v6, packets: 0, firstFlags: flags, first: records, last: records, toa: [] };
      flows.set(key, f);
    }
    f.packets++;
    f.last = records;
    // options: collect TOA-shaped (200/8, 254/8, 254/20)
    const doff = (buf[tcp + 12]! >> 4) * 4;
    let o = tcp + 20;
    while (o < tcp + doff) {
      const kind = buf[o]!;
      if (kind === 0) break;
      if (kind === 1) {
        o++;
        continue;
      }
      const len = buf[o + 1]!;
      if (kind === 200 || kind === 254) f.toa.push([kind, len]);
      o += len;
    }
    off = p + incl;
    records++;
  }
  expect(off).toBe(buf.length);
  return { linkType, records, flows, monotonic };
}

describe('bench capture generator', () => {
  it('writes exactly the packets and flows asked for, every 5th flow IPv6, TOA on each handshake ACK', () => {
    const out = join(dir, 'a.pcap');
    const r = generatePcap({ packets: 3000, flows: 600, out, concurrency: 200 });
    expect(r.packets).toBe(3000);
    expect(r.flows).toBe(600);
    expect(r.ipv6Flows).toBe(120);
    const p = parse(readFileSync(out));
    expect(p.linkType).toBe(1);
    expect(p.records).toBe(3000);
    expect(p.monotonic).toBe(true);
    expect(p.flows.size).toBe(600);
    let v6 = 0;
    const kinds = new Map<string, number>();
    for (const f of p.flows.values()) {
      if (f.v6) v6++;
      expect(f.firstFlags).toBe(0x02); // every flow starts with its SYN
      expect(f.toa).toHaveLength(1); // exactly one TOA: on the handshake ACK
      const [kind, len] = f.toa[0]!;
      kinds.set(`${kind}/${len}`, (kinds.get(`${kind}/${len}`) ?? 0) + 1);
      expect(f.v6 ? len === 20 && kind === 254 : len === 8).toBe(true);
    }
    expect(v6).toBe(120);
    expect(kinds.get('254/20')).toBe(120);
    expect(kinds.get('200/8')! + kinds.get('254/8')!).toBe(480);
    expect(kinds.get('200/8')).toBeGreaterThan(100); // a real mix of both IPv4 kinds
    expect(kinds.get('254/8')).toBeGreaterThan(100);
    expect(r.toaFlows).toEqual({
      'toa-200-8': kinds.get('200/8'),
      'toa-254-8': kinds.get('254/8'),
      'toa-254-20': 120,
    });
  });

  it('flows are interleaved (many open at once), not written one after another', () => {
    const out = join(dir, 'b.pcap');
    generatePcap({ packets: 5000, flows: 1000, out, concurrency: 300 });
    const p = parse(readFileSync(out));
    expect(p.flows.size).toBe(1000);
    // number of flows open (first packet seen, last not yet) at each record
    const delta = new Int32Array(5001);
    for (const f of p.flows.values()) {
      delta[f.first]!++;
      delta[f.last + 1]!--;
    }
    let open = 0;
    let maxOpen = 0;
    for (let i = 0; i < 5000; i++) {
      open += delta[i]!;
      maxOpen = Math.max(maxOpen, open);
    }
    expect(maxOpen).toBeGreaterThan(200);
    expect(maxOpen).toBeLessThanOrEqual(300);
  });

  it('hits N exactly for uneven ratios and fewer than 3 packets per flow', () => {
    for (const [n, f] of [
      [1001, 7],
      [10, 3],
      [5, 5],
      [7, 4],
      [12347, 1234],
    ] as const) {
      const out = join(dir, `n${n}-${f}.pcap`);
      generatePcap({ packets: n, flows: f, out });
      const p = parse(readFileSync(out));
      expect(p.records).toBe(n);
      expect(p.flows.size).toBe(f);
    }
  });

  it('is deterministic for a seed and differs for another seed', () => {
    const a = join(dir, 's1.pcap');
    const b = join(dir, 's1b.pcap');
    const c = join(dir, 's2.pcap');
    generatePcap({ packets: 500, flows: 100, out: a, seed: 7 });
    generatePcap({ packets: 500, flows: 100, out: b, seed: 7 });
    generatePcap({ packets: 500, flows: 100, out: c, seed: 8 });
    expect(readFileSync(a).equals(readFileSync(b))).toBe(true);
    expect(readFileSync(a).equals(readFileSync(c))).toBe(false);
  });

  it('rejects impossible requests', () => {
    expect(() => generatePcap({ packets: 3, flows: 4, out: join(dir, 'x.pcap') })).toThrow(RangeError);
    expect(() => generatePcap({ packets: 0, flows: 0, out: join(dir, 'x.pcap') })).toThrow(RangeError);
  });

  it.skipIf(NO_TCPDUMP !== null)(
    'tcpdump reads every packet and finds every IPv4 and TCP checksum correct',
    () => {
      const out = join(dir, 'td.pcap');
      generatePcap({ packets: 4000, flows: 700, out, seed: 3 });
      const r = spawnSync('tcpdump', ['-r', out, '-nn'], { encoding: 'utf8', maxBuffer: 64 << 20 });
      expect(r.status).toBe(0);
      expect(r.stdout.trim().split('\n')).toHaveLength(4000);
      const v = spawnSync('tcpdump', ['-nn', '-vv', '-r', out], { encoding: 'utf8', maxBuffer: 64 << 20 });
      expect(v.status).toBe(0);
      const text = v.stdout;
      expect(text.match(/cksum 0x[0-9a-f]{4} \(correct\)/g)).toHaveLength(4000);
      expect(text).not.toMatch(/incorrect/);
      expect(text).not.toMatch(/bad cksum/);
      // tcpdump shows the TOA kinds as unknown-200 and exp-XXXX (kind 254); 4000/700 ≥ 3 per flow
      const toaLines = text.split('\n').filter((l) => /options \[(unknown-200|exp-)/.test(l));
      expect(toaLines).toHaveLength(700);
    },
  );
});
