/**
 * What the BPF programs in bpf/ are told, as bytes. The layouts here mirror the C structs in
 * bpf/toa-insert.bpf.c (struct toa_ins_cfg) and bpf/toa-read.bpf.c (struct toa_rd_cfg); a test
 * compiles nothing but checks the sizes against the objects' BTF when bpftool is present.
 *
 * Variants come from the decode table (src/decode/toa.ts): an option is built from its row's
 * layout (kind, length, port at portOffset, address at addrOffset, version byte for kind 28).
 */

import { parseAddress } from '../decode/addr.js';
import { TOA_VARIANTS, type ToaVariantRow } from '../decode/toa.js';

/** Packets the inserter can put the option on (bits of toa_ins_cfg.packets). */
export const PKT = { syn: 1, ack: 2, data: 4 } as const;
export type PacketName = keyof typeof PKT;

/** A placement: one or more packets, written `syn`, `ack`, `data` or joined with `+`. */
export interface Placement {
  name: string;
  mask: number;
}

export function parsePlacement(s: string): Placement | null {
  const parts = s.split('+').map((p) => p.trim().toLowerCase());
  let mask = 0;
  for (const p of parts) {
    if (!(p in PKT)) return null;
    mask |= PKT[p as PacketName];
  }
  const name = (['syn', 'ack', 'data'] as const).filter((p) => mask & PKT[p]).join('+');
  return mask ? { name, mask } : null;
}

/** Inserter modes (toa_ins_cfg.mode). */
export const INS_MODE = { normal: 0, noroom: 1 } as const;

export const BLOB = 40;
/** sizeof(struct toa_ins_cfg) */
export const INS_CFG_SIZE = 4 + 2 * BLOB;

export interface InserterConfig {
  packets: number;
  mode: number;
  /** up to two complete options (kind, length, data...) */
  options: Uint8Array[];
}

export function encodeInserterConfig(c: InserterConfig): Buffer {
  if (c.options.length > 2) throw new Error('at most two options');
  const b = Buffer.alloc(INS_CFG_SIZE);
  b[0] = c.packets;
  b[1] = c.mode;
  b[2] = c.options.length;
  c.options.forEach((o, i) => {
    if (o.length > BLOB) throw new Error('option longer than 40 bytes');
    b.set(o, 4 + i * BLOB);
  });
  return b;
}

/** Reader modes (toa_rd_cfg.mode): which packet(s) the reader takes the address from. */
export const RD_MODE = { ack: 0, 'syn-or-ack': 1 } as const;
export type ReaderMode = keyof typeof RD_MODE;

/** Address layouts the reader knows (L_* in toa-read.bpf.c). */
export const RD_LAYOUT = { portV4: 1, portV6: 2, verV4: 3, verV6: 4 } as const;
const LENS = 41;
export const RD_CFG_SIZE = 4 + 256 * LENS;

/** The reader's layout for a variant, or 0 when it carries no client address. */
export function readerLayout(v: ToaVariantRow): number {
  if (!v.carriesClient || !v.family) return 0;
  if (v.hasPort) {
    if (v.layout.portOffset !== 2 || v.layout.addrOffset !== 4) return 0;
    return v.family === 'ipv6' ? RD_LAYOUT.portV6 : RD_LAYOUT.portV4;
  }
  if (v.layout.addrOffset !== 3) return 0;
  return v.family === 'ipv6' ? RD_LAYOUT.verV6 : RD_LAYOUT.verV4;
}

export function encodeReaderConfig(mode: ReaderMode, variantIds: readonly string[]): Buffer {
  const b = Buffer.alloc(RD_CFG_SIZE);
  b[0] = RD_MODE[mode];
  for (const id of variantIds) {
    const v = variantById(id);
    if (!v) throw new Error(`unknown variant ${id}`);
    const l = readerLayout(v);
    if (l && v.length <= 40) b[4 + v.kind * LENS + v.length] = l;
  }
  return b;
}

export function variantById(id: string): ToaVariantRow | undefined {
  return TOA_VARIANTS.find((v) => v.id === id);
}

/** `200/8` or `toa-200-8` → the row; null when unknown. */
export function parseVariant(s: string): ToaVariantRow | null {
  const m = /^(?:toa-)?(\d{1,3})[/-](\d{1,2})$/.exec(s.trim());
  if (!m) return null;
  return TOA_VARIANTS.find((v) => v.kind === Number(m[1]) && v.length === Number(m[2])) ?? null;
}

/** Variants that carry a client address (what the probe tests by default). */
export function clientVariants(): ToaVariantRow[] {
  return TOA_VARIANTS.filter((v) => v.carriesClient && readerLayout(v) !== 0);
}

export function variantLabel(v: { kind: number; length: number }): string {
  return `${v.kind}/${v.length}`;
}

/**
 * The option bytes of a variant carrying `address` (and `port` when the variant has one). Fields
 * other than the client (TTGW destination, vtoa VPC id / VIP) get fixed documentation values.
 */
export function buildOption(v: ToaVariantRow, address: string, port: number): Uint8Array {
  const o = new Uint8Array(v.length);
  o[0] = v.kind;
  o[1] = v.length;
  const a = parseAddress(address)?.bytes;
  if (!a) throw new Error(`bad address ${address}`);
  if (v.layout.portOffset >= 0) {
    o[v.layout.portOffset] = port >> 8;
    o[v.layout.portOffset + 1] = port & 0xff;
  }
  if (v.layout.addrOffset >= 0)
    o.set(a.subarray(0, Math.min(a.length, v.length - v.layout.addrOffset)), v.layout.addrOffset);
  for (const f of v.layout.extra) {
    if (f.name === 'version') o[f.offset] = a.length === 4 ? 1 : 2;
    else if (f.type === 'ipv4') o.set([198, 51, 100, 1], f.offset);
    else if (f.type === 'u16') {
      o[f.offset] = 0;
      o[f.offset + 1] = 80;
    }
  }
  return o;
}

/** The client address a variant family carries in the probe and the lab (documentation ranges). */
export const PROBE_CLIENT = { ipv4: '203.0.113.7', ipv6: '2001:db8::7' } as const;
