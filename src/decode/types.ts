/**
 * Decode-layer contracts. `decodePacket` fills ONE reusable DecodedPacket per call (no
 * allocation on the hot path); `decodeOptions` builds a full, allocated list for printing.
 * Malformed input is data: decoders never throw.
 */

export enum DecodeStatus {
  OK = 0,
  UNKNOWN_LINKTYPE = 1,
  NOT_IP = 2, // e.g. ARP, LLDP
  NOT_TCP = 3, // IP, other protocol (UDP, ICMP...)
  IP_FRAGMENT = 4, // non-first fragment: no TCP header
  TRUNCATED = 5, // cut before the TCP header ended (snaplen or corrupt length)
  BAD_IP = 6, // bad version / header length / total length
  BAD_TCP = 7, // data offset < 5
}

/** The word for each DecodeStatus, as `print --json` writes it (`"status":"not-ip"`). */
export const DECODE_STATUS_NAMES: Readonly<Record<DecodeStatus, string>> = {
  [DecodeStatus.OK]: 'ok',
  [DecodeStatus.UNKNOWN_LINKTYPE]: 'unknown-linktype',
  [DecodeStatus.NOT_IP]: 'not-ip',
  [DecodeStatus.NOT_TCP]: 'not-tcp',
  [DecodeStatus.IP_FRAGMENT]: 'ip-fragment',
  [DecodeStatus.TRUNCATED]: 'truncated',
  [DecodeStatus.BAD_IP]: 'bad-ip',
  [DecodeStatus.BAD_TCP]: 'bad-tcp',
};

/**
 * The counter that counts each DecodeStatus in an analysis's decode counters (`read --json`:
 * `"decode":{"notIp":3,...}`, flow/result.ts DecodeCounters).
 */
export const DECODE_STATUS_COUNTERS = {
  [DecodeStatus.OK]: 'ok',
  [DecodeStatus.UNKNOWN_LINKTYPE]: 'unknownLinkType',
  [DecodeStatus.NOT_IP]: 'notIp',
  [DecodeStatus.NOT_TCP]: 'notTcp',
  [DecodeStatus.IP_FRAGMENT]: 'ipFragment',
  [DecodeStatus.TRUNCATED]: 'truncated',
  [DecodeStatus.BAD_IP]: 'badIp',
  [DecodeStatus.BAD_TCP]: 'badTcp',
} as const satisfies Record<DecodeStatus, string>;

export enum ChecksumStatus {
  NOT_CHECKED = 0,
  OK = 1,
  BAD = 2,
  /** payload cut by snaplen, or a fragment: cannot verify */
  UNVERIFIABLE = 3,
}

/** The word for each ChecksumStatus, in `print --json` and in the report's packets (`read --json`). */
export type ChecksumName = 'not-checked' | 'ok' | 'bad' | 'unverifiable';
export const CHECKSUM_STATUS_NAMES: Readonly<Record<ChecksumStatus, ChecksumName>> = {
  [ChecksumStatus.NOT_CHECKED]: 'not-checked',
  [ChecksumStatus.OK]: 'ok',
  [ChecksumStatus.BAD]: 'bad',
  [ChecksumStatus.UNVERIFIABLE]: 'unverifiable',
};

export const TcpFlag = {
  FIN: 0x01,
  SYN: 0x02,
  RST: 0x04,
  PSH: 0x08,
  ACK: 0x10,
  URG: 0x20,
  ECE: 0x40,
  CWR: 0x80,
} as const;

/**
 * Why an option list broke. The TOA modules' option walk stops at the same places (get_toa_data()
 * in alibaba/LVS kernel/net/toa/toa.c and its forks: EOL, a length < 2, a length past the area).
 */
export type OptionBreak =
  | 'none'
  | 'zero-length' // length byte 0
  | 'length-one' // length byte 1
  | 'overrun' // length runs past the option area
  | 'no-length' // kind byte is the last byte, length missing
  | 'truncated'; // option area cut by the snaplen

