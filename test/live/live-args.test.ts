/**
 * `live` takes tcpdump's arguments: `-i IFACE` or a leading interface word, an interface by its
 * `-D` number, and a trailing pcap-filter expression that becomes the kernel filter. Checked on the
 * argument split itself and, for the usage errors, through the CLI (no capture is started).
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { listInterfacesSync } from '../../src/capture/live/index.js';
import { interfaceAndExpression } from '../../src/cli/live.js';
import { REPO } from '../helpers/netns.js';

const base = { engine: 'auto', profile: 'auto', tui: false };
const split = (first: string | undefined, rest: string[], o: Record<string, unknown> = {}) =>
  interfaceAndExpression(first, rest, { ...base, ...o });

function toa(args: string[]) {
  return spawnSync(process.execPath, ['bin/toa-doctor.js', ...args], {
    cwd: REPO,
    encoding: 'utf8',
    timeout: 30_000,
  });
}

describe('live arguments, tcpdump style', () => {
  it('a leading interface, then the expression', () => {
    expect(split('lo', ['tcp', 'port', '8080'])).toEqual({ iface: 'lo', expression: 'tcp port 8080' });
    expect(split('lo', [])).toEqual({ iface: 'lo', expression: undefined });
  });

  it('no interface word: everything is the expression (the default interface is used)', () => {
    expect(split('tcp', ['port', '80'])).toEqual({ iface: undefined, expression: 'tcp port 80' });
    expect(split('host 10.0.0.5 and port 80', [])).toEqual({
      iface: undefined,
      expression: 'host 10.0.0.5 and port 80',
    });
    expect(split('(tcp', ['or', 'udp)'])).toEqual({ iface: undefined, expression: '(tcp or udp)' });
  });

  it('-i IFACE: every word is the expression', () => {
    expect(split('tcp', ['port', '80'], { i: 'lo' })).toEqual({ iface: 'lo', expression: 'tcp port 80' });
  });

  it('an interface by its -D number, positional or with -i', () => {
    const list = listInterfacesSync();
    const lo = list.findIndex((d) => d.name === 'lo') + 1;
    expect(lo).toBeGreaterThan(0);
    expect(split(String(lo), ['tcp']).iface).toBe('lo');
    expect(split(undefined, [], { i: String(lo) }).iface).toBe('lo');
    expect(() => split('999', [])).toThrow(/no interface number 999/);
  });

  it('usage errors: a number past the list, two filters, -p with --promisc, -s with --engine cap', () => {
    for (const [args, msg] of [
      [['live', '999', '--no-tui'], /^toa-doctor: no interface number 999/],
      [['live', 'lo', 'tcp', '--filter', 'udp', '--no-tui'], /^toa-doctor: two filters/],
      [['live', 'lo', '-p', '--promisc', '--no-tui'], /^toa-doctor: -p .* contradict/],
      [['live', 'lo', '-s', '96', '--engine', 'cap', '--no-tui'], /^toa-doctor: -s needs the tcpdump engine/],
      [['live', 'lo', '-Q', 'sideways', '--no-tui'], /^toa-doctor: -Q: expected in, out or inout/],
    ] as const) {
      const r = toa([...args]);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(msg);
      expect(r.stderr).toMatch(/\n {2}hint: /);
    }
  });
});
