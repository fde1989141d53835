/**
 * Scenario builders: one TCP connection per TOA situation (every verdict, every profile), built
 * with the packet writer in packets.ts, so tests (and the demo sample) say exactly which bytes they
 * feed. Reusable by other areas: import { scenarioConn, SCENARIOS, demoPcap } from this file.
 *
 * Addresses: LB (the IP-level client the RS sees) 10.0.0.0/24 and 2001:db8:1::/64, real server
 * 10.0.1.5 / 2001:db8:2::5, real clients 203.0.113.0/24, 198.51.100.0/24 and 2001:db8:ff::/64.
 */
import {
  cdnToaOption,
  connection,
  ipTcp,
  LINKTYPE,
  type Link,
  linkWrap,
  MSS_OPT,
  type NgPacket,
  NOP,
  TS_OPT,
  toaOption,
  writePcap,
  writePcapng,
} from './packets.js';

export type Pkt = { ip: Buffer; ts: number };

/** Verdict codes (strings, to stay free of src imports). */
export type ScenarioName =
  | 'ok-200'
  | 'ok-254'
  | 'ok-v6-254-20'
  | 'ok-v6-253-20'
  | 'ok-cdn-28-7'
  | 'ok-tfo-syn'
  | 'missing'
  | 'missing-no-room'
  | 'syn-only'
  | 'late'
  | 'late-tfo'
  | 'malformed-break'
  | 'malformed-eol'
  | 'kind-mismatch-254-for-tencent'
  | 'inconsistent'
  | 'nat64-253'
  | 'nat64-254'
  | 'bad-checksum'
  | 'incomplete'
  | 'incomplete-data-toa'
  | 'one-direction-ok'
  | 'server-first-ok'
  | 'ok-254-port-63881';

export interface ScenarioSpec {
  name: ScenarioName;
  /** verdict under --profile auto */
  verdict: string;
  /** verdict under `profile` when set (for mismatch scenarios) */
  profile?: string;
  profileVerdict?: string;
  family: 'ipv4' | 'ipv6';
  build: (i: number, t0: number) => Pkt[];
}

export const LB4 = (i: number) => `10.0.0.${1 + (i % 200)}`;
export const RS4 = '10.0.1.5';
export const CLIENT4 = (i: number) => `203.0.113.${1 + (i % 250)}`;
export const CLIENT4B = (i: number) => `198.51.100.${1 + (i % 250)}`;
export const LB6 = (i: number) => `2001:db8:1::${(1 + (i % 200)).toString(16)}`;
export const RS6 = '2001:db8:2::5';
export const CLIENT6 = (i: number) => `2001:db8:ff::${(0x100 + (i % 250)).toString(16)}`;

const ts2 = [NOP, NOP, 8, 10, 0, 0, 1, 0, 0, 0, 2, 0];

function conn4(i: number, t0: number, o: Partial<Parameters<typeof connection>[0]>): Pkt[] {
  return connection({ client: LB4(i), server: RS4, cport: 30000 + i, sport: 80, t0, ...o });
}
function conn6(i: number, t0: number, o: Partial<Parameters<typeof connection>[0]>): Pkt[] {
  return connection({ client: LB6(i), server: RS6, cport: 30000 + i, sport: 443, t0, ...o });
}

