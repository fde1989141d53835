/**
 * ONE table: profile → the (kind, length) TOA variants the backend module of that profile reads
 * (reference sections 1, 3 and 12). `auto` accepts every known variant that carries a client
 * address and reports which profiles match the traffic.
 */
import { TOA_VARIANTS } from '../decode/index.js';
import { PROFILES, type ProfileName } from './types.js';

export interface ProfileInfo {
  name: ProfileName;
  /** accepted variants as [kind, length] */
  variants: Array<[number, number]>;
  /** the module(s) / products this profile stands for */
  modules: string;
  /** short note shown in reports */
  note: string;
}

export const PROFILE_TABLE: ProfileInfo[] = [
  {
    name: 'auto',
    variants: [],
    modules: 'any known TOA module',
    note: 'accepts every known client-address variant; reports which profiles match',
  },
  {
    name: 'tencent',
    variants: [[200, 8]],
    modules: 'Tencent CLB / Anti-DDoS / GAAP / EdgeOne tgw_toa',
    note: 'IPv4 client in kind 200 on the handshake ACK',
  },
  {
    name: 'tencent-nat64',
    variants: [
      [200, 8],
      [253, 20],
    ],
    modules: 'Tencent CLB tgw_toa with NAT64 (IPv6 client → IPv4 backend)',
    note: 'IPv6 clients in 253/20: the app must call getsockopt(IPPROTO_IP, 4096)',
  },
  {
    name: 'alibaba-lvs',
    variants: [[254, 8]],
    modules: 'Alibaba LVS FULLNAT toa.ko, AliKernel toa',
    note: 'the RS module reads 254/8 only (the LB also sends 253/20 for IPv6 clients)',
  },
  {
    name: 'dpvs',
    variants: [
      [254, 8],
      [254, 20],
    ],
    modules: 'iQIYI DPVS kmod/toa',
    note: '254/20 on an IPv4 socket = NAT64 (getsockopt 4096)',
  },
  {
    name: 'huawei',
    variants: [
      [254, 8],
      [253, 20],
      [254, 20],
    ],
    modules: 'Huawei TCP_option_address toa (254/8); huaweicloud elb-toa 2.x (+253/20, 254/20)',
    note: 'default Huawei builds have no IPv6 hooks',
  },
  {
    name: 'ucloud',
    variants: [
      [200, 8],
      [254, 8],
      [253, 8],
    ],
    modules: 'UCloud ucloud-toa',
    note: 'IPv4 only; 253/8 is the "Akamai" compat form',
  },
  {
    name: 'tencentos',
    variants: [
      [200, 8],
      [201, 6],
      [202, 8],
    ],
    modules: 'TencentOS / TLinux in-tree toa (modprobe toa)',
    note: '201/6 (VPC id) and 202/8 (VIP) are extensions, not client addresses',
  },
  {
    name: 'aliyun-cdn',
    variants: [
      [28, 7],
      [28, 19],
      [254, 8],
      [254, 20],
    ],
    modules: 'Alibaba Cloud CDN tcp_toa (kmod: 28/7 on the SYN) and its eBPF variant (28/19, 254/8, 254/20)',
    note: 'kind 28 rides on the SYN only: the module reads the SYN',
  },
  {
    name: 'vtoa',
    variants: [
      [254, 8],
      [250, 8],
      [252, 20],
      [249, 40],
      [254, 20],
      [253, 20],
    ],
    modules: 'Alibaba Cloud Linux / Anolis vtoa (Anti-DDoS, SLB)',
    note: '250/8 is the VIP only; 249/40 uses the whole option area',
  },
];

export function isProfileName(s: string): s is ProfileName {
  return (PROFILES as readonly string[]).includes(s);
}

export function profileInfo(name: ProfileName): ProfileInfo {
  const p = PROFILE_TABLE.find((x) => x.name === name);
  if (!p) throw new Error(`unknown profile ${name}`);
  return p;
}

/** Profiles other than auto. */
export const CONCRETE_PROFILES: ProfileName[] = PROFILE_TABLE.filter((p) => p.name !== 'auto').map(
  (p) => p.name,
);

const masks = new Map<ProfileName, Uint8Array>();

/**
 * Per TOA_VARIANTS index: 1 when the profile's module reads that variant. `auto` accepts every
 * variant that carries a client address.
 */
export function acceptMask(name: ProfileName): Uint8Array {
  let m = masks.get(name);
  if (m) return m;
  m = new Uint8Array(TOA_VARIANTS.length);
  if (name === 'auto') {
    for (let i = 0; i < TOA_VARIANTS.length; i++) m[i] = TOA_VARIANTS[i]!.carriesClient ? 1 : 0;
  } else {
    for (const [kind, len] of profileInfo(name).variants) {
      const i = TOA_VARIANTS.findIndex((v) => v.kind === kind && v.length === len);
      if (i >= 0) m[i] = 1;
    }
  }
  masks.set(name, m);
  return m;
}

/** Variant ids accepted by a profile (for reports). */
export function profileVariantIds(name: ProfileName): string[] {
  const m = acceptMask(name);
  const out: string[] = [];
  for (let i = 0; i < m.length; i++) if (m[i]) out.push(TOA_VARIANTS[i]!.id);
  return out;
}

/**
 * Profiles whose module reads every client-address variant in `seen` (variant ids), narrowest
 * first. Empty `seen` → [].
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

/** "200/8" for a variant id like 'toa-200-8' */
export function variantLabel(id: string): string {
  const m = /^toa-(\d+)-(\d+)$/.exec(id);
  return m ? `${m[1]}/${m[2]}` : id;
}
