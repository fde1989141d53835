/**
 * Analysis-result types: what src/flow hands to the layers above (the shared contracts live in
 * types.ts).
 * AnalysisResult is what Analyzer.finish() returns; FlowStats is the aggregate other areas
 * (live, bundle, diagnosis) read without walking flows. (The host area's correlation input,
 * src/diagnose/capture-stats.ts CaptureStats, is derived from it: src/diagnose/index.ts toCaptureStats.)
 */
import { DECODE_STATUS_COUNTERS, type DecodeStatus } from '../decode/types.js';
import type { ModuleModel } from '../model/modules.js';
import type { ClientRule, FlowRecord, ProfileName, Verdict } from './types.js';

export interface AnalyzerOptions {
  /** which (kind, length) variants the backend module reads; default 'auto' */
  profile?: ProfileName;
  /**
   * the module model that judges the flows (a src/model row, e.g. with its configured kinds
   * applied); default: the row `profile` names
   */
  model?: ModuleModel;
  /** hard cap on flows kept in memory (default 1,000,000); oldest finished flows are evicted first */
  maxFlows?: number;
  /** the LB's addresses as CIDRs ('10.0.0.0/8', '2001:db8::/32'); TOA from other sources is flagged */
  lb?: string[];
  /** called once per flow when it gets its final verdict (evicted or at finish) */
  onFlowDone?: (f: FlowRecord) => void;
  /**
   * called with the slot and verdict index (VERDICTS) before an evicted flow's slot is reused;
   * `Analyzer.judged` holds the judgement's details during the call (the exporter counts it)
   */
  onSlotDone?: (slot: number, verdict: number) => void;
  /**
   * keep the option area (<= 40 bytes) of each handshake packet, so reports can list every option
   * (PacketFacts.optionBytes; JSON `options.bytes`; the HTML ladder). Costs 176 bytes per flow.
   */
  keepOptionBytes?: boolean;
  /** slots allocated up front before the table starts doubling (tests use small values) */
  initialSlots?: number;
  /**
   * analyse only share `index` of `count` of the connections (partition.ts); every frame must
   * still be pushed. The shares are combined with mergePartitions() (src/flow/merge.ts).
   */
  partition?: { index: number; count: number };
  /** keep per-packet option bytes and a first-payload digest in the records (for `compare`) */
  compareFacts?: boolean;
}

/** One partition's share of an analysis, as plain data (it crosses a worker-thread boundary). */
export interface PartialAnalysis {
  stats: FlowStats;
  agg: AggregatorState;
  linkTypes: Record<number, number>;
  /** ids of every flow the partition created, ascending (an id is the number of the creating frame) */
  creations: Float64Array;
  /** the flows still in the table at the end, in creation order: ids and verdict indexes */
  keptIds: Float64Array;
  keptVerdicts: Uint8Array;
}

/** Aggregator counters as plain data (Aggregator.exportState / mergeState). */
export interface AggregatorState {
  flows: number;
  ipv4: number;
  ipv6: number;
  verdicts: Float64Array;
  examples: VerdictExamples;
  withSyn: number;
  withSynAck: number;
  handshakes: number;
  inferredAcks: number;
  oneDirection: number;
  rules: Record<ClientRule, number>;
  tfo: number;
  serverFirst: number;
  readToa: number;
  readNoToa: number;
  variantFlows: Float64Array;
  variantOnRead: Float64Array;
  mismatch: Float64Array;
  nat64: Float64Array;
  synOnly: Float64Array;
  missingNoRoom: number;
  lateTfo: number;
  lateServerFirst: number;
  malformed: Map<string, number>;
  outsideLb: number;
  outsideSources: Map<string, number>;
  duplicateToa: number;
  shaped: Map<string, { flows: number; example: string; id: number }>;
  vipNext: number;
  vipExample: string;
  vipExampleId: number;
  toaToClient: number;
  ports: Map<number, ServerPortStat>;
}

/** Decode counters over every packet pushed. */
export interface DecodeCounters {
  /** indexed by DecodeStatus name */
  ok: number;
  unknownLinkType: number;
  notIp: number;
  notTcp: number;
  ipFragment: number;
  truncated: number;
  badIp: number;
  badTcp: number;
  /** link type number → packets that had it but could not be decoded */
  unknownLinkTypes: Record<number, number>;
  /** TCP checksum verified on the packets the analysis keeps facts about (SYN, SYN-ACK, ACK, first data) */
  checksums: {
    checked: number;
    /** bad on client → server packets (received by the server) */
    badToServer: number;
    /** bad on server → client packets (sent by the server: often TX checksum offload) */
    badToClient: number;
    unverifiable: number;
  };
}

/** all-zero decode counters */
export function emptyDecodeCounters(): DecodeCounters {
  return {
    ok: 0,
    unknownLinkType: 0,
    notIp: 0,
    notTcp: 0,
    ipFragment: 0,
    truncated: 0,
    badIp: 0,
    badTcp: 0,
    unknownLinkTypes: {},
    checksums: { checked: 0, badToServer: 0, badToClient: 0, unverifiable: 0 },
  };
}

/** the counter of each DecodeStatus (the names live next to the enum; typed here against DecodeCounters) */
export const DECODE_STATUS_KEYS: Readonly<
  Record<DecodeStatus, keyof Omit<DecodeCounters, 'unknownLinkTypes' | 'checksums'>>
> = DECODE_STATUS_COUNTERS;

