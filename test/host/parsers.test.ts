import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { containerHints } from '../../src/host/container.js';
import { parseKernel } from '../../src/host/kernel.js';
import { decodeProcAddress, formatIpv6, groupPorts, parseProcNetTcp } from '../../src/host/listeners.js';
import { parseProcModules } from '../../src/host/modules.js';
import { parseHookers, parseSnmpTcp, parseToaTable } from '../../src/host/proc-misc.js';

const TCP =
  '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n' +
  '   0: 00000000:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 21001 1 ffff 100 0 0 10 0\n' +
  '   1: 0100007F:0019 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 21003 1 ffff 100 0 0 10 0\n' +
  '   2: 0500000A:0050 0703400A:9CB0 01 00000000:00000000 00:00000000 00000000     0        0 41001 1 ffff 20 4 30 10 -1\n';

const TCP6 =
  '  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n' +
  '   0: 00000000000000000000000000000000:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 33002 1 ffff 100 0 0 10 0\n' +
  '   1: 00000000000000000000000001000000:0019 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 31001 1 ffff 100 0 0 10 0\n' +
  '   2: 0000000000000000FFFF00000500000A:0016 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 31002 1 ffff 100 0 0 10 0\n' +
  '   3: B80D0120000005000000000010000000:0050 B80D01200000FFFF0000000000010000:C350 01 00000000:00000000 00:00000000 00000000     0        0 52000 1 ffff 20 4 30 10 -1\n';

describe('/proc/net/tcp and tcp6', () => {
  it('decodes host-endian IPv4 words and big-endian ports', () => {
    expect(decodeProcAddress('0100007F:1F90')).toEqual({ family: 'ipv4', address: '127.0.0.1', port: 8080 });
    expect(decodeProcAddress('0100007F:1F90', 'be')).toEqual({
      family: 'ipv4',
      address: '1.0.0.127',
      port: 8080,
    });
  });
  it('decodes tcp6 per 32-bit word (each word byte-reversed on little-endian)', () => {
    expect(decodeProcAddress('B80D0120000005000000000010000000:0050')?.address).toBe('2001:db8:5::10');
    expect(decodeProcAddress('00000000000000000000000001000000:0019')?.address).toBe('::1');
    expect(decodeProcAddress('0000000000000000FFFF00000500000A:0016')?.address).toBe('::ffff:10.0.0.5');
    expect(decodeProcAddress('20010DB8000500000000000000000010:0050', 'be')?.address).toBe('2001:db8:5::10');
  });
  it('RFC 5952 text: longest zero run, lowercase, no single-group ::', () => {
    expect(formatIpv6([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1])).toBe('2001:db8:0:1::1');
    expect(formatIpv6([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1])).toBe(
      '2001:db8::1:0:0:1',
    );
    expect(formatIpv6([0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1])).toBe(
      '2001:db8:1:1:1:1:1:1',
    );
    expect(formatIpv6([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1])).toBe(
      '2001:db8:0:1:1:1:1:1',
    );
    expect(formatIpv6(new Array(16).fill(0))).toBe('::');
  });
  it('keeps only LISTEN (0A) rows as listeners and counts the rest', () => {
    const v4 = parseProcNetTcp(TCP);
    expect(v4.listeners.map((l) => `${l.address}:${l.port}`)).toEqual(['0.0.0.0:80', '127.0.0.1:25']);
    expect(v4.others).toBe(1);
    const v6 = parseProcNetTcp(TCP6);
    expect(v6.listeners.map((l) => `${l.address}:${l.port}`)).toEqual([
      ':::8080',
      '::1:25',
      '::ffff:10.0.0.5:22',
    ]);
    expect(v6.listeners[0]).toMatchObject({ dualStack: true, uid: 1000, inode: '33002' });
    expect(v6.listeners[2]).toMatchObject({ v4Mapped: true, dualStack: false });
    expect(v6.others).toBe(1);
  });
  it('says which path an IPv4 client takes on each port', () => {
    const ls = [...parseProcNetTcp(TCP).listeners, ...parseProcNetTcp(TCP6).listeners];
    const ports = groupPorts(ls, 0);
    const by = (p: number) => ports.find((x) => x.port === p)!;
    expect(by(8080)).toMatchObject({ ipv4ClientPath: 'ipv6', uncertain: false });
    expect(by(80).ipv4ClientPath).toBe('ipv4');
    expect(by(22).ipv4ClientPath).toBe('ipv6'); // v4-mapped bind
    expect(by(25).ipv4ClientPath).toBe('ipv4');
    expect(groupPorts(ls, 1).find((x) => x.port === 8080)!.uncertain).toBe(true);
    expect(groupPorts(ls, null).find((x) => x.port === 8080)!.uncertain).toBe(true);
  });
  it('an IPv6-only port (no dual-stack, no v4 socket) cannot take IPv4 clients', () => {
    const ls = parseProcNetTcp(
      '   0: B80D0120000005000000000010000000:0050 00000000000000000000000000000000:0000 0A 0:0 0:0 0 0 0 1\n',
    ).listeners;
    expect(groupPorts(ls, 0)[0]!.ipv4ClientPath).toBe('none');
  });
});

