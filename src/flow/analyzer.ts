/**
 * Analyzer: frames in (one reused DecodedPacket), flows with verdicts out.
 *
 *   const a = new Analyzer({ profile: 'auto' });
 *   readCaptureFile(path, (f) => a.push(f));
 *   const result = a.finish();
 */
import type { Frame } from '../capture/types.js';
import { createDecodedPacket, type DecodedPacket, decodePacket } from '../decode/index.js';
import { DecodeStatus } from '../decode/types.js';
import { Aggregator, emptyVerdictCounts } from './aggregate.js';
import { type Cidr, CidrSet, parseCidr } from './cidr.js';
import { decodedPartition, quickPartition } from './partition.js';
import { judgeModel, profileModel } from './profiles.js';
import { type MaterializeContext, materialize } from './record.js';
import {
  type AnalysisResult,
  type AnalyzerOptions,
  type AnalyzerSnapshot,
  DECODE_STATUS_KEYS,
  type DecodeCounters,
  emptyDecodeCounters,
  type FlowList,
  type PartialAnalysis,
} from './result.js';
import { type DoneReason, FlowTable } from './table.js';
import { type FlowRecord, type ProfileName, VERDICTS, type Verdict } from './types.js';
import { judge, Scratch, V_OK } from './verdict.js';

export const DEFAULT_MAX_FLOWS = 1_000_000;
const RECENT_PROBLEMS = 50;
const SNAPSHOT_JUDGE_LIMIT = 50_000;

export class Analyzer {
  readonly profile: ProfileName;
  readonly maxFlows: number;
  readonly lb: string[];
  private readonly table: FlowTable;
  private readonly pkt: DecodedPacket = createDecodedPacket();
  private readonly scratch = new Scratch();
  private readonly ctx: MaterializeContext;
  private readonly agg: Aggregator;
  private readonly onFlowDone?: (f: FlowRecord) => void;
  private readonly onSlotDone?: (slot: number, verdict: number) => void;
  private readonly status = new Float64Array(8);
  private readonly unknownLinkTypes = new Map<number, number>();
  private readonly linkTypes = new Map<number, number>();
  private curLink = -1;
  private curLinkCount = 0;
  packets = 0;
  private firstTs = Number.POSITIVE_INFINITY;
  private lastTs = Number.NEGATIVE_INFINITY;
  private result: AnalysisResult | null = null;
  private recentProblems: FlowRecord[] = [];
  private keepRecent = false;
  /** partition mode: this analyzer owns share `partIndex` of `partCount` (see partition.ts) */
  private readonly partIndex: number;
  private readonly partCount: number;
  /** partition mode: frames seen (own or not); a flow's id is the number of the frame that created it */
  private frameNo = 0;
  /** partition mode: ids of every flow created, ascending (for global flow numbers at the merge) */
  private creations: Float64Array = new Float64Array(0);
  private nCreations = 0;

  constructor(opts: AnalyzerOptions = {}) {
    this.profile = opts.profile ?? 'auto';
    this.maxFlows = opts.maxFlows ?? DEFAULT_MAX_FLOWS;
    this.lb = opts.lb ?? [];
    const cidrs: Cidr[] = [];
    for (const c of this.lb) {
      const p = parseCidr(c);
      if (!p) throw new RangeError(`not a CIDR: ${c}`);
      cidrs.push(p);
    }
    this.ctx = { model: judgeModel(opts.model ?? profileModel(this.profile)), profile: this.profile };
    this.agg = new Aggregator(this.ctx, cidrs.length ? new CidrSet(cidrs) : null);
    this.onFlowDone = opts.onFlowDone;
    this.onSlotDone = opts.onSlotDone;
    this.partCount = Math.max(1, Math.floor(opts.partition?.count ?? 1));
    this.partIndex = opts.partition?.index ?? 0;
    if (this.partCount > 1 && this.onFlowDone)
      throw new RangeError('onFlowDone needs the whole capture: not available in partition mode');
    if (this.partCount > 1) this.creations = new Float64Array(65536);
    this.table = new FlowTable(this.maxFlows, (slot, why) => this.done(slot, why), opts.initialSlots);
    // one mechanism keeps option bytes: compare's facts, and the JSON/HTML report's option lists
    if (opts.compareFacts || opts.keepOptionBytes) this.table.keepCompareFacts();
  }

