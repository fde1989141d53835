import { describe, expect, it } from 'vitest';
import { readCaptureBuffer } from '../../src/capture/reader.js';
import { ipTcp, linkWrap, type NgPacket, writePcapng } from '../helpers/packets.js';
import { collector, epb, feedChunks, idb, rawBlock, rng, shb, u16, u32 } from './util.js';

const ip4 = ipTcp({ src: '100.64.0.2', dst: '10.0.0.5', sport: 40000, dport: 80, flags: 'S' });
const ip6 = ipTcp({ src: '2001:db8::1', dst: '2001:db8::2', sport: 40001, dport: 443, flags: 'SA' });

function read(buf: Buffer) {
  const { sink, got } = collector();
  const summary = readCaptureBuffer(buf, sink, 'x.pcapng');
  return { summary, got };
}

describe('pcapng via the shared writer', () => {
  for (const bigEndian of [false, true])
    for (const kind of ['epb', 'spb', 'pb'] as const) {
      it(`reads ${kind.toUpperCase()} in a ${bigEndian ? 'big' : 'little'}-endian section`, () => {
        const data = [linkWrap('en10mb', ip4), linkWrap('en10mb', ip6), Buffer.alloc(0)];
        const pkts: NgPacket[] = data.map((d, i) => ({ data: d, kind, ts: 1700000000 + i + 0.25 }));
        // snaplen-cut on the wire (an SPB has no captured length field, so only for EPB/PB)
        if (kind !== 'spb') pkts[1].origLen = data[1].length + 100;
        const file = writePcapng([{ linkType: 1 }], pkts, { bigEndian });
        const { summary, got } = read(file);
        expect(summary.format).toBe('pcapng');
        expect(summary.packets).toBe(3);
        expect(summary.linkTypes).toEqual({ 1: 3 });
        expect(summary.warnings).toEqual([]);
        expect(got.map((g) => g.linkType)).toEqual([1, 1, 1]);
        expect(got.map((g) => g.hex)).toEqual(data.map((d) => d.toString('hex')));
        if (kind === 'spb') {
          // an SPB has no timestamp and only its original length: captured = min(orig, block, snaplen)
          expect(got.map((g) => g.tsSec)).toEqual([0, 0, 0]);
          expect(got[1].originalLength).toBe(data[1].length);
          expect(got[1].capturedLength).toBe(data[1].length);
          expect(summary.firstTs).toBeNull();
        } else {
          expect(got.map((g) => [g.tsSec, g.tsNsec])).toEqual([
            [1700000000, 250000000],
            [1700000001, 250000000],
            [1700000002, 250000000],
          ]);
          expect(got[1].capturedLength).toBe(data[1].length);
          expect(got[1].originalLength).toBe(data[1].length + 100);
          expect(summary.firstTs).toBe(1700000000.25);
          expect(summary.lastTs).toBe(1700000002.25);
        }
      });
    }

  it('skips unknown blocks by their length', () => {
    const file = writePcapng([{ linkType: 101 }], [{ data: ip4 }, { data: ip6 }], { unknownBlocks: true });
    const { summary, got } = read(file);
    expect(summary.packets).toBe(2);
    expect(got.map((g) => g.hex)).toEqual([ip4.toString('hex'), ip6.toString('hex')]);
  });

  it('an SPB uses the interface snaplen to bound the captured length', () => {
    const data = Buffer.alloc(100, 7);
    const file = writePcapng([{ linkType: 101, snaplen: 64 }], [{ data, kind: 'spb' }]);
    const { got } = read(file);
    expect(got[0].capturedLength).toBe(64);
    expect(got[0].originalLength).toBe(100);
    expect(got[0].hex).toBe(data.subarray(0, 64).toString('hex'));
  });

  it('two interfaces with different link types and timestamp resolutions keep their own', () => {
    const a = linkWrap('en10mb', ip4);
    const b = linkWrap('sll2', ip6);
    const file = writePcapng(
      [
        { linkType: 1, tsresol: 6 },
        { linkType: 276, tsresol: 9 },
      ],
      [
        { data: a, iface: 0, ts: 1700000000.5 },
        { data: b, iface: 1, ts: 1700000001.25 },
        { data: a, iface: 0, ts: 1700000002.75 },
        { data: b, iface: 1, ts: 1700000003.125 },
      ],
    );
    const { summary, got } = read(file);
    expect(got.map((g) => [g.interfaceId, g.linkType, g.tsSec, g.tsNsec])).toEqual([
      [0, 1, 1700000000, 500000000],
      [1, 276, 1700000001, 250000000],
      [0, 1, 1700000002, 750000000],
      [1, 276, 1700000003, 125000000],
    ]);
    expect(summary.linkTypes).toEqual({ 1: 2, 276: 2 });
  });

  it('several sections in one file, each with its own byte order and interfaces', () => {
    const s1 = writePcapng([{ linkType: 113 }], [{ data: linkWrap('sll', ip4), ts: 1700000000 }]);
    const s2 = writePcapng(
      [{ linkType: 1 }, { linkType: 101, tsresol: 9 }],
      [
        { data: ip6, iface: 1, ts: 1700000001.5 },
        { data: linkWrap('en10mb', ip4), iface: 0, ts: 1700000002 },
      ],
      { bigEndian: true },
    );
    const s3 = writePcapng([{ linkType: 229, tsresol: 3 }], [{ data: ip6, ts: 1700000003.125 }]);
    const { summary, got } = read(Buffer.concat([s1, s2, s3]));
    expect(got.map((g) => [g.interfaceId, g.linkType, g.tsSec, g.tsNsec])).toEqual([
      [0, 113, 1700000000, 0],
      [1, 101, 1700000001, 500000000],
      [0, 1, 1700000002, 0],
      [0, 229, 1700000003, 125000000],
    ]);
    expect(summary.packets).toBe(4);
    expect(summary.linkTypes).toEqual({ 113: 1, 101: 1, 1: 1, 229: 1 });
    // the same, fed in random chunks
    const rand = rng(7);
    const r = feedChunks(Buffer.concat([s1, s2, s3]), () => 1 + Math.floor(rand() * 23), 'x.pcapng');
    expect(r.got).toEqual(got);
  });

  it('a packet that names an interface from a previous section is an error', () => {
    const s1 = writePcapng([{ linkType: 1 }, { linkType: 1 }], []);
    const s2 = writePcapng([{ linkType: 1 }], []);
    const bad = epb(1, 0n, ip4);
    expect(() => read(Buffer.concat([s1, s2, bad]))).toThrow(
      /block #6 at byte offset \d+: packet refers to interface 1 but 1 interface is described in this section/,
    );
  });
});

