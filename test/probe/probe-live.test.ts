/**
 * `toa-doctor probe` for real (root): on this machine, with no TOA reader, nothing is rewritten
 * (exit 1) and nothing is left behind; with the lab's BPF reader on the probe's cgroup, exactly
 * the variants and packets the reader accepts are rewritten, in both reader modes; SIGTERM in the
 * middle still cleans up; missing privileges and bad flags are one line + hint, exit 2.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BpfSession, checkBpfHost, pidAlive } from '../../src/probe/bpf.js';
import { encodeReaderConfig, type ReaderMode } from '../../src/probe/config.js';
import { bpfUnavailableReason, type Run, runCommand } from '../helpers/bpf.js';
import { liveSkipReason, REPO } from '../helpers/netns.js';

const BIN = join(REPO, 'bin/toa-doctor.js');

const skip = liveSkipReason([bpfUnavailableReason()]);

function runCli(
  args: string[],
  opts: { cgroup?: string; prefix?: string[]; killAfterMs?: number } = {},
): Promise<Run> {
  return runCommand([...(opts.prefix ?? []), process.execPath, BIN, ...args], opts);
}

/**
 * cgroups and bpffs/cgroup2 mounts of probe processes that have exited (other test files may run
 * a probe at the same time: only a dead owner's leftovers count). Programs live as long as their
 * pins and attachments, so these two cover them.
 */
function leftovers(cgroupRoot: string | null): string[] {
  const out: string[] = [];
  const dead = (pid: string | undefined) => !!pid && Number(pid) !== process.pid && !pidAlive(Number(pid));
  for (const n of cgroupRoot ? readdirSync(cgroupRoot) : [])
    if (n.startsWith('toa-doctor-probe-') && dead(/-(\d+)$/.exec(n)?.[1])) out.push(n);
  for (const l of readFileSync('/proc/mounts', 'utf8').split('\n')) {
    const path = l.split(' ')[1] ?? '';
    if (dead(/toa-doctor-(?:bpf|cg)-(\d+)-/.exec(path)?.[1])) out.push(path);
  }
  return out;
}

interface Row {
  variant: string;
  packet: string;
  peer: string;
  expected: string;
  rewritten: boolean;
}

describe.skipIf(skip !== null)('toa-doctor probe (root, BPF)', () => {
  const sessions: BpfSession[] = [];
  afterAll(() => {
    for (const s of sessions) s.close();
  });

  it('with no TOA reader: every variant not rewritten, exit 1, nothing left behind', async () => {
    const host = checkBpfHost();
    const r = await runCli(['probe', '--json', '--no-host']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout) as { schema: string; results: Row[]; findings: Array<{ code: string }> };
    expect(doc.schema).toBe('toa-doctor/probe@1');
    expect(doc.results.length).toBe(20); // 10 variants x (ack, syn)
    expect(doc.results.every((x) => !x.rewritten && x.peer.startsWith('127.0.0.1:'))).toBe(true);
    expect(doc.findings.map((f) => f.code)).toContain('PROBE_NOTHING_REWRITTEN');
    expect(leftovers(host.cgroupRoot)).toEqual([]);
  }, 60_000);

  for (const mode of ['ack', 'syn-or-ack'] as const) {
    it(`with the lab reader (${mode}) on the probe's cgroup: exactly what the reader accepts is rewritten`, async () => {
      const host = checkBpfHost(['insert', 'read']);
      const s = new BpfSession(host, 'probetest');
      sessions.push(s);
      const rd = s.load('read');
      const accepts = ['toa-254-8', 'toa-28-7'];
      s.mapUpdate(
        `${rd.maps}/toa_rd_cfg`,
        new Uint8Array(4),
        encodeReaderConfig(mode as ReaderMode, accepts),
      );
      const cg = s.makeCgroup('backend');
      s.attach(cg, 'sock_ops', `${rd.progs}/toa_read`);
      s.attach(cg, 'getpeername4', `${rd.progs}/toa_peer4`);
      s.attach(cg, 'getpeername6', `${rd.progs}/toa_peer6`);
      const r = await runCli(
        [
          'probe',
          '--json',
          '--no-host',
          '--variants',
          '200/8,254/8,28/7,254/20',
          '--packets',
          'ack,syn,data',
        ],
        { cgroup: cg },
      );
      s.close();
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const doc = JSON.parse(r.stdout) as { results: Row[] };
      const got = doc.results.filter((x) => x.rewritten).map((x) => `${x.variant} ${x.packet}`);
      const want = ['254/8 ack', '28/7 ack', ...(mode === 'syn-or-ack' ? ['254/8 syn', '28/7 syn'] : [])];
      expect(got.sort()).toEqual(want.sort());
      // the option's client; a variant without a port (28/7) keeps the connection's own port
      for (const x of doc.results.filter((y) => y.rewritten))
        expect(x.peer === x.expected || x.peer.startsWith(`${x.expected}:`), x.peer).toBe(true);
      expect(leftovers(host.cgroupRoot)).toEqual([]);
    }, 60_000);
  }

  it('--capture: the variants the capture carries count as what the LB sends', async () => {
    const r = await runCli([
      'probe',
      '--json',
      '--no-host',
      '--variants',
      '200/8',
      '--packets',
      'ack',
      '--capture',
      join(REPO, 'fixtures/samples/demo.pcap'),
    ]);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout) as { findings: Array<{ code: string; detail: string }> };
    const f = doc.findings.filter((x) => x.code === 'PROBE_LB_VARIANT_NOT_READ').map((x) => x.detail);
    expect(f).toEqual(['nothing is rewritten: the LB sends 200/8']);
  }, 60_000);

  it('SIGTERM in the middle: programs, pins and cgroup are removed', async () => {
    const host = checkBpfHost();
    const r = await runCli(['probe', '--json', '--no-host'], { killAfterMs: 1200 });
    expect(r.code).toBe(143);
    expect(leftovers(host.cgroupRoot)).toEqual([]);
  }, 60_000);

  it('without privileges: one line naming what is missing, a hint, exit 2', async () => {
    const r = await runCli(['probe'], {
      prefix: ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--inh-caps=-all'],
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^toa-doctor: probe needs root \(or CAP_BPF, CAP_NET_ADMIN, CAP_SYS_ADMIN\)/);
    expect(r.stderr).toMatch(/\n {2}hint: run it with sudo/);
    expect(r.stderr).not.toMatch(/ at /);
  });

  it('bad flags: one line + hint, exit 2, nothing loaded', async () => {
    for (const [args, re] of [
      [
        ['probe', '--variants', '999/9'],
        /--variants: not a TOA variant with a client address: 999\/9\n {2}hint: known: 200\/8,/,
      ],
      [['probe', '--packets', 'fin'], /--packets: not a packet list: fin\n {2}hint: use ack, syn, data/],
      [['probe', '--lb', '201/6'], /--lb: not a TOA variant with a client address: 201\/6/],
    ] as const) {
      const r = await runCli([...args]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(re);
    }
  });
});
