/**
 * One colour rule everywhere (README "Colours", https://no-color.org): colours only on a terminal;
 * never with --no-color; never when NO_COLOR is set to a non-empty value (an empty NO_COLOR does
 * not count). Checked on the function and on real terminals (a pty from `script`) for read, print
 * and host; the dashboard's side is in test/tui/dashboard-pty.test.ts.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { colorEnabled } from '../../src/cli/color.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const DEMO = join(ROOT, 'fixtures/samples/demo.pcap');
const tty = { isTTY: true };
const hasScript = spawnSync('sh', ['-c', 'command -v script']).status === 0;

describe('colorEnabled', () => {
  it('follows no-color.org and the flag', () => {
    expect(colorEnabled(undefined, tty, {})).toBe(true);
    expect(colorEnabled(undefined, tty, { NO_COLOR: '1' })).toBe(false);
    expect(colorEnabled(undefined, tty, { NO_COLOR: '0' })).toBe(false); // any non-empty value
    expect(colorEnabled(undefined, tty, { NO_COLOR: '' })).toBe(true); // empty: not set
    expect(colorEnabled(false, tty, {})).toBe(false); // --no-color
    expect(colorEnabled(true, {}, {})).toBe(false); // not a terminal
    expect(colorEnabled(undefined, { isTTY: false }, {})).toBe(false);
  });
});

/** run toa-doctor on a pseudo-terminal; returns what the terminal received */
function onTty(args: string[], env: Record<string, string | undefined>): string {
  const cmd = [process.execPath, join(ROOT, 'bin/toa-doctor.js'), ...args].map((a) => `'${a}'`).join(' ');
  const e: NodeJS.ProcessEnv = {
    ...process.env,
    FORCE_COLOR: undefined,
    COLUMNS: '120',
    TERM: 'xterm-256color',
  };
  delete e.NO_COLOR;
  delete e.FORCE_COLOR;
  for (const [k, v] of Object.entries(env)) if (v !== undefined) e[k] = v;
  const r = spawnSync('script', ['-qfec', cmd, '/dev/null'], { encoding: 'utf8', env: e, timeout: 60_000 });
  return r.stdout;
}

// SGR colour/style sequences (not the cursor or erase sequences a terminal app may also send)
const SGR = /\x1b\[[0-9;]*m/;

describe.skipIf(!hasScript)('on a terminal', () => {
  const commands: Array<[string, string[]]> = [
    ['read', ['read', DEMO]],
    ['print', ['print', DEMO, '-c', '20']],
    ['host', ['host', '--root', join(ROOT, 'fixtures/hosts/no-module')]],
  ];
  for (const [name, args] of commands) {
    it(`${name}: colours by default, none with NO_COLOR=1 or --no-color, colours with NO_COLOR=''`, () => {
      expect(onTty(args, {})).toMatch(SGR);
      expect(onTty(args, { NO_COLOR: '1' })).not.toMatch(SGR);
      expect(onTty(args, { NO_COLOR: '' })).toMatch(SGR);
      expect(onTty([...args, '--no-color'], {})).not.toMatch(SGR);
    });
  }
});