/**
 * Every OptionBreak, each once. The position is the break's number where a number is stored (the
 * flow table keeps it in a few bits): OPTION_BREAKS[optionBreakIndex(b)] === b.
 */
export const OPTION_BREAKS: readonly OptionBreak[] = [
  'none',
  'zero-length',
  'length-one',
  'overrun',
  'no-length',
  'truncated',
];

/** The position of `b` in OPTION_BREAKS (a switch, no search: it runs per recorded packet). */
export function optionBreakIndex(b: OptionBreak): number {
  switch (b) {
    case 'none':
      return 0;
    case 'zero-length':
      return 1;
    case 'length-one':
      return 2;
    case 'overrun':
      return 3;
    case 'no-length':
      return 4;
    case 'truncated':
      return 5;
    default:
      return 0;
  }
}

/** Per-packet option summary: what the flow table needs, filled without allocation. */
export interface OptionSummary {
  /** first TOA-table match in wire order, or -1 (kind) if none. Offsets are into the frame buf. */
  toaKind: number;
  toaLength: number;
  toaOffset: number; // absolute offset in buf of the option's kind byte
  /** index into TOA_VARIANTS of the first match, -1 if none */
  toaVariant: number;
  /** number of TOA-table matches (a second one is ignored by the modules) */
  toaCount: number;
  /** a TOA-shaped option found only AFTER EOL (the module never reaches it) */
  toaAfterEol: boolean;
  /** a TOA-shaped option after the list broke (found by a resync scan is NOT attempted; always false unless breakage is after) */
  breakReason: OptionBreak;
  /** absolute offset in buf where the list broke, -1 if none */
  breakOffset: number;
  /** EOL seen at this absolute offset, -1 if none */
  eolOffset: number;
  /** bytes of the option area (dataOffset*4 - 20) */
  optionAreaLength: number;
  /** bytes of the option area up to and including the last decoded option (before padding) */
  optionBytesUsed: number;
  hasMss: boolean;
  hasTimestamps: boolean;
  hasTfo: boolean; // kind 34, or 254 with ExID 0xF989
  hasMptcp: boolean;
  hasMd5: boolean;
  hasAo: boolean;
  /**
   * The list broke (breakReason is not 'none'/'truncated') and a TOA-shaped (kind, length) pair
   * that fits in the captured area appears at some byte after the break. The module's parser
   * (get_toa_data()) never reaches it. A byte-wise resync scan: a heuristic, may hit data bytes.
   */
  toaAfterBreak: boolean;
  /** absolute offset of that TOA-shaped pair, -1 if none */
  toaAfterBreakOffset: number;
  /** absolute offset of the first TOA-shaped option after EOL (toaAfterEol), -1 if none */
  toaAfterEolOffset: number;
  /** non-zero bytes follow the EOL (options after EOL) */
  bytesAfterEol: boolean;
  /**
   * matches of VIP/VPC-only rows (201/6, 202/8, 250/8: carriesClient false) before the break.
   * They are not counted in toaCount and only become toaKind when no client-carrying TOA exists.
   */
  toaExtCount: number;
}