  /**
   * Decode one frame and account it. Never throws on packet content. In partition mode, frames of
   * other partitions are only counted as seen (push EVERY frame of the capture, in order).
   */
  push(frame: Frame): void {
    if (this.partCount > 1) {
      this.frameNo++;
      const p = quickPartition(frame, this.partCount);
      if (p < 0) {
        decodePacket(frame, this.pkt);
        if (decodedPartition(frame.buf, this.pkt, this.partCount) !== this.partIndex) return;
        this.account(frame, true);
        return;
      }
      if (p !== this.partIndex) return;
    }
    this.account(frame, false);
  }

  private account(frame: Frame, decoded: boolean): void {
    this.packets++;
    const lt = frame.linkType;
    if (lt === this.curLink) this.curLinkCount++;
    else this.switchLink(lt);
    const pkt = this.pkt;
    if (!decoded) decodePacket(frame, pkt);
    const st = pkt.status;
    this.status[st]!++;
    if (st !== DecodeStatus.OK) {
      if (st === DecodeStatus.UNKNOWN_LINKTYPE)
        this.unknownLinkTypes.set(lt, (this.unknownLinkTypes.get(lt) ?? 0) + 1);
      return;
    }
    const ts = frame.tsSec + frame.tsNsec * 1e-9;
    if (ts < this.firstTs) this.firstTs = ts;
    if (ts > this.lastTs) this.lastTs = ts;
    if (this.partCount > 1) {
      const t = this.table;
      t.nextId = this.frameNo;
      t.packet(frame, pkt, ts);
      if (t.nextId !== this.frameNo) this.created(this.frameNo);
    } else this.table.packet(frame, pkt, ts);
  }

  private created(id: number): void {
    if (this.nCreations === this.creations.length) {
      const c = new Float64Array(this.creations.length * 2);
      c.set(this.creations);
      this.creations = c;
    }
    this.creations[this.nCreations++] = id;
  }

  private switchLink(lt: number): void {
    if (this.curLink >= 0)
      this.linkTypes.set(this.curLink, (this.linkTypes.get(this.curLink) ?? 0) + this.curLinkCount);
    this.curLink = lt;
    this.curLinkCount = 1;
  }

  private linkTypeCounts(): Record<number, number> {
    const o: Record<number, number> = {};
    for (const [k, v] of this.linkTypes) o[k] = v;
    if (this.curLink >= 0) o[this.curLink] = (o[this.curLink] ?? 0) + this.curLinkCount;
    return o;
  }

  /**
   * For a long-running owner that releases final flows itself (src/exporter/final.ts): the live
   * table (read it, and remove() what it has counted), and judge() with this analyzer's profile.
   */
  get flowTable(): FlowTable {
    return this.table;
  }

  /** Judge one flow still in the table; the details stay in `judged` until the next judgement. */
  judgeSlot(slot: number): number {
    return judge(this.table, slot, this.scratch, this.ctx.model);
  }

  get judged(): Scratch {
    return this.scratch;
  }

  /** a flow leaves the table (evicted, or its 5-tuple reused by a new connection) */
  private done(slot: number, _why: DoneReason): void {
    const v = judge(this.table, slot, this.scratch, this.ctx.model);
    this.table.verdict[slot] = v;
    this.onSlotDone?.(slot, v);
    let rec: FlowRecord | undefined;
    if (this.onFlowDone || (this.keepRecent && v !== V_OK)) rec = materialize(this.table, slot, this.ctx);
    // judge again: materialize() reuses its own scratch, ours is still intact
    this.agg.add(this.table, slot, this.scratch, v, rec);
    if (rec) {
      if (this.keepRecent && v !== V_OK) {
        this.recentProblems.push(rec);
        if (this.recentProblems.length > RECENT_PROBLEMS) this.recentProblems.shift();
      }
      this.onFlowDone?.(rec);
    }
  }

  private decodeCounters(): DecodeCounters {
    const d: DecodeCounters = emptyDecodeCounters();
    d.unknownLinkTypes = Object.fromEntries(this.unknownLinkTypes);
    d.checksums = {
      checked: this.table.ckChecked,
      badToServer: this.table.ckBadToServer,
      badToClient: this.table.ckBadToClient,
      unverifiable: this.table.ckUnverifiable,
    };
    for (let i = 0; i < 8; i++) d[DECODE_STATUS_KEYS[i as DecodeStatus]] = this.status[i]!;
    return d;
  }

