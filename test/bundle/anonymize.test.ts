import { describe, expect, it } from 'vitest';
import {
  anonymizeKernelHex,
  anonymizeProcHex,
  anonymizeText,
  deriveKey,
  formatV6,
  IpAnonymizer,
  mapCidr,
  mapProcHex,
  parseV6,
  replaceHostname,
  v4FromText,
  v4ToText,
} from '../../src/bundle/anonymize.js';

// Reference key and pairs shipped with the original Crypto-PAn implementation (Xu/Fan, Georgia Tech);
// the IPv6 pairs are the ones other implementations publish for the same key.
const REF_KEY = Buffer.from([
  21, 34, 23, 141, 51, 164, 207, 128, 19, 10, 91, 22, 73, 144, 125, 16, 216, 152, 143, 131, 121, 121, 101, 39,
  98, 87, 76, 45, 42, 132, 34, 2,
]);
const REF_V4: Array<[string, string]> = [
  ['128.11.68.132', '135.242.180.132'],
  ['129.118.74.4', '134.136.186.123'],
  ['130.132.252.244', '133.68.164.234'],
  ['141.223.7.43', '141.167.8.160'],
  ['141.233.145.108', '141.129.237.235'],
  ['152.163.225.39', '151.140.114.167'],
  ['192.102.249.13', '252.138.62.131'],
  ['24.0.250.221', '100.15.198.226'],
  ['4.3.88.225', '124.60.155.63'],
  ['64.14.118.196', '0.255.183.58'],
  ['127.0.0.1', '33.0.243.129'],
  ['0.0.0.0', '120.255.240.1'],
  ['255.255.255.255', '206.120.97.255'],
];
const REF_V6: Array<[string, string]> = [
  ['::1', '78ff:f001:9fc0:20df:8380:b1f1:704:ed'],
  ['::2', '78ff:f001:9fc0:20df:8380:b1f1:704:ef'],
  ['2001:db8::1', '4401:2bc:603f:d91d:27f:ff8e:e6f1:dc1e'],
  ['2001:db8::2', '4401:2bc:603f:d91d:27f:ff8e:e6f1:dc1c'],
];

function bitsV4(a: string): string {
  return v4FromText(a).toString(2).padStart(32, '0');
}
function bitsV6(a: string): string {
  return [...parseV6(a)!].map((b) => b.toString(2).padStart(8, '0')).join('');
}
function cpl(a: string, b: string): number {
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  return i;
}

/** deterministic pseudo-random addresses (xorshift) */
function* rand(seed: number): Generator<number> {
  let x = seed >>> 0 || 1;
  for (;;) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    yield x;
  }
}

describe('Crypto-PAn core', () => {
  it('matches the reference implementation for IPv4 (textbook mode)', () => {
    const a = new IpAnonymizer(REF_KEY, { preserveSpecial: false });
    for (const [raw, anon] of REF_V4) expect(a.mapText(raw)).toBe(anon);
  });

  it('matches published IPv6 results for the reference key (128-bit variant)', () => {
    const a = new IpAnonymizer(REF_KEY, { preserveSpecial: false });
    for (const [raw, anon] of REF_V6) expect(a.mapText(raw)).toBe(anon);
  });

  it('preserves the common prefix length of every pair (IPv4 and IPv6)', () => {
    const a = new IpAnonymizer(deriveKey('prefix test').key, { preserveSpecial: false });
    const r = rand(42);
    const v4: string[] = [];
    for (let i = 0; i < 60; i++) {
      const base = r.next().value as number;
      v4.push(v4ToText(base));
      // neighbours sharing long prefixes
      v4.push(v4ToText((base ^ (1 << (i % 32))) >>> 0));
    }
    const broken: string[] = [];
    for (const x of v4)
      for (const y of v4)
        if (cpl(bitsV4(a.mapText(x)!), bitsV4(a.mapText(y)!)) !== cpl(bitsV4(x), bitsV4(y)))
          broken.push(`${x} ${y}`);
    const v6 = [
      '2001:db8::1',
      '2001:db8::2',
      '2001:db8:0:1::1',
      '2001:db9::1',
      'fe80::1',
      'fe80::216:3eff:fe00:1',
    ];
    for (let i = 0; i < 20; i++) {
      const b = Buffer.alloc(16);
      for (let k = 0; k < 4; k++) b.writeUInt32BE(r.next().value as number, k * 4);
      v6.push(formatV6(b));
    }
    for (const x of v6)
      for (const y of v6)
        if (cpl(bitsV6(a.mapText(x)!), bitsV6(a.mapText(y)!)) !== cpl(bitsV6(x), bitsV6(y)))
          broken.push(`${x} ${y}`);
    expect(broken).toEqual([]);
  });

  it('is deterministic for a fixed key and differs between keys', () => {
    const k = deriveKey('0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef');
    expect(k.source).toBe('hex');
    const a = new IpAnonymizer(k.key);
    const b = new IpAnonymizer(Buffer.from(k.key));
    for (const x of ['203.0.113.9', '10.0.0.5', '2001:db8::7']) expect(a.mapText(x)).toBe(b.mapText(x));
    const p1 = deriveKey('correct horse');
    const p2 = deriveKey('correct horse');
    expect(p1.source).toBe('passphrase');
    expect(p1.key.equals(p2.key)).toBe(true);
    const c = new IpAnonymizer(deriveKey('another').key);
    expect(c.mapText('203.0.113.9')).not.toBe(a.mapText('203.0.113.9'));
    const r1 = deriveKey(undefined);
    expect(r1.source).toBe('random');
    expect(r1.key.equals(deriveKey(undefined).key)).toBe(false);
  });
});