export interface DecodedPacket {
  status: DecodeStatus;
  /** 4 or 6 when an IP header was decoded, 0 otherwise */
  ipVersion: 0 | 4 | 6;
  /** absolute offset in buf of the IP header */
  ipOffset: number;
  /** absolute offsets of the source/destination address bytes (4 or 16 bytes) */
  srcAddrOffset: number;
  dstAddrOffset: number;
  ipTtl: number; // hop limit for IPv6
  ipId: number; // 0 for IPv6 (no fragment header)
  ipTotalLength: number; // from the header (IPv6: 40 + payload length)
  /** IPv4 header checksum: OK/BAD; IPv6: NOT_CHECKED */
  ipChecksum: ChecksumStatus;
  /** the IP packet is a fragment (first fragment keeps TCP) */
  ipFragment: boolean;
  vlanIds: number; // count of 802.1Q/802.1ad tags passed
  /** TCP (only meaningful when status is OK) */
  tcpOffset: number; // absolute offset of the TCP header
  srcPort: number;
  dstPort: number;
  seq: number; // uint32
  ack: number; // uint32
  flags: number; // TcpFlag bits
  window: number;
  dataOffset: number; // header length in 32-bit words (5..15)
  /** TCP payload length from the IP length fields (not the captured length) */
  payloadLength: number;
  /** true when the capture cut the TCP header or options (tcpdump's [|tcp]) */
  tcpTruncated: boolean;
  opts: OptionSummary;
  /** absolute offset in buf of the end of captured bytes for this frame */
  capturedEnd: number;
  /** IP protocol / last IPv6 next-header (6 for TCP), -1 when no IP header */
  ipProto: number;
  /** absolute offset of the transport header (after IPv6 extension headers), -1 if none */
  l4Offset: number;
  /** IPv4 fragment offset in bytes (or IPv6 fragment header offset), 0 otherwise */
  ipFragOffset: number;
  /** IPv4 header length in bytes / IPv6 40 + extension headers; 0 if none */
  ipHeaderLength: number;
}

export interface TcpOptionBase {
  kind: number;
  /** the length byte (1 for EOL/NOP) */
  length: number;
  /** tcpdump-style name: eol nop mss wscale sackOK sack TS md5 uto tcp-ao mptcp tfo exp unknown-N toa */
  name: string;
  /** option bytes (kind, length, data) as lowercase hex */
  raw: string;
}

/** Decoded fields per option; TOA options carry the variant and address. */
export interface TcpOption extends TcpOptionBase {
  mss?: number;
  wscale?: number;
  sack?: Array<[number, number]>;
  tsval?: number;
  tsecr?: number;
  uto?: { granularity: 'seconds' | 'minutes'; value: number };
  mptcpSubtype?: number;
  mptcpSubtypeName?: string;
  tfoCookie?: string;
  /** RFC 6994 experiment id (253/254 when not a TOA), hex */
  exid?: string;
  toa?: ToaDecoded;
}

export interface OptionMalformed {
  kind: number;
  length: number;
  malformed: OptionBreak | 'after-eol';
  /** offset within the option area */
  at: number;
}

export interface DecodedOptions {
  options: TcpOption[];
  malformed: OptionMalformed | null;
  /** option bytes after EOL that were not all zero (still listed in options with afterEol) */
  afterEol: TcpOption[];
  truncated: boolean;
}

export type IpFamily = 'ipv4' | 'ipv6';

/** A row in the ONE table of TOA (kind, length) variants. */
export interface ToaVariant {
  /** stable id, e.g. 'toa-200-8' */
  id: string;
  kind: number;
  length: number;
  /** short human name, e.g. 'Tencent/UCloud IPv4 TOA' */
  name: string;
  vendors: string[];
  /** family of the client address carried, or null when no client address (201/6 VPC id) */
  family: IpFamily | null;
  hasPort: boolean;
  /** LB puts it on the SYN only (Alibaba CDN kind 28) */
  synOnly: boolean;
  /** carries the client address (false for VPC-id / VIP-only extensions) */
  carriesClient: boolean;
  /**
   * not a TCP option: the client address rides in an IPv4 option or an IPv6 destination option
   * (TTGW toa 3.0.1). Offsets are then relative to that option (src/decode/carriers.ts); such rows
   * are never matched by (kind, length) inside the TCP option walk.
   */
  carrier?: 'ip4opt' | 'ip6dst';
}

export interface ToaDecoded {
  variant: string; // ToaVariant.id
  kind: number;
  length: number;
  family: IpFamily | null;
  address: string | null; // RFC 5952 for IPv6
  port: number | null;
  /** extra named fields: vpcId, vip, vport, dstAddress, dstPort, version... */
  extra?: Record<string, string | number>;
}
