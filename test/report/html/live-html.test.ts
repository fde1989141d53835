/**
 * `live --html OUT`: a real capture in network namespaces (test/helpers/netns.ts) ends with the
 * page, whose ladders show the TOA the injected ACKs carried (the live analyzer keeps option bytes
 * when --html is given). Skips with a reason without root/netns; under CI=true it must run.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildFlow,
  capUnavailableReason,
  createNetns,
  destroyNetns,
  injectFlows,
  liveSkipReason,
  type NetnsEnv,
  runLiveInNs,
  SCENARIOS,
} from '../../helpers/netns.js';

const skip = liveSkipReason([capUnavailableReason()]);

describe.skipIf(skip !== null)('live --html', () => {
  let env: NetnsEnv;
  let dir: string;
  beforeAll(async () => {
    env = await createNetns();
    dir = mkdtempSync(join(tmpdir(), 'toad-live-html-'));
  });
  afterAll(async () => {
    await destroyNetns(env);
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes the page at the end, with a TOA block on the handshake ACK', async () => {
    const page = join(dir, 'live.html');
    const sc = SCENARIOS.find((s) => s.name === 'toa-254-8 ack')!;
    const run = await runLiveInNs(env, [env.serverIf, '--json', '--html', page], async () => {
      await injectFlows(env, [buildFlow(env, sc, 47001)]);
      return 'SIGINT';
    });
    expect([0, 1], run.stderr).toContain(run.code);
    const html = readFileSync(page, 'utf8');
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).toContain('data-v="TOA_OK"');
    // the ladder of that connection: the TOA block (address and kind/length) in the ACK row
    const ack = html.slice(html.indexOf('data-role="ack"'));
    expect(ack.slice(0, ack.indexOf('</g><g class="pkt'))).toContain(`TOA ${sc.realClient} · kind 254 len 8`);
    expect(html).toContain('toa-doctor live');
  });
});
