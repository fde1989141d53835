import { describe, expect, it } from 'vitest';
import {
  decodeOptions,
  decodeToa,
  findToaVariant,
  optionText,
  TOA_VARIANTS,
  type ToaDecoded,
} from '../../src/decode/index.js';
import { cdnToaOption, ipToBytes, TS_OPT, toaOption } from '../helpers/packets.js';
import { decodeSpec, V4 } from './util.js';

const be16 = (v: number) => [v >> 8, v & 0xff];
const be32 = (v: number) => [(v >>> 24) & 0xff, (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff];
const ip = (a: string) => [...ipToBytes(a)];

/** Each variant written byte by byte from the reference layout (sections 1.1-1.3). */
const VARIANT_CASES: Array<{ bytes: number[]; want: Partial<ToaDecoded>; text: string }> = [
  {
    bytes: [200, 8, ...be16(54321), ...ip('192.0.2.77')],
    want: { variant: 'toa-200-8', family: 'ipv4', address: '192.0.2.77', port: 54321 },
    text: 'toa 192.0.2.77:54321 (200/8)',
  },
  {
    bytes: [254, 8, ...be16(12345), ...ip('198.51.100.7')],
    want: { variant: 'toa-254-8', address: '198.51.100.7', port: 12345 },
    text: 'toa 198.51.100.7:12345 (254/8)',
  },
  {
    bytes: [253, 8, ...be16(1), ...ip('203.0.113.9')],
    want: { variant: 'toa-253-8', address: '203.0.113.9', port: 1 },
    text: 'toa 203.0.113.9:1 (253/8)',
  },
  {
    bytes: [253, 20, ...be16(443), ...ip('2001:db8::77')],
    want: { variant: 'toa-253-20', family: 'ipv6', address: '2001:db8::77', port: 443 },
    text: 'toa [2001:db8::77]:443 (253/20)',
  },
  {
    bytes: [254, 20, ...be16(65535), ...ip('2001:db8:0:0:1:0:0:1')],
    want: { variant: 'toa-254-20', family: 'ipv6', address: '2001:db8::1:0:0:1', port: 65535 },
    text: 'toa [2001:db8::1:0:0:1]:65535 (254/20)',
  },
  {
    bytes: [254, 16, ...be16(40000), ...ip('192.0.2.10'), 0, 0, ...be16(8080), ...ip('10.1.2.3')],
    want: {
      variant: 'toa-254-16',
      address: '192.0.2.10',
      port: 40000,
      extra: { dstPort: 8080, dstAddress: '10.1.2.3' },
    },
    text: 'toa 192.0.2.10:40000 dst 10.1.2.3:8080 (254/16)',
  },
  {
    bytes: [28, 7, 1, ...ip('192.0.2.77')],
    want: { variant: 'toa-28-7', family: 'ipv4', address: '192.0.2.77', port: null, extra: { version: 1 } },
    text: 'toa 192.0.2.77 (28/7)',
  },
  {
    bytes: [28, 19, 2, ...ip('2001:db8::9')],
    want: { variant: 'toa-28-19', family: 'ipv6', address: '2001:db8::9', port: null, extra: { version: 2 } },
    text: 'toa 2001:db8::9 (28/19)',
  },
  {
    bytes: [201, 6, ...be32(0x80000001)],
    want: { variant: 'toa-201-6', family: null, address: null, port: null, extra: { vpcId: 0x80000001 } },
    text: 'toa vpc 2147483649 (201/6)',
  },
  {
    bytes: [202, 8, ...be16(80), ...ip('10.0.0.100')],
    want: { variant: 'toa-202-8', address: null, extra: { vport: 80, vip: '10.0.0.100' } },
    text: 'toa vip 10.0.0.100:80 (202/8)',
  },
  {
    bytes: [250, 8, ...be16(443), ...ip('10.0.0.101')],
    want: { variant: 'toa-250-8', address: null, extra: { vport: 443, vip: '10.0.0.101' } },
    text: 'toa vip 10.0.0.101:443 (250/8)',
  },
  {
    bytes: [252, 20, ...be16(5555), ...ip('192.0.2.5'), ...be32(77), ...ip('10.9.8.7'), ...be16(8443), 0, 0],
    want: {
      variant: 'toa-252-20',
      address: '192.0.2.5',
      port: 5555,
      extra: { vpcId: 77, vip: '10.9.8.7', vport: 8443 },
    },
    text: 'toa 192.0.2.5:5555 vpc 77 vip 10.9.8.7:8443 (252/20)',
  },
  {
    bytes: [249, 40, ...be16(6000), ...ip('2001:db8::5'), 0x01, 0x02, 0x03, 0xff, ...ip('2001:db8:ffff::1')],
    want: {
      variant: 'toa-249-40',
      family: 'ipv6',
      address: '2001:db8::5',
      port: 6000,
      extra: { vpcId: 0x010203, vip: '2001:db8:ffff::1' },
    },
    text: 'toa [2001:db8::5]:6000 vpc 66051 vip 2001:db8:ffff::1 (249/40)',
  },
];

describe('TOA variant table', () => {
  it('has exactly the reference variants with ids toa-<kind>-<len>', () => {
    expect(
      TOA_VARIANTS.filter((v) => !v.carrier)
        .map((v) => v.id)
        .sort(),
    ).toEqual(
      [
        'toa-200-8',
        'toa-254-8',
        'toa-253-8',
        'toa-253-20',
        'toa-254-20',
        'toa-254-16',
        'toa-28-7',
        'toa-28-19',
        'toa-201-6',
        'toa-202-8',
        'toa-250-8',
        'toa-252-20',
        'toa-249-40',
      ].sort(),
    );
    for (const v of TOA_VARIANTS) {
      expect(v.vendors.length).toBeGreaterThan(0);
      // IP-header carriers (TTGW) are never found by (kind, length) in the TCP option walk
      if (v.carrier) expect(findToaVariant(v.kind, v.length)).toBe(-1);
      else expect(findToaVariant(v.kind, v.length)).toBe(TOA_VARIANTS.indexOf(v));
    }
    expect(findToaVariant(28, 4)).toBe(-1);
    expect(findToaVariant(200, 10)).toBe(-1);
  });

  it('covers every row with a test case', () => {
    expect(VARIANT_CASES.map((c) => `toa-${c.bytes[0]}-${c.bytes[1]}`).sort()).toEqual(
      TOA_VARIANTS.filter((v) => !v.carrier)
        .map((v) => v.id)
        .sort(),
    );
  });

  for (const c of VARIANT_CASES) {
    it(`${c.want.variant}: bytes → named fields`, () => {
      const buf = Buffer.from([9, 9, ...c.bytes, 9]);
      const vi = findToaVariant(c.bytes[0], c.bytes[1]);
      expect(vi).toBeGreaterThanOrEqual(0);
      const t = decodeToa(buf, 2, vi);
      expect(t).toMatchObject({ kind: c.bytes[0], length: c.bytes[1], ...c.want });
      expect(optionText(buf, 2, c.bytes[0], c.bytes[1])).toBe(c.text);
      const d = decodeOptions(buf, 2, c.bytes.length);
      expect(d.options[0].name).toBe('toa');
      expect(d.options[0].toa).toEqual(t);
    });
  }

  it('the test helper builds the same bytes as the layouts (classic, IPv6, CDN)', () => {
    expect(toaOption(200, '192.0.2.77', 54321)).toEqual(VARIANT_CASES[0].bytes);
    expect(toaOption(253, '2001:db8::77', 443)).toEqual(VARIANT_CASES[3].bytes);
    expect(cdnToaOption('192.0.2.77')).toEqual(VARIANT_CASES[6].bytes);
  });
});

describe('TOA look-alikes', () => {
  it('kind 28 length 4 is a real User Timeout, not a TOA', () => {
    const { pkt } = decodeSpec({ ...V4, options: [28, 4, 0x01, 0x2c] });
    expect(pkt.opts.toaKind).toBe(-1);
    expect(pkt.opts.toaCount).toBe(0);
    expect(decodeOptions(Buffer.from([28, 4, 1, 0x2c]), 0, 4).options[0].name).toBe('uto');
  });
  it('kind 254 whose data starts 0xF989 is TFO, not TOA (client port 63881)', () => {
    const bytes = toaOption(254, '192.0.2.1', 0xf989);
    const { pkt } = decodeSpec({ ...V4, options: bytes });
    expect(pkt.opts.toaKind).toBe(-1);
    expect(pkt.opts.hasTfo).toBe(true);
    expect(decodeOptions(Buffer.from(bytes), 0, 8).options[0].name).toBe('tfo');
  });
  it('a TOA kind with a length not in the table is not a TOA', () => {
    const { pkt } = decodeSpec({ ...V4, options: [200, 10, 0, 80, 1, 2, 3, 4, 5, 6] });
    expect(pkt.opts.toaKind).toBe(-1);
  });
});

describe('TOA in the packet summary', () => {
  it('first match in wire order with absolute offset; a second one is counted', () => {
    const { pkt } = decodeSpec({
      ...V4,
      options: [1, 1, ...toaOption(254, '192.0.2.1', 1000), ...toaOption(200, '192.0.2.2', 2000)],
    });
    const s = pkt.opts;
    expect([s.toaKind, s.toaLength, s.toaOffset - pkt.tcpOffset]).toEqual([254, 8, 22]);
    expect(TOA_VARIANTS[s.toaVariant].id).toBe('toa-254-8');
    expect(s.toaCount).toBe(2);
  });
  it('vtoa 254/8 followed by 250/8: the client TOA is the match, the VIP row is an extension', () => {
    const { pkt } = decodeSpec({
      ...V4,
      options: [...toaOption(254, '192.0.2.1', 1000), 250, 8, 0, 80, 10, 0, 0, 1],
    });
    expect(pkt.opts.toaKind).toBe(254);
    expect(pkt.opts.toaCount).toBe(1);
    expect(pkt.opts.toaExtCount).toBe(1);
  });
  it('VIP/VPC rows alone are reported when no client TOA exists (201 after NOP,NOP)', () => {
    const { pkt } = decodeSpec({ ...V4, options: [1, 1, 201, 6, 0, 0, 0, 5] });
    expect(pkt.opts.toaKind).toBe(201);
    expect(pkt.opts.toaCount).toBe(0);
    expect(pkt.opts.toaExtCount).toBe(1);
  });
  it('TOA after EOL is not a match but sets toaAfterEol', () => {
    const { pkt } = decodeSpec({
      ...V4,
      options: [...TS_OPT, 0, 0, 0, 0, ...toaOption(200, '192.0.2.1', 1)],
    });
    expect(pkt.opts.toaKind).toBe(-1);
    expect(pkt.opts.toaAfterEol).toBe(true);
    expect(pkt.opts.bytesAfterEol).toBe(true);
    expect(pkt.opts.toaAfterEolOffset - pkt.tcpOffset).toBe(20 + 16);
  });
  it('TOA before EOL: match, toaAfterEol false', () => {
    const { pkt } = decodeSpec({ ...V4, options: [...toaOption(200, '192.0.2.1', 1), 0, 0, 0, 0] });
    expect(pkt.opts.toaKind).toBe(200);
    expect(pkt.opts.toaAfterEol).toBe(false);
    expect(pkt.opts.bytesAfterEol).toBe(false);
  });
  it('TOA before a break counts; TOA after a break is only toaAfterBreak', () => {
    const before = decodeSpec({ ...V4, options: [...toaOption(254, '192.0.2.1', 1), 99, 0, 0, 0] }).pkt.opts;
    expect(before.toaKind).toBe(254);
    expect(before.breakReason).toBe('zero-length');
    expect(before.toaAfterBreak).toBe(false);
    const { pkt } = decodeSpec({ ...V4, options: [99, 1, 0, 0, ...toaOption(254, '192.0.2.1', 1)] });
    expect(pkt.opts.toaKind).toBe(-1);
    expect(pkt.opts.breakReason).toBe('length-one');
    expect(pkt.opts.toaAfterBreak).toBe(true);
    expect(pkt.opts.toaAfterBreakOffset - pkt.tcpOffset).toBe(24);
  });
  it('a TOA that overruns the option area is a break, not a match', () => {
    const ipb = toaOption(253, '2001:db8::1', 80); // 20 bytes
    const { pkt } = decodeSpec({ ...V4, options: ipb.slice(0, 12), dataOffset: 8 });
    expect(pkt.opts.toaKind).toBe(-1);
    expect(pkt.opts.breakReason).toBe('overrun');
  });
});
