/**
 * The ONE table of TOA (kind, length) variants, as the modules define them (e.g. TCPOPT_TOA 254
 * and TCPOLEN_TOA 8 in alibaba/LVS kernel/net/toa/toa.h; the 20-byte IPv6 form read by
 * get_toa_data() in iqiyi/dpvs kmod/toa/toa.c). Kinds 253/254 are the experimental options of
 * RFC 4727, which TOA uses without RFC 6994's ExID. src/model/modules.ts cites the source file and
 * function of every module that reads a row. Modules key on the (kind, length) pair, so does this
 * table. Every row says how to read its bytes.
 *
 * Offsets below are relative to the option's kind byte: [0]=kind, [1]=length, data from [2].
 */

import { formatEndpoint } from '../endpoint.js';
import { ipv4ToString, ipv6ToString } from './addr.js';
import type { IpFamily, ToaDecoded, ToaVariant } from './types.js';

/** Field layout of a variant, relative to the kind byte. -1 = absent. */
export interface ToaLayout {
  /** client (or, for VIP-only rows, nothing) address offset */
  addrOffset: number;
  portOffset: number;
  /** extra named fields */
  extra: ToaExtraField[];
}

export interface ToaExtraField {
  name: string;
  type: 'u8' | 'u16' | 'u24' | 'u32' | 'ipv4' | 'ipv6';
  offset: number;
}

export interface ToaVariantRow extends ToaVariant {
  layout: ToaLayout;
  /** one-line description of the bytes after (kind, length) */
  bytes: string;
}

const v4 = (name: string, offset: number): ToaExtraField => ({ name, type: 'ipv4', offset });
const v6 = (name: string, offset: number): ToaExtraField => ({ name, type: 'ipv6', offset });
const u16 = (name: string, offset: number): ToaExtraField => ({ name, type: 'u16', offset });

function row(
  kind: number,
  length: number,
  name: string,
  vendors: string[],
  family: IpFamily | null,
  opts: {
    hasPort?: boolean;
    synOnly?: boolean;
    carriesClient?: boolean;
    carrier?: 'ip4opt' | 'ip6dst';
    id?: string;
    addrOffset?: number;
    portOffset?: number;
    extra?: ToaExtraField[];
    bytes: string;
  },
): ToaVariantRow {
  const hasPort = opts.hasPort ?? true;
  return {
    id: opts.id ?? `toa-${kind}-${length}`,
    kind,
    length,
    name,
    vendors,
    family,
    hasPort,
    synOnly: opts.synOnly ?? false,
    carriesClient: opts.carriesClient ?? true,
    ...(opts.carrier ? { carrier: opts.carrier } : {}),
    layout: {
      addrOffset: opts.addrOffset ?? (family ? 4 : -1),
      portOffset: hasPort ? (opts.portOffset ?? 2) : -1,
      extra: opts.extra ?? [],
    },
    bytes: opts.bytes,
  };
}