describe('special addresses (default mode)', () => {
  const a = new IpAnonymizer(REF_KEY);

  it('keeps unspecified, broadcast and loopback addresses', () => {
    for (const x of ['0.0.0.0', '255.255.255.255', '127.0.0.1', '127.1.2.3', '::', '::1'])
      expect(a.mapText(x)).toBe(x);
  });

  it('anonymizes v4-mapped and NAT64 addresses through the IPv4 mapping', () => {
    const v4 = a.mapText('203.0.113.9')!;
    expect(a.mapText('::ffff:203.0.113.9')).toBe(`::ffff:${v4}`);
    expect(a.mapText('64:ff9b::203.0.113.9')).toBe(`64:ff9b::${v4}`);
  });

  it('keeps the textbook result outside the special cases', () => {
    const t = new IpAnonymizer(REF_KEY, { preserveSpecial: false });
    expect(a.mapText('128.11.68.132')).toBe(t.mapText('128.11.68.132'));
  });

  it('stays a bijection on /24s and keeps /8, /16, /24 structure', () => {
    const seen = new Map<string, string>();
    const r = rand(7);
    const addrs: string[] = [];
    for (let i = 0; i < 400; i++) addrs.push(v4ToText(r.next().value as number));
    // include the /8 that maps onto 127/8 in textbook mode
    const t = new IpAnonymizer(REF_KEY, { preserveSpecial: false });
    let y = 0;
    for (let o = 0; o < 256; o++) if (t.rawV4(o << 24) >>> 24 === 127) y = o;
    addrs.push(`${y}.1.2.3`, `${y}.1.2.4`, `${y}.9.9.9`, '127.0.0.1');
    for (const x of addrs) {
      const m = a.mapText(x)!;
      if (!x.startsWith('127.')) expect(m.startsWith('127.')).toBe(false);
      const k24 = x.split('.').slice(0, 3).join('.');
      const m24 = m.split('.').slice(0, 3).join('.');
      if (seen.has(m24)) expect(seen.get(m24)).toBe(k24);
      seen.set(m24, k24);
    }
    const mapped = addrs.map((x) => a.mapText(x)!.split('.'));
    const orig = addrs.map((x) => x.split('.'));
    const broken: string[] = [];
    for (let i = 0; i < addrs.length; i++)
      for (let j = 0; j < addrs.length; j++) {
        if ((mapped[i]![0] === mapped[j]![0]) !== (orig[i]![0] === orig[j]![0])) broken.push(`/8 ${i} ${j}`);
        const m24 = mapped[i]!.slice(0, 3).join() === mapped[j]!.slice(0, 3).join();
        if (m24 !== (orig[i]!.slice(0, 3).join() === orig[j]!.slice(0, 3).join()))
          broken.push(`/24 ${i} ${j}`);
      }
    expect(broken).toEqual([]);
  });
});

