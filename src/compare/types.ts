/**
 * The `toa-doctor/compare@1` document (schema/compare.schema.json) and the one table of change
 * codes. Adding optional members is a compatible change; removing or renaming one bumps the @1.
 */
import type { IpFamily } from '../decode/types.js';
import type { Verdict } from '../flow/types.js';

export const COMPARE_SCHEMA = 'toa-doctor/compare@1';

export const MODES = ['front', 'path'] as const;
export type CompareMode = (typeof MODES)[number];

/** the packets whose options are compared, in order */
export const COMPARE_PACKETS = ['syn', 'ack', 'data'] as const;
export type ComparePacket = (typeof COMPARE_PACKETS)[number];

export type ChangeCode =
  | 'TOA_INSERTED'
  | 'TOA_NOT_INSERTED'
  | 'TOA_WRONG_ADDRESS'
  | 'TOA_INTACT'
  | 'TOA_STRIPPED'
  | 'TOA_CHANGED'
  | 'CHECKSUM_BROKEN'
  | 'TOA_MOVED';

export interface ChangeRow {
  code: ChangeCode;
  mode: CompareMode;
  /** a change that explains a missing or wrong client address (exit code 1) */
  problem: boolean;
  title: string;
  /** why it happens, for the finding */
  explanation: string;
  remediation: string;
}

/**
 * One row per change code: README, schema and renderers read it; code raises a change by its code.
 */
export const COMPARE_CODES: readonly ChangeRow[] = [
  {
    code: 'TOA_INSERTED',
    mode: 'front',
    problem: false,
    title: "the LB inserted the client's address",
    explanation: "B's TOA names the client A saw: the load balancer does its part.",
    remediation:
      'none at the LB; if the backend still logs the LB address, run `toa-doctor read` on B with `--host-dir` (module, counters, listener)',
  },
  {
    code: 'TOA_NOT_INSERTED',
    mode: 'front',
    problem: true,
    title: 'the LB inserted no TOA',
    explanation:
      'the connection reached the backend without any TOA option: the LB did not add it (TOA switched off on the listener, no option room, path MTU) or a device after it removed it.',
    remediation:
      "enable TOA / 'get client IP' on the LB listener (Tencent CLB, Huawei ELB: a listener setting; LVS: sysctl net.ipv4.vs.fullnat_toa_entry=1); check the LB's TOA failure counters (LVS /proc/net/ip_vs_ext_stats fullnat_add_toa_fail_len / fullnat_add_toa_head_full; DPVS log 'add toa: no TCP header room'); if a firewall sits between LB and backend, capture right behind the LB and compare again in path mode",
  },
  {
    code: 'TOA_WRONG_ADDRESS',
    mode: 'front',
    problem: true,
    title: "B's TOA names another client",
    explanation:
      'the TOA on the backend names an address A did not see as the client: a SNAT/proxy sits in front of the LB (A is not the real client), a second TOA device upstream (cascaded FULLNAT: the first option wins), or an LB bug.',
    remediation:
      'capture in front of any proxy/SNAT device; with two TOA-inserting devices in a row make the inner one keep the outer TOA (DPVS does not cascade TOA); if the address is random, report the LB bug with this comparison',
  },
  {
    code: 'TOA_INTACT',
    mode: 'path',
    problem: false,
    title: 'TOA arrived unchanged',
    explanation: 'the same TOA rode on the same packets at both points.',
    remediation:
      'none on the path; if the backend still logs the LB address, look at the backend (toa-doctor read B --host-dir DIR)',
  },
  {
    code: 'TOA_STRIPPED',
    mode: 'path',
    problem: true,
    title: 'TOA removed between the two points',
    explanation:
      'A device between the two capture points strips unknown TCP options (firewall TCP normalizer, IPS inline normalization, a TCP proxy or SYN proxy that rebuilds the segment).',
    remediation:
      'Cisco ASA: the default TCP normalizer clears option kinds 9-255 (tcp-options range 9 255 clear) and 6-7; allow the TOA kind with a tcp-map (tcp-map TOA / tcp-options range 200 200 allow, or 254 254 / 253 253 / 28 28 for your LB) applied via policy-map global_policy, class ..., set connection advanced-options TOA; Firepower (Snort 2 Inline Normalization with Normalize TCP on, where an empty list allows only MSS, window scale and timestamps): add the kind to "Allow These TCP Options" in the network analysis policy; Linux: look for an iptables TCPOPTSTRIP rule or SYNPROXY on the path',
  },
  {
    code: 'TOA_CHANGED',
    mode: 'path',
    problem: true,
    title: 'TOA rewritten between the two points',
    explanation:
      'B carries a TOA with another address or (kind, length) than A: a second TOA-inserting device (cascaded FULLNAT, anti-DDoS in front of a CLB) or a device that rewrites options; a TOA may also have been added after A.',
    remediation:
      'find the second TOA device on the path and keep only one TOA insertion (the backend module reads the first matching option); check that the backend module reads the (kind, length) B carries (toa-doctor read B --profile ...)',
  },
  {
    code: 'CHECKSUM_BROKEN',
    mode: 'path',
    problem: true,
    title: 'TOA-carrying packet arrives with a bad TCP checksum',
    explanation:
      'the packet carrying the TOA had a good checksum at A and a bad one at B: a device changed its bytes without fixing the checksum, and the backend kernel drops it (the module never sees the TOA).',
    remediation:
      'find the device that edits the segment between the two points (option insertion with checksum offload left on: LVS sysctl_ip_vs_csum_offload); if B was captured on a host with RX checksum offload, confirm with a capture on the wire or a mirror port before blaming the path',
  },
  {
    code: 'TOA_MOVED',
    mode: 'path',
    problem: true,
    title: 'TOA moved to another packet',
    explanation:
      'the TOA rode on other packets at B than at A (e.g. on the handshake ACK at A but only on the SYN at B): a SYN proxy or TCP proxy between the points rebuilt the handshake; the backend module reads the packet that creates the socket (normally the handshake ACK).',
    remediation:
      'turn off SYN proxy / TCP proxying for this service between the points, or make the device replay the TOA on the packet the backend module reads (the handshake ACK and first data, as LVS/DPVS do)',
  },
];

