/** Flow-layer contracts: per-connection records and verdicts. */
import type { ChecksumStatus, IpFamily, OptionBreak } from '../decode/types.js';

/** Exactly these verdict codes (README and schema/report.schema.json document them). */
export const VERDICTS = [
  'TOA_OK',
  'TOA_MISSING',
  'TOA_SYN_ONLY',
  'TOA_LATE',
  'TOA_MALFORMED',
  'TOA_KIND_MISMATCH',
  'TOA_INCONSISTENT',
  'TOA_NAT64',
  'TOA_BAD_CHECKSUM',
  'INCOMPLETE',
] as const;
export type Verdict = (typeof VERDICTS)[number];

/** The profiles that existed before module models: `auto` matches traffic against these. */
export const LEGACY_PROFILES = [
  'auto',
  'tencent',
  'tencent-nat64',
  'alibaba-lvs',
  'dpvs',
  'huawei',
  'ucloud',
  'tencentos',
  'aliyun-cdn',
  'vtoa',
] as const;

/** Every name --profile accepts: the older profile names, then the module models without one. */
export const PROFILES = [
  ...LEGACY_PROFILES,
  // module models (src/model/modules.ts) without an older profile name
  'tgw_toa',
  'tgw_toa-nat64',
  'alikernel',
  'vtoa-anolis',
  'tcp_toa',
  'ebpf-cdn',
  'dpvs-vip',
  'huawei-toa',
  'huawei-elb',
  'lvs_toa',
  'ttgw',
  'ip_vs_ca',
] as const;
export type ProfileName = (typeof PROFILES)[number];

/** Which packet of a flow a TOA rode on. */
export type PacketRole = 'syn' | 'ack' | 'data';

/** How the client side was decided. */
export type ClientRule = 'syn' | 'toa-sender' | 'higher-port';

export interface ToaSighting {
  variant: string; // ToaVariant.id
  kind: number;
  length: number;
  family: IpFamily | null;
  address: string | null;
  port: number | null;
}

/** What one interesting packet (SYN / handshake ACK / first data) looked like. */
export interface PacketFacts {
  /** seconds (float) */
  ts: number;
  seq: number;
  ack: number;
  flags: number;
  payloadLength: number;
  /** TOA options on it, in wire order (usually 0 or 1) */
  toa: ToaSighting[];
  optionAreaLength: number;
  optionBytesUsed: number;
  /** 40 - optionAreaLength ... bytes still free for an LB to insert */
  optionBytesFree: number;
  breakReason: OptionBreak;
  /** a TOA-shaped option sits after EOL */
  toaAfterEol: boolean;
  /** a TOA-shaped option sits after the point where the list broke (never reached) */
  toaAfterBreak: boolean;
  checksum: ChecksumStatus;
  retransmissions: number;
  tfo: boolean;
  /** the captured option area as hex (only when the analyzer keeps compare facts) */
  optionBytes?: string;
  /** first client data only, compare facts: digest of the first payload bytes ('<16 hex>/<bytes hashed>') */
  payloadDigest?: string;
}

export interface FlowRecord {
  id: number;
  family: IpFamily;
  client: { address: string; port: number };
  server: { address: string; port: number };
  clientRule: ClientRule;
  firstTs: number;
  lastTs: number;
  packets: { toServer: number; toClient: number };
  syn: PacketFacts | null;
  synAck: PacketFacts | null;
  /** the handshake-completing ACK (first client ACK acknowledging server ISN+1) */
  handshakeAck: PacketFacts | null;
  /** first client data segment */
  firstData: PacketFacts | null;
  /** TOA seen on later client packets (not syn/ack/first data) */
  laterToa: ToaSighting[];
  fin: boolean;
  rst: boolean;
  serverSpokeFirst: boolean;
  tfo: boolean;
  verdict: Verdict;
  /** the variant the verdict is about, if any */
  toa: (ToaSighting & { packets: PacketRole[] }) | null;
  /** short human reason for the verdict */
  reason: string;
  /**
   * Set only when a module model (not `auto`) judged the flow: the packet the model took the
   * address from for this flow ('syn' | 'ack', null when not captured) and what the model reads.
   */
  model?: {
    id: string;
    reads: 'ack' | 'syn' | 'syn-or-ack';
    pick: 'first' | 'last';
    readPacket: 'syn' | 'ack' | null;
  };
}