/** a connection whose SYN carries data (TCP Fast Open), TOA where asked */
function tfoConn(i: number, t0: number, toaOnSyn: boolean, toaOnAck: boolean): Pkt[] {
  const c = LB4(i);
  const req = 'GET / HTTP/1.0\r\n\r\n';
  const toa = toaOption(254, CLIENT4(i), 40000 + i);
  const base = { src: c, dst: RS4, sport: 30000 + i, dport: 80 };
  const back = { src: RS4, dst: c, sport: 80, dport: 30000 + i };
  const tfoCookie = [34, 10, 1, 2, 3, 4, 5, 6, 7, 8];
  return [
    {
      ip: ipTcp({
        ...base,
        flags: 'S',
        seq: 1000,
        options: [...(toaOnSyn ? toa : []), ...MSS_OPT, ...tfoCookie, NOP, NOP],
        payload: req,
      }),
      ts: t0 + 0.0005,
    },
    {
      ip: ipTcp({ ...back, flags: 'SA', seq: 5000, ack: 1001 + req.length, options: [...MSS_OPT] }),
      ts: t0 + 0.001,
    },
    {
      ip: ipTcp({
        ...base,
        flags: 'A',
        seq: 1001 + req.length,
        ack: 5001,
        options: toaOnAck ? [...toa] : [],
      }),
      ts: t0 + 0.0015,
    },
    {
      ip: ipTcp({
        ...back,
        flags: 'PA',
        seq: 5001,
        ack: 1001 + req.length,
        payload: 'HTTP/1.0 200 OK\r\n\r\n',
      }),
      ts: t0 + 0.002,
    },
    { ip: ipTcp({ ...base, flags: 'FA', seq: 1001 + req.length, ack: 5020 }), ts: t0 + 0.0025 },
  ];
}