export const CHANGE_BY_CODE: ReadonlyMap<ChangeCode, ChangeRow> = new Map(
  COMPARE_CODES.map((r) => [r.code, r]),
);

/** the clues a pair can be matched by, strongest first */
export const CLUES = ['tuple', 'toa', 'isn', 'payload', 'port-map', 'timing'] as const;
export type Clue = (typeof CLUES)[number];

export interface CompareToa {
  variant: string;
  kind: number;
  length: number;
  /** the client the TOA names, ip:port (or ip for the port-less kind 28) */
  client: string | null;
}

/** One connection as compare sees it (a compact copy of a flow record). */
export interface CompareFlow {
  /** flow id in its capture */
  id: number;
  family: IpFamily;
  client: string;
  server: string;
  clientAddress: string;
  clientPort: number;
  serverAddress: string;
  serverPort: number;
  /** SYN time, else first packet (seconds) */
  start: number;
  /** client ISN (SYN sequence number), null without a SYN */
  isn: number | null;
  /** first client data: digest of its first bytes and its length; null without data */
  payload: string | null;
  payloadLength: number | null;
  /** the read analysis' TOA (the one its verdict is about), if any */
  toa: CompareToa | null;
  verdict: Verdict;
  packets: Record<ComparePacket, ComparePacketFacts | null>;
}

export interface ComparePacketFacts {
  ts: number;
  /** the captured option area, hex ('' when none; null when option bytes were not kept) */
  optionBytes: string | null;
  toa: CompareToa[];
  checksum: 'ok' | 'bad' | 'unverifiable' | 'not-checked';
}

export interface CompareSideInput {
  /** what the report calls this side (file names) */
  files: string[];
  flows: CompareFlow[];
  packets: number;
  /** flows dropped from the table (not compared) */
  evicted: number;
}

