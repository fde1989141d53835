/**
 * The other commands against the lab: `bundle` captures the backend's veth while the lab makes
 * connections and `read` of that bundle agrees with the app; `probe` run in the backend's cgroup
 * measures exactly the reader's variants; `host` runs there and finds no module (the reader is
 * eBPF on a cgroup, which host does not see).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { profileVariantIds } from '../../src/flow/profiles.js';
import { Lab, labScenario } from '../../src/lab/lab.js';
import { LAB_ADDR } from '../../src/lab/netns.js';
import { parsePlacement } from '../../src/probe/config.js';
import { bpfUnavailableReason, type Run, runCommand } from '../helpers/bpf.js';
import { liveSkipReason, REPO, tcpdumpUnavailableReason } from '../helpers/netns.js';

const BIN = join(REPO, 'bin/toa-doctor.js');

const skip = liveSkipReason([bpfUnavailableReason(), tcpdumpUnavailableReason()]);

/** run toa-doctor inside the backend namespace (optionally inside a cgroup first) */
function inBackend(
  lab: Lab,
  args: string[],
  opts: { cgroup?: string; onStderr?: (s: string) => void } = {},
): Promise<Run> {
  return runCommand(['ip', 'netns', 'exec', lab.ns.server, process.execPath, BIN, ...args], opts);
}

describe.skipIf(skip !== null)('host, bundle and probe against the lab (ack reader, vtoa variants)', () => {
  let lab: Lab;
  let tmp: string;
  beforeAll(async () => {
    lab = await Lab.start({ readerMode: 'ack', readerVariants: profileVariantIds('vtoa') });
    tmp = mkdtempSync(join(tmpdir(), 'toa-lab-tools-'));
  }, 60_000);
  afterAll(() => {
    lab?.close();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('bundle of the backend veth: read gives TOA_OK exactly where the app saw the real client', async () => {
    const out = join(tmp, 'lab.tar.gz');
    let started: () => void = () => undefined;
    const ready = new Promise<void>((r) => {
      started = r;
    });
    const bundle = inBackend(
      lab,
      ['bundle', '-i', LAB_ADDR.serverIf, '--duration', '4', '--engine', 'tcpdump', '-o', out],
      {
        onStderr: (s) => {
          if (/capturing|listening/i.test(s)) started();
        },
      },
    );
    await Promise.race([ready, new Promise((r) => setTimeout(r, 2000))]);
    const conns = [];
    let i = 0;
    for (const [v, p] of [
      ['toa-254-8', 'ack'],
      ['toa-252-20', 'syn+ack+data'],
      ['toa-200-8', 'ack'],
      ['toa-254-8', 'syn'],
      ['toa-254-8', 'data'],
      ['toa-254-20', 'ack'],
    ] as const)
      conns.push(await lab.connect(labScenario(v, parsePlacement(p)!, i++)));
    const b = await bundle;
    expect(b.code, b.stderr).not.toBe(2);
    const r = await inBackend(lab, ['read', out, '--json', '--profile', 'vtoa', '--flows', 'all']);
    const doc = JSON.parse(r.stdout) as { flows: Array<{ client: string; verdict: string }> };
    const v = new Map(doc.flows.map((f) => [f.client, f.verdict]));
    const rows = conns.map((c) => [c.scenario.name, c.appSawRealClient, v.get(c.client)]);
    expect(rows).toEqual(
      conns.map((c) => [
        c.scenario.name,
        c.appSawRealClient,
        c.appSawRealClient ? 'TOA_OK' : expect.not.stringMatching(/^TOA_OK$/),
      ]),
    );
    expect(conns.filter((c) => c.appSawRealClient).length).toBe(2);
  }, 60_000);

  it("probe in the backend's cgroup measures the reader's variants", async () => {
    const r = await inBackend(
      lab,
      ['probe', '--json', '--no-host', '--variants', '200/8,254/8,252/20', '--packets', 'ack,syn'],
      { cgroup: lab.backendCgroup },
    );
    expect(r.stderr).toBe('');
    const doc = JSON.parse(r.stdout) as {
      results: Array<{ variant: string; packet: string; rewritten: boolean }>;
    };
    expect(doc.results.filter((x) => x.rewritten).map((x) => `${x.variant} ${x.packet}`)).toEqual([
      '254/8 ack',
      '252/20 ack',
    ]);
    expect(r.code).toBe(0);
  }, 60_000);

  it('host runs in the backend namespace', async () => {
    const r = await inBackend(lab, ['host', '--json']);
    expect([0, 1]).toContain(r.code);
    expect(() => JSON.parse(r.stdout)).not.toThrow();
  }, 60_000);
});