describe('/proc/modules', () => {
  it('parses name, size, refs, users, state, address, taints', () => {
    const m = parseProcModules(
      'toa 24576 0 - Live 0xffffffffc06e3000 (OE)\nhookers 20480 1 vtoa, Live 0xffffffffc0871000\n' +
        'nf_conntrack 139264 2 xt_conntrack,nf_nat, Live 0x0000000000000000\nvtoa 45056 0 - Loading 0xffffffffc0880000 (O+)\n',
    );
    expect(m.map((x) => [x.name, x.state, x.taints, x.usedBy])).toEqual([
      ['toa', 'Live', 'OE', []],
      ['hookers', 'Live', '', ['vtoa']],
      ['nf_conntrack', 'Live', '', ['xt_conntrack', 'nf_nat']],
      ['vtoa', 'Loading', 'O+', []],
    ]);
    expect(m[0]).toMatchObject({ size: 24576, refcount: 0, address: '0xffffffffc06e3000' });
  });
});

describe('/proc/hookers, /proc/net/snmp, toa_table', () => {
  it('hookers lines with their path and role', () => {
    const h = parseHookers(
      'name:ipv4_specific.syn_recv_sock addr:0xffffffffc0871040 hookers:1\n' +
        'name:inet6_stream_ops.getname addr:0xffffffffc0871340 hookers:0\n' +
        'name:ipv6_mapped.syn_recv_sock addr:0xffffffffc0871280 hookers:2\n',
    );
    expect(h.map((x) => [x.place, x.family, x.role, x.hookers])).toEqual([
      ['ipv4_specific.syn_recv_sock', 'ipv4', 'syn_recv_sock', 1],
      ['inet6_stream_ops.getname', 'ipv6', 'getname', 0],
      ['ipv6_mapped.syn_recv_sock', 'mapped', 'syn_recv_sock', 2],
    ]);
  });
  it('snmp Tcp: PassiveOpens', () => {
    expect(
      parseSnmpTcp(
        'Ip: a b\nIp: 1 2\nTcp: RtoAlgorithm RtoMin RtoMax MaxConn ActiveOpens PassiveOpens AttemptFails EstabResets CurrEstab\nTcp: 1 200 120000 -1 44 2 0 0 7\n',
      ),
    ).toEqual({ passiveOpens: 2, activeOpens: 44, currEstab: 7 });
    expect(parseSnmpTcp('nothing')).toBeNull();
  });
  it('toa_table: counts lines with an address, keeps raw lines, warns', () => {
    const t = parseToaTable(
      'idx sk saddr sport\n0 ffff8a0c3e2b1a00 2001:db8::25 51234\n1 ffff8a0c3e2b3c80 2001:db8::99 4\n',
    );
    expect(t.entries).toBe(2);
    expect(t.lines).toHaveLength(3);
    expect(t.warning).toMatch(/degrade performance/);
    expect(parseToaTable(null)).toMatchObject({ read: false, entries: null });
  });
});

