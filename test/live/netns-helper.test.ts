/**
 * Self-test of the namespace test bed: crafted handshakes really complete in the server kernel
 * (the server application accepts and answers), and the capture in the server namespace sees the
 * TOA option on the handshake ACK.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADDR,
  buildFlow,
  capUnavailableReason,
  createNetns,
  destroyNetns,
  injectFlows,
  liveSkipReason,
  type NetnsEnv,
  namespacesExist,
  toaOption,
} from '../helpers/netns.js';

const skip = liveSkipReason([capUnavailableReason()]);

describe.skipIf(skip !== null)('netns test bed', () => {
  let env: NetnsEnv;
  beforeAll(async () => {
    env = await createNetns();
  });
  afterAll(async () => {
    const e = env;
    await destroyNetns(e);
    if (e) expect(namespacesExist(e)).toBe(false);
  });

  it('completes real handshakes whose ACK carries a TOA, over IPv4 and IPv6', async () => {
    const flows = [
      buildFlow(env, { name: 'v4', ackOptions: toaOption(254, '203.0.113.7', 4242) }, 41001),
      buildFlow(env, { name: 'v6', family: 6, ackOptions: toaOption(253, '2001:db8::7', 4242) }, 41002),
    ];
    const res = await injectFlows(env, flows);
    expect(res.map((r) => [r.name, r.synAck, r.replied])).toEqual([
      ['v4', true, true],
      ['v6', true, true],
    ]);
    const accepted = env.serverLog.filter((l) => l.accepted).map((l) => l.accepted as { address: string });
    expect(accepted.map((a) => a.address)).toEqual([`::ffff:${ADDR.client4}`, ADDR.client6]);
  });
});
