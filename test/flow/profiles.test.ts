import { describe, expect, it } from 'vitest';
import { TOA_VARIANTS } from '../../src/decode/index.js';
import { matchingProfiles, PROFILE_TABLE } from '../../src/flow/profiles.js';
import { LEGACY_PROFILES, type ProfileName } from '../../src/flow/types.js';
import { connection, ipToBytes, MSS_OPT, NOP, toaOption } from '../helpers/packets.js';
import type { Pkt } from '../helpers/scenarios.js';
import { analyzeConns, flowsOf } from './util.js';

/** What each profile's module reads: each module's source as src/model/modules.ts cites it, written out independently. */
const EXPECTED: Record<Exclude<(typeof LEGACY_PROFILES)[number], 'auto'>, string[]> = {
  tencent: ['200/8'],
  'tencent-nat64': ['200/8', '253/20'],
  'alibaba-lvs': ['254/8'],
  dpvs: ['254/8', '254/20'],
  huawei: ['254/8', '253/20', '254/20'],
  ucloud: ['200/8', '254/8', '253/8'],
  tencentos: ['200/8', '201/6', '202/8'],
  'aliyun-cdn': ['28/7', '28/19', '254/8', '254/20'],
  vtoa: ['254/8', '250/8', '252/20', '249/40', '254/20', '253/20'],
};

const CLIENT_VARIANTS = [
  '200/8',
  '254/8',
  '253/8',
  '253/20',
  '254/20',
  '254/16',
  '28/7',
  '28/19',
  '252/20',
  '249/40',
];

function optionBytes(label: string, i: number): number[] {
  const port = 40000 + i;
  const v4 = `203.0.113.${1 + i}`;
  const v6 = `2001:db8:ff::${(0x100 + i).toString(16)}`;
  const p = [port >> 8, port & 255];
  switch (label) {
    case '200/8':
    case '254/8':
    case '253/8':
      return toaOption(Number(label.split('/')[0]), v4, port);
    case '253/20':
    case '254/20':
      return toaOption(Number(label.split('/')[0]), v6, port);
    case '254/16':
      return [254, 16, ...p, ...ipToBytes(v4), 0, 0, 0, 80, ...ipToBytes('192.0.2.80')];
    case '28/7':
      return [NOP, 28, 7, 1, ...ipToBytes(v4)];
    case '28/19':
      return [NOP, 28, 19, 2, ...ipToBytes(v6)];
    case '252/20':
      return [252, 20, ...p, ...ipToBytes(v4), 0, 0, 0, 7, ...ipToBytes('192.0.2.80'), 0, 80, 0, 0];
    case '249/40':
      return [249, 40, ...p, ...ipToBytes(v6), 0, 0, 7, 0, ...ipToBytes('2001:db8:80::1')];
    default:
      throw new Error(label);
  }
}

/** one connection carrying the variant where its LB puts it; IPv6 client variants ride IPv6 flows */
function connFor(label: string, i: number): Pkt[] {
  const v = TOA_VARIANTS.find((x) => `${x.kind}/${x.length}` === label)!;
  const v6 = v.family === 'ipv6';
  const opt = optionBytes(label, i);
  return connection({
    client: v6 ? `2001:db8:1::${i + 1}` : `10.0.0.${i + 1}`,
    server: v6 ? '2001:db8:2::5' : '10.0.1.5',
    cport: 30000 + i,
    sport: 80,
    t0: 1_700_000_000 + i,
    synOptions: v.synOnly ? [...MSS_OPT, ...opt] : [...MSS_OPT],
    ackOptions: v.synOnly ? [] : opt,
  });
}

describe('profiles table', () => {
  it('has a row for every older profile name and matches the reference', () => {
    expect(PROFILE_TABLE.map((p) => p.name).sort()).toEqual([...LEGACY_PROFILES].sort());
    for (const p of PROFILE_TABLE) {
      if (p.name === 'auto') continue;
      expect(p.variants.map(([k, l]) => `${k}/${l}`).sort(), p.name).toEqual(
        [...EXPECTED[p.name as keyof typeof EXPECTED]].sort(),
      );
    }
  });

  for (const label of CLIENT_VARIANTS) {
    it(`auto accepts ${label}`, () => {
      const [f] = flowsOf(analyzeConns([connFor(label, 3)]));
      expect(f!.verdict, f!.reason).toBe('TOA_OK');
      expect(`${f!.toa?.kind}/${f!.toa?.length}`).toBe(label);
    });
  }

  for (const [profile, reads] of Object.entries(EXPECTED) as Array<[ProfileName, string[]]>) {
    it(`${profile}: OK for ${reads.join(', ')}, KIND_MISMATCH for the rest`, () => {
      const conns = CLIENT_VARIANTS.map((l, i) => connFor(l, i));
      const flows = flowsOf(analyzeConns(conns, { profile }));
      expect(flows).toHaveLength(CLIENT_VARIANTS.length);
      CLIENT_VARIANTS.forEach((label, i) => {
        const f = flows.find((x) => x.server.port === 80 && x.client.port === 30000 + i)!;
        const want = reads.includes(label) ? 'TOA_OK' : 'TOA_KIND_MISMATCH';
        expect(f.verdict, `${profile} ${label}: ${f.reason}`).toBe(want);
      });
    });
  }

  it('tencentos VPC extensions ride along a 200/8 and the traffic matches tencentos only', () => {
    const ext = [
      NOP,
      NOP,
      201,
      6,
      0,
      0,
      0,
      9,
      ...toaOption(200, '203.0.113.7', 4000),
      202,
      8,
      0,
      80,
      ...ipToBytes('192.0.2.80'),
    ];
    const r = analyzeConns([
      connection({ client: '10.0.0.1', server: '10.0.1.5', cport: 30001, sport: 80, ackOptions: ext }),
    ]);
    const [f] = flowsOf(r);
    expect(f!.verdict).toBe('TOA_OK');
    expect(f!.toa?.address).toBe('203.0.113.7');
    expect(r.stats.matchingProfiles).toEqual(['tencentos']);
    expect(
      flowsOf(
        analyzeConns(
          [connection({ client: '10.0.0.1', server: '10.0.1.5', cport: 30001, sport: 80, ackOptions: ext })],
          { profile: 'tencentos' },
        ),
      )[0]!.verdict,
    ).toBe('TOA_OK');
  });

  it('auto reports which profiles match the traffic, narrowest first', () => {
    expect(matchingProfiles(['toa-200-8'])).toEqual(['tencent', 'tencent-nat64', 'tencentos', 'ucloud']);
    expect(matchingProfiles(['toa-254-8', 'toa-254-20'])).toEqual(['dpvs', 'huawei', 'aliyun-cdn', 'vtoa']);
    expect(matchingProfiles(['toa-200-8', 'toa-253-20'])).toEqual(['tencent-nat64']);
    expect(matchingProfiles(['toa-200-8', 'toa-28-7'])).toEqual([]);
    const r = analyzeConns([connFor('200/8', 1), connFor('253/20', 2)]);
    expect(r.stats.matchingProfiles).toEqual(['tencent-nat64']);
  });
});
