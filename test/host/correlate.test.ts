import { describe, expect, it } from 'vitest';
import { type CaptureStats, emptyCaptureStats } from '../../src/diagnose/capture-stats.js';
import { correlate } from '../../src/diagnose/correlate.js';
import { loadHostDir } from '../../src/host/snapshot.js';

const dir = (c: string) => new URL(`../../fixtures/hosts/${c}`, import.meta.url).pathname;
/** 2024-05-01T10:00:20Z: inside the fixtures' before/after window (10:00:00 → 10:01:00) */
const IN_WINDOW = Date.parse('2024-05-01T10:00:20Z') / 1000;

function stats(p: Partial<CaptureStats>): CaptureStats {
  return { ...emptyCaptureStats(), firstTs: IN_WINDOW, lastTs: IN_WINDOW + 20, ...p };
}

const toa200 = (n: number) =>
  stats({
    flows: n,
    handshakes: n,
    ipv4Flows: n,
    variantsOnReadPacket: { 'toa-200-8': n },
    serverPorts: { 80: n },
    verdicts: { ...emptyCaptureStats().verdicts, TOA_OK: n },
  });

describe('correlate(stats, ev)', () => {
  it('TOA 200/8 on 120 ACKs; toa +0, no_toa +120 → the module reads another kind', async () => {
    const ev = await loadHostDir(dir('deltas-kind-mismatch'));
    const f = correlate(toa200(120), ev);
    expect(f[0]).toMatchObject({
      code: 'CORR_MODULE_READS_OTHER_KIND',
      severity: 'error',
      source: 'correlation',
    });
    expect(f[0]!.explanation).toContain(
      'TOA 200/8 on 120 of 120 handshake ACKs; syn_recv_sock_toa +0, syn_recv_sock_no_toa +120 → the module runs but does not recognise this option',
    );
    expect(f[0]!.explanation).toMatch(/reads 254\/8/);
    expect(f[0]!.flows).toBe(120);
    expect(f[0]!.share).toBe(100);
    expect(f.map((x) => x.code)).not.toContain('CORR_KIND_NOT_ACCEPTED');
  });

  it('outside the snapshot window the deltas are not used', async () => {
    const ev = await loadHostDir(dir('deltas-kind-mismatch'));
    const s = { ...toa200(120), firstTs: IN_WINDOW + 86400, lastTs: IN_WINDOW + 86500 };
    const codes = correlate(s, ev).map((x) => x.code);
    expect(codes).toContain('CORR_WINDOW_MISMATCH');
    expect(codes).not.toContain('CORR_MODULE_READS_OTHER_KIND');
    // Huawei-style evidence may be userid/lvs_toa, which reads 200/8 (src/toa.h TCPOPT_TOA_TENCENT):
    // without usable counters, 200/8 is not called a kind the module cannot read
    expect(codes).not.toContain('CORR_KIND_NOT_ACCEPTED');
  });

  it('one snapshot: kind on the wire vs the identified implementation', async () => {
    const ev = await loadHostDir(dir('dpvs-ipv6'));
    const f = correlate(toa200(50), ev);
    expect(f[0]).toMatchObject({ code: 'CORR_KIND_NOT_ACCEPTED', severity: 'error', flows: 50 });
    expect(f[0]!.title).toBe('TOA 200/8 on the wire; iQIYI DPVS kmod/toa reads 254/8, 254/20');
    expect(f[0]!.explanation).toMatch(/one snapshot/);
  });

  it('mixed kinds: only the unaccepted part, as a warning', async () => {
    const ev = await loadHostDir(dir('dpvs-ipv6'));
    const s = stats({
      flows: 100,
      handshakes: 100,
      ipv4Flows: 100,
      variantsOnReadPacket: { 'toa-254-8': 90, 'toa-200-8': 10 },
      serverPorts: { 80: 100 },
    });
    const f = correlate(s, ev).find((x) => x.code === 'CORR_KIND_NOT_ACCEPTED')!;
    expect(f).toMatchObject({ severity: 'warning', flows: 10, share: 10 });
  });

  it('TOA on the wire, no module at all', async () => {
    const ev = await loadHostDir(dir('no-module'));
    const f = correlate(toa200(7), ev);
    expect(f.map((x) => x.code)).toEqual(['CORR_TOA_BUT_NO_MODULE']);
    expect(f[0]!.explanation).toMatch(
      /^TOA 200\/8 on 7 of 7 handshake ACKs, but no TOA module is loaded on web-3/,
    );
  });

  it('TOA on the wire, module loaded-but-dead', async () => {
    const ev = await loadHostDir(dir('loaded-but-dead'));
    expect(correlate(toa200(3), ev).map((x) => x.code)).toEqual(['CORR_TOA_BUT_MODULE_DEAD']);
  });

  it('handshakes captured, counters flat → hook not in path, naming the :: port', async () => {
    const ev = await loadHostDir(dir('deltas-hook-not-in-path'));
    const s = stats({
      flows: 120,
      handshakes: 120,
      ipv4Flows: 120,
      variantsOnReadPacket: { 'toa-254-8': 120 },
      serverPorts: { 8080: 120 },
    });
    const f = correlate(s, ev);
    expect(f[0]!.code).toBe('CORR_HOOK_NOT_IN_PATH');
    expect(f[0]!.explanation).toMatch(/port\(s\) 8080 listen only on `::`/);
    expect(f.map((x) => x.code)).not.toContain('CORR_DUALSTACK_PORT');
  });

  it('one snapshot with a :: port and IPv4-only hooks → dual-stack port finding', async () => {
    const ev = await loadHostDir(dir('huawei-ipv4-dualstack-listener'));
    const s = stats({
      flows: 40,
      handshakes: 40,
      ipv4Flows: 40,
      variantsOnReadPacket: { 'toa-254-8': 40 },
      serverPorts: { 8080: 40 },
    });
    const f = correlate(s, ev);
    expect(f.map((x) => x.code)).toEqual(['CORR_DUALSTACK_PORT']);
    expect(f[0]).toMatchObject({ severity: 'error', flows: 40 });
  });

  it('module counted the TOA but getname_toa_ok did not move → app not reading', async () => {
    const ev = await loadHostDir(dir('deltas-sockmap-bypass'));
    // make getname_ok flat in the deltas to model an app that never asks
    ev.deltas!.normalized.getnameOk = 0;
    const s = stats({
      flows: 502,
      handshakes: 502,
      ipv4Flows: 502,
      variantsOnReadPacket: { 'toa-254-8': 502 },
      serverPorts: { 80: 502 },
    });
    const codes = correlate(s, ev).map((x) => x.code);
    expect(codes).toContain('CORR_HOST_CONFIRMS_TOA');
    expect(codes).toContain('CORR_APP_NOT_READING');
  });

  it('no TOA on the wire and no_toa rising → consistent, LB not inserting', async () => {
    const ev = await loadHostDir(dir('deltas-kind-mismatch'));
    const s = stats({
      flows: 120,
      handshakes: 120,
      ipv4Flows: 120,
      serverPorts: { 80: 120 },
      verdicts: { ...emptyCaptureStats().verdicts, TOA_MISSING: 120 },
    });
    expect(correlate(s, ev).map((x) => x.code)).toEqual(['CORR_LB_NOT_INSERTING']);
  });

  it('hook counted far fewer connections than captured', async () => {
    const ev = await loadHostDir(dir('deltas-kind-mismatch'));
    const s = stats({ flows: 1000, handshakes: 1000, ipv4Flows: 1000, serverPorts: { 80: 1000 } });
    expect(correlate(s, ev).map((x) => x.code)).toContain('CORR_HOOK_MISSES_CONNECTIONS');
  });

  it('captured ports that do not listen on the snapshot host', async () => {
    const ev = await loadHostDir(dir('ucloud'));
    const s = stats({
      flows: 5,
      handshakes: 5,
      ipv4Flows: 5,
      variantsOnReadPacket: { 'toa-200-8': 5 },
      serverPorts: { 9443: 5 },
    });
    const f = correlate(s, ev);
    expect(f.map((x) => x.code)).toEqual(['CORR_PORT_NOT_LISTENING']);
  });

  it('a healthy pair says nothing alarming', async () => {
    const ev = await loadHostDir(dir('ucloud'));
    const s = stats({
      flows: 5,
      handshakes: 5,
      ipv4Flows: 5,
      variantsOnReadPacket: { 'toa-200-8': 5 },
      serverPorts: { 80: 5 },
    });
    expect(correlate(s, ev)).toEqual([]);
  });

  it('an empty capture never throws', async () => {
    const ev = await loadHostDir(dir('two-modules'));
    expect(correlate(emptyCaptureStats(), ev)).toEqual([]);
  });
});
