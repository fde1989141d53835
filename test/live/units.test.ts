import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { capLinkType, classifyLoadError } from '../../src/capture/live/cap-engine.js';
import { classifyCaptureFailure } from '../../src/capture/live/errors.js';
import { buildFilter, filterCaveat } from '../../src/capture/live/filter.js';
import { selectEngine } from '../../src/capture/live/index.js';
import { interfaceExists, listInterfacesSync } from '../../src/capture/live/interfaces.js';
import { parseTcpdumpStats, tcpdumpArgs } from '../../src/capture/live/tcpdump-engine.js';
import { CaptureError, LinkType } from '../../src/capture/types.js';
import { formatInterfaces } from '../../src/cli/interfaces.js';
import { HostPoller } from '../../src/tui/host-poller.js';
import { REPO } from '../helpers/netns.js';

describe('buildFilter', () => {
  it('defaults to tcp and narrows with --port/--host', () => {
    expect(buildFilter({})).toBe('tcp');
    expect(buildFilter({ port: ['80'] })).toBe('tcp and port 80');
    expect(buildFilter({ port: ['80,443'] })).toBe('tcp and (port 80 or port 443)');
    expect(buildFilter({ host: ['10.0.0.5', '2001:db8::/32'] })).toBe(
      'tcp and (host 10.0.0.5 or net 2001:db8::/32)',
    );
    expect(buildFilter({ filter: 'tcp and not port 22', port: 80 })).toBe(
      '(tcp and not port 22) and port 80',
    );
    expect(buildFilter({ filter: 'vlan and tcp' })).toBe('vlan and tcp');
  });
  it('rejects bad ports and hosts', () => {
    expect(() => buildFilter({ port: ['http'] })).toThrow(/not a TCP port/);
    expect(() => buildFilter({ port: ['70000'] })).toThrow(/not a TCP port/);
    expect(() => buildFilter({ host: ['a b'] })).toThrow(/not a host/);
  });
});

describe('filterCaveat', () => {
  it('warns when the filter may drop the pure handshake ACK', () => {
    expect(filterCaveat('tcp')).toBeNull();
    expect(filterCaveat('tcp and port 80')).toBeNull();
    expect(filterCaveat('tcp and greater 100')).toMatch(/packet length/);
    expect(filterCaveat('tcp[tcpflags] & tcp-syn != 0')).toMatch(/TCP flags/);
    expect(filterCaveat('tcp and dst port 80')).toMatch(/one direction/);
  });
});

describe('cap link types', () => {
  it('maps cap names and unknown DLTs to LINKTYPE numbers', () => {
    expect(capLinkType('ETHERNET')).toBe(LinkType.EN10MB);
    expect(capLinkType('LINKTYPE_LINUX_SLL')).toBe(LinkType.LINUX_SLL);
    expect(capLinkType('RAW')).toBe(LinkType.RAW);
    expect(capLinkType('NULL')).toBe(LinkType.NULL);
    expect(capLinkType('Unknown linktype 12')).toBe(LinkType.RAW);
    expect(capLinkType('Unknown linktype 276')).toBe(LinkType.LINUX_SLL2);
    expect(capLinkType('IEEE802_11_RADIO')).toBeNull();
  });
});

describe('tcpdump engine pieces', () => {
  it('parses the exit statistics and the SIGUSR1 one-liner', () => {
    const exit = '1200 packets captured\n1250 packets received by filter\n50 packets dropped by kernel\n';
    expect(parseTcpdumpStats(exit)).toEqual({
      captured: 1200,
      received: 1250,
      kernelDrops: 50,
      ifDrops: null,
    });
    const usr1 =
      'tcpdump: 10 packets captured, 10 packets received by filter, 0 packets dropped by kernel\n' +
      'tcpdump: 99 packets captured, 120 packets received by filter, 7 packets dropped by kernel, 3 packets dropped by interface\n';
    expect(parseTcpdumpStats(usr1)).toEqual({ captured: 99, received: 120, kernelDrops: 7, ifDrops: 3 });
    expect(
      parseTcpdumpStats('1 packet captured\n1 packet received by filter\n0 packets dropped by kernel'),
    ).toEqual({
      captured: 1,
      received: 1,
      kernelDrops: 0,
      ifDrops: null,
    });
  });
  it('runs tcpdump unbuffered to stdout with a large buffer, not promiscuous by default', () => {
    expect(tcpdumpArgs({ iface: 'eth0', filter: 'tcp port 80' })).toEqual([
      '-i',
      'eth0',
      '-U',
      '-s',
      '262144',
      '-B',
      '65536',
      '-p',
      '-w',
      '-',
      'tcp port 80',
    ]);
    expect(tcpdumpArgs({ iface: 'any', filter: 'tcp', promisc: true })).not.toContain('-p');
  });
  it("passes -s and -Q through as tcpdump takes them (inout is tcpdump's default: not passed)", () => {
    const a = tcpdumpArgs({ iface: 'any', filter: 'tcp', snaplen: 96, direction: 'in' });
    expect(a.slice(a.indexOf('-s'), a.indexOf('-s') + 2)).toEqual(['-s', '96']);
    expect(a.slice(a.indexOf('-Q'), a.indexOf('-Q') + 2)).toEqual(['-Q', 'in']);
    expect(a.at(-1)).toBe('tcp');
    expect(tcpdumpArgs({ iface: 'any', filter: 'tcp', direction: 'inout' })).not.toContain('-Q');
  });
});

