/**
 * Smoke test of the real dashboard in a real terminal: tmux runs `toa-doctor live` inside the
 * server namespace while crafted flows arrive; the screen must show the header, verdict counts, the
 * flow rows and the host panel; `?` shows the help; `q` ends with the final report.
 */
import { spawnSync } from 'node:child_process';
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
  REPO,
  SCENARIOS,
} from '../helpers/netns.js';

const hasTmux = spawnSync('sh', ['-c', 'command -v tmux'], { stdio: 'ignore' }).status === 0;
const skip = liveSkipReason([capUnavailableReason(), hasTmux ? null : 'tmux is not installed']);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function tmux(...args: string[]): string {
  return spawnSync('tmux', args, { encoding: 'utf8' }).stdout ?? '';
}

describe.skipIf(skip !== null)('dashboard in tmux', () => {
  let env: NetnsEnv;
  const session = `toad-${process.pid}`;
  beforeAll(async () => {
    env = await createNetns();
  });
  afterAll(async () => {
    tmux('kill-session', '-t', session);
    await destroyNetns(env);
  });

  async function screenUntil(ok: (s: string) => boolean, ms = 15_000): Promise<string> {
    const end = Date.now() + ms;
    let s = '';
    while (Date.now() < end) {
      s = tmux('capture-pane', '-p', '-t', session);
      if (ok(s)) return s;
      await sleep(200);
    }
    return s;
  }

  it('shows verdicts, flows, host panel and help; q prints the final report', async () => {
    const hostRoot = join(REPO, 'fixtures/hosts/tencent-healthy');
    const cmd = [
      'ip netns exec',
      env.nsServer,
      process.execPath,
      join(REPO, 'bin/toa-doctor.js'),
      'live',
      env.serverIf,
      '--engine tcpdump',
      `--host-root ${hostRoot}`,
      // judge as auto: without --profile the polled host (tgw_toa) would choose the module model
      '--profile auto',
      '--no-color',
      '; echo TOA_DOCTOR_EXIT=$?; sleep 60',
    ].join(' ');
    tmux('new-session', '-d', '-s', session, '-x', '150', '-y', '50', cmd);
    const started = await screenUntil((s) => s.includes('toa-doctor live'));
    expect(started).toContain(`toa-doctor live  ${env.serverIf}  engine tcpdump  filter 'tcp'`);

    const flows = SCENARIOS.slice(0, 14).map((sc, i) => buildFlow(env, sc, 48001 + i));
    await injectFlows(env, flows);
    const screen = await screenUntil(
      (s) => /OK 6\b/.test(s) && /MISSING 4\b/.test(s) && /SYN-ONLY 1\b/.test(s),
    );
    expect(screen).toMatch(/OK 6\b/);
    expect(screen).toMatch(/MISSING 4\b/);
    expect(screen).toMatch(/SYN-ONLY 1\b/);
    expect(screen).toMatch(/NAT64 3\b/);
    expect(screen).toMatch(/▲ TOA_MISSING \(4 flows, 29%\)/);
    expect(screen).toMatch(
      /-\s+←\s+198\.18\.0\.100:48010\s+→\s+198\.18\.0\.2:8080\s+ACK 201\/6\s+-\s+TOA_MISSING/,
    );
    expect(screen).toMatch(
      /203\.0\.113\.7:4242\s+←\s+198\.18\.0\.100:48001\s+→\s+198\.18\.0\.2:8080\s+ACK\+DATA\s+toa-200-8\s+TOA_OK/,
    );
    expect(screen).toMatch(/host .*tencent-healthy \(polling\)\s+modules: toa: Live/);
    expect(screen).toContain('toa_stats classic');
    expect(screen).toMatch(/q quit\s+p pause\s+v filter: all/);

    tmux('send-keys', '-t', session, '?');
    const help = await screenUntil((s) => s.includes('cycle the verdict filter'));
    expect(help).toContain('Keys');
    tmux('send-keys', '-t', session, '?');
    await screenUntil((s) => !s.includes('cycle the verdict filter'));

    tmux('send-keys', '-t', session, 'q');
    const after = await screenUntil((s) => s.includes('TOA_DOCTOR_EXIT='));
    expect(after).toMatch(/TOA_DOCTOR_EXIT=[01]\b/);
    const full = tmux('capture-pane', '-p', '-S', '-400', '-t', session);
    expect(full).toMatch(/Findings \(\d+\)/);
    expect(full).toContain('live:toad-s');
    expect(full).not.toContain('q quit  p pause');
  });
});
