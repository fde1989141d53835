/** Every fixture tree under fixtures/hosts/ with the findings it must produce. */
import { describe, expect, it } from 'vitest';
import { diagnoseHost } from '../../src/diagnose/host-rules.js';
import type { Severity } from '../../src/diagnose/types.js';
import { loadHostDir } from '../../src/host/snapshot.js';

const dir = (c: string) => new URL(`../../fixtures/hosts/${c}`, import.meta.url).pathname;

interface Expect {
  /** exactly these error+warning codes */
  problems: [string, Severity][];
  /** these info codes must be present */
  infos?: string[];
  /** these codes must NOT be present */
  absent?: string[];
  implementations?: string[];
  check?: (ev: Awaited<ReturnType<typeof loadHostDir>>) => void;
}

const CASES: Record<string, Expect> = {
  'tencent-healthy': {
    problems: [],
    infos: [
      'HOST_GETNAME_EMPTY_NORMAL',
      'HOST_SINGLE_SNAPSHOT',
      'HOST_TOA_TABLE_PRESENT',
      'HOST_IP6_ADDRESS_GAP',
    ],
    absent: ['HOST_IPV6_HOOKS_UNCONFIRMED'],
    implementations: ['tgw_toa'],
    check: (ev) => {
      expect(ev.snapshot.toaTable).toMatchObject({ read: true, entries: 2 });
      expect(ev.snapshot.stats[0]!.counterSet).toBe('dpvs');
      expect(ev.snapshot.stats[0]!.cpus).toEqual(['0', '1', '2', '3']);
      expect(ev.dmesgSummary.lastLoad?.message).toBe('TOA: toa load success');
    },
  },
  'dpvs-ipv6': {
    problems: [],
    infos: ['HOST_IP6_ADDRESS_GAP'],
    absent: ['HOST_IPV6_LISTENER_IPV4_HOOKS', 'HOST_IPV6_HOOKS_UNCONFIRMED', 'HOST_IP6_ADDRESS_LEAK'],
    implementations: ['dpvs'],
    check: (ev) => {
      expect(ev.normalized.ip6Alloc! - ev.normalized.ip6Free!).toBe(8);
      expect(ev.dmesgSummary.ipv6Hooked).toBe(true);
      expect(ev.snapshot.listeners.ports.find((p) => p.port === 80)?.ipv4ClientPath).toBe('ipv6');
      expect(ev.snapshot.listeners.otherSockets.ipv6).toBe(10);
    },
  },
  'huawei-ipv4-dualstack-listener': {
    implementations: ['huawei'],
    problems: [
      ['HOST_IPV6_LISTENER_IPV4_HOOKS', 'error'],
      ['HOST_NO_TOA_SINCE_LOAD', 'warning'],
    ],
    check: (ev) => {
      const f = diagnoseHost(ev).find((x) => x.code === 'HOST_IPV6_LISTENER_IPV4_HOOKS')!;
      expect(f.explanation).toMatch(/8080/);
      expect(f.explanation).not.toMatch(/\(22/);
      expect(ev.dmesgSummary.hooked.sort()).toEqual(['inet_getname', 'tcp_v4_syn_recv_sock']);
      expect(ev.snapshot.stats[0]!.cpus).toHaveLength(8);
    },
  },
  ucloud: {
    problems: [],
    implementations: ['ucloud'],
    absent: ['HOST_IPV6_LISTENER_IPV4_HOOKS'],
    check: (ev) => {
      expect(ev.snapshot.stats[0]!.cpus).toEqual(['0', '1', '2', '3', '6', '7']);
      expect(ev.snapshot.stats[0]!.totals.syn_recv_sock_toa).toBe(3440);
    },
  },
  'vtoa-hookers': {
    problems: [],
    implementations: ['vtoa'],
    absent: ['HOST_MULTIPLE_TOA', 'HOST_TOA_BYPASS', 'HOST_MODULE_LOADED_BUT_DEAD'],
    check: (ev) => {
      expect(ev.snapshot.stats[0]).toMatchObject({ path: '/proc/net/vtoa_stats', counterSet: 'vtoa' });
      expect(ev.snapshot.hookers).toHaveLength(5);
      expect(ev.snapshot.kernel.flavor).toBe('alinux');
      expect(ev.snapshot.sysctl['/proc/sys/net/ipv4/slb_vtoa/v6vtoa_info_mode']).toBe('0');
      expect(ev.normalized.getnameOk).toBe(1630 + 1602 + 312 + 301 + 268 + 284);
    },
  },
  ttgw: {
    problems: [],
    infos: ['HOST_TTGW_GETSOCKNAME_VIP'],
    implementations: ['ttgw'],
    check: (ev) => {
      expect(ev.snapshot.stats[0]).toMatchObject({ layout: 'ttgw', version: '3.0.1' });
      expect(ev.normalized.synRecvToa).toBe(21);
      expect(ev.dmesgSummary.lastLoad?.pattern).toBe('load-ttgw');
    },
  },
  'tencentos-builtin-params': {
    problems: [],
    infos: ['HOST_TENCENTOS_VTOA_MODE', 'HOST_TOA_DEBUG_ENABLED'],
    absent: ['HOST_TENCENTOS_FLAVOR_MIX'],
    implementations: ['tencentos'],
    check: (ev) => {
      expect(ev.snapshot.kernel.flavor).toBe('tencentos');
      expect(ev.snapshot.modules.find((m) => m.name === 'toa')!.parameters).toEqual({
        vtoa: '1',
        dbg: '255',
        disable_getpeername: '0',
      });
      expect(ev.snapshot.stats[0]!.counterSet).toBe('tencentos-vtoa');
      expect(ev.snapshot.dmesg.events.filter((e) => e.kind === 'debug').map((e) => e.address)).toEqual([
        '203.0.113.7',
        '203.0.113.7',
      ]);
    },
  },
  'tencentos-outoftree-mix': { problems: [['HOST_TENCENTOS_FLAVOR_MIX', 'warning']] },
  'loaded-but-dead': {
    problems: [['HOST_MODULE_LOADED_BUT_DEAD', 'error']],
    implementations: ['dpvs'],
    check: (ev) => {
      const f = diagnoseHost(ev)[0]!;
      expect(f.explanation).toMatch(/suspiciously returned 1/);
      expect(f.examples.some((e) => e.ref.startsWith('dmesg:'))).toBe(true);
    },
  },
  'no-module': { problems: [['HOST_MODULE_NOT_LOADED', 'error']], implementations: [] },
  'module-load-failed': {
    problems: [['HOST_MODULE_LOAD_FAILED', 'error']],
    check: (ev) => {
      expect(diagnoseHost(ev)[0]!.remediation).toMatch(/kallsyms_lookup_name/);
    },
  },
  'two-modules': { problems: [['HOST_MULTIPLE_TOA', 'error']], implementations: ['tcp_toa', 'huawei'] },
  'module-plus-ebpf': {
    problems: [['HOST_MULTIPLE_TOA', 'error']],
    check: (ev) => {
      expect(ev.snapshot.ebpf.entries).toContain('toa_parse');
      expect(diagnoseHost(ev)[0]!.title).toMatch(/vtoa \+ eBPF/);
    },
  },
  'container-no-proc': {
    problems: [['HOST_CONTAINER_NO_VISIBILITY', 'warning']],
    infos: ['HOST_DMESG_UNAVAILABLE'],
    absent: ['HOST_MODULE_LOADED_BUT_DEAD', 'HOST_MODULE_NOT_LOADED'],
    check: (ev) => {
      expect(ev.snapshot.container.cgroupHints).toEqual(['kubepods']);
      expect(ev.snapshot.dmesg.error).toMatch(/Operation not permitted/);
      expect(diagnoseHost(ev)[0]!.explanation).toMatch(/loaded on the host/);
    },
  },
  // ---- before/after pairs
  'deltas-kind-mismatch': {
    implementations: ['huawei'],
    problems: [['HOST_NO_TOA_RISING', 'error']],
    absent: ['HOST_SINGLE_SNAPSHOT', 'HOST_NO_TOA_SINCE_LOAD'],
    check: (ev) => {
      expect(ev.deltas).toMatchObject({ seconds: 60, passiveOpens: 120, reset: false });
      expect(ev.deltas!.normalized).toMatchObject({ synRecvToa: 0, synRecvNoToa: 120 });
      const c = ev.deltas!.counters.find((x) => x.counter === 'syn_recv_sock_no_toa')!;
      expect(c).toMatchObject({ before: 1000, after: 1120, delta: 120, perCpu: { '0': 62, '1': 58 } });
    },
  },
  'deltas-sockmap-bypass': {
    problems: [
      ['HOST_TOA_BYPASS', 'warning'],
      ['HOST_TOA_MISMATCH_RISING', 'warning'],
    ],
  },
  'deltas-hook-not-in-path': {
    problems: [['HOST_HOOK_NOT_IN_PATH', 'error']],
    absent: ['HOST_IPV6_HOOKS_UNCONFIRMED'],
    check: (ev) => {
      const f = diagnoseHost(ev)[0]!;
      expect(f.flows).toBe(120);
      expect(f.examples.some((e) => e.ref === 'listen [::]:8080')).toBe(true);
    },
  },
  'deltas-ip6-leak': {
    problems: [['HOST_IP6_ADDRESS_LEAK', 'warning']],
    infos: ['HOST_NO_TRAFFIC_IN_INTERVAL'],
  },
};

describe('fixture trees: expected host findings', () => {
  for (const [name, exp] of Object.entries(CASES)) {
    it(name, async () => {
      const ev = await loadHostDir(dir(name));
      const findings = diagnoseHost(ev);
      for (const f of findings) expect(f.source).toBe('host');
      const problems = findings.filter((f) => f.severity !== 'info').map((f) => [f.code, f.severity]);
      expect(problems.sort()).toEqual([...exp.problems].sort());
      const codes = findings.map((f) => f.code);
      for (const c of exp.infos ?? []) expect(codes).toContain(c);
      for (const c of exp.absent ?? []) expect(codes).not.toContain(c);
      if (exp.implementations) expect(ev.implementations).toEqual(exp.implementations);
      exp.check?.(ev);
    });
  }
});