export interface EndpointPair {
  client: string;
  server: string;
}

export interface PairSide extends EndpointPair {
  id: number;
  start: number;
  verdict: Verdict;
  toa: CompareToa | null;
}

/** one option as listed: kind and tcpdump-like text (TOA decoded), bytes as hex */
export interface OptionItem {
  kind: number;
  text: string;
  raw: string;
}

export interface PacketDiff {
  packet: ComparePacket;
  /** option texts in wire order (null: the packet was not captured on that side) */
  a: string[] | null;
  b: string[] | null;
  added: string[];
  removed: string[];
  changed: Array<{ a: string; b: string }>;
  /** TOA on this packet at each side (client it names, or kind/len when it names none) */
  toaA: string | null;
  toaB: string | null;
  checksumA: ComparePacketFacts['checksum'] | null;
  checksumB: ComparePacketFacts['checksum'] | null;
}

export interface ComparePair {
  a: PairSide;
  b: PairSide;
  change: ChangeCode;
  problem: boolean;
  /** one line: what changed */
  detail: string;
  matchedBy: Clue[];
  /** 0..1 */
  confidence: number;
  confidenceLevel: 'high' | 'medium' | 'low';
  /** B's start minus A's start (seconds) */
  offsetSec: number;
  packets: PacketDiff[];
}

export interface AmbiguousMatch {
  a: EndpointPair & { id: number; start: number };
  candidates: Array<EndpointPair & { id: number; start: number; matchedBy: Clue[] }>;
  /** candidates beyond the listed ones */
  more: number;
}

export interface OnlyOneSide extends EndpointPair {
  id: number;
  start: number;
  verdict: Verdict;
}

export type CompareSeverity = 'error' | 'warning' | 'info';

export interface CompareFinding {
  code:
    | ChangeCode
    | 'ONLY_A'
    | 'ONLY_B'
    | 'AMBIGUOUS'
    | 'ISN_REWRITTEN'
    | 'CLOCK_OFFSET'
    | 'EVICTED'
    | 'NO_PAIRS'
    | 'SIDES_SWAPPED';
  severity: CompareSeverity;
  title: string;
  /** pairs (or connections) concerned, and out of how many */
  count: number;
  of: number;
  explanation: string;
  remediation: string | null;
  /** a few examples, "A client → server  ⇒  B client → server" */
  examples: string[];
}

export interface MatchingInfo {
  /** B clock minus A clock, median over the confident pairs (null: none) */
  clockOffsetSec: number | null;
  /** the timing window around that offset, estimated from the confident pairs (null: none) */
  windowSec: number | null;
  /** pairs found without timing (the estimate's basis) */
  confidentPairs: number;
  /** the LB keeps the client ISN (true), rewrites it (false), unknown/mixed (null) */
  isnKept: boolean | null;
  /** share of pairs whose both endpoints are the same at A and B */
  tupleKept: number | null;
  /** server port mapping learned from the confident pairs: A server port → B server port */
  portMap: Array<{ a: number; b: number; pairs: number }>;
}

export interface CompareSummary {
  pairs: number;
  onlyA: number;
  onlyB: number;
  ambiguous: number;
  changes: Record<ChangeCode, number>;
  problemPairs: number;
  exitCode: 0 | 1;
}

export interface CompareDocument {
  schema: typeof COMPARE_SCHEMA;
  tool: { name: 'toa-doctor'; version: string };
  input: {
    a: { files: string[]; flows: number; packets: number; evicted: number };
    b: { files: string[]; flows: number; packets: number; evicted: number };
  };
  mode: CompareMode;
  modeSource: 'auto' | 'option';
  modeReason: string;
  matching: MatchingInfo;
  summary: CompareSummary;
  findings: CompareFinding[];
  pairs: ComparePair[];
  onlyA: OnlyOneSide[];
  onlyB: OnlyOneSide[];
  ambiguous: AmbiguousMatch[];
}
