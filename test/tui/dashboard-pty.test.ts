/**
 * The real dashboard in a real terminal (tmux), issue #12: at 80x24, 120x40, 160x60 and 60x15 the
 * frame fills the screen exactly (title on the first row, footer on row rows-1, ink's cursor on the
 * last), no line wraps or runs past the right edge, ink never clears the terminal after the first
 * frame (no flicker), the verdict and both client ip:port columns are whole; NO_COLOR=1 removes
 * every colour and style escape, and without it the verdicts are coloured.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildFlow,
  createNetns,
  destroyNetns,
  injectFlows,
  liveSkipReason,
  type NetnsEnv,
  REPO,
  SCENARIOS,
  tcpdumpUnavailableReason,
} from '../helpers/netns.js';
import { commandMissingReason } from '../helpers/tools.js';

const skip = liveSkipReason([tcpdumpUnavailableReason(), commandMissingReason('tmux')]);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const tmux = (...args: string[]) => spawnSync('tmux', args, { encoding: 'utf8' }).stdout ?? '';

describe.skipIf(skip !== null)('dashboard in a real terminal', () => {
  let env: NetnsEnv;
  const dir = mkdtempSync(join(tmpdir(), 'toad-pty-'));
  const sessions: string[] = [];
  beforeAll(async () => {
    env = await createNetns();
  });
  afterAll(async () => {
    for (const s of sessions) tmux('kill-session', '-t', s);
    await destroyNetns(env);
    rmSync(dir, { recursive: true, force: true });
  });

  /** start the dashboard in a cols×rows tmux window; returns helpers to read it */
  async function start(cols: number, rows: number, envVars: string) {
    const session = `toad-${process.pid}-${cols}x${rows}${envVars ? '-nc' : ''}`;
    sessions.push(session);
    const log = join(dir, `${session}.out`);
    const cmd = [
      // vitest's workers run with CI=false, which makes chalk (supports-color) drop colours
      `env -u CI -u FORCE_COLOR ${envVars} ip netns exec`,
      env.nsServer,
      process.execPath,
      join(REPO, 'bin/toa-doctor.js'),
      'live',
      env.serverIf,
      '--engine tcpdump',
      `--host-root ${join(REPO, 'fixtures/hosts/vtoa-hookers')}`,
      '; sleep 60',
    ].join(' ');
    tmux('new-session', '-d', '-s', session, '-x', String(cols), '-y', String(rows), `sleep 0.5; ${cmd}`);
    // everything the program writes to the terminal, escapes included
    tmux('pipe-pane', '-t', session, '-o', `cat >> ${log}`);
    const screen = (escapes = false) =>
      tmux('capture-pane', '-p', ...(escapes ? ['-e'] : []), '-t', session).replace(/\n$/, '');
    const until = async (ok: (s: string) => boolean, ms = 15_000) => {
      const end = Date.now() + ms;
      let s = '';
      while (Date.now() < end) {
        s = screen();
        if (ok(s)) return s;
        await sleep(200);
      }
      return s;
    };
    await until((s) => s.includes('toa-doctor live'));
    return { session, screen, until, output: () => readFileSync(log, 'latin1') };
  }

  let port = 49001;
  const sizes: Array<[number, number]> = [
    [80, 24],
    [120, 40],
    [160, 60],
    [60, 15],
  ];
  for (const [cols, rows] of sizes) {
    it(`${cols}x${rows}: the frame is exactly the screen, nothing wraps, ink never clears it`, async () => {
      const t = await start(cols, rows, '');
      const flows = SCENARIOS.slice(0, 10).map((sc) => buildFlow(env, sc, port++));
      await injectFlows(env, flows);
      const s = await t.until((x) => /OK \d+/.test(x) && /MISSING \d+/.test(x));
      await sleep(1500); // several more frames (10/s) after the flows arrived
      const lines = t.screen().split('\n');
      expect(lines, s).toHaveLength(rows);
      expect(lines[0]).toMatch(/^toa-doctor live {2}/);
      expect(lines[rows - 2]).toMatch(/^(q quit|keys unavailable)/);
      expect(lines[rows - 1]).toBe('');
      for (const l of lines) expect(l.length, l).toBeLessThanOrEqual(cols);
      // the flow rows: whole client ip:port on both sides and the whole verdict name
      const rowsShown = lines.filter((l) => /198\.18\.0\.100:\d+/.test(l));
      expect(rowsShown.length).toBeGreaterThan(0);
      for (const l of rowsShown) {
        expect(l).toMatch(/198\.18\.0\.100:490\d\d\b/);
        expect(l, lines.join('\n')).toMatch(/\b(TOA_[A-Z0-9_]+|INCOMPLETE)\s*$/);
      }
      // ink clears the terminal (ESC[2J, ESC[3J) only when a frame is as tall as the screen: never
      const out = t.output();
      const clears = out.split('\x1b[2J').length - 1;
      expect(clears).toBeLessThanOrEqual(1); // the alternate screen's own clear at start
      expect(out).not.toContain('\x1b[3J');
      tmux('send-keys', '-t', t.session, 'q');
    });
  }

  it('NO_COLOR=1: no colour or style escapes in the dashboard; without it, colours', async () => {
    const plain = await start(100, 30, 'NO_COLOR=1');
    const coloured = await start(100, 30, '');
    const flows = SCENARIOS.slice(0, 6).map((sc) => buildFlow(env, sc, port++));
    await injectFlows(env, flows);
    await plain.until((x) => /OK \d+/.test(x));
    await coloured.until((x) => /OK \d+/.test(x));
    await sleep(500);
    expect(plain.screen(true)).not.toMatch(/\x1b\[[0-9;]*m/);
    expect(coloured.screen(true)).toMatch(/\x1b\[[0-9;]*3[1-6]m|\x1b\[3[1-6];/);
    tmux('send-keys', '-t', plain.session, 'q');
    tmux('send-keys', '-t', coloured.session, 'q');
  });
});
