/**
 * read with packet selection: a trailing pcap-filter expression gives the report tcpdump's own
 * selection of the same file gives (tcpdump -r FILE -w - EXPR, then read); --port/--host select
 * the same way on one thread and on several.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tcpdumpSkipReason } from '../helpers/tools.js';

const ROOT = join(import.meta.dirname, '../..');
const SAMPLE = join(ROOT, 'fixtures/samples/demo.pcap');

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/toa-doctor.js'), ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
    maxBuffer: 64 << 20,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** the report without the input summary (which names the file and counts every packet read) */
function analysis(json: string): unknown {
  const doc = JSON.parse(json) as Record<string, unknown>;
  const { input: _i, generated: _g, ...rest } = doc;
  const summary = { ...(rest.summary as Record<string, unknown>) };
  delete summary.linkTypes;
  return { ...rest, summary };
}

describe.skipIf(tcpdumpSkipReason('read expression test') !== null)('read FILE EXPRESSION', () => {
  it('gives the report of the packets tcpdump selects', () => {
    const dir = mkdtempSync(join(tmpdir(), 'toa-read-sel-'));
    for (const expr of ['tcp port 80', 'not net 100.64.0.0/10', 'tcp[tcpflags] & tcp-push == 0']) {
      const pre = join(dir, 'pre.pcap');
      const td = spawnSync('tcpdump', ['-r', SAMPLE, '-w', '-', expr], { maxBuffer: 64 << 20 });
      expect(td.status).toBe(0);
      writeFileSync(pre, td.stdout);
      const want = cli(['read', pre, '--json', '--flows', 'all']);
      const got = cli(['read', SAMPLE, ...expr.split(' '), '--json', '--flows', 'all']);
      expect(got.err).toBe('');
      expect(analysis(got.out), expr).toEqual(analysis(want.out));
      const r = cli(['read', '-r', SAMPLE, '--json', '--flows', 'all', expr]);
      expect(analysis(r.out), `-r ${expr}`).toEqual(analysis(want.out));
      const th = cli(['read', SAMPLE, expr, '--threads', '2', '--json', '--flows', 'all']);
      expect(analysis(th.out), `--threads 2 ${expr}`).toEqual(analysis(want.out));
    }
  });
});

describe('read --port / --host', () => {
  it('select packets, the same on one thread and on two', () => {
    const all = JSON.parse(cli(['read', SAMPLE, '--json', '--flows', 'all']).out);
    const port = all.flows[0].server.split(':').pop();
    const one = cli(['read', SAMPLE, '--port', port, '--json', '--flows', 'all']);
    expect(one.code === 0 || one.code === 1).toBe(true);
    const doc = JSON.parse(one.out);
    expect(doc.flows.length).toBeGreaterThan(0);
    expect(doc.flows.every((f: { server: string }) => f.server.endsWith(`:${port}`))).toBe(true);
    const two = cli(['read', SAMPLE, '--port', port, '--threads', '2', '--json', '--flows', 'all']);
    expect(analysis(two.out)).toEqual(analysis(one.out));
    const client = all.flows[0].client.replace(/:\d+$/, '');
    const h = JSON.parse(cli(['read', SAMPLE, '--host', `${client}/32`, '--json', '--flows', 'all']).out);
    expect(h.flows.length).toBeGreaterThan(0);
    expect(h.flows.length).toBeLessThan(all.flows.length);
  });
});
