/**
 * Every usage/input error of every command is exactly two lines on stderr — `toa-doctor: ...` and
 * `  hint: ...` — nothing on stdout, exit 2 (README "Exit codes"; issue #12). Commander's own
 * errors (unknown option, missing argument, bad choice, unknown command) included.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = new URL('../..', import.meta.url).pathname;
const DEMO = join(ROOT, 'fixtures/samples/demo.pcap');
const dir = mkdtempSync(join(tmpdir(), 'toa-usage-'));
const TEXT = join(dir, 'notes.txt');
writeFileSync(TEXT, 'not a capture\n');
const isRoot = process.getuid?.() === 0;

function run(args: string[]) {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/toa-doctor.js'), ...args], {
    cwd: dir,
    encoding: 'utf8',
    input: '',
    env: { ...process.env, NO_COLOR: '1' },
    timeout: 30_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** [args, what the first line must say] */
const CASES: Array<[string[], RegExp]> = [
  // commander's own errors
  [['read', '--foo', DEMO], /^unknown option '--foo'$/],
  [['read', '--jsn', DEMO], /^unknown option '--jsn'$/],
  // files are optional words since `read -r FILE` (tcpdump style): read's own check says it
  [['read'], /^no capture file given$/],
  [['print'], /^no capture file given$/],
  [['print', DEMO, '--count'], /argument missing$/],
  [['host', '--root'], /argument missing$/],
  [['live', 'lo', '--engine', 'foo'], /argument 'foo' is invalid/],
  [['bogus'], /^unknown command 'bogus'$/],
  [['interfaces', '--bogus'], /^unknown option '--bogus'$/],
  [['bundle', '--bogus'], /^unknown option '--bogus'$/],
  [['collector-script', '--bogus'], /^unknown option '--bogus'$/],
  [['interfaces', 'extra'], /^too many arguments for 'interfaces'/],
  [['collector-script', '-o', join(dir, 'no/such/dir/c.sh')], /c\.sh: cannot write \(no such directory\)$/],
  [['live', 'lo', '--host-dir', join(dir, 'nope')], /^no such host snapshot directory: /],
  // read
  [['read', DEMO, '--flows', 'some'], /^--flows: unknown value "some"$/],
  [['read', DEMO, '--profile', 'azure'], /^unknown profile "azure"$/],
  [['read', DEMO, '--max-flows', '0'], /^--max-flows: not a positive whole number: 0$/],
  [['read', DEMO, '--threads', 'x'], /^--threads: not a positive whole number: x$/],
  [['read', DEMO, '--lb', '10.0.0.0/33'], /^--lb: not an IP address or CIDR/],
  [['read', DEMO, '--host-dir', join(dir, 'nope')], /^no such host snapshot directory: /],
  // --host now selects packets; a path that is no directory is neither (the snapshot is --host-dir)
  [
    ['read', DEMO, '--host', join(dir, 'nope')],
    /^--host .*: no such directory, and not an address or network$/,
  ],
  [['read', DEMO, '--host', 'example.com'], /^--host: not an IPv4\/IPv6 address or network: "example\.com"$/],
  [['read', DEMO, '--port', '70000'], /^--port: 70000 is more than 65535$/],
  [['read', DEMO, '--json', '--markdown'], /cannot be combined/],
  [['read', join(dir, 'missing.pcap')], /no such file$/],
  [['read', TEXT], /not a pcap or pcapng file: looks like text$/],
  [['read', '-', '-'], /can be read only once/],
  // print
  [['print', '-c', '-1', DEMO], /^-c: not a positive whole number: -1$/],
  [['print', '-c', 'ten', DEMO], /^-c: not a positive whole number: ten$/],
  [['print', '--port', '70000', DEMO], /^--port: 70000 is more than 65535$/],
  [['print', TEXT], /looks like text$/],
  [['print', '--port', 'http', DEMO], /^--port: not a whole number: http$/],
  [['print', '-s', '300000', DEMO], /^-s: 300000 is more than 262144$/],
  // host
  [['host', '--interval', '0'], /^--interval: not a positive number of seconds: 0$/],
  [['host', '--interval', '-1'], /^--interval: not a positive number of seconds: -1$/],
  [['host', '--count', '3'], /^--count needs --interval$/],
  [['host', '--interval', '1', '--count', '1'], /^--count must be at least 2/],
  [['host', '--root', join(dir, 'nope')], /^--root: no such directory: /],
  [['host', '--format', 'yaml'], /^unknown --format yaml$/],
  [['host', '--json', '--markdown'], /^conflicting output formats/],
  // live (all checked before any capture starts: no root needed)
  [['live', 'lo', '--duration', '-1'], /^--duration: not a positive number of seconds: -1$/],
  [['live', 'lo', '--duration', '0'], /^--duration: not a positive number of seconds: 0$/],
  [['live', 'lo', '-c', '0'], /^-c: not a positive whole number: 0$/],
  [['live', 'lo', '--max-flows', '1.5'], /^--max-flows: not a positive whole number: 1\.5$/],
  [['live', 'lo', '--profile', 'azure'], /^unknown profile "azure"$/],
  [['live', 'lo', '--lb', 'nonsense'], /lb|CIDR|address/i],
  // bundle
  [['bundle', '--duration', 'soon'], /^--duration: not a positive number of seconds: soon$/],
  [['bundle', '--max-bytes', '10'], /^--max-bytes: 10 is less than 1024 bytes$/],
  [['bundle', '--profile', 'azure'], /^unknown profile "azure"$/],
  [['bundle', '-i', 'lo', '--from-pcap', DEMO], /either -i IFACE or --from-pcap/],
  [['bundle', '--lb', 'nonsense'], /^--lb: not an IP address or CIDR: nonsense$/],
  [['bundle', '--port', '70000'], /^--port: 70000 is more than 65535$/],
  [['bundle', '--max-bytes', 'lots'], /^--max-bytes: not a size: lots$/],
  [['bundle', '--from-pcap', join(dir, 'nope.pcap')], /nope\.pcap: no such file$/],
  // the same mistakes in the other commands
  [['live', 'lo', '-w', join(dir, 'no/such/dir/x.pcap')], /x\.pcap: cannot write \(no such directory\)$/],
  [['compare', DEMO, DEMO, '--lb', 'nonsense'], /^--lb: not an IP address or CIDR: nonsense$/],
  [['compare', DEMO, DEMO, '--profile', 'azure'], /^unknown profile "azure"$/],
  [['compare', DEMO, DEMO, '--mode', 'sideways'], /^--mode: expected front or path/],
  [['report', join(dir, 'missing.json'), '--html', 'x.html'], /missing\.json: no such file$/],
  [['report', TEXT, '--html', 'x.html'], /not valid JSON/],
  [['exporter', 'lo', '--profile', 'azure'], /^unknown profile "azure"$/],
  [['exporter', 'lo', '--settle', '0'], /^--settle: not a positive number of seconds: 0$/],
  [['exporter', 'lo', '--max-flows', '1.5'], /^--max-flows: not a positive whole number: 1\.5$/],
  [['exporter', 'lo', '--root', join(dir, 'nope')], /^--root: no such directory: /],
  [['exporter', 'lo', '--listen', 'nowhere'], /^--listen: not ADDR:PORT/],
  [['lab', '--port', '0'], /^--port: 0 is less than 1$/],
  [['lab', '--reader', 'foo'], /^--reader: unknown value "foo"$/],
  [['probe', '--packets', 'foo'], /^--packets: not a packet list: foo$/],
  [['read', TEXT.replace('notes.txt', '')], /: is a directory, not a capture file$/],
];

