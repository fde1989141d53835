/** Pure parts of probe: option bytes, config encodings, host checks' parsers, findings. */
import { describe, expect, it } from 'vitest';
import { decodeToa, findToaVariant } from '../../src/decode/index.js';
import { cgroup2Mount, kernelVersion } from '../../src/probe/bpf.js';
import {
  buildOption,
  clientVariants,
  encodeInserterConfig,
  encodeReaderConfig,
  INS_CFG_SIZE,
  PKT,
  parsePlacement,
  parseVariant,
  RD_CFG_SIZE,
  RD_LAYOUT,
} from '../../src/probe/config.js';
import { buildProbeDocument } from '../../src/probe/findings.js';
import type { ProbeObservation } from '../../src/probe/run.js';

describe('probe config', () => {
  it('builds, for every client variant, an option the decoder reads back to the same client', () => {
    for (const v of clientVariants()) {
      const addr = v.family === 'ipv6' ? '2001:db8::7' : '203.0.113.7';
      const o = buildOption(v, addr, 40001);
      expect(o.length).toBe(v.length);
      const idx = findToaVariant(o[0]!, o[1]!);
      expect(idx, v.id).toBeGreaterThanOrEqual(0);
      const d = decodeToa(o, 0, idx);
      expect(d.variant).toBe(v.id);
      expect(d.address).toBe(addr);
      expect(d.port).toBe(v.hasPort ? 40001 : null);
    }
  });

  it('placements and variants parse from what users type', () => {
    expect(parsePlacement('syn+ack+data')).toEqual({
      name: 'syn+ack+data',
      mask: PKT.syn | PKT.ack | PKT.data,
    });
    expect(parsePlacement('DATA+syn')).toEqual({ name: 'syn+data', mask: PKT.syn | PKT.data });
    expect(parsePlacement('fin')).toBeNull();
    expect(parseVariant('200/8')?.id).toBe('toa-200-8');
    expect(parseVariant('toa-254-20')?.id).toBe('toa-254-20');
    expect(parseVariant('254/9')).toBeNull();
  });

  it('encodes the inserter and reader maps in the layout of the C structs', () => {
    const opt = buildOption(parseVariant('254/8')!, '203.0.113.7', 258);
    const b = encodeInserterConfig({ packets: PKT.ack, mode: 0, options: [opt, Uint8Array.from([77, 1])] });
    expect(b.length).toBe(INS_CFG_SIZE);
    expect([...b.subarray(0, 4)]).toEqual([PKT.ack, 0, 2, 0]);
    expect([...b.subarray(4, 12)]).toEqual([254, 8, 1, 2, 203, 0, 113, 7]);
    expect([...b.subarray(44, 46)]).toEqual([77, 1]);
    const r = encodeReaderConfig('syn-or-ack', ['toa-254-8', 'toa-28-7', 'toa-254-20', 'toa-250-8']);
    expect(r.length).toBe(RD_CFG_SIZE);
    expect(r[0]).toBe(1);
    const at = (k: number, l: number) => r[4 + k * 41 + l];
    expect(at(254, 8)).toBe(RD_LAYOUT.portV4);
    expect(at(254, 20)).toBe(RD_LAYOUT.portV6);
    expect(at(28, 7)).toBe(RD_LAYOUT.verV4);
    expect(at(250, 8)).toBe(0); // VIP only: nothing to rewrite
    expect(r.reduce((n, x) => n + (x ? 1 : 0), 0)).toBe(4); // mode byte + 3 rows
  });

  it('reads the cgroup v2 mount and the kernel version', () => {
    const mounts = [
      'tmpfs /sys/fs/cgroup tmpfs rw 0 0',
      'cgroup /sys/fs/cgroup/cpu cgroup rw,cpu 0 0',
      'cgroup2 /sys/fs/cgroup/unified cgroup2 rw 0 0',
    ].join('\n');
    expect(cgroup2Mount(mounts)).toBe('/sys/fs/cgroup/unified');
    expect(cgroup2Mount('cgroup2 /sys/fs/cgroup cgroup2 rw 0 0\ncgroup2 /run/x/cg cgroup2 rw 0 0')).toBe(
      '/sys/fs/cgroup',
    );
    expect(cgroup2Mount('cgroup /sys/fs/cgroup/cpu cgroup rw 0 0')).toBeNull();
    expect(kernelVersion('6.18.44-fc-v1272')).toEqual([6, 18]);
    expect(kernelVersion('5.4.0-150-generic')).toEqual([5, 4]);
  });
});

function obs(
  variant: string,
  packet: string,
  rewritten: boolean,
  extra: Partial<ProbeObservation> = {},
): ProbeObservation {
  const v6 = variant.endsWith('/20') || variant === '28/19' || variant === '249/40';
  return {
    variant,
    packet,
    peer: rewritten ? '203.0.113.7:40001' : '127.0.0.1:50000',
    expected: '203.0.113.7:40001',
    rewritten,
    variantId: `toa-${variant.replace('/', '-')}`,
    family: v6 ? 'ipv6' : 'ipv4',
    sent: true,
    changed: rewritten,
    error: null,
    ...extra,
  };
}