  /** For the live dashboard: copies only; cheap enough for ~10 calls a second. */
  snapshot(limit = 20): AnalyzerSnapshot {
    this.keepRecent = true;
    const t = this.table;
    const verdicts = emptyVerdictCounts();
    VERDICTS.forEach((name, i) => {
      verdicts[name] = this.agg.verdicts[i]!;
    });
    const newest: FlowRecord[] = [];
    const problems: FlowRecord[] = [];
    let judged = 0;
    for (const slot of t.newestFirst()) {
      if (judged++ >= SNAPSHOT_JUDGE_LIMIT) break;
      const v = judge(t, slot, this.scratch, this.ctx.model);
      verdicts[VERDICTS[v]!]++;
      if (newest.length < limit) newest.push(materialize(t, slot, this.ctx));
      if (v !== V_OK && problems.length < limit) problems.push(materialize(t, slot, this.ctx));
    }
    for (let i = this.recentProblems.length - 1; i >= 0 && problems.length < limit; i--)
      problems.push(this.recentProblems[i]!);
    return {
      packets: this.packets,
      tcpPackets: this.status[DecodeStatus.OK]!,
      decode: this.decodeCounters(),
      activeFlows: t.count,
      doneFlows: this.agg.flows,
      evicted: t.evicted,
      verdicts,
      newest,
      problems,
      firstTs: Number.isFinite(this.firstTs) ? this.firstTs : null,
      lastTs: Number.isFinite(this.lastTs) ? this.lastTs : null,
    };
  }

  /**
   * Partition mode, after finish(): this partition's counts and aggregates as plain data (structured-
   * cloneable), for mergePartitions(). Flow records are fetched separately (listFlows()).
   */
  exportPartial(): PartialAnalysis {
    const r = this.finish();
    const t = this.table;
    const keptIds = new Float64Array(t.count);
    const keptVerdicts = new Uint8Array(t.count);
    let i = 0;
    for (const s of t.slots()) {
      keptIds[i] = t.idOf(s);
      keptVerdicts[i++] = t.verdict[s]!;
    }
    return {
      stats: r.stats,
      agg: this.agg.exportState(),
      linkTypes: r.linkTypes,
      creations: this.creations.slice(0, this.nCreations),
      keptIds,
      keptVerdicts,
    };
  }

  /** Partition mode: the kept flows whose verdict index has its bit set in `mask`, in creation order. */
  *listFlows(mask: number): Generator<FlowRecord> {
    const t = this.table;
    for (const s of t.slots()) if (mask & (1 << t.verdict[s]!)) yield materialize(t, s, this.ctx);
  }

  /** Judge every flow still in the table and return the result (idempotent). */
  finish(): AnalysisResult {
    if (this.result) return this.result;
    const t = this.table;
    for (const slot of t.slots()) {
      const v = judge(t, slot, this.scratch, this.ctx.model);
      t.verdict[slot] = v;
      const rec = this.onFlowDone ? materialize(t, slot, this.ctx) : undefined;
      this.agg.add(t, slot, this.scratch, v, rec);
      if (rec) this.onFlowDone?.(rec);
    }
    const firstTs = Number.isFinite(this.firstTs) ? this.firstTs : null;
    const lastTs = Number.isFinite(this.lastTs) ? this.lastTs : null;
    const stats = this.agg.stats({
      profile: this.profile,
      packets: this.packets,
      tcpPackets: this.status[DecodeStatus.OK]!,
      firstTs,
      lastTs,
      evicted: t.evicted,
      untracked: t.untracked,
      decode: this.decodeCounters(),
    });
    this.result = {
      stats,
      flows: new TableFlowList(t, this.ctx),
      examples: this.agg.examples,
      linkTypes: this.linkTypeCounts(),
      evicted: t.evicted,
      maxFlows: this.maxFlows,
      firstTs,
      lastTs,
      lb: [...this.lb],
    };
    return this.result;
  }
}

class TableFlowList implements FlowList {
  constructor(
    private readonly t: FlowTable,
    private readonly ctx: MaterializeContext,
  ) {}

  get size(): number {
    return this.t.count;
  }

  *[Symbol.iterator](): Iterator<FlowRecord> {
    for (const s of this.t.slots()) yield materialize(this.t, s, this.ctx);
  }

  *verdicts(): Iterable<Verdict> {
    for (const s of this.t.slots()) yield VERDICTS[this.t.verdict[s]!]!;
  }

  *filter(pred: (v: Verdict) => boolean): Iterable<FlowRecord> {
    for (const s of this.t.slots())
      if (pred(VERDICTS[this.t.verdict[s]!]!)) yield materialize(this.t, s, this.ctx);
  }
}