describe('usage errors: two lines, exit 2', () => {
  for (const [args, first] of CASES) {
    it(`toa-doctor ${args.map((a) => a.replace(dir, 'DIR').replace(ROOT, '')).join(' ')}`, () => {
      const r = run(args);
      const lines = r.err.split('\n');
      expect(lines.at(-1)).toBe(''); // ends with a newline
      expect(lines.slice(0, -1), r.err).toHaveLength(2);
      expect(lines[0]).toMatch(/^toa-doctor: /);
      expect(lines[0]!.slice('toa-doctor: '.length)).toMatch(first);
      expect(lines[1]).toMatch(/^ {2}hint: \S/);
      expect(r.err).not.toMatch(/\bat .*\.(js|ts):\d+|cap-child|Error:/);
      expect(r.out).toBe('');
      expect(r.code).toBe(2);
    });
  }

  it('a "Did you mean" from commander becomes the hint', () => {
    expect(run(['read', '--jsn', DEMO]).err).toContain(
      '  hint: did you mean --json? (`toa-doctor read --help` shows the usage)',
    );
    expect(run(['raed', DEMO]).err).toBe(
      "toa-doctor: unknown command 'raed'\n  hint: did you mean read? (`toa-doctor --help` lists the commands)\n",
    );
  });

  it('--lb, --duration and --max-flows are worded alike in every command', () => {
    const lb = run(['read', DEMO, '--lb', 'nonsense']).err;
    for (const args of [
      ['live', 'lo', '--lb', 'nonsense'],
      ['bundle', '--lb', 'nonsense'],
      ['compare', DEMO, DEMO, '--lb', 'nonsense'],
    ])
      expect(run(args).err).toBe(lb);
    const first = (args: string[]) => run(args).err.split('\n')[0];
    expect(first(['bundle', '--duration', '0'])).toBe(first(['live', 'lo', '--duration', '0']));
    const maxFlows = first(['read', DEMO, '--max-flows', '0']);
    for (const args of [
      ['live', 'lo', '--max-flows', '0'],
      ['exporter', 'lo', '--max-flows', '0'],
      ['compare', DEMO, DEMO, '--max-flows', '0'],
    ])
      expect(first(args)).toBe(maxFlows);
  });

  it('read --profile and live --profile are worded alike', () => {
    const a = run(['read', DEMO, '--profile', 'azure']).err;
    const b = run(['live', 'lo', '--profile', 'azure']).err;
    const c = run(['bundle', '--profile', 'azure']).err;
    expect(b).toBe(a);
    expect(c).toBe(a);
    expect(run(['exporter', 'lo', '--profile', 'azure']).err).toBe(a);
    expect(run(['compare', DEMO, DEMO, '--profile', 'azure']).err).toBe(a);
  });

  it.skipIf(!isRoot)('a bad --filter names the filter, without the capture child process prefix', () => {
    for (const engine of ['tcpdump', 'cap']) {
      const r = run([
        'live',
        'lo',
        '--engine',
        engine,
        '--filter',
        'tcp and and',
        '--duration',
        '1',
        '--json',
      ]);
      if (engine === 'cap' && /cap engine/.test(r.err)) continue; // libpcap binding not built here
      const lines = r.err.split('\n').filter((l) => !l.startsWith('toa-doctor: capturing'));
      expect(lines.filter(Boolean), r.err).toHaveLength(2);
      expect(lines[0]).toMatch(/^toa-doctor: invalid capture filter 'tcp and and': /);
      expect(r.err).not.toContain('cap-child');
      expect(r.err).not.toContain('tcpdump: ');
      expect(r.code).toBe(2);
    }
  });
});
