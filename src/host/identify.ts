/**
 * Which RS-side implementation is installed, from the host evidence, and which TOA
 * (kind, length) variants it reads (reference sections 3 and 12). Variant ids follow the
 * decode table's 'toa-<kind>-<len>' naming (host does not import decode).
 */
import { counterSetImplementations } from './stats.js';
import type { DmesgSummary, HostSnapshot, Implementation } from './types-host.js';

export interface ImplementationInfo {
  id: Implementation;
  label: string;
  /** variants its getname/syn_recv_sock path understands */
  accepts: string[];
  /** the IPv6 path is hooked in a default build */
  ipv6Hooks: boolean | null;
  /** has a /proc stats file */
  statsFile: 'toa_stats' | 'vtoa_stats' | null;
}

/** ONE table (section 12). */
export const IMPLEMENTATIONS: ImplementationInfo[] = [
  {
    id: 'alibaba-lvs',
    label: 'Alibaba LVS RS toa',
    accepts: ['toa-254-8'],
    ipv6Hooks: null,
    statsFile: 'toa_stats',
  },
  {
    id: 'alikernel',
    label: 'AliKernel in-tree toa',
    accepts: ['toa-254-8', 'toa-253-20'],
    ipv6Hooks: true,
    statsFile: 'toa_stats',
  },
  {
    id: 'vtoa',
    label: 'Alibaba Cloud Linux vtoa',
    accepts: ['toa-254-8', 'toa-250-8', 'toa-252-20', 'toa-249-40', 'toa-254-20', 'toa-253-20'],
    ipv6Hooks: true,
    statsFile: 'vtoa_stats',
  },
  {
    id: 'tcp_toa',
    label: 'Alibaba Cloud CDN tcp_toa (kind 28, SYN)',
    accepts: ['toa-28-7'],
    ipv6Hooks: false,
    statsFile: 'toa_stats',
  },
  {
    id: 'ebpf-cdn',
    label: 'Alibaba Cloud CDN eBPF TOA',
    accepts: ['toa-28-7', 'toa-28-19', 'toa-254-8', 'toa-254-20'],
    ipv6Hooks: true,
    statsFile: null,
  },
  {
    id: 'dpvs',
    label: 'iQIYI DPVS kmod/toa',
    accepts: ['toa-254-8', 'toa-254-20'],
    ipv6Hooks: true,
    statsFile: 'toa_stats',
  },
  {
    id: 'huawei',
    label: 'Huawei TCP_option_address',
    accepts: ['toa-254-8'],
    ipv6Hooks: false,
    statsFile: 'toa_stats',
  },
  {
    id: 'huawei-elb',
    label: 'Huawei ELB toa 2.1/2.2',
    accepts: ['toa-254-8', 'toa-253-20', 'toa-254-20'],
    ipv6Hooks: true,
    statsFile: 'toa_stats',
  },
  {
    id: 'ucloud',
    label: 'UCloud ucloud-toa',
    accepts: ['toa-200-8', 'toa-254-8', 'toa-253-8'],
    ipv6Hooks: true,
    statsFile: 'toa_stats',
  },
  {
    id: 'tencentos',
    label: 'TencentOS built-in toa',
    accepts: ['toa-200-8', 'toa-201-6', 'toa-202-8'],
    ipv6Hooks: true,
    statsFile: 'toa_stats',
  },
  {
    id: 'tgw_toa',
    label: 'Tencent Cloud tgw_toa',
    accepts: ['toa-200-8', 'toa-253-20'],
    ipv6Hooks: null,
    statsFile: 'toa_stats',
  },
  {
    id: 'ttgw',
    label: 'TTGW-style toa 3.0.1',
    accepts: ['toa-254-8', 'toa-254-16', 'toa-254-20'],
    ipv6Hooks: true,
    statsFile: 'toa_stats',
  },
  {
    id: 'ip_vs_ca',
    label: 'yubo/ip_vs_ca',
    accepts: ['toa-254-8', 'toa-200-8'],
    ipv6Hooks: null,
    statsFile: null,
  },
];

export function implementationInfo(id: Implementation): ImplementationInfo | undefined {
  return IMPLEMENTATIONS.find((i) => i.id === id);
}

const TENCENTOS_PARAMS = ['vtoa', 'disable_getpeername', 'dbg'];
const TTGW_PARAMS = ['toa_map_table_bits', 'vip_enable', 'v6_to_v4_enable', 'v6_to_v4_prefix_str'];

/** Evidence sources, strongest first; each gives a candidate set. */
function candidateSets(s: HostSnapshot, d: DmesgSummary): Implementation[][] {
  const sets: Implementation[][] = [];
  const mod = (n: string) => s.modules.find((m) => m.name === n);
  const toa = mod('toa');
  const params = Object.keys(toa?.parameters ?? {});
  if (params.some((p) => TTGW_PARAMS.includes(p))) sets.push(['ttgw']);
  if (params.some((p) => TENCENTOS_PARAMS.includes(p))) sets.push(['tencentos']);
  const last = d.implementations[d.implementations.length - 1];
  if (last) sets.push([last]);
  const readers: Implementation[] = [];
  if (mod('vtoa')?.loaded || mod('vtoa')?.sysfs) readers.push('vtoa');
  if (mod('tcp_toa')?.loaded) readers.push('tcp_toa');
  if (mod('ip_vs_ca')?.loaded) readers.push('ip_vs_ca');
  if (s.ebpf.present) readers.push('ebpf-cdn');
  if (toa && (toa.loaded || toa.sysfs) && mod('hookers')?.loaded && !readers.includes('vtoa'))
    readers.push('alikernel');
  if (readers.length) sets.push(readers);
  for (const f of s.stats) {
    if (f.layout === 'ttgw') sets.push(['ttgw']);
    else if (f.counterSet !== 'unknown') {
      const impls = [...counterSetImplementations(f.counterSet)];
      if (f.path.endsWith('vtoa_stats')) impls.push('vtoa');
      sets.push(impls);
    }
  }
  if (s.kernel.flavor === 'tencentos') sets.push(['tencentos', 'tgw_toa']);
  if (s.kernel.flavor === 'alinux' || s.kernel.flavor === 'anolis') sets.push(['vtoa', 'alikernel']);
  return sets;
}

/**
 * Candidates, best first: intersect the evidence sources in order of strength, skipping a
 * source that would leave nothing (conflicting evidence is reported by the rules, not here).
 */
export function identifyImplementations(s: HostSnapshot, d: DmesgSummary): Implementation[] {
  const sets = candidateSets(s, d);
  if (sets.length === 0) return [];
  let current: Implementation[] = [...new Set(sets[0])];
  for (const set of sets.slice(1)) {
    const inter = current.filter((c) => set.includes(c));
    if (inter.length > 0) current = inter;
  }
  return current;
}

/** Union of variants the candidates accept (null when no candidate is known). */
export function acceptedVariants(impls: Implementation[], snapshot?: HostSnapshot): string[] | null {
  if (impls.length === 0) return null;
  const out = new Set<string>();
  for (const i of impls) {
    if (i === 'ip_vs_ca' && snapshot?.sysctl['/proc/sys/net/ca/tcpopt_addr']) {
      out.add(`toa-${snapshot.sysctl['/proc/sys/net/ca/tcpopt_addr'].trim()}-8`);
      continue;
    }
    for (const v of implementationInfo(i)?.accepts ?? []) out.add(v);
  }
  return [...out];
}