export const SCENARIOS: ScenarioSpec[] = [
  {
    name: 'ok-200',
    verdict: 'TOA_OK',
    family: 'ipv4',
    build: (i, t0) => conn4(i, t0, { ackOptions: [...toaOption(200, CLIENT4(i), 40000 + i), ...ts2] }),
  },
  {
    name: 'ok-254',
    verdict: 'TOA_OK',
    profile: 'tencent',
    profileVerdict: 'TOA_KIND_MISMATCH',
    family: 'ipv4',
    build: (i, t0) =>
      conn4(i, t0, {
        ackOptions: [...toaOption(254, CLIENT4(i), 40000 + i), ...ts2],
        dataOptions: [...toaOption(254, CLIENT4(i), 40000 + i)],
      }),
  },
  {
    name: 'ok-v6-254-20',
    verdict: 'TOA_OK',
    family: 'ipv6',
    build: (i, t0) => conn6(i, t0, { ackOptions: [...toaOption(254, CLIENT6(i), 40000 + i), ...ts2] }),
  },
  {
    name: 'ok-v6-253-20',
    verdict: 'TOA_OK',
    family: 'ipv6',
    build: (i, t0) => conn6(i, t0, { ackOptions: [...toaOption(253, CLIENT6(i), 40000 + i)] }),
  },
  {
    name: 'ok-cdn-28-7',
    verdict: 'TOA_OK',
    family: 'ipv4',
    build: (i, t0) => conn4(i, t0, { synOptions: [...MSS_OPT, NOP, ...cdnToaOption(CLIENT4(i))] }),
  },
  { name: 'ok-tfo-syn', verdict: 'TOA_OK', family: 'ipv4', build: (i, t0) => tfoConn(i, t0, true, true) },
  {
    name: 'missing',
    verdict: 'TOA_MISSING',
    family: 'ipv4',
    build: (i, t0) => conn4(i, t0, { ackOptions: ts2 }),
  },
  {
    name: 'missing-no-room',
    verdict: 'TOA_MISSING',
    family: 'ipv4',
    // MD5 signature (18) + 2 NOP + timestamps (12) + 4 NOP = 36 bytes: 4 left, no room for 8
    build: (i, t0) =>
      conn4(i, t0, {
        ackOptions: [19, 18, ...new Array(16).fill(0xab), NOP, NOP, ...ts2, NOP, NOP, NOP, NOP],
      }),
  },
  {
    name: 'syn-only',
    verdict: 'TOA_SYN_ONLY',
    family: 'ipv4',
    build: (i, t0) => conn4(i, t0, { synOptions: [...toaOption(254, CLIENT4(i), 40000 + i), ...MSS_OPT] }),
  },
  {
    name: 'late',
    verdict: 'TOA_LATE',
    family: 'ipv4',
    build: (i, t0) =>
      conn4(i, t0, { ackOptions: ts2, dataOptions: [...toaOption(254, CLIENT4(i), 40000 + i)] }),
  },
  { name: 'late-tfo', verdict: 'TOA_LATE', family: 'ipv4', build: (i, t0) => tfoConn(i, t0, false, true) },
  {
    name: 'malformed-break',
    verdict: 'TOA_MALFORMED',
    family: 'ipv4',
    // a zero-length option (kind 8, length 0) stops the module's parser before the TOA
    build: (i, t0) =>
      conn4(i, t0, { ackOptions: [NOP, NOP, 8, 0, ...toaOption(200, CLIENT4(i), 40000 + i)] }),
  },
  {
    name: 'malformed-eol',
    verdict: 'TOA_MALFORMED',
    family: 'ipv4',
    build: (i, t0) => conn4(i, t0, { ackOptions: [0, 0, 0, 0, ...toaOption(200, CLIENT4(i), 40000 + i)] }),
  },
  {
    name: 'kind-mismatch-254-for-tencent',
    verdict: 'TOA_OK',
    profile: 'tencent',
    profileVerdict: 'TOA_KIND_MISMATCH',
    family: 'ipv4',
    build: (i, t0) => conn4(i, t0, { ackOptions: [...toaOption(254, CLIENT4(i), 40000 + i)] }),
  },
  {
    name: 'inconsistent',
    verdict: 'TOA_INCONSISTENT',
    family: 'ipv4',
    build: (i, t0) =>
      conn4(i, t0, {
        ackOptions: [...toaOption(200, CLIENT4(i), 40000 + i)],
        dataOptions: [...toaOption(200, CLIENT4B(i), 40000 + i)],
      }),
  },
  {
    name: 'nat64-253',
    verdict: 'TOA_NAT64',
    family: 'ipv4',
    build: (i, t0) => conn4(i, t0, { ackOptions: [...toaOption(253, CLIENT6(i), 40000 + i)] }),
  },
  {
    name: 'nat64-254',
    verdict: 'TOA_NAT64',
    family: 'ipv4',
    build: (i, t0) => conn4(i, t0, { ackOptions: [...toaOption(254, CLIENT6(i), 40000 + i)] }),
  },
  {
    name: 'bad-checksum',
    verdict: 'TOA_BAD_CHECKSUM',
    family: 'ipv4',
    build: (i, t0) =>
      conn4(i, t0, { ackOptions: [...toaOption(200, CLIENT4(i), 40000 + i)], badAckChecksum: true }),
  },
  {
    name: 'incomplete',
    verdict: 'INCOMPLETE',
    family: 'ipv4',
    build: (i, t0) => conn4(i, t0, { skip: ['syn', 'synack', 'ack'] }),
  },
  {
    name: 'incomplete-data-toa',
    verdict: 'INCOMPLETE',
    family: 'ipv4',
    build: (i, t0) =>
      conn4(i, t0, {
        skip: ['syn', 'synack', 'ack'],
        dataOptions: [...toaOption(200, CLIENT4(i), 40000 + i)],
      }),
  },
  {
    name: 'one-direction-ok',
    verdict: 'TOA_OK',
    family: 'ipv4',
    build: (i, t0) =>
      conn4(i, t0, { ackOptions: [...toaOption(200, CLIENT4(i), 40000 + i)], skip: ['synack', 'response'] }),
  },
  {
    name: 'ok-254-port-63881',
    verdict: 'TOA_OK',
    family: 'ipv4',
    // client port 0xF989: looks like a TFO cookie (exp-tfo) to tcpdump, a TOA to the modules
    build: (i, t0) => conn4(i, t0, { ackOptions: [...toaOption(254, CLIENT4(i), 0xf989), ...ts2] }),
  },
  {
    name: 'server-first-ok',
    verdict: 'TOA_OK',
    family: 'ipv4',
    build: (i, t0) => {
      // SSH-style: the server's banner comes first
      const c = LB4(i);
      const base = { src: c, dst: RS4, sport: 30000 + i, dport: 22 };
      const back = { src: RS4, dst: c, sport: 22, dport: 30000 + i };
      return [
        { ip: ipTcp({ ...base, flags: 'S', seq: 1000, options: [...MSS_OPT] }), ts: t0 + 0.0005 },
        { ip: ipTcp({ ...back, flags: 'SA', seq: 5000, ack: 1001, options: [...MSS_OPT] }), ts: t0 + 0.001 },
        {
          ip: ipTcp({
            ...base,
            flags: 'A',
            seq: 1001,
            ack: 5001,
            options: toaOption(200, CLIENT4(i), 40000 + i),
          }),
          ts: t0 + 0.0015,
        },
        {
          ip: ipTcp({ ...back, flags: 'PA', seq: 5001, ack: 1001, payload: 'SSH-2.0-OpenSSH_9.6\r\n' }),
          ts: t0 + 0.002,
        },
        {
          ip: ipTcp({ ...base, flags: 'PA', seq: 1001, ack: 5022, payload: 'SSH-2.0-client\r\n' }),
          ts: t0 + 0.0025,
        },
      ];
    },
  },
];

