import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generatePcap } from '../../src/bench/generate.js';
import { runWorker } from '../../src/bench/worker.js';

const dir = mkdtempSync(join(tmpdir(), 'toa-bench-worker-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('bench worker: flow-table floor', () => {
  it('keys every packet to one of exactly the generated flows (IPv4 and IPv6), growing past its first index', async () => {
    const out = join(dir, 'floor.pcap');
    // 120k flows: 2.5 packets per flow: more flows than the index sized from the packet count holds at 0.7 load
    const g = generatePcap({ packets: 300_000, flows: 120_000, out, concurrency: 500 });
    expect(g.ipv6Flows).toBeGreaterThan(0);
    const r = await runWorker('floor', out);
    expect(r.error).toBeUndefined();
    expect(r.packets).toBe(g.packets);
    expect(r.summaryPackets).toBe(g.packets);
    expect(r.flows).toBe(g.flows);
    expect(r.seconds).toBeGreaterThan(0);
  }, 60_000);
});
