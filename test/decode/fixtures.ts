/**
 * Builders for the fixture captures in fixtures/captures/ (made with the test writer in
 * test/helpers/packets.ts). `UPDATE_FIXTURES=1 npx vitest run test/decode/fixtures.test.ts` rewrites
 * them; otherwise the test checks the files on disk are byte-identical to these builders.
 */
import {
  cdnToaOption,
  connection,
  ipTcp,
  ipToBytes,
  LINKTYPE,
  type Link,
  linkWrap,
  MSS_OPT,
  TS_OPT,
  toaOption,
  writePcap,
  writePcapng,
} from '../helpers/packets.js';

const be16 = (v: number) => [v >> 8, v & 0xff];
const be32 = (v: number) => [(v >>> 24) & 0xff, (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff];
const ip = (a: string) => [...ipToBytes(a)];

export const LB = { v4: '100.64.0.2', v6: '2001:db8:100::2' };
export const RS = { v4: '10.0.0.5', v6: '2001:db8:200::5' };

/** One row per TOA variant: where the LB puts it and what the option bytes are. */
export const VARIANT_FIXTURES: Array<{ id: string; family: 4 | 6; on: 'syn' | 'ack'; opt: number[] }> = [
  { id: 'toa-200-8', family: 4, on: 'ack', opt: toaOption(200, '192.0.2.77', 54321) },
  { id: 'toa-254-8', family: 4, on: 'ack', opt: toaOption(254, '192.0.2.78', 12345) },
  { id: 'toa-253-8', family: 4, on: 'ack', opt: toaOption(253, '192.0.2.79', 23456) },
  { id: 'toa-253-20', family: 4, on: 'ack', opt: toaOption(253, '2001:db8::77', 34567) },
  { id: 'toa-254-20', family: 6, on: 'ack', opt: toaOption(254, '2001:db8::78', 45678) },
  {
    id: 'toa-254-16',
    family: 4,
    on: 'ack',
    opt: [254, 16, ...be16(40000), ...ip('192.0.2.80'), 0, 0, ...be16(8080), ...ip('10.1.2.3')],
  },
  { id: 'toa-28-7', family: 4, on: 'syn', opt: [1, ...cdnToaOption('192.0.2.81')] },
  { id: 'toa-28-19', family: 6, on: 'syn', opt: [1, ...cdnToaOption('2001:db8::81')] },
  { id: 'toa-201-6', family: 4, on: 'ack', opt: [1, 1, 201, 6, ...be32(1234567)] },
  { id: 'toa-202-8', family: 4, on: 'ack', opt: [202, 8, ...be16(80), ...ip('10.0.0.100')] },
  { id: 'toa-250-8', family: 4, on: 'ack', opt: [250, 8, ...be16(443), ...ip('10.0.0.101')] },
  {
    id: 'toa-252-20',
    family: 4,
    on: 'ack',
    opt: [252, 20, ...be16(5555), ...ip('192.0.2.82'), ...be32(77), ...ip('10.9.8.7'), ...be16(8443), 0, 0],
  },
  {
    id: 'toa-249-40',
    family: 6,
    on: 'ack',
    opt: [249, 40, ...be16(6000), ...ip('2001:db8::83'), 0x01, 0x02, 0x03, 0x00, ...ip('2001:db8:ffff::1')],
  },
];

function conn(i: number, family: 4 | 6, extra: Partial<Parameters<typeof connection>[0]>) {
  return connection({
    client: family === 6 ? LB.v6 : LB.v4,
    server: family === 6 ? RS.v6 : RS.v4,
    cport: 40000 + i,
    sport: 80,
    t0: 1_700_000_000 + i,
    ...extra,
  });
}

/** every TOA variant on its own connection, plus vendor combinations and the two look-alikes */
export function toaVariantsPcap(): Buffer {
  const conns = VARIANT_FIXTURES.map((v, i) =>
    conn(
      i,
      v.family,
      v.on === 'syn'
        ? { synOptions: [...MSS_OPT, ...v.opt] }
        : { ackOptions: v.opt.length + TS_OPT.length <= 40 ? [...v.opt, ...TS_OPT] : v.opt },
    ),
  );
  let i = VARIANT_FIXTURES.length;
  // TencentOS VPC mode: 200/8 + NOP,NOP,201/6 + 202/8
  conns.push(
    conn(i++, 4, {
      ackOptions: [
        ...toaOption(200, '192.0.2.90', 1111),
        1,
        1,
        201,
        6,
        ...be32(42),
        202,
        8,
        ...be16(80),
        ...ip('10.0.0.100'),
      ],
    }),
  );
  // Alibaba vtoa: 254/8 immediately followed by 250/8
  conns.push(
    conn(i++, 4, {
      ackOptions: [...toaOption(254, '192.0.2.91', 2222), 250, 8, ...be16(443), ...ip('10.0.0.101')],
    }),
  );
  // look-alikes: a real User Timeout (28/4) and a TFO cookie on kind 254 (ExID 0xF989)
  conns.push(conn(i++, 4, { synOptions: [...MSS_OPT, 28, 4, 0x01, 0x2c] }));
  conns.push(conn(i++, 4, { synOptions: [...MSS_OPT, 254, 8, 0xf9, 0x89, 1, 2, 3, 4] }));
  const recs = conns
    .flat()
    .sort((a, b) => a.ts - b.ts)
    .map((p) => ({ data: linkWrap('en10mb', p.ip), ts: p.ts }));
  return writePcap(recs, { linkType: 1 });
}

/** one capture per link type: an IPv4 and an IPv6 connection with TOA on the ACK */
export function linkPcap(link: Link): Buffer {
  const conns = [];
  if (link !== 'ipv6')
    conns.push(conn(0, 4, { ackOptions: [...toaOption(200, '192.0.2.77', 54321), ...TS_OPT] }));
  if (link !== 'ipv4')
    conns.push(conn(1, 6, { ackOptions: [...toaOption(253, '2001:db8::77', 443), ...TS_OPT] }));
  const recs = conns
    .flat()
    .sort((a, b) => a.ts - b.ts)
    .map((p) => ({ data: linkWrap(link, p.ip), ts: p.ts }));
  return writePcap(recs, { linkType: LINKTYPE[link] });
}

/** pcapng with three interfaces of different link types (EN10MB, LINUX_SLL2, RAW) */
export function mixedPcapng(): Buffer {
  const c = conn(0, 4, { ackOptions: [...toaOption(254, '192.0.2.77', 54321), ...TS_OPT] });
  const links: Link[] = ['en10mb', 'sll2', 'raw'];
  return writePcapng(
    links.map((l) => ({ linkType: LINKTYPE[l], tsresol: 9 })),
    c.map((p, i) => ({ data: linkWrap(links[i % 3], p.ip), ts: p.ts, iface: i % 3 })),
  );
}

export interface MalformedCase {
  name: string;
  data: Buffer;
  origLen?: number;
}

/** every malformed case, one packet each (EN10MB) */
export function malformedCases(): MalformedCase[] {
  const base = { src: LB.v4, dst: RS.v4, sport: 40000, dport: 80, flags: 'A', seq: 1001, ack: 5001 };
  const eth = (b: Buffer) => linkWrap('en10mb', b);
  const cases: MalformedCase[] = [
    {
      name: 'zero-length',
      data: eth(ipTcp({ ...base, options: [1, 1, 99, 0, ...toaOption(200, '192.0.2.1', 1)] })),
    },
    { name: 'length-one', data: eth(ipTcp({ ...base, options: [1, 1, 8, 1, 0, 0, 0, 0] })) },
    { name: 'overrun', data: eth(ipTcp({ ...base, options: [1, 1, 254, 20, 0, 80, 192, 0, 2, 1, 0, 0] })) },
    { name: 'no-length', data: eth(ipTcp({ ...base, options: [1, 1, 1, 254], payload: 'x' })) },
    {
      name: 'toa-after-eol',
      data: eth(ipTcp({ ...base, options: [...TS_OPT, 0, 0, 0, 0, ...toaOption(200, '192.0.2.2', 2)] })),
    },
    {
      name: 'toa-before-break',
      data: eth(ipTcp({ ...base, options: [...toaOption(254, '192.0.2.3', 3), 99, 0, 0, 0] })),
    },
    {
      name: 'second-toa',
      data: eth(
        ipTcp({ ...base, options: [...toaOption(200, '192.0.2.4', 4), ...toaOption(200, '192.0.2.5', 5)] }),
      ),
    },
  ];
  // data offset < 5
  const d4 = ipTcp({ ...base });
  d4[20 + 12] = 0x40;
  cases.push({ name: 'data-offset-4', data: eth(d4) });
  // data offset past the segment
  const d15 = ipTcp({ ...base, options: [1, 1, 1, 1] });
  d15[20 + 12] = 0xf0;
  cases.push({ name: 'data-offset-past-segment', data: eth(d15) });
  // snaplen cut inside the option area (TOA cut in half)
  const cut = eth(ipTcp({ ...base, options: [...TS_OPT, ...toaOption(200, '192.0.2.6', 6)] }));
  cases.push({ name: 'snaplen-options', data: cut.subarray(0, 14 + 20 + 20 + 16), origLen: cut.length });
  // snaplen cut inside the fixed TCP header
  const cut2 = eth(ipTcp({ ...base }));
  cases.push({ name: 'snaplen-tcp-header', data: cut2.subarray(0, 14 + 20 + 10), origLen: cut2.length });
  // a non-first IPv4 fragment and a bad IPv4 header checksum, a bad TCP checksum
  cases.push({ name: 'ip-fragment', data: eth(ipTcp({ ...base, fragOffset: 100 })) });
  const badIp = ipTcp({ ...base, options: toaOption(200, '192.0.2.7', 7) });
  badIp[10] ^= 0xff;
  cases.push({ name: 'bad-ip-checksum', data: eth(badIp) });
  cases.push({
    name: 'bad-tcp-checksum',
    data: eth(ipTcp({ ...base, options: toaOption(200, '192.0.2.8', 8), badChecksum: true })),
  });
  return cases;
}

export function malformedPcap(): Buffer {
  return writePcap(
    malformedCases().map((c, i) => ({ data: c.data, origLen: c.origLen, ts: 1_700_000_100 + i / 1000 })),
    { linkType: 1 },
  );
}

export const FIXTURE_LINKS: Link[] = [
  'en10mb',
  'vlan',
  'qinq',
  'sll',
  'sll2',
  'raw',
  'null',
  'loop',
  'ipv4',
  'ipv6',
];

/** file name → bytes for every generated fixture */
export function allFixtures(): Record<string, Buffer> {
  const out: Record<string, Buffer> = {
    'toa-variants.pcap': toaVariantsPcap(),
    'malformed-options.pcap': malformedPcap(),
    'mixed-links.pcapng': mixedPcapng(),
  };
  for (const l of FIXTURE_LINKS) out[`link-${l}.pcap`] = linkPcap(l);
  return out;
}
