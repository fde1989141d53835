/**
 * `toa-doctor live` against real kernels: inside two network namespaces, crafted handshakes whose
 * ACKs carry each TOA variant really complete in the server kernel while `live` captures on the
 * server's veth end with each engine; every injected flow must get its verdict.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
  runLiveInNs,
  SCENARIOS,
  tcpdumpUnavailableReason,
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
});