describe('probe findings', () => {
  it('nothing rewritten is an error finding; the JSON rows carry exactly the five keys', () => {
    const doc = buildProbeDocument([obs('200/8', 'ack', false), obs('254/8', 'ack', false)]);
    expect(doc.schema).toBe('toa-doctor/probe@1');
    expect(Object.keys(doc.results[0]!).sort()).toEqual([
      'expected',
      'packet',
      'peer',
      'rewritten',
      'variant',
    ]);
    expect(doc.findings.map((f) => [f.code, f.severity])).toContainEqual([
      'PROBE_NOTHING_REWRITTEN',
      'error',
    ]);
  });

  it('says which variant the module reads against what the LB sends, with the remedy', () => {
    const doc = buildProbeDocument(
      [obs('200/8', 'ack', false), obs('254/8', 'ack', true), obs('254/8', 'syn', false)],
      {
        lbVariants: ['200/8'],
      },
    );
    const f = doc.findings.find((x) => x.code === 'PROBE_LB_VARIANT_NOT_READ')!;
    expect(f.detail).toBe('the module rewrites 254/8 only: the LB sends 200/8');
    expect(f.remedy).toMatch(/load a reader for 200\/8 .*Tencent/);
    expect(f.remedy).toMatch(/change the LB's TOA kind to 254\/8/);
    expect(doc.findings.find((x) => x.code === 'PROBE_REWRITES')!.detail).toBe('rewritten: 254/8 (ack)');
    expect(doc.findings.some((x) => x.code === 'PROBE_READS_SYN')).toBe(false);
  });

  it('a SYN-carried option that is rewritten marks a SYN reader; host evidence that disagrees is a warning', () => {
    const doc = buildProbeDocument(
      [obs('254/8', 'ack', true), obs('254/8', 'syn', true), obs('200/8', 'ack', false)],
      {
        implementations: ['tgw_toa' as never],
      },
    );
    expect(doc.findings.some((x) => x.code === 'PROBE_READS_SYN')).toBe(true);
    const m = doc.findings.find((x) => x.code === 'PROBE_HOST_MISMATCH');
    expect(m?.severity).toBe('warning');
    expect(m?.detail).toMatch(/200\/8/);
  });

  it('a changed peer that is not the option client is an error; unsent variants are named', () => {
    const doc = buildProbeDocument([
      obs('254/8', 'ack', false, { changed: true, peer: '7.113.0.203:16540' }),
      obs('249/40', 'ack', false, { sent: false }),
    ]);
    expect(doc.findings.find((x) => x.code === 'PROBE_WRONG_ADDRESS')?.detail).toMatch(
      /got 7\.113\.0\.203:16540/,
    );
    expect(doc.findings.find((x) => x.code === 'PROBE_NOT_SENT')?.detail).toMatch(/^249\/40:/);
  });
});

describe('NAT64 getsockopt answers', () => {
  it('parses the helper line: a peer, an errno, or anything else as untested', async () => {
    const { parseNat64Answer } = await import('../../src/probe/nat64.js');
    const hex = `20010db8000000000000000000000007${(40007).toString(16).padStart(4, '0')}0000`;
    expect(parseNat64Answer(`OK ${hex}`)).toEqual({ kind: 'peer', address: '2001:db8::7', port: 40007 });
    expect(parseNat64Answer('ERR 92 Protocol not available')).toEqual({
      kind: 'errno',
      errno: 92,
      name: 'Protocol not available',
    });
    expect(parseNat64Answer('Traceback (most recent call last):').kind).toBe('untested');
  });

  it('findings: an answer that matches the option, no API, or not tested (with the reason)', () => {
    const base = obs('253/20', 'ack', false, { expected: '[2001:db8::7]:40007' });
    const ok = buildProbeDocument([
      { ...base, nat64: { kind: 'peer', address: '2001:db8::7', port: 40007 } },
    ]);
    expect(ok.findings.find((f) => f.code === 'PROBE_NAT64_ANSWERS')?.detail).toBe(
      '253/20 (ack): [2001:db8::7]:40007',
    );
    const none = buildProbeDocument([
      { ...base, nat64: { kind: 'errno', errno: 92, name: 'Protocol not available' } },
    ]);
    expect(none.findings.find((f) => f.code === 'PROBE_NAT64_NO_API')?.detail).toMatch(/errno 92/);
    const nt = buildProbeDocument([
      { ...base, nat64: { kind: 'untested', reason: 'python3 is not installed' } },
    ]);
    expect(nt.findings.find((f) => f.code === 'PROBE_NAT64_NOT_TESTED')?.detail).toMatch(
      /python3 is not installed/,
    );
  });
});

describe('probe finding codes', () => {
  it('README documents every code, with its severity, and nothing else', async () => {
    const { readFileSync } = await import('node:fs');
    const { PROBE_CODES } = await import('../../src/probe/findings.js');
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const rows = [...readme.matchAll(/^\| `(PROBE_[A-Z0-9_]+)` \| (\w+) \|/gm)].map((m) => [m[1], m[2]]);
    expect(rows.sort()).toEqual(
      Object.entries(PROBE_CODES)
        .map(([k, v]) => [k, v.severity])
        .sort(),
    );
  });
});