export interface VariantCount {
  /** ToaVariant.id, e.g. 'toa-200-8' */
  variant: string;
  kind: number;
  length: number;
  /** flows in which a client→server packet carried it */
  flows: number;
  /** flows whose packet-the-module-reads carried it */
  onReadPacket: number;
}

export interface ServerPortStat {
  port: number;
  family: 'ipv4' | 'ipv6';
  flows: number;
  /** flows whose packet-the-module-reads was captured */
  handshakes: number;
  /** flows with a client TOA on the packet the module reads */
  toaOnRead: number;
}

/** A few example flows per verdict (materialised records; at most EXAMPLES_PER_VERDICT each). */
export type VerdictExamples = Record<Verdict, FlowRecord[]>;

/**
 * Everything the diagnosis needs, aggregated over ALL flows (including evicted ones), so it stays
 * small whatever the capture size.
 */
export interface FlowStats {
  profile: ProfileName;
  /** packets pushed */
  packets: number;
  /** packets decoded down to TCP */
  tcpPackets: number;
  firstTs: number | null;
  lastTs: number | null;
  durationSec: number;
  /** flows analysed (kept + evicted) */
  flows: number;
  evicted: number;
  /** packets not tracked while the table was full: no SYN, no payload, no TOA (tails of evicted flows) */
  untrackedPackets: number;
  ipv4Flows: number;
  ipv6Flows: number;
  verdicts: Record<Verdict, number>;
  /** flows where a SYN / SYN-ACK / the packet the module reads was captured */
  withSyn: number;
  withSynAck: number;
  /** flows whose packet-the-module-reads (handshake ACK, or SYN under TFO) was captured */
  handshakes: number;
  /** handshake ACK identified without a SYN-ACK (one-direction capture) */
  inferredAcks: number;
  /** flows with packets in only one direction */
  oneDirection: number;
  clientRules: Record<ClientRule, number>;
  tfoFlows: number;
  serverSpeaksFirst: number;
  /** flows whose read packet carried a client TOA / carried none */
  readPacketToa: number;
  readPacketNoToa: number;
  /** per TOA variant seen in the capture */
  variants: VariantCount[];
  /** profiles whose module reads every client TOA variant seen (auto mode's answer) */
  matchingProfiles: ProfileName[];
  /** TOA_KIND_MISMATCH flows by variant seen */
  mismatchVariants: Record<string, number>;
  /** TOA_MISSING flows whose handshake ACK had < 8 option bytes free */
  missingNoRoom: number;
  /** TOA_LATE flows that used TCP Fast Open (the SYN creates the socket) */
  lateTfo: number;
  /** TOA_LATE / TOA_SYN_ONLY flows where the server spoke first (SSH, SMTP, MySQL banners) */
  lateServerFirst: number;
  /** TOA_NAT64 flows by variant */
  nat64Variants: Record<string, number>;
  /** TOA_SYN_ONLY flows by variant */
  synOnlyVariants: Record<string, number>;
  /** TOA_MALFORMED flows by break reason ('after-eol' for a TOA behind EOL) */
  malformedReasons: Record<string, number>;
  /** flows with a client TOA whose IP source is outside the --lb list (0 when no list) */
  outsideLb: number;
  /** up to 5 IP sources outside the --lb list, with flow counts */
  outsideLbSources: Array<{ address: string; flows: number }>;
  /** flows whose TOA is a duplicate (a second TOA on the same packet) */
  duplicateToa: number;
  /**
   * options of a kind no module table knows whose length fits a TOA (8 or 20), on the SYN/ACK of
   * flows without a known client TOA: per 'kind/length', flows and one candidate ip:port
   */
  unknownToaShaped: Array<{ kindLength: string; flows: number; candidate: string }>;
  /** flows whose read packet carries kind 253 next to kind 254 (a DPVS fork puts the VIP in 253) */
  vipNextToClient: { flows: number; example: string };
  /** TOA options seen on server → client packets (unexpected: capture side or LB confusion) */
  toaToClient: number;
  /** top server ports (bounded list) */
  serverPorts: ServerPortStat[];
  decode: DecodeCounters;
}

export interface AnalysisResult {
  stats: FlowStats;
  /** flows still in the table at the end (evicted flows are only counted), oldest first */
  flows: FlowList;
  /** example records per verdict (from all flows, evicted ones included) */
  examples: VerdictExamples;
  /** link type → packets */
  linkTypes: Record<number, number>;
  evicted: number;
  maxFlows: number;
  firstTs: number | null;
  lastTs: number | null;
  /** the --lb list as given */
  lb: string[];
}

/** Lazily materialised flow records (materialising 1,000,000 objects at once would blow memory). */
export interface FlowList extends Iterable<FlowRecord> {
  readonly size: number;
  /** verdicts only, in the same order, without materialising records */
  verdicts(): Iterable<Verdict>;
  /** records whose verdict passes the filter, materialised one at a time */
  filter(pred: (v: Verdict) => boolean): Iterable<FlowRecord>;
}

/** What the live dashboard polls (≈10×/s): copies, never live references. */
export interface AnalyzerSnapshot {
  packets: number;
  tcpPackets: number;
  decode: DecodeCounters;
  /** flows currently in the table / finished & judged so far / evicted */
  activeFlows: number;
  doneFlows: number;
  evicted: number;
  /** final verdicts of finished flows plus provisional verdicts of active ones */
  verdicts: Record<Verdict, number>;
  /** newest flows by last activity (provisional verdicts), newest first */
  newest: FlowRecord[];
  /** recent problem flows (verdict not TOA_OK), newest first */
  problems: FlowRecord[];
  firstTs: number | null;
  lastTs: number | null;
}
