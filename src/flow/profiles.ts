/**
 * Profiles are names for rows of the module-model table (src/model/modules.ts): `--profile NAME`
 * takes a model id or one of the older profile names (aliases). This file derives what the hot
 * path reads from a row, once per model: a per-TOA_VARIANTS accept mask, the packet-read mode and
 * the first/last rule (test/model/models.test.ts proves masks and rows agree). `auto` accepts
 * every variant that carries a client address and reports which older profiles match the traffic.
 */
import { TOA_VARIANTS } from '../decode/index.js';
import { findModel, MODULE_MODELS, type ModuleModel } from '../model/modules.js';
import { LEGACY_PROFILES, PROFILES, type ProfileName } from './types.js';

export interface ProfileInfo {
  name: ProfileName;
  /** accepted variants as [kind, length] */
  variants: Array<[number, number]>;
  /** the module(s) / products this profile stands for */
  modules: string;
  /** short note shown in reports */
  note: string;
}

function pairs(ids: string[]): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (const id of ids) {
    const m = /^toa-(\d+)-(\d+)$/.exec(id);
    if (m) out.push([Number(m[1]), Number(m[2])]);
  }
  return out;
}

/** the model row a profile name means (auto → the `auto` row) */
export function profileModel(name: string): ModuleModel {
  const m = findModel(name);
  if (!m) throw new Error(`unknown profile ${name}`);
  return m;
}

/**
 * The words reports used for the older profiles (the PROFILE_MATCH finding under `auto` quotes
 * them; keeping them keeps `auto` output as it was). The variants come from the model rows.
 */
const LEGACY_TEXT: Record<(typeof LEGACY_PROFILES)[number], [string, string]> = {
  auto: ['any known TOA module', 'accepts every known client-address variant; reports which profiles match'],
  tencent: [
    'Tencent CLB / Anti-DDoS / GAAP / EdgeOne tgw_toa',
    'IPv4 client in kind 200 on the handshake ACK',
  ],
  'tencent-nat64': [
    'Tencent CLB tgw_toa with NAT64 (IPv6 client → IPv4 backend)',
    'IPv6 clients in 253/20: the app must call getsockopt(IPPROTO_IP, 4096)',
  ],
  'alibaba-lvs': [
    'Alibaba LVS FULLNAT toa.ko, AliKernel toa',
    'the RS module reads 254/8 only (the LB also sends 253/20 for IPv6 clients)',
  ],
  dpvs: ['iQIYI DPVS kmod/toa', '254/20 on an IPv4 socket = NAT64 (getsockopt 4096)'],
  huawei: [
    'Huawei TCP_option_address toa (254/8); huaweicloud elb-toa 2.x (+253/20, 254/20)',
    'default Huawei builds have no IPv6 hooks',
  ],
  ucloud: ['UCloud ucloud-toa', 'IPv4 only; 253/8 is the "Akamai" compat form'],
  tencentos: [
    'TencentOS / TLinux in-tree toa (modprobe toa)',
    '201/6 (VPC id) and 202/8 (VIP) are extensions, not client addresses',
  ],
  'aliyun-cdn': [
    'Alibaba Cloud CDN tcp_toa (kmod: 28/7 on the SYN) and its eBPF variant (28/19, 254/8, 254/20)',
    'kind 28 rides on the SYN only: the module reads the SYN',
  ],
  vtoa: [
    'Alibaba Cloud Linux / Anolis vtoa (Anti-DDoS, SLB)',
    '250/8 is the VIP only; 249/40 uses the whole option area',
  ],
};

/** The older profiles, each a view of its model row (auto matches traffic against these). */
export const PROFILE_TABLE: ProfileInfo[] = LEGACY_PROFILES.map((name) => {
  const m = profileModel(name);
  return {
    name,
    variants: pairs([...m.accepts, ...(m.extensions ?? [])]),
    modules: LEGACY_TEXT[name][0],
    note: LEGACY_TEXT[name][1],
  };
});

export function isProfileName(s: string): s is ProfileName {
  return (PROFILES as readonly string[]).includes(s);
}

export function profileInfo(name: ProfileName): ProfileInfo {
  const p = PROFILE_TABLE.find((x) => x.name === name);
  if (p) return p;
  const m = profileModel(name);
  return { name, variants: pairs([...m.accepts, ...(m.extensions ?? [])]), modules: m.label, note: m.note };
}

