import { describe, expect, it } from 'vitest';
import { CAPTURE_FINDING_CODES, diagnose, oneLineVerdict, toCaptureStats } from '../../src/diagnose/index.js';
import type { Finding } from '../../src/diagnose/types.js';
import type { AnalyzerOptions } from '../../src/flow/result.js';
import { loadHostDir } from '../../src/host/index.js';
import { analyze } from '../flow/util.js';
import { connection, ipTcp, linkWrap, toaOption, writePcap } from '../helpers/packets.js';
import { captureOf, mixedCapture, type ScenarioName, scenarioConns } from '../helpers/scenarios.js';

function run(buf: Buffer, opts: AnalyzerOptions = {}): Finding[] {
  return diagnose(analyze(buf, opts));
}
function codes(f: Finding[]): string[] {
  return f.map((x) => x.code);
}
function byCode(f: Finding[], code: string): Finding {
  const x = f.find((y) => y.code === code);
  if (!x) throw new Error(`no ${code} in ${codes(f).join(',')}`);
  return x;
}

describe('healthy captures produce no error finding', () => {
  const healthy: ScenarioName[] = [
    'ok-200',
    'ok-254',
    'ok-v6-254-20',
    'ok-v6-253-20',
    'ok-cdn-28-7',
    'ok-tfo-syn',
    'server-first-ok',
  ];
  for (const name of healthy) {
    it(name, () => {
      const f = run(captureOf(scenarioConns(name, 5)));
      expect(
        f.filter((x) => x.severity === 'error'),
        codes(f).join(),
      ).toEqual([]);
      expect(byCode(f, 'TOA_OK').flows).toBe(5);
    });
  }
  it('a Tencent-only capture matches the tencent profiles and names them', () => {
    const f = run(captureOf(scenarioConns('ok-200', 3)));
    const pm = byCode(f, 'PROFILE_MATCH');
    expect(pm.title).toMatch(/tencent, tencent-nat64, tencentos, ucloud/);
    expect(oneLineVerdict(f, analyze(captureOf(scenarioConns('ok-200', 3))).stats)).toMatch(/^OK: 3 of 3/);
  });
});

