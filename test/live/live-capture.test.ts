/**
 * `toa-doctor live` against real kernels: inside two network namespaces, crafted handshakes whose
 * ACKs carry each TOA variant really complete in the server kernel while `live` captures on the
 * server's veth end with each engine; every injected flow must get its verdict.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCaptureFile } from '../../src/capture/reader.js';
import {
  ADDR,
  buildFlow,
  capUnavailableReason,
  createNetns,
  destroyNetns,
  injectFlows,
  type LiveRun,
  liveSkipReason,
  type NetnsEnv,
  REPO,
  runLiveInNs,
  SCENARIOS,
  tcpdumpUnavailableReason,
  toaOption,
} from '../helpers/netns.js';

const skipAll = liveSkipReason([capUnavailableReason()]);

function flowEvents(run: LiveRun) {
  return run.events.filter((e) => e.event === 'flow') as Array<{
    client: string;
    server: string;
    verdict: string;
    realClient: string | null;
    toa: { packets: string[] } | null;
  }>;
}

function clientOf(sc: { family?: 4 | 6 }, cport: number): string {
  return sc.family === 6 ? `[${ADDR.client6}]:${cport}` : `${ADDR.client4}:${cport}`;
}

describe.skipIf(skipAll !== null)('live capture in network namespaces', () => {
  let env: NetnsEnv;
  beforeAll(async () => {
    env = await createNetns();
  });
  afterAll(async () => {
    await destroyNetns(env);
  });

  const engines: Array<['cap' | 'tcpdump', number, string | null]> = [
    ['cap', 43000, null],
    ['tcpdump', 44000, tcpdumpUnavailableReason()],
  ];
  for (const [engine, basePort, engineSkip] of engines) {
    const skip = engineSkip ? liveSkipReason([engineSkip]) : null;
    it.skipIf(skip !== null)(`--engine ${engine}: every injected flow gets its verdict`, async () => {
      const flows = SCENARIOS.map((sc, i) => buildFlow(env, sc, basePort + i + 1));
      let injected: Awaited<ReturnType<typeof injectFlows>> = [];
      const run = await runLiveInNs(
        env,
        [env.serverIf, '--engine', engine, '--duration', '5', '--json'],
        async () => {
          injected = await injectFlows(env, flows);
        },
      );
      expect(run.stderr).toContain(`with ${engine}`);
      expect(run.code, run.stderr).not.toBe(2);
      // the server kernel really completed every handshake
      expect(injected.filter((r) => !r.synAck).map((r) => r.name)).toEqual([]);
      const accepted = new Set(
        env.serverLog.filter((l) => l.accepted).map((l) => (l.accepted as { port: number }).port),
      );
      for (const f of flows) expect(accepted.has(f.cport), f.name).toBe(true);

      const events = flowEvents(run);
      const byClient = new Map(events.map((e) => [e.client, e]));
      const got = SCENARIOS.map((sc, i) => [sc.name, byClient.get(clientOf(sc, basePort + i + 1))?.verdict]);
      expect(got).toEqual(SCENARIOS.map((sc) => [sc.name, sc.expect]));
      for (const [i, sc] of SCENARIOS.entries()) {
        if (!sc.realClient) continue;
        expect(byClient.get(clientOf(sc, basePort + i + 1))?.realClient, sc.name).toBe(sc.realClient);
      }
      const report = run.events.at(-1)!;
      expect(report.schema).toBe('toa-doctor/report@1');
      const end = run.events.find((e) => e.event === 'end')!;
      expect(end.reason).toBe('5 s elapsed');
    });
  }

  it('SIGINT ends with the final report and -w writes every captured packet', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'toad-live-'));
    const pcap = join(dir, 'live.pcap');
    const scs = SCENARIOS.slice(0, 4);
    const flows = scs.map((sc, i) => buildFlow(env, sc, 46001 + i));
    const run = await runLiveInNs(env, [env.serverIf, '--json', '-w', pcap], async () => {
      await injectFlows(env, flows);
      return 'SIGINT';
    });
    expect(run.signal).toBeNull();
    expect([0, 1]).toContain(run.code);
    const end = run.events.find((e) => e.event === 'end')!;
    expect(end.reason).toBe('SIGINT');
    expect(end.packets).toBeGreaterThanOrEqual(scs.length * 5);
    expect(end.written).toBe(end.packets);
    const verdicts = flowEvents(run).map((e) => [e.client, e.verdict]);
    expect(verdicts.sort()).toEqual(scs.map((sc, i) => [clientOf(sc, 46001 + i), sc.expect]).sort());
    expect(run.events.at(-1)!.schema).toBe('toa-doctor/report@1');
    let frames = 0;
    const summary = await readCaptureFile(pcap, () => {
      frames++;
    });
    expect(frames).toBe(end.packets);
    expect(summary.warnings).toEqual([]);
    // `read` of the written file gives the report live printed
    const read = spawnSync(process.execPath, [join(REPO, 'bin/toa-doctor.js'), 'read', pcap, '--json'], {
      encoding: 'utf8',
    });
    const doc = JSON.parse(read.stdout) as {
      summary: Record<string, unknown>;
      findings: Array<{ code: string }>;
    };
    const live = run.events.at(-1) as typeof doc;
    expect(doc.summary.verdicts).toEqual(live.summary.verdicts);
    expect(doc.findings.map((f) => f.code)).toEqual(live.findings.map((f) => f.code));
    expect(read.status).toBe(run.code);
  });

  it('the module named by the host evidence judges live flows (ip_vs_ca reads the SYN)', async () => {
    const sc = SCENARIOS.find((x) => x.name === 'syn-only toa-254-8')!;
    const ack = SCENARIOS.find((x) => x.name === 'toa-254-8 ack')!;
    const hostDir = join(REPO, 'fixtures/hosts/ip_vs_ca-syn');
    const run = await runLiveInNs(env, [env.serverIf, '--json', '--host-dir', hostDir], async () => {
      await injectFlows(env, [buildFlow(env, sc, 46101), buildFlow(env, ack, 46102)]);
      return 'SIGINT';
    });
    const verdicts = Object.fromEntries(flowEvents(run).map((e) => [e.client, e.verdict]));
    // tcpopt_addr = 254 in the fixture: the SYN-only TOA is what ip_vs_ca reads, the ACK-only one is late
    expect(verdicts[clientOf(sc, 46101)]).toBe('TOA_OK');
    expect(verdicts[clientOf(ack, 46102)]).toBe('TOA_LATE');
    const doc = run.events.at(-1) as { summary: { model?: { id: string; chosenBy: string } } };
    expect(doc.summary.model).toMatchObject({ id: 'ip_vs_ca', chosenBy: 'host' });
  });

  it('-c N stops after N packets, and every count it reports is N (end event, report, -w file)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'toad-live-c-'));
    const pcap = join(dir, 'c.pcap');
    const flows = SCENARIOS.slice(0, 6).map((sc, i) => buildFlow(env, sc, 46101 + i));
    const run = await runLiveInNs(
      env,
      [env.serverIf, '--json', '-c', '12', '--duration', '20', '-w', pcap],
      async () => {
        await injectFlows(env, flows);
      },
    );
    const end = run.events.find((e) => e.event === 'end')!;
    expect(end.reason).toBe('12 packets captured');
    expect(end.analysed).toBe(12);
    // the engine reads on until it is stopped; what it read past the 12th is not "captured"
    expect(end.packets).toBe(12);
    expect(end.written).toBe(12);
    const report = run.events.at(-1)! as unknown as {
      input: { files: Array<{ packets: number; linkTypes: Record<string, number> }> };
      summary: { packets: number };
    };
    expect(report.input.files[0]!.packets).toBe(12);
    expect(Object.values(report.input.files[0]!.linkTypes).reduce((a, b) => a + b, 0)).toBe(12);
    expect(report.summary.packets).toBe(12);
    let frames = 0;
    await readCaptureFile(pcap, () => {
      frames++;
    });
    expect(frames).toBe(12);
    expect(Number(end.elapsedSec)).toBeLessThan(15);
  });

  it('--profile tencent flags a kind-254 TOA as a kind mismatch', async () => {
    const flows = [
      buildFlow(env, { name: '200', ackOptions: toaOption(200, '203.0.113.7', 4242) }, 46201),
      buildFlow(env, { name: '254', ackOptions: toaOption(254, '203.0.113.7', 4243) }, 46202),
    ];
    const run = await runLiveInNs(
      env,
      [env.serverIf, '--engine', 'tcpdump', '--json', '--profile', 'tencent', '--port', String(env.port)],
      async () => {
        await injectFlows(env, flows);
        return 'SIGTERM';
      },
    );
    expect(run.stderr).toContain(`filter 'tcp and port ${env.port}'`);
    const v = new Map(flowEvents(run).map((e) => [e.client, e.verdict]));
    expect(v.get(`${ADDR.client4}:46201`)).toBe('TOA_OK');
    expect(v.get(`${ADDR.client4}:46202`)).toBe('TOA_KIND_MISMATCH');
    expect(run.events.find((e) => e.event === 'end')!.reason).toBe('SIGTERM');
  });

  it('a trailing expression after the interface is the kernel filter (tcpdump style)', async () => {
    const flows = [
      buildFlow(env, { name: 'kept', ackOptions: toaOption(200, '203.0.113.7', 4242) }, 46601),
      buildFlow(env, { name: 'dropped', ackOptions: toaOption(200, '203.0.113.7', 4243) }, 46602),
    ];
    const run = await runLiveInNs(env, [env.serverIf, '--json', 'tcp', 'port', '46601'], async () => {
      await injectFlows(env, flows);
      return 'SIGTERM';
    });
    expect(run.stderr).toContain("filter 'tcp port 46601'");
    const clients = flowEvents(run).map((e) => e.client);
    expect(clients).toContain(`${ADDR.client4}:46601`);
    expect(clients).not.toContain(`${ADDR.client4}:46602`);
  });

  it('--no-tui prints NDJSON events, then the text report', async () => {
    const flows = [buildFlow(env, SCENARIOS[0]!, 46301)];
    const run = await runLiveInNs(env, [env.serverIf, '--no-tui', '--duration', '3'], async () => {
      await injectFlows(env, flows);
    });
    const lines = run.stdout.trimEnd().split('\n');
    const firstText = lines.findIndex((l) => !l.startsWith('{'));
    expect(firstText).toBeGreaterThan(0);
    expect(lines.slice(0, firstText).map((l) => JSON.parse(l).event)).toEqual(['start', 'flow', 'end']);
    expect(lines.slice(firstText).join('\n')).toMatch(/\S/);
    expect(lines.slice(firstText).every((l) => !l.startsWith('{"event"'))).toBe(true);
  });

  for (const engine of ['cap', 'tcpdump'] as const) {
    it(`--engine ${engine} on \`any\` (Linux cooked headers) gives the same verdicts`, async () => {
      const base = engine === 'cap' ? 46400 : 46500;
      const scs = [SCENARIOS[0]!, SCENARIOS[12]!, SCENARIOS[19]!];
      const flows = scs.map((sc, i) => buildFlow(env, sc, base + i + 1));
      const run = await runLiveInNs(env, ['any', '--engine', engine, '--json'], async () => {
        await injectFlows(env, flows);
        return 'SIGINT';
      });
      const report = run.events.at(-1) as { summary: { linkTypes: Array<{ name: string }> } };
      expect(report.summary.linkTypes.map((l) => l.name)[0]).toMatch(/^LINUX_SLL2?$/);
      const v = new Map(flowEvents(run).map((e) => [e.client, e.verdict]));
      expect(scs.map((sc, i) => v.get(clientOf(sc, base + i + 1)))).toEqual(scs.map((sc) => sc.expect));
    });
  }
});