describe('error classification', () => {
  it('turns libpcap/tcpdump text into the user-fixable errors', () => {
    expect(
      classifyCaptureFailure(
        'tcpdump: nope0: No such device exists\n(No such device exists)',
        'nope0',
        'tcp',
      ),
    ).toBe('no-such-interface');
    const perm = classifyCaptureFailure(
      "tcpdump: eth0: You don't have permission to capture on that device\n(socket: Operation not permitted)",
      'eth0',
      'tcp',
    );
    expect(perm).toBeInstanceOf(CaptureError);
    expect((perm as CaptureError).code).toBe('NO_PERMISSION');
    expect((perm as CaptureError).message).toBe(
      'no permission to capture on eth0 (socket: Operation not permitted)',
    );
    expect((perm as CaptureError).hint).toMatch(/CAP_NET_RAW.*CAP_NET_ADMIN is needed only for promiscuous/);
    const bad = classifyCaptureFailure(
      'tcpdump: syntax error in filter expression: syntax error',
      'eth0',
      'tcp and and',
    );
    expect((bad as CaptureError).code).toBe('BAD_FILTER');
  });
  it('says what is missing when cap cannot load', () => {
    const lib = classifyLoadError(
      Object.assign(new Error('libpcap.so.0.8: cannot open shared object file: No such file or directory'), {
        code: 'ERR_DLOPEN_FAILED',
      }),
    );
    expect(lib.code).toBe('LIBPCAP_MISSING');
    expect(lib.hint).toMatch(/libpcap-dev.*--engine tcpdump/);
    const nomod = classifyLoadError(
      Object.assign(new Error("Cannot find package 'cap' imported from /x.js"), {
        code: 'ERR_MODULE_NOT_FOUND',
      }),
    );
    expect(nomod.code).toBe('CAP_UNAVAILABLE');
    expect(nomod.message).toMatch(/not installed/);
  });
});

describe('engine selection', () => {
  const opts = { iface: 'lo', filter: 'tcp' };
  const capOk = async () => ({});
  const capMissing = async () => {
    throw classifyLoadError(
      Object.assign(new Error("Cannot find package 'cap'"), { code: 'ERR_MODULE_NOT_FOUND' }),
    );
  };
  it('auto prefers cap and says so', async () => {
    const s = await selectEngine('auto', opts, { loadCap: capOk, findTcpdump: () => '/usr/bin/tcpdump' });
    expect(s.engine.name).toBe('cap');
    expect(s.reason).toMatch(/auto: the cap module/);
  });
  it('auto falls back to tcpdump with the reason', async () => {
    const s = await selectEngine('auto', opts, {
      loadCap: capMissing,
      findTcpdump: () => '/usr/sbin/tcpdump',
    });
    expect(s.engine.name).toBe('tcpdump');
    expect(s.reason).toBe(
      'auto: cap unavailable (the optional npm module `cap` is not installed); using /usr/sbin/tcpdump',
    );
  });
  it('fails with one line when neither engine is available', async () => {
    const err = await selectEngine('auto', opts, { loadCap: capMissing, findTcpdump: () => null }).catch(
      (e) => e,
    );
    expect(err).toBeInstanceOf(CaptureError);
    expect(err.code).toBe('NO_CAPTURE_ENGINE');
    expect(err.message).not.toContain('\n');
    expect(err.hint).toMatch(/install tcpdump/);
  });
  it('--engine cap reports why cap is unusable', async () => {
    const err = await selectEngine('cap', opts, { loadCap: capMissing, findTcpdump: () => null }).catch(
      (e) => e,
    );
    expect(err.code).toBe('CAP_UNAVAILABLE');
    expect(err.hint).toMatch(/--engine tcpdump/);
  });
  it('--engine tcpdump without tcpdump fails at start with a hint', async () => {
    const s = await selectEngine('tcpdump', opts, { loadCap: capOk, findTcpdump: () => null });
    const err = await s.engine.start(() => undefined).catch((e) => e);
    expect(err.code).toBe('TCPDUMP_MISSING');
  });
});