describe('pcapng timestamps: exact for every resolution', () => {
  const sec = 1700000000;
  const nsec = 123456789;
  const psSec = 10_000_000; // 10^12 ticks per second: 2023 would not fit in 64 bits
  // ticks for (sec, nsec) at 10^-r, truncated like the writer of a real capture would
  const dec = (r: number, s = sec) =>
    BigInt(s) * 10n ** BigInt(r) + (BigInt(nsec) * 10n ** BigInt(r)) / 10n ** 9n;
  const bin = (n: number) => (BigInt(sec) << BigInt(n)) + (BigInt(nsec) << BigInt(n)) / 10n ** 9n;
  const cases: Array<{ name: string; res: number | undefined; ticks: bigint; want: [number, number] }> = [
    { name: 'default µs (no if_tsresol)', res: undefined, ticks: dec(6), want: [sec, 123456000] },
    { name: '10^-0 (seconds)', res: 0, ticks: dec(0), want: [sec, 0] },
    { name: '10^-3 (ms)', res: 3, ticks: dec(3), want: [sec, 123000000] },
    { name: '10^-6 (µs)', res: 6, ticks: dec(6), want: [sec, 123456000] },
    { name: '10^-9 (ns)', res: 9, ticks: dec(9), want: [sec, nsec] },
    { name: '10^-12 (ps, BigInt path)', res: 12, ticks: dec(12, psSec), want: [psSec, nsec] },
    // 2^-n: the exact nanoseconds are floor(frac * 1e9 / 2^n)
    { name: '2^-0', res: 0x80, ticks: bin(0), want: [sec, 0] },
    {
      name: '2^-10',
      res: 0x80 | 10,
      ticks: bin(10),
      want: [sec, Number(((bin(10) & 1023n) * 10n ** 9n) >> 10n)],
    },
    {
      name: '2^-20',
      res: 0x80 | 20,
      ticks: bin(20),
      want: [sec, Number(((bin(20) & ((1n << 20n) - 1n)) * 10n ** 9n) >> 20n)],
    },
    {
      name: '2^-30',
      res: 0x80 | 30,
      ticks: bin(30),
      want: [sec, Number(((bin(30) & ((1n << 30n) - 1n)) * 10n ** 9n) >> 30n)],
    },
    {
      name: '2^-32',
      res: 0x80 | 32,
      ticks: bin(32),
      want: [sec, Number(((bin(32) & ((1n << 32n) - 1n)) * 10n ** 9n) >> 32n)],
    },
    {
      name: '2^-31',
      res: 0x80 | 31,
      ticks: bin(31),
      want: [sec, Number(((bin(31) & ((1n << 31n) - 1n)) * 10n ** 9n) >> 31n)],
    },
  ];
  for (const be of [false, true])
    for (const c of cases) {
      it(`${c.name} (${be ? 'BE' : 'LE'})`, () => {
        const file = Buffer.concat([
          shb(be),
          idb(101, c.res === undefined ? {} : { tsresol: c.res }, be),
          epb(0, c.ticks, ip4, {}, be),
          epb(0, c.ticks + 1n, ip4, {}, be),
        ]);
        const { got } = read(file);
        expect([got[0].tsSec, got[0].tsNsec]).toEqual(c.want);
        expect(got[1].tsNsec).toBeGreaterThanOrEqual(c.want[1]);
        expect(Number.isInteger(got[0].tsNsec)).toBe(true);
      });
    }

  it('nanosecond ticks above 2^53 lose nothing (every ns in a range)', () => {
    const recs: Buffer[] = [];
    const base = BigInt(sec) * 1_000_000_000n + 999_999_990n;
    for (let i = 0n; i < 20n; i++) recs.push(epb(0, base + i, ip4));
    const { got } = read(Buffer.concat([shb(), idb(101, { tsresol: 9 }), ...recs]));
    expect(got.map((g) => `${g.tsSec}.${String(g.tsNsec).padStart(9, '0')}`)).toEqual(
      Array.from({ length: 20 }, (_, i) => {
        const t = base + BigInt(i);
        return `${t / 1_000_000_000n}.${String(t % 1_000_000_000n).padStart(9, '0')}`;
      }),
    );
  });

  it('applies if_tsoffset (seconds) and reads IDB options after others (if_name)', () => {
    const file = Buffer.concat([
      shb(),
      idb(1, { name: 'eth0', tsresol: 9, tsoffset: 1000n }),
      epb(0, 5_000_000_001n, linkWrap('en10mb', ip4)),
    ]);
    const { got } = read(file);
    expect([got[0].tsSec, got[0].tsNsec]).toEqual([1005, 1]);
  });

  it('EPB options after the packet data do not change the captured length', () => {
    const opts = Buffer.concat([u16(2, false), u16(4, false), u32(1, false), u16(0, false), u16(0, false)]); // epb_flags
    const data = Buffer.from('0102030405', 'hex'); // 5 bytes: padded to 8
    const file = Buffer.concat([shb(), idb(101), epb(0, 1n, data, { options: opts })]);
    const { got } = read(file);
    expect(got[0].capturedLength).toBe(5);
    expect(got[0].hex).toBe('0102030405');
  });

  it('name resolution, interface statistics and custom blocks are skipped', () => {
    const nrb = rawBlock(
      4,
      Buffer.concat([
        u16(1, false),
        u16(8, false),
        Buffer.from([10, 0, 0, 1]),
        Buffer.from('a\0\0\0'),
        Buffer.alloc(4),
      ]),
    );
    const isb = rawBlock(5, Buffer.concat([u32(0, false), u32(0, false), u32(0, false)]));
    const cb = rawBlock(0x00000bad, Buffer.from('private enterprise data'));
    const file = Buffer.concat([shb(), idb(101), nrb, epb(0, 1n, ip4), isb, cb, epb(0, 2n, ip6)]);
    const { summary } = read(file);
    expect(summary.packets).toBe(2);
  });
});