describe('kernel flavor', () => {
  const cases: [string, string | null, string | null, string][] = [
    ['5.4.119-1-tlinux4-0009.1', null, null, 'tencentos'],
    ['3.10.107-1-tlinux2_kvm_guest-0052', null, null, 'tencentos'],
    ['4.14.105-1.tl2', null, null, 'tencentos'],
    ['5.4.119-19.0009.tl3', null, null, 'tencentos'],
    ['5.4.119-19-0009.28', 'Linux version 5.4.119-19-0009.28 (TencentOS)', null, 'tencentos'],
    ['5.4.119-19-0009.28', null, 'PRETTY_NAME="TencentOS Server 3.1 (TK4)"', 'tencentos'],
    ['5.10.134-15.al8.x86_64', null, null, 'alinux'],
    ['4.19.91-26.al7.x86_64', null, null, 'alinux'],
    ['4.19.91-25.an8.x86_64', null, null, 'anolis'],
    ['5.10.134-13.an8.x86_64', null, 'PRETTY_NAME="Anolis OS 8.8"', 'anolis'],
    ['5.10.0-1.alinux3', null, null, 'alinux'],
    ['5.15.0-91-generic', null, null, 'other'],
  ];
  for (const [rel, ver, os, flavor] of cases)
    it(`${rel}${os ? ` + ${os}` : ''} → ${flavor}`, () => {
      expect(parseKernel(rel, ver, os).flavor).toBe(flavor);
    });
  it('numeric version and unknown', () => {
    expect(parseKernel('5.10.134-15.al8.x86_64', null).numeric).toEqual([5, 10, 134]);
    expect(parseKernel(null, null).flavor).toBe('unknown');
    expect(parseKernel(null, 'Linux version 4.18.0-348.el8.x86_64 (x)').numeric).toEqual([4, 18, 0]);
  });
});

describe('container hints', () => {
  it('dockerenv / containerenv / cgroup paths', () => {
    expect(containerHints(false, false, '0::/\n').inContainer).toBe(false);
    expect(containerHints(true, false, null).reasons).toEqual(['/.dockerenv exists']);
    const k = containerHints(false, false, '12:memory:/kubepods/burstable/pod1/abc\n');
    expect(k).toMatchObject({ inContainer: true, cgroupHints: ['kubepods'] });
    expect(containerHints(false, true, '0::/machine.slice/libpod-abc.scope').cgroupHints).toEqual(['libpod']);
  });
});

describe('property: arbitrary text never throws', () => {
  const text = fc.oneof(
    fc.string({ maxLength: 1500 }),
    fc
      .array(
        fc.oneof(
          fc.string({ maxLength: 60 }),
          fc.constantFrom(
            '   0: 0100007F:1F90 00000000:0000 0A',
            'name:x addr:0x1 hookers:9',
            'Tcp: PassiveOpens\nTcp: 1',
            'toa 1 0 - Live 0x0 (OE)',
            'PRETTY_NAME="x"',
          ),
        ),
        { maxLength: 20 },
      )
      .map((l) => l.join('\n')),
  );
  it('every small parser', () => {
    fc.assert(
      fc.property(text, (t) => {
        parseProcNetTcp(t);
        parseProcNetTcp(t, 'be');
        decodeProcAddress(t);
        parseProcModules(t);
        parseHookers(t);
        parseSnmpTcp(t);
        parseToaTable(t);
        parseKernel(t, t, t);
        containerHints(true, false, t);
      }),
      { numRuns: 500 },
    );
  });
  it('tcp6 decode round trip for random addresses', () => {
    fc.assert(
      fc.property(
        fc.array(fc.nat({ max: 255 }), { minLength: 16, maxLength: 16 }),
        fc.nat({ max: 65535 }),
        (b, port) => {
          const words = [0, 1, 2, 3]
            .map((w) =>
              b
                .slice(w * 4, w * 4 + 4)
                .reverse()
                .map((x) => x.toString(16).padStart(2, '0'))
                .join(''),
            )
            .join('')
            .toUpperCase();
          const r = decodeProcAddress(`${words}:${port.toString(16).padStart(4, '0').toUpperCase()}`);
          expect(r?.port).toBe(port);
          expect(r?.address).toBe(formatIpv6(b));
        },
      ),
    );
  });
});
