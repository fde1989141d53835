import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ipv4ToString, ipv6ToString, parseAddress, parseIPv4, parseIPv6 } from '../../src/decode/index.js';

describe('IPv6 text is RFC 5952', () => {
  const cases: Array<[string, string]> = [
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['2001:0db8:0000:0000:0001:0000:0000:0001', '2001:db8::1:0:0:1'], // first of equal runs
    ['2001:0db8:0000:0001:0000:0000:0000:0001', '2001:db8:0:1::1'], // longest run
    ['2001:0db8:0000:0001:0001:0001:0001:0001', '2001:db8:0:1:1:1:1:1'], // single 0 not compressed
    ['0000:0000:0000:0000:0000:0000:0000:0000', '::'],
    ['0000:0000:0000:0000:0000:0000:0000:0001', '::1'],
    ['fe80:0000:0000:0000:0000:0000:0000:0000', 'fe80::'],
    ['0000:0000:0000:0000:0000:ffff:c000:0201', '::ffff:192.0.2.1'],
    ['ABCD:EF01:2345:6789:ABCD:EF01:2345:6789', 'abcd:ef01:2345:6789:abcd:ef01:2345:6789'],
    ['0064:ff9b:0000:0000:0000:0000:c000:0201', '64:ff9b::c000:201'],
  ];
  for (const [full, want] of cases) {
    it(`${full} → ${want}`, () => {
      const b = Buffer.alloc(20);
      Buffer.from(full.replaceAll(':', ''), 'hex').copy(b, 2);
      expect(ipv6ToString(b, 2)).toBe(want);
      expect(parseIPv6(want)?.equals(b.subarray(2, 18))).toBe(true);
    });
  }
  it('round-trips random addresses (and agrees with URL host canonicalisation on zero runs)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (a) => {
        const s = ipv6ToString(a, 0);
        const back = parseIPv6(s);
        expect(back && Buffer.from(a).equals(back)).toBe(true);
        expect(s).toBe(s.toLowerCase());
      }),
    );
  });
});

describe('IPv4 and parsing', () => {
  it('dotted quad', () => {
    expect(ipv4ToString(Buffer.from([0, 192, 0, 2, 255]), 1)).toBe('192.0.2.255');
  });
  it('parses and rejects', () => {
    expect(parseIPv4('10.0.0.1')).toEqual(Buffer.from([10, 0, 0, 1]));
    for (const bad of ['10.0.0', '10.0.0.256', 'a.b.c.d', '1.2.3.4.5', '']) expect(parseIPv4(bad)).toBeNull();
    for (const bad of ['1::2::3', '12345::', '1:2:3:4:5:6:7:8:9', 'fe80::1%eth0', ':::'])
      expect(parseIPv6(bad)).toBeNull();
    expect(parseIPv6('::ffff:1.2.3.4')).toEqual(Buffer.from('00000000000000000000ffff01020304', 'hex'));
    expect(parseIPv6('[2001:db8::1]')?.toString('hex')).toBe('20010db8000000000000000000000001');
    expect(parseAddress('2001:db8::1')?.version).toBe(6);
    expect(parseAddress(' 192.0.2.1 ')?.version).toBe(4);
    expect(parseAddress('example.com')).toBeNull();
  });
});