export const TOA_VARIANTS: ToaVariantRow[] = [
  row(
    200,
    8,
    'Tencent/UCloud IPv4 TOA',
    [
      'Tencent CLB/Anti-DDoS/GAAP/EdgeOne (tgw_toa)',
      'TencentOS toa',
      'UCloud ULB (ucloud-toa)',
      'LVS FULLNAT 2012 (linuxvirtualserver.org)',
      'yubo/ip_vs_ca',
    ],
    'ipv4',
    { bytes: 'client port (2), client IPv4 (4)' },
  ),
  row(
    254,
    8,
    'LVS/DPVS IPv4 TOA',
    [
      'Alibaba LVS FULLNAT',
      'AliKernel toa',
      'Alibaba Cloud vtoa (SLB/Anti-DDoS)',
      'iQIYI DPVS',
      'Huawei ELB',
      'UCloud (compat)',
      'TTGW toa 3.0.1',
      'Alibaba CDN eBPF',
    ],
    'ipv4',
    { bytes: 'client port (2), client IPv4 (4)' },
  ),
  row(253, 8, 'UCloud "Akamai" IPv4 TOA', ['UCloud (Akamai compat)'], 'ipv4', {
    bytes: 'client port (2), client IPv4 (4)',
  }),
  row(
    253,
    20,
    'IPv6 TOA (kind 253)',
    [
      'Alibaba LVS (IPv6 client)',
      'AliKernel toa',
      'Alibaba Cloud vtoa (TOA_V6)',
      'Huawei elb-toa 2.1',
      'Tencent CLB NAT64',
    ],
    'ipv6',
    { bytes: 'client port (2), client IPv6 (16)' },
  ),
  row(
    254,
    20,
    'IPv6 TOA (kind 254)',
    [
      'iQIYI DPVS',
      'Huawei elb-toa 2.1 / fork 2.2',
      'Alibaba Cloud vtoa (TOA_V6_EX)',
      'TTGW toa 3.0.1',
      'Alibaba CDN eBPF',
    ],
    'ipv6',
    { bytes: 'client port (2), client IPv6 (16)' },
  ),
  row(254, 16, 'TTGW IPv4 TOA with destination', ['TTGW toa 3.0.1 (ByteDance-style)'], 'ipv4', {
    extra: [u16('dstPort', 10), v4('dstAddress', 12)],
    bytes: 'client port (2), client IPv4 (4), pad (2), destination port (2), destination IPv4 (4)',
  }),
  row(28, 7, 'Alibaba CDN IPv4 TOA (SYN)', ['Alibaba Cloud CDN (tcp_toa kmod, eBPF)'], 'ipv4', {
    hasPort: false,
    synOnly: true,
    addrOffset: 3,
    extra: [{ name: 'version', type: 'u8', offset: 2 }],
    bytes: 'version (1), client IPv4 (4); no port',
  }),
  row(28, 19, 'Alibaba CDN IPv6 TOA (SYN)', ['Alibaba Cloud CDN (eBPF)'], 'ipv6', {
    hasPort: false,
    synOnly: true,
    addrOffset: 3,
    extra: [{ name: 'version', type: 'u8', offset: 2 }],
    bytes: 'version (1), client IPv6 (16); no port',
  }),
  row(201, 6, 'TencentOS VPC id', ['TencentOS toa (VPC mode)'], null, {
    hasPort: false,
    carriesClient: false,
    extra: [{ name: 'vpcId', type: 'u32', offset: 2 }],
    bytes: 'VPC id (4)',
  }),
  row(202, 8, 'TencentOS VIP', ['TencentOS toa (VPC mode)'], null, {
    hasPort: false,
    carriesClient: false,
    extra: [u16('vport', 2), v4('vip', 4)],
    bytes: 'virtual port (2), VIP IPv4 (4)',
  }),
  row(250, 8, 'Alibaba vtoa VIP', ['Alibaba Cloud vtoa (TOA_VIP)'], null, {
    hasPort: false,
    carriesClient: false,
    extra: [u16('vport', 2), v4('vip', 4)],
    bytes: 'virtual port (2), VIP IPv4 (4)',
  }),
  row(252, 20, 'Alibaba vtoa VPC (IPv4)', ['Alibaba Cloud vtoa (VTOA)'], 'ipv4', {
    extra: [{ name: 'vpcId', type: 'u32', offset: 8 }, v4('vip', 12), u16('vport', 16)],
    bytes: 'client port (2), client IPv4 (4), VPC id (4), VIP IPv4 (4), vport (2), pad (2)',
  }),
  row(249, 40, 'Alibaba vtoa V6VTOA', ['Alibaba Cloud vtoa (V6VTOA)'], 'ipv6', {
    extra: [{ name: 'vpcId', type: 'u24', offset: 20 }, v6('vip', 24)],
    bytes: 'client port (2), client IPv6 (16), VPC id (3) + reserved (1), VIP IPv6 (16)',
  }),
  // Client-address carriers outside the TCP options, read by TTGW toa 3.0.1 before any TCP option
  // (toa.c toa_process_v4 / toa_process_v6 / ip_option_to_four_tuple). Offsets relative to the IPv4
  // option's type byte, or to the IPv6 destination-options header's next-header byte: +2 operation
  // or option type, +4 client port, +6 destination (VIP) port, +8 client address, then the VIP.
  // Type 30 ("asym") has the same layout. 16 bytes: IPv4 inside; 40 bytes: IPv6 inside.
  row(31, 16, 'TTGW IPv4 option 31 (IPv4 client)', ['TTGW toa 3.0.1'], 'ipv4', {
    id: 'ip4opt-31-16',
    carrier: 'ip4opt',
    addrOffset: 8,
    portOffset: 4,
    extra: [u16('dstPort', 6), v4('dstAddress', 12)],
    bytes:
      'IPv4 option: operation 0 (1), pad (1), client port (2), VIP port (2), client IPv4 (4), VIP IPv4 (4)',
  }),
  row(31, 40, 'TTGW IPv4 option 31 (IPv6 client)', ['TTGW toa 3.0.1'], 'ipv6', {
    id: 'ip4opt-31-40',
    carrier: 'ip4opt',
    addrOffset: 8,
    portOffset: 4,
    extra: [u16('dstPort', 6), v6('dstAddress', 24)],
    bytes:
      'IPv4 option: operation 1 (1), pad (1), client port (2), VIP port (2), client IPv6 (16), VIP IPv6 (16)',
  }),
  row(31, 16, 'TTGW IPv6 destination option 31 (IPv4 client)', ['TTGW toa 3.0.1'], 'ipv4', {
    id: 'ip6dst-31-16',
    carrier: 'ip6dst',
    addrOffset: 8,
    portOffset: 4,
    extra: [u16('dstPort', 6), v4('dstAddress', 12)],
    bytes:
      'IPv6 destination options: next header, length, option 31, option length 12, client port (2), VIP port (2), client IPv4 (4), VIP IPv4 (4)',
  }),
  row(31, 40, 'TTGW IPv6 destination option 31 (IPv6 client)', ['TTGW toa 3.0.1'], 'ipv6', {
    id: 'ip6dst-31-40',
    carrier: 'ip6dst',
    addrOffset: 8,
    portOffset: 4,
    extra: [u16('dstPort', 6), v6('dstAddress', 24)],
    bytes:
      'IPv6 destination options: next header, length, option 31, option length 36, client port (2), VIP port (2), client IPv6 (16), VIP IPv6 (16)',
  }),
];

