/**
 * What the host rule groups share: the host finding builder (severity and title from
 * HOST_FINDING_CODES), evidence references, and the reader / listener / IPv6-hook facts several
 * groups look at.
 */
import { formatEndpoint } from '../../endpoint.js';
import { implementationInfo } from '../../host/identify.js';
import type {
  DmesgEvent,
  HostEvidence,
  Implementation,
  ModuleState,
  PortListeners,
} from '../../host/types-host.js';
import { findingBuilder, READER_MODULES } from '../finding.js';
import { HOST_FINDING_CODES } from '../host-codes.js';
import type { FindingExample } from '../types.js';

export const finding = findingBuilder(HOST_FINDING_CODES, 'host');

export function dmesgRef(ev: DmesgEvent): FindingExample {
  return { ref: `dmesg:${ev.line}${ev.ts ? ` [${ev.ts}]` : ''}`, detail: ev.message.slice(0, 200) };
}

export function n(v: number | null): string {
  return v === null ? '?' : String(v);
}

export const LOAD_HELP =
  'Load the module that matches your load balancer, then open NEW connections (existing ones keep the LB ' +
  'address): Tencent CLB/Anti-DDoS/GAAP: install tgw_toa (TencentOS: `modprobe toa` for the built-in, ' +
  'or the tgw_toa_tlinux build; other distros: the tgw_toa_linux build) and `insmod toa.ko`; Alibaba Cloud ' +
  'Linux 3: `systemctl start vtoa` (`modprobe vtoa`); DPVS/Huawei/UCloud: build the vendor toa.ko for this ' +
  'kernel and `insmod`/`modprobe toa`; Alibaba CDN: `modprobe tcp_toa` or the eBPF loader. Check with ' +
  '`lsmod | grep toa`, `dmesg | grep -i toa` and `cat /proc/net/toa_stats`.';
export function loadedReaders(ev: HostEvidence): ModuleState[] {
  return ev.snapshot.modules.filter((m) => READER_MODULES.includes(m.name) && (m.loaded || m.builtin));
}

export function implLabel(impls: Implementation[]): string {
  if (impls.length === 0) return 'an unidentified implementation';
  return impls.map((i) => implementationInfo(i)?.label ?? i).join(' or ');
}

/** Ports an IPv4 client reaches through the IPv6 path, plus IPv6-only ports. */
export function ipv6PathPorts(ev: HostEvidence): PortListeners[] {
  return ev.snapshot.listeners.ports
    .map((p) => ({ ...p, listeners: p.listeners.filter((l) => !isLocalOnly(l.address)) }))
    .filter(
      (p) =>
        p.listeners.length > 0 &&
        (p.ipv4ClientPath === 'ipv6' || p.listeners.some((l) => l.family === 'ipv6' && !l.v4Mapped)),
    );
}

/** Loopback / link-local listeners never see load-balancer traffic. */
export function isLocalOnly(address: string): boolean {
  return (
    address === '::1' ||
    address.startsWith('127.') ||
    address.startsWith('::ffff:127.') ||
    /^fe[89ab][0-9a-f]:/i.test(address)
  );
}

export function portExamples(ports: PortListeners[]): FindingExample[] {
  return ports.slice(0, 8).map((p) => ({
    ref: `listen ${p.listeners.map((l) => formatEndpoint(l.address, p.port)).join(', ')}`,
    detail:
      p.ipv4ClientPath === 'ipv6'
        ? `IPv4 clients go through the IPv6 path (tcp_v6_syn_recv_sock, inet6_getname)${p.uncertain ? ' unless the socket is IPV6_V6ONLY' : ''}`
        : p.ipv4ClientPath === 'ipv4'
          ? 'IPv4 clients use the IPv4 listener; IPv6 clients use the IPv6 path'
          : 'IPv6 only',
  }));
}

/** What the evidence says about IPv6 hooks: true/false, or null when nothing tells. */
export function ipv6Hooks(ev: HostEvidence): { hooked: boolean | null; how: string; strong: boolean } {
  const d = ev.dmesgSummary;
  if (d.hooked.length > 0) {
    return {
      hooked: d.ipv6Hooked,
      how: `dmesg since the last load shows hooks on ${d.hooked.join(', ')}`,
      strong: true,
    };
  }
  const hk = ev.snapshot.hookers;
  if (hk && hk.length > 0) {
    const v4 = hk.some((h) => h.family === 'ipv4' && h.hookers > 0);
    const v6 = hk.some((h) => (h.family === 'ipv6' || h.family === 'mapped') && h.hookers > 0);
    if (v4 || v6)
      return {
        hooked: v6,
        how: `/proc/hookers: ${hk.map((h) => `${h.place}=${h.hookers}`).join(', ')}`,
        strong: true,
      };
  }
  if (ev.snapshot.stats.some((f) => f.layout === 'ttgw')) {
    return { hooked: true, how: 'TTGW toa hooks IPv4 and IPv6', strong: false };
  }
  const infos = ev.implementations.map((i) => implementationInfo(i)?.ipv6Hooks ?? null);
  if (infos.length > 0 && infos.every((x) => x === false))
    return {
      hooked: false,
      how: `${implLabel(ev.implementations)} does not hook IPv6 in its default build`,
      strong: false,
    };
  if (infos.length > 0 && infos.every((x) => x === true))
    return { hooked: true, how: `${implLabel(ev.implementations)} hooks IPv6`, strong: false };
  return { hooked: null, how: 'no hook lines in the kernel log and no /proc/hookers', strong: false };
}
