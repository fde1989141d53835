import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  classifyDmesg,
  classifyLine,
  DMESG_PATTERNS,
  type ExecFn,
  readKernelLog,
  splitTimestamp,
  summarizeDmesg,
} from '../../src/host/dmesg.js';

/** One sample line per pattern row (the modules' `TOA: ` messages and the kernel's own lines), with the expected row id. */
const SAMPLES: [string, string][] = [
  [
    "do_init_module: 'toa'->init suspiciously returned 1, it should follow 0/-E convention",
    'kernel-init-returned-1',
  ],
  ['toa: init suspiciously returned 1, it should follow 0/-E convention', 'kernel-init-returned-1-new'],
  ['BUG: unable to handle kernel paging request at ffffffff8199a7a8 toa_init', 'kernel-paging-crash'],
  [
    'RIP: 0010:[<ffffffffc05dd0b4>]  [<ffffffffc05dd0b4>] hook_toa_functions+0x54/0x150 [toa]',
    'kernel-oops-ip-in-toa',
  ],
  ['toa: loading out-of-tree module taints kernel.', 'kernel-out-of-tree'],
  [
    'toa: module verification failed: signature and/or required key missing - tainting kernel',
    'kernel-unsigned',
  ],
  ['toa: Unknown symbol kallsyms_lookup_name', 'kernel-unknown-symbol'],
  ['[DEBUG] TOA: comm:nginx pid:2211 find toa data: ip = 203.0.113.7, port = 51234', 'debug-tencentos'],
  ['[DEBUG] TOA: af = 2, find toa data: ip = 198.51.100.4, port = 4000', 'debug-toa'],
  ['TOA: TOA 2.0.0.0 by qlb of iqiyi.', 'banner-dpvs'],
  ['TOA: TOA 1.0.0.0 by pukong.wjm', 'banner-pukong-1'],
  ['TOA: TOA 2.0.0.0 by pukong.wjm', 'banner-pukong-2'],
  ['TOA: TOA 2.1.0.', 'banner-huawei-elb'],
  ['TOA: TOA 2.2.0.', 'banner-huawei-elb'],
  ['TOA: tcp_toa 2.0.0 insmod', 'banner-tcp_toa'],
  ['toa: toa_init begin, version 3.0.1', 'banner-ttgw'],
  [
    'toa: toa init with toa_map_table_bits = 12, vip_enable = 1, v6_to_v4_enable = 0, v6_to_v4_prefix_addr = 64:ff9b::',
    'banner-ttgw-params',
  ],
  [
    'toa: toa_init: CPU[0]: sk_data_ready_addr = kallsyms_lookup_name(sock_def_readable) = ffffffff8a8b6c70',
    'init-ttgw-symbol',
  ],
  [
    'TOA: CPU [0] sk_data_ready_fn = kallsyms_lookup_name(sock_def_readable) = 00000000b7c6d5e4',
    'init-ucloud-symbols',
  ],
  [
    'TOA: CPU [0] inet6_stream_ops_p = kallsyms_lookup_name(inet6_stream_ops) = 000000004a3b2c1d',
    'init-ucloud-symbols',
  ],
  [
    'TOA: CPU [25] sk_data_ready_addr = kallsyms_lookup_name(sock_def_readable) = 18446744072189236224',
    'init-sk-data-ready',
  ],
  ['TOA: CPU [1] hooked inet_getname 00000000a1b2c3d4 --> 000000005e6f7a8b', 'hooked'],
  ['TOA: CPU [1] unhooked tcp_v6_syn_recv_sock', 'unhooked'],
  ['TOA: tcp_toa loaded', 'load-tcp_toa'],
  ['VTOA: vtoa init finish.', 'load-vtoa'],
  ['toa: toa_init end, inserted', 'load-ttgw'],
  ['TOA: toa load success', 'load-tgw-doc'],
  ['TOA: toa loaded', 'load-toa'],
  ['TOA: tcp_toa unloaded', 'unload-tcp_toa'],
  ['TOA: tcp_toa 2.0.0 rmmod', 'unload-tcp_toa'],
  ['toa: toa_exit end, rmeoved', 'unload-ttgw'],
  ['TOA: toa unloaded', 'unload-toa'],
  ['TOA unloaded', 'unload-toa'],
  ['toa: toa_init end , failed', 'fail-ttgw'],
  ['toa: toa_hook_init error', 'fail-ttgw'],
  ['VTOA: cannot register vtoa_sockopts.', 'fail-vtoa'],
  ['VTOA: TOA: cannot create procfs /proc/net/vtoa_stats.', 'fail-vtoa'],
  ['ptr_kallsyms_lookup_name is NULL', 'fail-tcp_toa'],
  ['tcp_toa: symbol tcp_prot not found', 'fail-tcp_toa'],
  ['TOA: cannot create proc.', 'fail-tcp_toa'],
  ['TOA: vtoa_genl_family register fail.', 'fail-tencentos-genl'],
  ['TOA: cannot find sock_def_readable.', 'fail-toa'],
  ['TOA: cannot find symbols.', 'fail-toa'],
  ['TOA: cannot hook toa functions.', 'fail-toa'],
  ['TOA: fail to hook toa functions', 'fail-toa'],
  ["TOA: fail to alloc per cpu ip6's destruct lock", 'fail-toa'],
  ['TOA: init toa ip6 fail.', 'fail-toa'],
  ['TOA: CPU [3] kallsyms_lookup_name cannot find symbol inet6_stream_ops', 'fail-toa'],
  ['TOA: get ipv6 struct from kernel fail.', 'fail-toa'],
  ['TOA: fail to register sockopt', 'fail-toa'],
  ['TOA: register_kprobe failed, returned -2', 'fail-toa'],
  ['[ERR] IP_VS_CA: something went wrong', 'fail-ip_vs_ca'],
  ['TOA: inet64_getname_toa: bad cmd', 'runtime-dpvs-nat64'],
  ['TOA: vmip or sport can not 0.', 'runtime-tencentos-vtoa'],
  ['TOA: inet_lookup fail(-2), if_idx 2 sip 1 dip 2 sport 3 dport 4.', 'runtime-tencentos-vtoa'],
  ['VTOA: get_ctl: len 3 < 8', 'runtime-vtoa'],
  ['TOA: There is not destination route entry in skb', 'runtime-tcp_toa'],
  ['toa: get toa option with illegal length: 12', 'runtime-ttgw'],
  ['toa: toa_map_flush: flush 21', 'runtime-ttgw'],
  ['[INFO] IP_VS_CA: loaded', 'info-ip_vs_ca'],
  ['TOA: something nobody documented', 'other-toa'],
];

