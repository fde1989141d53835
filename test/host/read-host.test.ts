/**
 * `toa-doctor read capture.pcap --host DIR`: packet verdicts and host evidence in one ranked
 * diagnosis (read is the analysis area's command; this checks the host side of the seam).
 * Needs `npx tsc -p tsconfig.build.json` first.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { connection, pcapOf, toaOption } from '../helpers/packets.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const tmp = mkdtempSync(join(tmpdir(), 'toa-read-host-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** inside the fixtures' before/after window (2024-05-01 10:00:00 → 10:01:00 UTC) */
const T0 = Date.parse('2024-05-01T10:00:10Z') / 1000;

function capture(n: number, kind: number, port: number): string {
  const conns = Array.from({ length: n }, (_, i) =>
    connection({
      client: '100.64.0.9',
      server: '10.0.0.5',
      cport: 40000 + i,
      sport: port,
      ackOptions: toaOption(kind, '203.0.113.7', 50000 + i),
      dataOptions: toaOption(kind, '203.0.113.7', 50000 + i),
      t0: T0 + i * 0.1,
    }),
  );
  const f = join(tmp, `c-${kind}-${port}-${n}.pcap`);
  writeFileSync(f, pcapOf(conns));
  return f;
}

function read(...args: string[]) {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/toa-doctor.js'), 'read', ...args, '--json'], {
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
    timeout: 60_000,
  });
  return { code: r.status, json: r.stdout ? JSON.parse(r.stdout) : null, err: r.stderr };
}

function codes(doc: { findings: { code: string }[] }): string[] {
  return doc.findings.map((f) => f.code);
}

describe('read --host DIR', () => {
  it('TOA 200/8 on every ACK + no_toa rising → the module reads another kind', () => {
    const r = read(capture(120, 200, 80), '--host-dir', join(ROOT, 'fixtures/hosts/deltas-kind-mismatch'));
    expect(r.code, r.err).toBe(1);
    expect(codes(r.json)).toContain('CORR_MODULE_READS_OTHER_KIND');
    expect(codes(r.json)).toContain('HOST_NO_TOA_RISING');
    const f = r.json.findings.find((x: { code: string }) => x.code === 'CORR_MODULE_READS_OTHER_KIND');
    expect(f.explanation).toContain(
      'TOA 200/8 on 120 of 120 handshake ACKs; syn_recv_sock_toa +0, syn_recv_sock_no_toa +120',
    );
  });
  it('IPv4 TOA traffic to a port that listens only on :: with IPv4-only hooks', () => {
    const r = read(
      capture(5, 254, 8080),
      '--host-dir',
      join(ROOT, 'fixtures/hosts/huawei-ipv4-dualstack-listener'),
    );
    expect(codes(r.json)).toContain('CORR_DUALSTACK_PORT');
  });
  it('no module on the host', () => {
    const r = read(capture(3, 200, 80), '--host-dir', join(ROOT, 'fixtures/hosts/no-module'));
    expect(codes(r.json)).toContain('CORR_TOA_BUT_NO_MODULE');
    expect(codes(r.json)).toContain('HOST_MODULE_NOT_LOADED');
  });
  it('a host dir that is not a snapshot is a usage error', () => {
    const r = read(capture(1, 200, 80), '--host-dir', tmp);
    expect(r.code).toBe(2);
  });
});