describe('interfaces', () => {
  it('lists every interface of a /sys/class/net tree with state and addresses', () => {
    const root = mkdtempSync(join(tmpdir(), 'toad-sys-'));
    for (const [name, oper, flags, type] of [
      ['lo', 'unknown', '0x9', '772'],
      ['eth9', 'up', '0x1003', '1'],
      ['eth8', 'down', '0x1002', '1'],
    ]) {
      mkdirSync(join(root, name!));
      writeFileSync(join(root, name!, 'operstate'), `${oper}\n`);
      writeFileSync(join(root, name!, 'flags'), `${flags}\n`);
      writeFileSync(join(root, name!, 'type'), `${type}\n`);
      writeFileSync(join(root, name!, 'address'), '02:00:00:00:00:09\n');
    }
    const list = listInterfacesSync(root);
    expect(list.map((d) => [d.name, d.state])).toEqual([
      ['eth9', 'up'],
      ['lo', 'up'],
      ['any', 'up'],
      ['eth8', 'down'],
    ]);
    expect(list.find((d) => d.name === 'lo')!.loopback).toBe(true);
    expect(interfaceExists('eth8', root)).toBe(true);
    expect(interfaceExists('any', root)).toBe(true);
    expect(interfaceExists('nope0', root)).toBe(false);
    const text = formatInterfaces(list);
    expect(text).toMatch(/^ 1\. eth9\s+up\s+02:00:00:00:00:09\s+\(no address\)$/m);
    expect(text).toMatch(/any\s+up\s+all interfaces/);
  });
});

describe('HostPoller', () => {
  it('reports modules, counter deltas per second and the last TOA dmesg lines from a root', async () => {
    const root = mkdtempSync(join(tmpdir(), 'toad-host-'));
    mkdirSync(join(root, 'proc/net'), { recursive: true });
    const header = `${' '.repeat(34)}CPU0       CPU1\n`;
    const row = (name: string, a: number, b: number) =>
      `${name.padEnd(25)}:${String(a).padStart(10)} ${String(b).padStart(10)} \n`;
    const stats = (n: number) =>
      header +
      row('syn_recv_sock_toa', n, n) +
      row('syn_recv_sock_no_toa', 1, 0) +
      row('getname_toa_ok', n, 0) +
      row('getname_toa_mismatch', 0, 0) +
      row('getname_toa_bypass', 0, 0) +
      row('getname_toa_empty', 0, 0) +
      row('ip6_address_alloc', 0, 0) +
      row('ip6_address_free', 0, 0);
    writeFileSync(join(root, 'proc/net/toa_stats'), stats(100));
    writeFileSync(
      join(root, 'proc/modules'),
      'toa 16384 0 - Live 0xffffffffc0a00000 (OE)\next4 1000000 1 - Live 0xffffffffc0000000\n',
    );
    writeFileSync(join(root, 'dmesg.txt'), '[    1.000000] TOA: toa loaded\n[    2.000000] eth0: link up\n');
    let now = 1_000_000;
    const p = new HostPoller({ root, now: () => now });
    const first = await p.poll();
    expect(first.modules).toEqual(['toa: Live (OE)']);
    expect(first.dmesg).toEqual(['[1.000000] TOA: toa loaded']);
    expect(first.counters.find((c) => c.name === 'syn_recv_sock_toa')).toEqual({
      name: 'syn_recv_sock_toa',
      total: 200,
      perSec: null,
    });
    writeFileSync(join(root, 'proc/net/toa_stats'), stats(110));
    now += 2000;
    const second = await p.poll();
    expect(second.counters[0]).toEqual({ name: 'syn_recv_sock_toa', total: 220, perSec: 10 });
    expect(second.statsLabel).toMatch(/toa_stats classic/);
  });

  it('an unreadable /proc/modules is null (unknown), a readable one without TOA modules is []', async () => {
    const root = mkdtempSync(join(tmpdir(), 'toad-host-'));
    mkdirSync(join(root, 'proc/net'), { recursive: true });
    const m = await new HostPoller({ root }).poll();
    expect(m.modules).toBeNull();
    expect(m.notes).toContain('/proc/modules not readable: module state unknown');
    writeFileSync(join(root, 'proc/modules'), 'ext4 1000000 1 - Live 0xffffffffc0000000\n');
    expect((await new HostPoller({ root }).poll()).modules).toEqual([]);
  });

  it('reads the TTGW toa_stats layout (fixture tree)', async () => {
    const p = new HostPoller({ root: join(REPO, 'fixtures/hosts/ttgw') });
    const m = await p.poll();
    expect(m.statsLabel).toBe('toa_stats ttgw/ttgw');
    expect(m.counters.slice(0, 2)).toEqual([
      { name: 'GET_V4', total: 48, perSec: null },
      { name: 'GET_V4_SUCC', total: 42, perSec: null },
    ]);
    expect(m.modules).toEqual(['toa: Live (OE)']);
    expect(m.dmesg.at(-1)).toBe('[8123.551201] toa: get toa option with illegal length: 12');
  });
});
