/**
 * One host root + one capture per module-model behaviour: the capture is built here with the
 * packet writer (test/helpers), the host root is a fixture tree (fixtures/hosts/<impl>), and `read
 * --host` must judge each connection the way that module reads it: the verdict, the `toa` the
 * module uses, the packet it reads, and the remedy text. Each case also runs without host evidence
 * (auto) where the verdict differs, so the test shows the model is what changed it.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  cdnToaOption,
  connection,
  ipToBytes,
  MSS_OPT,
  NOP,
  toaOption,
  ttgwIp4Option,
  ttgwIp6DstOption,
  withIpHeaderBytes,
} from '../helpers/packets.js';
import { captureOf, type Pkt } from '../helpers/scenarios.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'toa-models-'));

interface Flow {
  client: string;
  verdict: string;
  reason: string;
  toa: {
    kind: number;
    length: number;
    address: string | null;
    port: number | null;
    packets: string[];
  } | null;
  handshake: { readPacket: string | null; modelReads?: string };
}
interface Doc {
  summary: {
    profile: { selected: string; reads: string[] };
    model?: { id: string; chosenBy: string; why: string; reads: string; pick: string };
  };
  flows: Flow[];
  findings: Array<{
    code: string;
    severity: string;
    flows: number;
    title: string;
    explanation: string;
    remediation: string;
  }>;
}

function read(name: string, conns: Pkt[][], args: string[]): Doc {
  const f = join(dir, `${name}.pcap`);
  writeFileSync(f, captureOf(conns));
  const r = spawnSync(
    process.execPath,
    [join(ROOT, 'bin/toa-doctor.js'), 'read', f, '--json', '--flows', 'all', ...args],
    {
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1' },
    },
  );
  expect(r.stderr).toBe('');
  return JSON.parse(r.stdout) as Doc;
}
const host = (h: string) => ['--host-dir', join(ROOT, 'fixtures/hosts', h)];
const byPort = (d: Doc, port: number) => d.flows.find((f) => f.client.endsWith(`:${port}`))!;

const LB = '10.0.0.9';
const RS = '10.0.1.5';
const conn = (cport: number, o: { syn?: number[]; ack?: number[] }) =>
  connection({
    client: LB,
    server: RS,
    cport,
    sport: 80,
    t0: 1_700_000_000 + cport / 1000,
    synOptions: o.syn ? [...o.syn, ...MSS_OPT] : undefined,
    ackOptions: o.ack,
  });

describe('SYN reader: yubo/ip_vs_ca (reads the SYN only, kind from tcpopt_addr)', () => {
  const conns = [
    conn(31001, { syn: toaOption(254, '203.0.113.1', 41001) }),
    conn(31002, { ack: toaOption(254, '203.0.113.2', 41002) }),
    conn(31003, { syn: toaOption(200, '203.0.113.3', 41003) }),
  ];
  const d = read('ip_vs_ca', conns, host('ip_vs_ca-syn'));

  it('chooses the model from the host, with tcpopt_addr = 254 applied', () => {
    expect(d.summary.model).toMatchObject({ id: 'ip_vs_ca', chosenBy: 'host', reads: 'syn' });
    expect(d.summary.model!.why).toContain('tcpopt_addr = 254');
    expect(d.summary.profile.reads).toEqual(['254/8']);
  });
  it('a SYN-only TOA is TOA_OK and the SYN is the packet read', () => {
    const f = byPort(d, 31001);
    expect(f.verdict, f.reason).toBe('TOA_OK');
    expect(f.toa).toMatchObject({ kind: 254, address: '203.0.113.1', port: 41001 });
    expect(f.handshake).toMatchObject({ readPacket: 'syn', modelReads: 'syn' });
  });
  it('an ACK-only TOA is TOA_LATE, and the remedy says the module reads the SYN only', () => {
    const f = byPort(d, 31002);
    expect(f.verdict).toBe('TOA_LATE');
    expect(f.reason).toContain('reads the SYN only');
    const late = d.findings.find((x) => x.code === 'TOA_LATE')!;
    expect(late.title).toContain('reads the SYN only');
    expect(late.remediation).toContain('reads the handshake ACK');
    expect(late.remediation).not.toContain('TCP_DEFER_ACCEPT');
  });
  it('kind 200 on the SYN is a kind mismatch once tcpopt_addr says 254', () => {
    expect(byPort(d, 31003).verdict).toBe('TOA_KIND_MISMATCH');
  });
  it('--threads 2 gives the same document as one thread under a model', () => {
    const one = read('ip_vs_ca-t1', conns, host('ip_vs_ca-syn'));
    const two = read('ip_vs_ca-t1', conns, [...host('ip_vs_ca-syn'), '--threads', '2']);
    expect(two.flows).toEqual(one.flows);
    expect(two.summary).toEqual(one.summary);
    expect(two.findings).toEqual(one.findings);
  });
  it('auto (no host evidence) judges the same packets the other way round', () => {
    const a = read('ip_vs_ca-auto', conns, []);
    expect(a.summary.model).toBeUndefined();
    expect(byPort(a, 31001).verdict).toBe('TOA_SYN_ONLY');
    expect(byPort(a, 31002).verdict).toBe('TOA_OK');
  });
});

describe('SYN-or-ACK: Alibaba CDN eBPF (saved SYN, then the ACK)', () => {
  const conns = [
    conn(32001, { syn: toaOption(254, '203.0.113.11', 42001) }),
    conn(32002, { ack: toaOption(254, '203.0.113.12', 42002) }),
    conn(32003, { syn: [...cdnToaOption('203.0.113.13'), NOP] }),
    conn(32004, { syn: toaOption(254, '203.0.113.14', 42004), ack: toaOption(254, '203.0.113.14', 42004) }),
  ];
  const d = read('cdn-ebpf', conns, host('cdn-ebpf'));

  it('chooses the eBPF model with the pinned opcode map', () => {
    expect(d.summary.model).toMatchObject({ id: 'ebpf-cdn', chosenBy: 'host', reads: 'syn-or-ack' });
    expect(d.summary.model!.why).toContain('toa_opcode_map: kinds 28 (address) and 254 (with port)');
  });
  it('a TOA on either packet is TOA_OK, and readPacket names the one used', () => {
    expect(byPort(d, 32001)).toMatchObject({ verdict: 'TOA_OK', handshake: { readPacket: 'syn' } });
    expect(byPort(d, 32002)).toMatchObject({ verdict: 'TOA_OK', handshake: { readPacket: 'ack' } });
    expect(byPort(d, 32003)).toMatchObject({ verdict: 'TOA_OK', toa: { kind: 28, address: '203.0.113.13' } });
    // both carry it: the ACK's overwrites the SYN's (toa-kern.c toa_parse)
    expect(byPort(d, 32004)).toMatchObject({ verdict: 'TOA_OK', handshake: { readPacket: 'ack' } });
    expect(byPort(d, 32001).reason).toContain('reads the SYN and the ACK');
  });
  it('auto calls the SYN-only 254/8 TOA_SYN_ONLY', () => {
    expect(byPort(read('cdn-auto', conns, []), 32001).verdict).toBe('TOA_SYN_ONLY');
  });
});

describe('last wins: Huawei ELB toa 2.1 (get_toa_data keeps scanning)', () => {
  const two = [...toaOption(254, '203.0.113.21', 43001), ...toaOption(254, '198.51.100.21', 43011)];
  const d = read('elb-last', [conn(33001, { ack: two })], host('huawei-elb'));

  it('two TOAs on the ACK: TOA_OK with the last one as the flow toa', () => {
    expect(d.summary.model).toMatchObject({ id: 'huawei-elb', chosenBy: 'host', pick: 'last' });
    const f = byPort(d, 33001);
    expect(f.verdict, f.reason).toBe('TOA_OK');
    expect(f.toa).toMatchObject({ address: '198.51.100.21', port: 43011 });
    expect(f.reason).toContain('2 TOAs on that packet, the module keeps the last');
  });
  it('--profile alibaba-lvs (first wins) keeps the first one', () => {
    const f = byPort(read('elb-first', [conn(33001, { ack: two })], ['--profile', 'alibaba-lvs']), 33001);
    expect(f.verdict).toBe('TOA_OK');
    expect(f.toa).toMatchObject({ address: '203.0.113.21', port: 43001 });
  });
  it('auto calls two different clients on one packet TOA_INCONSISTENT', () => {
    expect(byPort(read('elb-auto', [conn(33001, { ack: two })], []), 33001).verdict).toBe('TOA_INCONSISTENT');
  });
});

describe('NAT64 API: getsockopt 4096 only where the model supports it for that kind', () => {
  const v6 = '2001:db8:ff::21';
  it('Huawei ELB 2.1 with 253/20: no 4096 for kind 253, the remedy says so', () => {
    const d = read('elb-253', [conn(34001, { ack: toaOption(253, v6, 44001) })], host('huawei-elb'));
    const f = byPort(d, 34001);
    expect(f.verdict).toBe('TOA_NAT64');
    expect(f.toa).toMatchObject({ kind: 253, length: 20, address: v6 });
    expect(f.reason).toContain('accepts only kind 254');
    const n = d.findings.find((x) => x.code === 'TOA_NAT64')!;
    expect(n.severity).toBe('error');
    expect(n.remediation).toContain('send the IPv6 client as 254/20');
    expect(n.explanation).toContain('works for 254/20 only');
  });
  it('Huawei ELB 2.1 with 254/20: getsockopt 4096 is the remedy', () => {
    const d = read('elb-254', [conn(34002, { ack: toaOption(254, v6, 44002) })], host('huawei-elb'));
    const f = byPort(d, 34002);
    expect(f.verdict).toBe('TOA_NAT64');
    expect(f.reason).toContain('getsockopt(IPPROTO_IP, 4096)');
    expect(d.findings.find((x) => x.code === 'TOA_NAT64')!.remediation).toContain('4096');
  });
  it('AliKernel (--profile alikernel) has no 4096 at all', () => {
    const d = read('alik-253', [conn(34003, { ack: toaOption(253, v6, 44003) })], ['--profile', 'alikernel']);
    expect(byPort(d, 34003).reason).toContain('no getsockopt 4096');
    expect(d.summary.model).toMatchObject({ id: 'alikernel', chosenBy: 'profile' });
  });
});

describe('TTGW toa 3.0.1: IPv4 option 31 / IPv6 destination option before TCP 254', () => {
  /** the handshake ACK (3rd packet) gets the IP-header carrier */
  const carrierOnAck = (c: Pkt[], bytes: number[]) =>
    c.map((p, i) => (i === 2 ? { ...p, ip: withIpHeaderBytes(p.ip, bytes) } : p));
  const opt4 = ttgwIp4Option('203.0.113.31', 45001, '192.0.2.10', 80);
  const conns = [
    // IP option and a TCP 254/8 naming someone else: TTGW reads the IP option first
    carrierOnAck(conn(35001, { ack: toaOption(254, '198.51.100.31', 45011) }), opt4),
    // the IP option alone
    carrierOnAck(conn(35002, {}), ttgwIp4Option('203.0.113.32', 45002, '192.0.2.10', 80)),
    // IPv6 destination option with an IPv4 client
    carrierOnAck(
      connection({
        client: '2001:db8:1::9',
        server: '2001:db8:2::5',
        cport: 35003,
        sport: 443,
        t0: 1_700_000_035,
      }),
      ttgwIp6DstOption('203.0.113.33', 45003, '192.0.2.10', 443),
    ),
  ];
  const d = read('ttgw', conns, host('ttgw'));

  it('the IP option wins over the TCP option, and the flow toa is the IP option client', () => {
    expect(d.summary.model).toMatchObject({ id: 'ttgw', chosenBy: 'host' });
    const f = byPort(d, 35001);
    expect(f.verdict, f.reason).toBe('TOA_OK');
    expect(f.toa).toMatchObject({ kind: 31, length: 16, address: '203.0.113.31', port: 45001 });
    expect(f.reason).toContain('IPv4 option 31/16 TOA 203.0.113.31:45001');
  });
  it('the IP option alone, and the IPv6 destination option, are read', () => {
    expect(byPort(d, 35002)).toMatchObject({
      verdict: 'TOA_OK',
      toa: { address: '203.0.113.32', port: 45002 },
    });
    expect(byPort(d, 35003)).toMatchObject({
      verdict: 'TOA_OK',
      toa: { address: '203.0.113.33', port: 45003 },
    });
  });
  it('a module that reads only TCP options (dpvs) calls the IP option a kind it cannot read', () => {
    const p = read('ttgw-dpvs', conns, ['--profile', 'dpvs']);
    expect(byPort(p, 35002).verdict).toBe('TOA_KIND_MISMATCH');
    expect(byPort(p, 35001)).toMatchObject({
      verdict: 'TOA_OK',
      toa: { kind: 254, address: '198.51.100.31' },
    });
  });
  it('print shows the IP option like a TOA', () => {
    const f = join(dir, 'ttgw-print.pcap');
    writeFileSync(f, captureOf([conns[0]!]));
    const r = spawnSync(process.execPath, [join(ROOT, 'bin/toa-doctor.js'), 'print', f], {
      encoding: 'utf8',
    });
    expect(r.stdout).toContain('ip-option toa 203.0.113.31:45001 dst 192.0.2.10:80 (31/16)');
    expect(r.stdout).toContain('toa 198.51.100.31:45011');
  });
});