/** (kind << 8 | length) → variant index, -1 if none (TCP option rows only) */
const LOOKUP = new Int8Array(65536).fill(-1);
for (let i = 0; i < TOA_VARIANTS.length; i++) {
  const v = TOA_VARIANTS[i];
  if (v.carrier) continue;
  LOOKUP[(v.kind << 8) | v.length] = i;
}

/** index into TOA_VARIANTS of the (kind, length) pair, or -1 */
export function findToaVariant(kind: number, length: number): number {
  return LOOKUP[((kind & 0xff) << 8) | (length & 0xff)];
}

/** TFO experimental magic (RFC 7413 section 4.1.1): a 254 option starting with it is TFO, not TOA */
export const TFO_EXID = 0xf989;

/**
 * The TOA variant of the option at `p` (kind byte), honouring the two look-alikes:
 * kind 254 with ExID 0xF989 is TCP Fast Open; kind 28 length 4 is a real User Timeout (not in
 * the table anyway). The option's bytes must be present. Returns -1 when not a TOA.
 */
export function toaVariantAt(buf: Uint8Array, p: number, kind: number, len: number): number {
  const idx = LOOKUP[(kind << 8) | len];
  if (idx < 0) return -1;
  if (kind === 254 && ((buf[p + 2] << 8) | buf[p + 3]) === TFO_EXID) return -1;
  return idx;
}

function readField(buf: Uint8Array, p: number, f: ToaExtraField): string | number {
  const o = p + f.offset;
  switch (f.type) {
    case 'u8':
      return buf[o];
    case 'u16':
      return (buf[o] << 8) | buf[o + 1];
    case 'u24':
      return (buf[o] << 16) | (buf[o + 1] << 8) | buf[o + 2];
    case 'u32':
      return ((buf[o] << 24) >>> 0) + ((buf[o + 1] << 16) | (buf[o + 2] << 8) | buf[o + 3]);
    case 'ipv4':
      return ipv4ToString(buf, o);
    case 'ipv6':
      return ipv6ToString(buf, o);
  }
}

/** Decode the TOA option whose kind byte is at `optionOffset` (allocates; for print/JSON/flows). */
export function decodeToa(buf: Uint8Array, optionOffset: number, variantIndex: number): ToaDecoded {
  const v = TOA_VARIANTS[variantIndex];
  const p = optionOffset;
  const { addrOffset, portOffset, extra } = v.layout;
  const out: ToaDecoded = {
    variant: v.id,
    kind: v.kind,
    length: v.length,
    family: v.family,
    address:
      addrOffset < 0 || !v.family
        ? null
        : v.family === 'ipv6'
          ? ipv6ToString(buf, p + addrOffset)
          : ipv4ToString(buf, p + addrOffset),
    port: portOffset < 0 ? null : (buf[p + portOffset] << 8) | buf[p + portOffset + 1],
  };
  if (extra.length) {
    const e: Record<string, string | number> = {};
    for (const f of extra) e[f.name] = readField(buf, p, f);
    out.extra = e;
  }
  return out;
}

/** `192.0.2.77:54321`, `[2001:db8::1]:80`, `192.0.2.77` (no port): the one endpoint text, re-exported here */
export { formatEndpoint };

/** tcpdump-like text of a decoded TOA, e.g. `toa 192.0.2.77:54321 (200/8)`. */
export function formatToa(t: ToaDecoded): string {
  const x = t.extra ?? {};
  let s = t.variant.startsWith('ip4opt')
    ? 'ip-option toa'
    : t.variant.startsWith('ip6dst')
      ? 'dst-option toa'
      : 'toa';
  if (t.address !== null) s += ` ${formatEndpoint(t.address, t.port)}`;
  if (x.dstAddress !== undefined) s += ` dst ${formatEndpoint(String(x.dstAddress), Number(x.dstPort))}`;
  if (x.vpcId !== undefined) s += ` vpc ${x.vpcId}`;
  if (x.vip !== undefined)
    s += ` vip ${formatEndpoint(String(x.vip), x.vport === undefined ? null : Number(x.vport))}`;
  // the kmod checks version 1 for IPv4; the IPv6 value is not documented, so only flag the v4 case
  if (x.version !== undefined && t.family === 'ipv4' && x.version !== 1) s += ` version ${x.version}`;
  return `${s} (${t.kind}/${t.length})`;
}