describe('CIDRs', () => {
  const a = new IpAnonymizer(REF_KEY);
  it('maps every address of a network into the mapped network (IPv4 and IPv6)', () => {
    const n4 = mapCidr('203.0.113.0/24', a);
    expect(n4).toMatch(/^\d+\.\d+\.\d+\.0\/24$/);
    const p4 = n4.split('.').slice(0, 3).join('.');
    for (const h of [0, 1, 77, 255]) expect(a.mapText(`203.0.113.${h}`)!.startsWith(`${p4}.`)).toBe(true);
    const n6 = mapCidr('2001:db8:77::/48', a);
    expect(n6.endsWith('/48')).toBe(true);
    const net = parseV6(n6.split('/')[0]!)!;
    for (const x of ['2001:db8:77::1', '2001:db8:77:ffff::9']) {
      const m = parseV6(a.mapText(x)!)!;
      expect(m.subarray(0, 6).equals(net.subarray(0, 6))).toBe(true);
    }
    expect(mapCidr('10.0.0.5', a)).toBe(a.mapText('10.0.0.5'));
    expect(mapCidr('not-an-address/8', a)).toBe('not-an-address/8');
  });
});

describe('text scrubbing', () => {
  const a = new IpAnonymizer(REF_KEY);

  it('rewrites dotted, IPv6, bracketed and netstat forms, leaving versions and times alone', () => {
    const v4 = a.mapText('203.0.113.9')!;
    const v6 = a.mapText('2001:db8::7')!;
    const text = [
      'TOA: TOA 2.0.0.0 by pukong.wjm',
      '[ 12.345678] [DEBUG] TOA: find toa data: ip = 203.0.113.9, port = 1234',
      'LISTEN 0 128 [2001:db8::7]:443 [::]:*',
      'tcp6 0 0 :::22 :::* LISTEN',
      'peer 203.0.113.9:51234 at 10:20:30, mac 00:16:3e:00:00:01.',
      'v6 client 2001:db8::7.',
      'mapped ::ffff:203.0.113.9',
    ].join('\n');
    const out = anonymizeText(text, a);
    expect(out).toContain('TOA 2.0.0.0 by');
    expect(out).toContain(`ip = ${v4}, port`);
    expect(out).toContain(`[${v6}]:443 [::]:*`);
    expect(out).toContain(':::22 :::*');
    expect(out).toContain(`peer ${v4}:51234 at 10:20:30, mac 00:16:3e:00:00:01.`);
    expect(out).toContain(`v6 client ${v6}.`);
    expect(out).toContain(`mapped ::ffff:${v4}`);
    expect(out).not.toContain('203.0.113.9');
    expect(out).not.toContain('2001:db8::7');
  });

  it('leaves kept addresses spelled as they were (cgroup v2 lines, expanded forms)', () => {
    expect(anonymizeText('0::/system.slice/docker-1234.scope', a)).toBe('0::/system.slice/docker-1234.scope');
    expect(anonymizeText('bound to 0:0:0:0:0:0:0:1 and 127.0.0.1', a)).toBe(
      'bound to 0:0:0:0:0:0:0:1 and 127.0.0.1',
    );
  });

  it('rewrites /proc/net/tcp and tcp6 hex addresses in host byte order', () => {
    // 203.0.113.9 little-endian = 0971 00CB -> "097100CB"
    const tcp = '   0: 097100CB:0050 0100007F:D431 0A 00000000:00000000 00:00000000 00000000     0';
    const out = anonymizeProcHex(tcp, 'le', a);
    const m = v4FromText(a.mapText('203.0.113.9')!);
    const b = Buffer.alloc(4);
    b.writeUInt32BE(m);
    expect(out).toContain(`${b.readUInt32LE(0).toString(16).toUpperCase().padStart(8, '0')}:0050`);
    expect(out).toContain('0100007F:D431'); // loopback kept
    expect(out).not.toContain('097100CB');
    // tcp6: 2001:db8::7 as four LE words
    const orig = parseV6('2001:db8::7')!;
    let hex = '';
    for (let i = 0; i < 4; i++)
      hex += orig
        .readUInt32LE(i * 4)
        .toString(16)
        .padStart(8, '0')
        .toUpperCase();
    const mapped = mapProcHex(hex, 'le', a);
    const back = Buffer.alloc(16);
    for (let i = 0; i < 4; i++)
      back.writeUInt32LE(Number.parseInt(mapped.slice(i * 8, i * 8 + 8), 16), i * 4);
    expect(formatV6(back)).toBe(a.mapText('2001:db8::7'));
    // big-endian hosts print network order
    expect(mapProcHex('CB007109', 'be', a)).toBe(
      v4FromText(a.mapText('203.0.113.9')!).toString(16).toUpperCase().padStart(8, '0'),
    );
  });

  it('rewrites keyword-prefixed hex in kernel lines', () => {
    const line = 'TOA: inet_lookup fail(-2), if_idx 2 sip 097100cb dip 0x0a00000a sport 80 dport 1234.';
    const out = anonymizeKernelHex(line, 'le', a);
    expect(out).not.toContain('097100cb');
    expect(out).not.toContain('0a00000a');
    expect(out).toContain('if_idx 2 sip ');
    expect(out).toContain('sport 80');
  });

  it('replaces the host name and its short form', () => {
    expect(replaceHostname('web-1.example.com web-1 web-10', 'web-1.example.com', 'host-x')).toBe(
      'host-x host-x web-10',
    );
  });
});