describe('one finding per verdict problem, with concrete remediation', () => {
  const table: Array<[ScenarioName, string, RegExp, AnalyzerOptions?]> = [
    ['missing', 'TOA_MISSING', /fullnat_toa_entry|normaliser|tcp-options/],
    ['missing-no-room', 'NO_OPTION_ROOM', /option bytes|timestamps/],
    ['syn-only', 'TOA_SYN_ONLY', /tcp_toa|handshake ACK|TCP Fast Open/],
    ['late', 'TOA_LATE', /TCP_DEFER_ACCEPT/],
    ['late-tfo', 'TOA_LATE', /tcp_fastopen/],
    ['malformed-break', 'TOA_MALFORMED', /EOL|option/],
    [
      'kind-mismatch-254-for-tencent',
      'KIND_MISMATCH',
      /load the module built for this LB/,
      { profile: 'tencent' },
    ],
    ['inconsistent', 'TOA_INCONSISTENT', /only one device on the path inserts TOA/],
    ['nat64-253', 'TOA_NAT64', /getsockopt\(fd, IPPROTO_IP, 4096/],
    ['bad-checksum', 'TOA_BAD_CHECKSUM', /checksum/],
    ['incomplete', 'NO_HANDSHAKES', /new connections|NEW connections/i],
  ];
  for (const [name, code, remedy, opts] of table) {
    it(`${name} → ${code}`, () => {
      const f = run(captureOf(scenarioConns(name, 2)), opts);
      const x = byCode(f, code);
      expect(x.remediation).toMatch(remedy);
      expect(x.source).toBe('capture');
      expect(x.examples.length).toBeGreaterThanOrEqual(code === 'NO_OPTION_ROOM' ? 1 : 1);
      if (x.flows) expect(x.share).toBeGreaterThan(0);
    });
  }

  it('KIND_MISMATCH names the kinds, the vendors and the module', () => {
    const f = run(captureOf(scenarioConns('kind-mismatch-254-for-tencent', 3)), { profile: 'tencent' });
    const x = byCode(f, 'KIND_MISMATCH');
    expect(x.severity).toBe('error');
    expect(x.flows).toBe(3);
    expect(x.share).toBe(100);
    expect(x.title).toBe('LB inserts TOA 254/8 but the module reads 200/8');
    expect(x.remediation).toMatch(
      /^LB inserts 254\/8 but the module reads 200\/8: load the module built for this LB/,
    );
    expect(x.remediation).toMatch(/alibaba-lvs/);
    expect(x.remediation).toMatch(/--profile alibaba-lvs/);
    expect(x.explanation).toMatch(/DPVS/);
  });

  it('findings are ranked by severity then flow count', () => {
    const f = run(mixedCapture({ 'ok-200': 5, missing: 1, 'syn-only': 3, 'nat64-253': 4, incomplete: 1 }));
    const sev = f.map((x) => ['error', 'warning', 'info'].indexOf(x.severity));
    expect([...sev].sort((a, b) => a - b)).toEqual(sev);
    expect(codes(f).slice(0, 2)).toEqual(['TOA_SYN_ONLY', 'TOA_MISSING']);
    expect(codes(f)).toContain('INCOMPLETE_FLOWS');
  });

  it('mixed variants that no single module reads', () => {
    const f = run(mixedCapture({ 'ok-200': 2, 'ok-cdn-28-7': 2 }));
    expect(byCode(f, 'MIXED_VARIANTS').severity).toBe('warning');
  });
});

describe('capture-level findings', () => {
  it('empty capture', () => {
    expect(codes(run(writePcap([])))).toContain('EMPTY_CAPTURE');
  });

  it('only one direction captured', () => {
    const f = run(captureOf(scenarioConns('one-direction-ok', 4)));
    expect(byCode(f, 'ONE_DIRECTION').severity).toBe('info');
    expect(f.filter((x) => x.severity === 'error')).toEqual([]);
  });

  it('TOA from sources outside --lb: spoofing risk', () => {
    const f = run(captureOf(scenarioConns('ok-200', 3)), { lb: ['10.0.0.1/32'] });
    const x = byCode(f, 'TOA_FROM_OUTSIDE_LB');
    expect(x.flows).toBe(2);
    expect(x.remediation).toMatch(/reachable only through the LB/);
    expect(x.examples.map((e) => e.ref)).toEqual(expect.arrayContaining(['10.0.0.2', '10.0.0.3']));
    expect(codes(run(captureOf(scenarioConns('ok-200', 3)), { lb: ['10.0.0.0/24'] }))).not.toContain(
      'TOA_FROM_OUTSIDE_LB',
    );
  });

  it('checksum offload caveat for bad checksums on server-sent packets', () => {
    const conn = connection({
      client: '10.0.0.1',
      server: '10.0.1.5',
      cport: 1,
      sport: 80,
      ackOptions: toaOption(200, '203.0.113.1', 1),
    });
    // corrupt the SYN-ACK's TCP checksum (server → client)
    const synack = Buffer.from(conn[1]!.ip);
    synack[36] = synack[36]! ^ 0xff;
    conn[1] = { ip: synack, ts: conn[1]!.ts };
    const f = run(captureOf([conn]));
    expect(byCode(f, 'CHECKSUM_OFFLOAD').severity).toBe('info');
    expect(f.filter((x) => x.severity === 'error')).toEqual([]);
  });

  it('decode errors: snaplen-truncated TCP headers', () => {
    const ip = ipTcp({
      src: '10.0.0.1',
      dst: '10.0.1.5',
      sport: 1,
      dport: 80,
      flags: 'A',
      options: toaOption(200, '1.2.3.4', 5),
    });
    const data = linkWrap('en10mb', ip).subarray(0, 14 + 20 + 10);
    const f = run(writePcap([{ data, origLen: 14 + ip.length }]));
    expect(byCode(f, 'DECODE_ERRORS').explanation).toMatch(/1 truncated/);
  });

  it('unknown link types', () => {
    const f = run(writePcap([{ data: Buffer.alloc(40) }], { linkType: 147 }));
    expect(byCode(f, 'UNKNOWN_LINKTYPE').explanation).toMatch(/147/);
  });

  it('evictions are reported', () => {
    const conns = [];
    for (let i = 0; i < 30; i++)
      conns.push(
        connection({
          client: `10.0.0.${i + 1}`,
          server: '10.0.1.5',
          cport: 1000 + i,
          sport: 80,
          t0: 1_700_000_000 + i,
        }),
      );
    const f = run(captureOf(conns), { maxFlows: 10 });
    expect(byCode(f, 'FLOWS_EVICTED').flows).toBe(20);
  });

  it('reader warnings (truncated tail) become findings', () => {
    const r = analyze(captureOf(scenarioConns('ok-200', 1)));
    const f = diagnose(r, {
      captures: [
        {
          source: 'x.pcap',
          format: 'pcap',
          gzip: false,
          packets: 6,
          bytes: 1,
          linkTypes: {},
          firstTs: null,
          lastTs: null,
          warnings: [{ code: 'TRUNCATED_TAIL', message: 'the last record is cut short' }],
        },
      ],
    });
    expect(byCode(f, 'CAPTURE_READ_WARNING').title).toMatch(/cut short/);
  });

  it('every code emitted is in CAPTURE_FINDING_CODES', () => {
    const known = new Set<string>(CAPTURE_FINDING_CODES.map((c) => c.code));
    const all = [
      ...run(
        mixedCapture({
          'ok-200': 2,
          missing: 1,
          'missing-no-room': 1,
          'syn-only': 1,
          late: 1,
          'malformed-eol': 1,
          inconsistent: 1,
          'nat64-254': 1,
          'bad-checksum': 1,
          incomplete: 1,
        }),
      ),
      ...run(captureOf(scenarioConns('kind-mismatch-254-for-tencent', 1)), { profile: 'tencent' }),
    ];
    for (const x of all) expect(known.has(x.code), x.code).toBe(true);
  });
});

describe('with host evidence', () => {
  it('merges host and correlation findings (TOA on the wire, no module)', async () => {
    const ev = await loadHostDir(new URL('../../fixtures/hosts/no-module', import.meta.url).pathname);
    const r = analyze(captureOf(scenarioConns('ok-200', 4)));
    const f = diagnose(r, { host: ev });
    expect(f.some((x) => x.source === 'host')).toBe(true);
    expect(codes(f)).toContain('CORR_TOA_BUT_NO_MODULE');
    expect(f[0]!.severity).toBe('error');
  });

  it('toCaptureStats feeds the host correlation', () => {
    const r = analyze(mixedCapture({ 'ok-200': 3, 'ok-v6-254-20': 1, missing: 1 }));
    const cs = toCaptureStats(r.stats);
    expect(cs.flows).toBe(5);
    expect(cs.handshakes).toBe(5);
    expect(cs.variantsOnReadPacket).toEqual({ 'toa-200-8': 3, 'toa-254-20': 1 });
    expect(cs.serverPorts[80]).toBe(4);
    expect(cs.ipv6Flows).toBe(1);
  });
});