describe('the ONE dmesg pattern table', () => {
  for (const [line, id] of SAMPLES) {
    it(`${id}: ${line.slice(0, 60)}`, () => {
      const ev = classifyLine(line, 1);
      expect(ev?.pattern).toBe(id);
      expect(ev?.kind).toBe(DMESG_PATTERNS.find((p) => p.id === id)!.kind);
    });
  }
  it('every row has a sample', () => {
    const covered = new Set(SAMPLES.map(([, id]) => id));
    expect(DMESG_PATTERNS.map((p) => p.id).filter((id) => !covered.has(id))).toEqual([]);
  });
  it("ignores unrelated kernel lines and other modules' init failures", () => {
    expect(classifyLine('EXT4-fs (vda1): mounted filesystem')).toBeNull();
    expect(
      classifyLine(
        "do_init_module: 'nvidia'->init suspiciously returned 1, it should follow 0/-E convention",
      ),
    ).toBeNull();
    expect(classifyLine('nvidia: loading out-of-tree module taints kernel.')).toBeNull();
  });
  it('load/unload are matched case-insensitively (Tencent docs vs source)', () => {
    expect(classifyLine('[1.0] tOa LoAdEd')?.kind).toBe('load');
    expect(classifyLine('[1.0] TOA: TOA LOAD SUCCESS')?.kind).toBe('load');
    expect(classifyLine('[1.0] TOA Unloaded')?.kind).toBe('unload');
  });
  it('hook lines carry the function and the family', () => {
    expect(classifyLine('TOA: CPU [0] hooked inet6_getname a --> b')).toMatchObject({
      fn: 'inet6_getname',
      family: 'ipv6',
    });
    expect(classifyLine('TOA: CPU [0] hooked tcp_v4_syn_recv_sock a --> b')).toMatchObject({
      family: 'ipv4',
    });
  });
  it('debug lines carry the decoded client address', () => {
    expect(classifyLine(SAMPLES[7]![0])?.address).toBe('203.0.113.7');
    expect(
      classifyLine('[DEBUG] TOA: inet_getname_toa: set new sockaddr, ip 10.0.3.2 -> 203.0.113.9, port 1 -> 2')
        ?.address,
    ).toBe('203.0.113.9');
    expect(classifyLine('[DEBUG] TOA: find toa_v6 data : ip = 2001:db8::7, port = 80, coded')?.address).toBe(
      '2001:db8::7',
    );
  });
  it('crash lines name the module from the oops', () => {
    expect(classifyLine('RIP: 0010:toa_init+0x12/0x340 [tcp_toa]')?.module).toBe('tcp_toa');
  });
});