/** Older profiles other than auto. */
export const CONCRETE_PROFILES: ProfileName[] = PROFILE_TABLE.filter((p) => p.name !== 'auto').map(
  (p) => p.name,
);

/** read modes, as judge() indexes them */
export const READ_ACK = 0;
export const READ_SYN = 1;
export const READ_EITHER = 2;
const READ_CODES = { ack: READ_ACK, syn: READ_SYN, 'syn-or-ack': READ_EITHER } as const;

/** What judge() reads of a model: derived from the row once, never a row lookup per flow. */
export interface JudgeModel {
  row: ModuleModel;
  /** false for `auto` (today's rules: handshake ACK, the SYN for kind 28, any INCONSISTENT) */
  named: boolean;
  /** per TOA_VARIANTS index: 1 when the module reads a client address from that variant */
  accept: Uint8Array;
  /** per TOA_VARIANTS index: 1 when getsockopt(IPPROTO_IP, 4096) returns it on an IPv4 socket */
  nat64: Uint8Array;
  /** per TOA_VARIANTS index: 1 when the module reads it as something other than a client (a VIP) */
  notClient: Uint8Array;
  reads: number;
  pickLast: boolean;
}

function mask(ids: string[]): Uint8Array {
  const m = new Uint8Array(TOA_VARIANTS.length);
  for (const id of ids) {
    const i = TOA_VARIANTS.findIndex((v) => v.id === id);
    if (i >= 0) m[i] = 1;
  }
  return m;
}

const judgeModels = new Map<string, JudgeModel>();

/** The fast form of a model row (cached per row content). */
export function judgeModel(row: ModuleModel): JudgeModel {
  const key = `${row.id}|${row.accepts.join(',')}`;
  let j = judgeModels.get(key);
  if (j) return j;
  const named = row.id !== 'auto';
  j = {
    row,
    named,
    accept: named ? mask(row.accepts) : Uint8Array.from(TOA_VARIANTS, (v) => (v.carriesClient ? 1 : 0)),
    nat64: mask(row.nat64Api),
    notClient: mask((row.notClient ?? []).map((x) => x.variant)),
    reads: READ_CODES[row.reads],
    pickLast: row.pick === 'last',
  };
  judgeModels.set(key, j);
  return j;
}

/**
 * Per TOA_VARIANTS index: 1 when the profile's module reads that variant. `auto` accepts every
 * variant that carries a client address.
 */
export function acceptMask(name: ProfileName): Uint8Array {
  return judgeModel(profileModel(name)).accept;
}

/** Variant ids accepted by a profile (for reports): its client variants and its extensions. */
export function profileVariantIds(name: ProfileName): string[] {
  const m = profileModel(name);
  // auto judges the IP-header carriers too, but lists the TCP variants (as it always has)
  if (m.id === 'auto') return TOA_VARIANTS.filter((v) => v.carriesClient && !v.carrier).map((v) => v.id);
  const want = new Set([...m.accepts, ...(m.extensions ?? [])]);
  return TOA_VARIANTS.filter((v) => want.has(v.id)).map((v) => v.id);
}

/**
 * Older profiles whose module reads every client-address variant in `seen` (variant ids),
 * narrowest first. Empty `seen` → [].
 */
export function matchingProfiles(seen: string[]): ProfileName[] {
  if (seen.length === 0) return [];
  const out: Array<{ name: ProfileName; size: number }> = [];
  for (const p of PROFILE_TABLE) {
    if (p.name === 'auto') continue;
    const ids = new Set(profileVariantIds(p.name));
    if (seen.every((id) => ids.has(id))) out.push({ name: p.name, size: ids.size });
  }
  out.sort((a, b) => a.size - b.size || a.name.localeCompare(b.name));
  return out.map((x) => x.name);
}

/** every model row (for reports and the README table) */
export function allModels(): readonly ModuleModel[] {
  return MODULE_MODELS;
}

/** "200/8" for a variant id like 'toa-200-8' */
export function variantLabel(id: string): string {
  const m = /^(toa|ip4opt|ip6dst)-(\d+)-(\d+)$/.exec(id);
  if (!m) return id;
  const pre = m[1] === 'ip4opt' ? 'IPv4 option ' : m[1] === 'ip6dst' ? 'IPv6 dst-option ' : '';
  return `${pre}${m[2]}/${m[3]}`;
}