describe('unknown TOA-shaped option: kind 252 length 8 on most handshakes (UCloud host)', () => {
  const k252 = (ip: string, port: number) => [252, 8, port >> 8, port & 0xff, ...ipToBytes(ip)];
  const conns = [1, 2, 3].map((i) => conn(36000 + i, { ack: k252(`203.0.113.4${i}`, 46000 + i) }));
  const d = read('k252', conns, host('ucloud'));

  it('names the kind/length and the candidate ip:port, and blames a rebuilt kind, not the LB or a firewall', () => {
    expect(d.summary.model).toMatchObject({ id: 'ucloud', chosenBy: 'host' });
    for (const f of d.flows) expect(f.verdict).toBe('TOA_MISSING');
    const u = d.findings.find((x) => x.code === 'TOA_UNKNOWN_KIND')!;
    expect(u.title).toBe('Option 252/8 on 3 of 3 handshakes looks like a TOA (203.0.113.41:46001)');
    expect(u.explanation).toContain('252');
    expect(u.remediation).toContain('TCPOPT_TOA 252');
    const m = d.findings.find((x) => x.code === 'TOA_MISSING')!;
    expect(m.remediation).toContain('see TOA_UNKNOWN_KIND');
    expect(m.remediation).not.toContain('firewall');
  });
  it('--threads 2 finds the same look-alike (the counts merge across partitions)', () => {
    const two = read('k252-t2', conns, [...host('ucloud'), '--threads', '2']);
    expect(two.findings).toEqual(d.findings);
  });
  it('without the look-alike, TOA_MISSING keeps the LB-mode/firewall advice', () => {
    const m = read('k252-none', [conn(36009, {})], host('ucloud')).findings.find(
      (x) => x.code === 'TOA_MISSING',
    )!;
    expect(m.remediation).toContain('firewall');
  });
});