export function scenario(name: ScenarioName): ScenarioSpec {
  const s = SCENARIOS.find((x) => x.name === name);
  if (!s) throw new Error(`no scenario ${name}`);
  return s;
}

/** packets of `count` connections of one scenario, 10 ms apart */
export function scenarioConns(name: ScenarioName, count = 1, first = 0, t0 = 1_700_000_000): Pkt[][] {
  const s = scenario(name);
  const out: Pkt[][] = [];
  for (let k = 0; k < count; k++) out.push(s.build(first + k, t0 + (first + k) * 0.01));
  return out;
}

/** time-sorted packets → classic pcap (or pcapng) on a link type */
export function captureOf(conns: Pkt[][], link: Link = 'en10mb', format: 'pcap' | 'pcapng' = 'pcap'): Buffer {
  const pk = conns.flat().sort((a, b) => a.ts - b.ts);
  if (format === 'pcapng') {
    const ng: NgPacket[] = pk.map((p) => ({ data: linkWrap(link, p.ip), ts: p.ts }));
    return writePcapng([{ linkType: LINKTYPE[link], tsresol: 9 }], ng);
  }
  return writePcap(
    pk.map((p) => ({ data: linkWrap(link, p.ip), ts: p.ts })),
    { linkType: LINKTYPE[link] },
  );
}

/** A mixed capture: `counts` connections per scenario, interleaved in time. */
export function mixedCapture(
  counts: Partial<Record<ScenarioName, number>>,
  link: Link = 'en10mb',
  format: 'pcap' | 'pcapng' = 'pcap',
): Buffer {
  const conns: Pkt[][] = [];
  let i = 0;
  for (const [name, n] of Object.entries(counts) as Array<[ScenarioName, number]>) {
    for (let k = 0; k < n; k++, i++) conns.push(scenario(name).build(i, 1_700_000_000 + i * 0.003));
  }
  return captureOf(conns, link, format);
}

/**
 * The bundled demo (fixtures/samples/demo.pcap): several verdicts side by side, as a Linux
 * `tcpdump -i any` capture (SLL2) would show them on a real server behind mixed LBs.
 */
export function demoPcap(): Buffer {
  return mixedCapture(
    {
      'ok-200': 12,
      'ok-v6-254-20': 3,
      'ok-cdn-28-7': 2,
      'server-first-ok': 2,
      missing: 4,
      'missing-no-room': 1,
      'syn-only': 3,
      late: 2,
      'malformed-break': 1,
      'kind-mismatch-254-for-tencent': 2,
      'nat64-253': 2,
      inconsistent: 1,
      'bad-checksum': 1,
      incomplete: 2,
    },
    'en10mb',
  );
}

export { TS_OPT };