describe('text scrubbers for hostile hosts (issue 16 items 13, 15, 16)', async () => {
  const { anonymizeMacText } = await import('../../src/bundle/anonymize.js');
  const { commandLineOf } = await import('../../src/bundle/create.js');
  const ip = new IpAnonymizer(Buffer.alloc(32, 7));

  it('MAC text in every notation is mapped, notation and case kept, same NIC same pseudonym', () => {
    const t = anonymizeMacText(
      'a 52:54:00:aa:bb:01 b 52-54-00-AA-BB-01 c 5254.00aa.bb01 MAC=52:54:00:aa:bb:01:52:54:00:cc:dd:02:08:00 ff:ff:ff:ff:ff:ff',
      ip,
    );
    const m = /^a (\S+) b (\S+) c (\S+) MAC=(\S+) (\S+)$/.exec(t)!;
    expect(m[1]).toMatch(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
    expect(m[1]).not.toBe('52:54:00:aa:bb:01');
    expect(m[2]).toBe(m[1]!.toUpperCase().replace(/:/g, '-'));
    expect(m[3]).toBe(m[1]!.replace(/:/g, '').match(/..../g)!.join('.'));
    expect(m[4]!.startsWith(m[1]!)).toBe(true);
    expect(m[4]!.endsWith(':08:00')).toBe(true);
    expect(m[4]).not.toContain('52:54:00:cc:dd:02');
    expect(m[5]).toBe('ff:ff:ff:ff:ff:ff');
    // IPv6 addresses and times are not MACs
    expect(anonymizeMacText('fe80::5054:ff:feaa:bb01 12:34:56', ip)).toBe('fe80::5054:ff:feaa:bb01 12:34:56');
  });

  it('host names: any case, FQDN labels mapped, inside paths, not inside longer names', () => {
    const host = 'zebra-web-17.corp.example.com';
    const p = ip.mapHostname(host);
    const out = ip.scrubHostname(
      'ZEBRA-WEB-17 Zebra-Web-17.Corp.Example.Com zebra-web-17.other.net /tmp/zebra-web-17-ticket.tar.gz zebra-web-170 search corp.example.com',
      host,
      p,
    );
    expect(out.toLowerCase()).not.toMatch(/zebra-web-17(?!0)|corp|example/);
    expect(out).toContain(`${p}-ticket.tar.gz`);
    expect(out).toContain('zebra-web-170');
    expect(out.split(' ')[0]).toBe(p);
    expect(ip.mapHostname('ZEBRA-WEB-17.CORP.EXAMPLE.COM')).toBe(p);
  });

  it('the command line is recorded argument by argument, the key never', () => {
    const line = commandLineOf([
      'toa-doctor',
      'bundle',
      '--anonymize-key',
      'my secret passphrase zebra',
      '-o',
      'x y.tar.gz',
      '--anonymize-key=other secret',
    ]);
    expect(line).toBe(
      "toa-doctor bundle --anonymize-key <redacted> -o 'x y.tar.gz' --anonymize-key=<redacted>",
    );
    expect(line).not.toMatch(/secret|passphrase|zebra/);
  });
});