describe('253 next to 254: possibly the VIP (DPVS fork zhzhzh-maker/toa)', () => {
  const both = [...toaOption(254, '203.0.113.51', 47001), ...toaOption(253, '192.0.2.10', 80)];
  const conns = [conn(37001, { ack: both }), conn(37002, { ack: both.slice() })];
  it('auto reports the 253 option as a possible VIP', () => {
    const d = read('vip-auto', conns, []);
    const v = d.findings.find((x) => x.code === 'TOA_VIP_SUSPECT')!;
    expect(v.flows).toBe(2);
    expect(v.explanation).toContain('254 203.0.113.51:47001, 253 192.0.2.10:80');
    expect(v.remediation).toContain('--profile dpvs-vip');
  });
  it('--threads 2 reports the same', () => {
    const one = read('vip-t1', conns, []);
    expect(read('vip-t2', conns, ['--threads', '2']).findings).toEqual(one.findings);
  });
  it('--profile dpvs-vip reads 253 as the VIP: TOA_OK with the 254 client', () => {
    const d = read('vip-dpvs', conns, ['--profile', 'dpvs-vip']);
    expect(byPort(d, 37001)).toMatchObject({
      verdict: 'TOA_OK',
      toa: { kind: 254, address: '203.0.113.51' },
    });
  });
});
