/**
 * Combine the partitions of one analysis (Analyzer with `partition`, one per thread) into the
 * AnalysisResult a single Analyzer would have produced: counters are summed, flow ids become the
 * global creation order again, and the flow list is a merge of the partitions' lists by that order.
 *
 * A flow's id inside a partition is the number of the frame that created it (every partition sees
 * every frame), so ids of different partitions compare directly, and a flow's global number is the
 * count of flows created before it in all partitions, plus one.
 */

import type { ModuleModel } from '../model/modules.js';
import { Aggregator, EXAMPLES_PER_VERDICT } from './aggregate.js';
import { judgeModel, profileModel } from './profiles.js';
import {
  type AnalysisResult,
  type DecodeCounters,
  emptyDecodeCounters,
  type FlowList,
  type FlowStats,
  type PartialAnalysis,
} from './result.js';
import { type FlowRecord, type ProfileName, VERDICTS, type Verdict } from './types.js';

/** One partition's share: its counters, and its kept flows on demand. */
export interface PartitionSource {
  partial: PartialAnalysis;
  /** kept flows whose verdict index has its bit set in `mask`, in creation order (partition ids) */
  list(mask: number): Iterable<FlowRecord>;
}

export interface MergeOptions {
  profile: ProfileName;
  /** the model the partitions judged with (default: the row `profile` names) */
  model?: ModuleModel;
  /** the --max-flows the user gave (the partitions split it) */
  maxFlows: number;
  lb: string[];
}

/** number of values in the ascending array a[0, n) below x */
function below(a: Float64Array, x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function sumDecode(parts: PartialAnalysis[]): DecodeCounters {
  const d = emptyDecodeCounters();
  for (const p of parts) {
    const s = p.stats.decode;
    d.ok += s.ok;
    d.unknownLinkType += s.unknownLinkType;
    d.notIp += s.notIp;
    d.notTcp += s.notTcp;
    d.ipFragment += s.ipFragment;
    d.truncated += s.truncated;
    d.badIp += s.badIp;
    d.badTcp += s.badTcp;
    for (const [k, n] of Object.entries(s.unknownLinkTypes))
      d.unknownLinkTypes[Number(k)] = (d.unknownLinkTypes[Number(k)] ?? 0) + n;
    d.checksums.checked += s.checksums.checked;
    d.checksums.badToServer += s.checksums.badToServer;
    d.checksums.badToClient += s.checksums.badToClient;
    d.checksums.unverifiable += s.checksums.unverifiable;
  }
  return d;
}

export function mergePartitions(sources: PartitionSource[], opts: MergeOptions): AnalysisResult {
  const parts = sources.map((s) => s.partial);
  const creations = parts.map((p) => p.creations);
  /** partition-local id (creating frame number) → global flow number */
  const globalId = (id: number): number => {
    let n = 1;
    for (const c of creations) n += below(c, id);
    return n;
  };
  const ctx = { model: judgeModel(opts.model ?? profileModel(opts.profile)), profile: opts.profile };
  const agg = new Aggregator(ctx, null);
  for (const p of parts) agg.mergeState(p.agg);
  for (const v of VERDICTS) {
    const ex = agg.examples[v];
    for (const r of ex) r.id = globalId(r.id);
    ex.sort((a, b) => a.id - b.id);
    ex.length = Math.min(ex.length, EXAMPLES_PER_VERDICT);
  }
  let packets = 0;
  let tcpPackets = 0;
  let evicted = 0;
  let untracked = 0;
  let firstTs: number | null = null;
  let lastTs: number | null = null;
  const linkTypes: Record<number, number> = {};
  for (const p of parts) {
    const s: FlowStats = p.stats;
    packets += s.packets;
    tcpPackets += s.tcpPackets;
    evicted += s.evicted;
    untracked += s.untrackedPackets;
    if (s.firstTs !== null && (firstTs === null || s.firstTs < firstTs)) firstTs = s.firstTs;
    if (s.lastTs !== null && (lastTs === null || s.lastTs > lastTs)) lastTs = s.lastTs;
    for (const [k, n] of Object.entries(p.linkTypes)) linkTypes[Number(k)] = (linkTypes[Number(k)] ?? 0) + n;
  }
  const stats = agg.stats({
    profile: opts.profile,
    packets,
    tcpPackets,
    firstTs,
    lastTs,
    evicted,
    untracked,
    decode: sumDecode(parts),
  });
  return {
    stats,
    flows: new MergedFlowList(sources, globalId),
    examples: agg.examples,
    linkTypes,
    evicted,
    maxFlows: opts.maxFlows,
    firstTs,
    lastTs,
    lb: [...opts.lb],
  };
}

class MergedFlowList implements FlowList {
  readonly size: number;
  constructor(
    private readonly sources: PartitionSource[],
    private readonly globalId: (id: number) => number,
  ) {
    let n = 0;
    for (const s of sources) n += s.partial.keptIds.length;
    this.size = n;
  }

  *verdicts(): Iterable<Verdict> {
    const parts = this.sources.map((s) => s.partial);
    const at = parts.map(() => 0);
    for (;;) {
      let best = -1;
      for (let i = 0; i < parts.length; i++) {
        const p = parts[i]!;
        if (at[i]! < p.keptIds.length && (best < 0 || p.keptIds[at[i]!]! < parts[best]!.keptIds[at[best]!]!))
          best = i;
      }
      if (best < 0) return;
      yield VERDICTS[parts[best]!.keptVerdicts[at[best]!++]!]!;
    }
  }

  *filter(pred: (v: Verdict) => boolean): Iterable<FlowRecord> {
    let mask = 0;
    VERDICTS.forEach((v, i) => {
      if (pred(v)) mask |= 1 << i;
    });
    yield* this.merged(mask);
  }

  [Symbol.iterator](): Iterator<FlowRecord> {
    return this.merged((1 << VERDICTS.length) - 1);
  }

  private *merged(mask: number): Generator<FlowRecord> {
    const its = this.sources.map((s) => s.list(mask)[Symbol.iterator]());
    const heads = its.map((it) => it.next());
    for (;;) {
      let best = -1;
      for (let i = 0; i < heads.length; i++) {
        const h = heads[i]!;
        if (!h.done && (best < 0 || h.value.id < (heads[best]!.value as FlowRecord).id)) best = i;
      }
      if (best < 0) return;
      const rec = heads[best]!.value as FlowRecord;
      heads[best] = its[best]!.next();
      rec.id = this.globalId(rec.id);
      yield rec;
    }
  }
}
