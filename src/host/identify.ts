/**
 * Which RS-side implementation is installed, from the host evidence, and which TOA
 * (kind, length) variants it reads (the rows of src/model/modules.ts, each citing its module's
 * source file and function). Variant ids follow the
 * decode table's 'toa-<kind>-<len>' naming (host does not import decode).
 */
import { MODULE_MODELS } from '../model/modules.js';
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
  /** the module it loads as (null: eBPF, no module) */
  module: 'toa' | 'vtoa' | 'tcp_toa' | 'ip_vs_ca' | null;
}

/**
 * What each implementation reads comes from its module-model row (src/model/modules.ts): the
 * first row that is a build of it, except where the host cannot tell two builds apart and the
 * wider one avoids a false kind mismatch (Huawei log lines are also printed by userid/lvs_toa, which
 * adds 200/8; Tencent's tgw_toa packages read 253/20 for NAT64 too).
 */
const IMPL_MODEL: Partial<Record<Implementation, string>> = { huawei: 'lvs_toa', tgw_toa: 'tgw_toa-nat64' };

function modelAccepts(id: Implementation): string[] {
  const row = MODULE_MODELS.find((m) => m.id === IMPL_MODEL[id]) ?? MODULE_MODELS.find((m) => m.impl === id);
  return row ? [...row.accepts] : [];
}

/** ONE table of implementations the host can identify; `accepts` from the model rows. */
const IMPLEMENTATION_ROWS: ImplementationInfo[] = [
  {
    id: 'alibaba-lvs',
    label: 'Alibaba LVS RS toa',
    accepts: ['toa-254-8'],
    ipv6Hooks: null,
    statsFile: 'toa_stats',
    module: 'toa',
  },
  {
    id: 'alikernel',
    label: 'AliKernel in-tree toa',
    accepts: ['toa-254-8', 'toa-253-20'],
    ipv6Hooks: true,
    statsFile: 'toa_stats',
    module: 'toa',
  },
  {
    id: 'vtoa',
    label: 'Alibaba Cloud Linux vtoa',
    accepts: ['toa-254-8', 'toa-250-8', 'toa-252-20', 'toa-249-40', 'toa-254-20', 'toa-253-20'],
    ipv6Hooks: true,
    statsFile: 'vtoa_stats',
    module: 'vtoa',
  },
  {
    id: 'tcp_toa',
    label: 'Alibaba Cloud CDN tcp_toa (kind 28, SYN)',
    accepts: ['toa-28-7'],
    ipv6Hooks: false,
    statsFile: 'toa_stats',
    module: 'tcp_toa',
  },
  {
    id: 'ebpf-cdn',
    label: 'Alibaba Cloud CDN eBPF TOA',
    accepts: ['toa-28-7', 'toa-28-19', 'toa-254-8', 'toa-254-20'],
    ipv6Hooks: true,
    statsFile: null,
    module: null,
  },
  {
    id: 'dpvs',
    label: 'iQIYI DPVS kmod/toa',
    accepts: ['toa-254-8', 'toa-254-20'],
    ipv6Hooks: true,
    statsFile: 'toa_stats',
    module: 'toa',
  },
  {
    id: 'huawei',
    label: 'Huawei TCP_option_address or userid/lvs_toa',
    accepts: ['toa-254-8'],
    ipv6Hooks: false,
    statsFile: 'toa_stats',
    module: 'toa',
  },
  {
    id: 'huawei-elb',
    label: 'Huawei ELB toa 2.1/2.2',
    accepts: ['toa-254-8', 'toa-253-20', 'toa-254-20'],
    ipv6Hooks: true,
    statsFile: 'toa_stats',
    module: 'toa',
  },
  {
    id: 'ucloud',
    label: 'UCloud ucloud-toa',
    accepts: ['toa-200-8', 'toa-254-8', 'toa-253-8'],
    ipv6Hooks: true,
    statsFile: 'toa_stats',
    module: 'toa',
  },
  {
    id: 'tencentos',
    label: 'TencentOS built-in toa',
    accepts: ['toa-200-8', 'toa-201-6', 'toa-202-8'],
    ipv6Hooks: true,
    statsFile: 'toa_stats',
    module: 'toa',
  },
  {
    id: 'tgw_toa',
    label: 'Tencent Cloud tgw_toa',
    accepts: ['toa-200-8', 'toa-253-20'],
    ipv6Hooks: null,
    statsFile: 'toa_stats',
    module: 'toa',
  },
  {
    id: 'ttgw',
    label: 'TTGW-style toa 3.0.1',
    accepts: ['toa-254-8', 'toa-254-16', 'toa-254-20'],
    ipv6Hooks: true,
    statsFile: 'toa_stats',
    module: 'toa',
  },
  {
    id: 'ip_vs_ca',
    label: 'yubo/ip_vs_ca',
    accepts: ['toa-254-8', 'toa-200-8'],
    ipv6Hooks: null,
    statsFile: null,
    module: 'ip_vs_ca',
  },
];

export const IMPLEMENTATIONS: ImplementationInfo[] = IMPLEMENTATION_ROWS.map((i) => ({
  ...i,
  accepts: modelAccepts(i.id),
}));

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
  if (d.implementations.length) sets.push([...d.implementations].reverse());
  const readers: Implementation[] = [];
  if (mod('vtoa')?.loaded || mod('vtoa')?.sysfs) readers.push('vtoa');
  if (mod('tcp_toa')?.loaded) readers.push('tcp_toa');
  if (mod('ip_vs_ca')?.loaded) readers.push('ip_vs_ca');
  if (s.ebpf.present) readers.push('ebpf-cdn');
  if (toa && (toa.loaded || toa.sysfs) && mod('hookers')?.loaded && !readers.includes('vtoa'))
    readers.push('alikernel');
  else if (readers.length && toa && (toa.loaded || toa.builtin))
    readers.push(...IMPLEMENTATIONS.filter((i) => i.module === 'toa').map((i) => i.id));
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

/** Drop candidates the host rules out (their module is absent, TencentOS built-in elsewhere). */
function plausible(id: Implementation, s: HostSnapshot): boolean {
  const info = implementationInfo(id);
  if (!info) return true;
  if (info.module === null) return s.ebpf.present;
  const m = s.modules.find((x) => x.name === info.module);
  const present = !!m && (m.loaded || m.sysfs);
  const statsHint = s.stats.some((f) => info.statsFile !== null && f.path.endsWith(info.statsFile));
  if (s.procModules !== null && !present && !(statsHint && info.module !== 'tcp_toa')) return false;
  if (id === 'tencentos') {
    const params = Object.keys(m?.parameters ?? {});
    return s.kernel.flavor === 'tencentos' || params.some((p) => TENCENTOS_PARAMS.includes(p));
  }
  if (id === 'alikernel')
    return !!s.modules.find((x) => x.name === 'hookers' && x.loaded) || s.hookers !== null;
  return true;
}

/**
 * Candidates, best first: intersect the evidence sources in order of strength, skipping a
 * source that would leave nothing (conflicting evidence is reported by the rules, not here).
 */
export function identifyImplementations(s: HostSnapshot, d: DmesgSummary): Implementation[] {
  const sets = candidateSets(s, d).map((set) => set.filter((i) => plausible(i, s)));
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