describe('timestamps', () => {
  it('monotonic, dmesg -T, ISO, journalctl, facility prefixes, <prio>', () => {
    expect(splitTimestamp('[   12.345678] TOA: toa loaded')).toEqual({
      ts: '12.345678',
      seconds: 12.345678,
      message: 'TOA: toa loaded',
    });
    expect(splitTimestamp('[Mon Jan  1 10:00:00 2024] TOA: toa loaded')).toMatchObject({
      ts: 'Mon Jan  1 10:00:00 2024',
      seconds: null,
      message: 'TOA: toa loaded',
    });
    expect(splitTimestamp('2024-01-01T10:00:00,123456+00:00 TOA: toa loaded').message).toBe(
      'TOA: toa loaded',
    );
    expect(splitTimestamp('Jan 01 10:00:00 rs-01 kernel: TOA: toa loaded')).toMatchObject({
      ts: 'Jan 01 10:00:00',
      message: 'TOA: toa loaded',
    });
    expect(splitTimestamp('kern  :info  : [   1.5] TOA: toa loaded').message).toBe('TOA: toa loaded');
    expect(splitTimestamp('[   20.120455] rs-01 kernel: TOA: toa loaded')).toEqual({
      ts: '20.120455',
      seconds: 20.120455,
      message: 'TOA: toa loaded',
    });
    expect(splitTimestamp('<6>[    1.500000] TOA: toa loaded').seconds).toBe(1.5);
  });
  it('keeps order and line numbers', () => {
    const r = classifyDmesg('[1.0] a\n[2.0] TOA: toa loaded\n[3.0] b\n[4.0] TOA: toa unloaded\n');
    expect(r.lines).toBe(4);
    expect(r.events.map((e) => [e.line, e.kind, e.seconds])).toEqual([
      [2, 'load', 2],
      [4, 'unload', 4],
    ]);
  });
});

