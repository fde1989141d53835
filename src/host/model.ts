/**
 * Which module model (src/model/modules.ts) the host evidence points at, with the kinds its
 * parameters configure. Only a single identified implementation names a model; several candidates
 * (or none) leave the choice to `auto`, and the report says so.
 */
import type { HostModelGuess } from '../model/choose.js';
import { MODULE_MODELS } from '../model/modules.js';
import type { HostEvidence, HostSnapshot } from './types-host.js';

/**
 * The kinds in the CDN eBPF `toa_opcode_map` dump: bpffs pretty print (`0: 28`), `bpftool map
 * dump` plain (`key: 00 00 00 00  value: 1c`) or JSON (`{"key":[0,0,0,0],"value":[28]}`). Keys 0
 * (address-only kind) and 1 (kind with port); a value 0 means "default" (toa-kern.c get_toa_opcode).
 */
export function parseOpcodeMap(text: string): number[] | null {
  const vals = new Map<number, number>();
  for (const m of text.matchAll(/^\s*(\d+)\s*:\s*(\d+)\s*$/gm)) vals.set(Number(m[1]), Number(m[2]));
  for (const m of text.matchAll(/key:\s*((?:[0-9a-f]{2}\s+){3}[0-9a-f]{2})\s+value:\s*([0-9a-f]{2})/gi)) {
    const key = Number.parseInt(m[1]!.trim().split(/\s+/)[0]!, 16);
    vals.set(key, Number.parseInt(m[2]!, 16));
  }
  for (const m of text.matchAll(/"key"\s*:\s*\[\s*(\d+)[^\]]*\]\s*,\s*"value"\s*:\s*\[\s*(\d+)/g))
    vals.set(Number(m[1]), Number(m[2]));
  if (!vals.has(0) && !vals.has(1)) return null;
  const k0 = vals.get(0) || 28;
  const k1 = vals.get(1) || 254;
  return [k0, k1];
}

function configuredKinds(model: string, s: HostSnapshot): { kinds: number[]; text: string } {
  if (model === 'ip_vs_ca') {
    const v = s.sysctl['/proc/sys/net/ca/tcpopt_addr'];
    if (v !== undefined && /^\d+$/.test(v.trim()) && Number(v) <= 255)
      return { kinds: [Number(v)], text: `; tcpopt_addr = ${v.trim()}` };
    return { kinds: [], text: '; tcpopt_addr not readable, default 200' };
  }
  if (model === 'ebpf-cdn') {
    const t = s.sysctl['/sys/fs/bpf/toa/toa_opcode_map'];
    const k = t ? parseOpcodeMap(t) : null;
    if (k) return { kinds: k, text: `; toa_opcode_map: kinds ${k[0]} (address) and ${k[1]} (with port)` };
    return { kinds: [], text: '; toa_opcode_map not readable, defaults 28 and 254' };
  }
  return { kinds: [], text: '' };
}

/** The model the host names, or null when the evidence names none or several. */
export function hostModelGuess(ev: HostEvidence): HostModelGuess | null {
  const impls = ev.implementations;
  if (impls.length !== 1) return null;
  const impl = impls[0]!;
  const s = ev.snapshot;
  let id: string | undefined;
  let extra = '';
  let accepts: string[] | undefined;
  if (impl === 'huawei') {
    // Huawei TCP_option_address and userid/lvs_toa print the same lines; lvs_toa also reads 200/8,
    // so 200/8 is not called a kind mismatch on this evidence (the counters tell them apart)
    id = 'lvs_toa';
    extra = '; Huawei-style log lines are also printed by userid/lvs_toa (254/8 and 200/8), judged as that';
  } else if (impl === 'alikernel') {
    const set = s.stats.find((f) => f.path.endsWith('toa_stats'))?.counterSet;
    id = 'alikernel';
    if (set === 'alikernel' && !s.stats.some((f) => f.totals.getname_toa_ok_v6 !== undefined)) {
      // ymaxgit/aliker net/toa: TCPOPT_TOA_V6 253/20 exists only under CONFIG_IPV6
      extra = '; 6-counter set: built without IPv6, reads 254/8 only';
      accepts = ['toa-254-8'];
    }
  } else if (impl === 'tgw_toa') id = 'tgw_toa-nat64';
  else id = MODULE_MODELS.find((m) => m.impl === impl)?.id;
  if (!id) return null;
  const row = MODULE_MODELS.find((m) => m.id === id)!;
  const k = configuredKinds(id, s);
  return {
    model: id,
    kinds: k.kinds,
    why: `host evidence identifies ${row.label}${extra}${k.text}`,
    ...(accepts ? { accepts } : {}),
  };
}