describe('summarizeDmesg', () => {
  const ev = (text: string) => summarizeDmesg(classifyDmesg(text).events);
  it('hooks since the last load; unhook/unload clear them', () => {
    const s = ev(
      [
        'TOA: CPU [0] hooked inet_getname a --> b',
        'TOA: CPU [0] hooked inet6_getname a --> b',
        'TOA: toa loaded',
        'TOA: CPU [0] unhooked inet_getname',
        'TOA: CPU [0] unhooked inet6_getname',
        'TOA: toa unloaded',
        'TOA: CPU [0] hooked inet_getname a --> b',
        'TOA: CPU [0] hooked tcp_v4_syn_recv_sock a --> b',
        'TOA: toa loaded',
      ].join('\n'),
    );
    expect(s.hooked.sort()).toEqual(['inet_getname', 'tcp_v4_syn_recv_sock']);
    expect(s.ipv4Hooked).toBe(true);
    expect(s.ipv6Hooked).toBe(false);
    expect(s.unloadedAfterLoad).toBe(false);
  });
  it('loaded-but-dead after the last attempt; a later successful load clears it', () => {
    const dead = ev(
      "TOA: TOA 2.0.0.0 by qlb of iqiyi.\nTOA: cannot find sock_def_readable.\ndo_init_module: 'toa'->init suspiciously returned 1, it should follow 0/-E convention\n",
    );
    expect(dead.dead).toHaveLength(1);
    expect(dead.failures).toHaveLength(1);
    expect(dead.implementations).toEqual(['dpvs']);
    const fixed = ev(
      "do_init_module: 'toa'->init suspiciously returned 1, it should\nTOA: toa unloaded\nTOA: TOA 2.0.0.0 by qlb of iqiyi.\nTOA: toa loaded\n",
    );
    expect(fixed.dead).toHaveLength(0);
    expect(fixed.lastLoad?.message).toBe('TOA: toa loaded');
  });
  it('hook lines + "toa loaded" without a banner is the Huawei module (6.3); a banner says otherwise', () => {
    expect(
      ev(
        'TOA: CPU [0] sk_data_ready_addr = kallsyms_lookup_name(sock_def_readable) = 1\nTOA: CPU [0] hooked inet_getname a --> b\nTOA: toa loaded',
      ).implementations,
    ).toEqual(['huawei']);
    expect(
      ev('TOA: TOA 2.0.0.0 by qlb of iqiyi.\nTOA: CPU [0] hooked inet_getname a --> b\nTOA: toa loaded')
        .implementations,
    ).toEqual(['dpvs']);
    expect(ev('TOA: toa loaded').implementations).toEqual([]);
  });
  it('unloaded after load', () => {
    expect(ev('TOA: toa loaded\nTOA: toa unloaded').unloadedAfterLoad).toBe(true);
  });
  it('out-of-tree taint and crashes are collected', () => {
    const s = ev(
      'toa: loading out-of-tree module taints kernel.\nBUG: unable to handle kernel paging request at x toa_init',
    );
    expect(s.outOfTree).toEqual(['toa']);
    expect(s.crashes).toHaveLength(1);
  });
});

describe('reading the kernel log', () => {
  it('uses dmesg when it works', async () => {
    const exec: ExecFn = async (cmd) =>
      cmd === 'dmesg'
        ? { stdout: '[1.0] TOA: toa loaded\n', code: 0, error: null }
        : { stdout: '', code: 1, error: 'x' };
    expect(await readKernelLog(exec)).toEqual({
      text: '[1.0] TOA: toa loaded\n',
      source: 'dmesg',
      error: null,
    });
  });
  it('falls back to journalctl -k when dmesg is not permitted', async () => {
    const calls: string[] = [];
    const exec: ExecFn = async (cmd, args) => {
      calls.push([cmd, ...args].join(' '));
      return cmd === 'dmesg'
        ? { stdout: '', code: 1, error: 'dmesg: read kernel buffer failed: Operation not permitted' }
        : { stdout: 'Jan 01 10:00:00 h kernel: TOA: toa loaded\n', code: 0, error: null };
    };
    const r = await readKernelLog(exec);
    expect(r.source).toBe('journalctl -k');
    expect(calls[1]).toMatch(/^journalctl -k --no-pager/);
  });
  it('reports both failures when neither works', async () => {
    const exec: ExecFn = async (cmd) =>
      cmd === 'dmesg'
        ? { stdout: '', code: 1, error: 'Operation not permitted' }
        : { stdout: '-- No entries --\n', code: 0, error: null };
    const r = await readKernelLog(exec);
    expect(r.text).toBeNull();
    expect(r.error).toMatch(/Operation not permitted; journalctl -k has no entries/);
  });
  it('runs the real dmesg with a timeout without throwing', async () => {
    const r = await readKernelLog(undefined, 3000);
    expect(r.text !== null || r.error !== null).toBe(true);
  });
});

describe('property: arbitrary text never throws', () => {
  it('classifyDmesg / summarizeDmesg', () => {
    const piece = fc.oneof(
      fc.string(),
      fc.constantFrom(
        'TOA: ',
        '[DEBUG] TOA: ',
        'toa: ',
        'VTOA: ',
        '[  1.0] ',
        'hooked ',
        'CPU [',
        "'toa'->init ",
      ),
    );
    fc.assert(
      fc.property(
        fc.array(
          fc.array(piece, { maxLength: 6 }).map((p) => p.join('')),
          { maxLength: 30 },
        ),
        (lines) => {
          const r = classifyDmesg(lines.join('\n'));
          summarizeDmesg(r.events);
          for (const e of r.events) expect(e.line).toBeGreaterThan(0);
        },
      ),
      { numRuns: 500 },
    );
  });
});
