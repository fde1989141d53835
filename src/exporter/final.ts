/**
 * When a connection's verdict is final, and the flow table's upkeep for weeks of running.
 *
 * The Analyzer judges flows only when they leave its table (eviction, or the end of a capture);
 * a long-running exporter cannot wait for that. `sweep(now)` walks the table (about once a second)
 * and, for each flow not yet counted, decides whether its verdict can still change:
 *
 *   final when   FIN or RST was seen;
 *                or the packet the module reads (the handshake ACK; the SYN under TCP Fast Open)
 *                has passed AND (the client's first data segment was seen, or `settleSec` passed
 *                since that packet: a TOA on the first data turns TOA_MISSING into TOA_LATE);
 *                or the flow was idle `idleSec` (a handshake that never completed: INCOMPLETE);
 *                or its 5-tuple was reused by a new connection (it can get no more packets);
 *                or the table evicted it (full: --max-flows), via onEvicted().
 *   not counted  flows whose start was never seen (no SYN, no SYN-ACK): connections older than the
 *                exporter, and tails after a connection was released. They are released at idle and
 *                counted in toa_doctor_connections_unjudged_total{reason="no_handshake"}.
 *
 * A counted flow keeps its slot (so its later packets do not start a new flow) until it closed
 * `lingerSec` ago (FIN/RST retransmissions, the last ACK) or was idle `idleSec`; then it is removed.
 * So the table holds the connections of the last few seconds plus the open ones, bounded by the
 * table's own cap and eviction. Each connection is counted exactly once: `counted[slot]` holds the
 * id of the flow counted in that slot (ids are never reused).
 */

import { TOA_VARIANTS } from '../decode/index.js';
import type { Analyzer } from '../flow/analyzer.js';
import { clientSide, endpointPort } from '../flow/record.js';
import {
  F_DETACHED,
  F_FIN,
  F_HAS_DATA,
  F_HAS_SYN,
  F_HAS_SYNACK,
  F_RST,
  F_TFO_DATA,
  type FlowTable,
  ROLE_ACK,
  ROLE_NAMES,
  ROLE_SYN,
} from '../flow/table.js';
import { VERDICTS, type Verdict } from '../flow/types.js';

export interface FinalOptions {
  /** seconds after the read packet to wait for a TOA on the first data (default 2) */
  settleSec: number;
  /** seconds without a packet after which a flow is final (not counted yet) or released (default 60) */
  idleSec: number;
  /** seconds a counted, closed flow keeps its slot for its last packets (default 10) */
  lingerSec: number;
}

export const DEFAULT_FINAL: FinalOptions = { settleSec: 2, idleSec: 60, lingerSec: 10 };

export type FinalReason = 'closed' | 'settled' | 'data' | 'idle' | 'reused' | 'evicted';

/** One judged connection, as the metrics need it (no FlowRecord is built). */
export interface JudgedConnection {
  verdict: Verdict;
  /** TOA_VARIANTS id of the TOA the verdict is about, or 'none' */
  variant: string;
  /** the packet that TOA rode on: syn, ack, data, later; 'none' without one */
  packet: string;
  serverPort: number;
  reason: FinalReason;
}

const ROLE_LABEL: Record<string, string> = {
  syn: 'syn',
  synAck: 'syn-ack',
  ack: 'ack',
  data: 'data',
  later: 'later',
};

export class Finalizer {
  private counted = new Float64Array(0);
  /** connections counted, by reason */
  readonly reasons: Record<FinalReason, number> = {
    closed: 0,
    settled: 0,
    data: 0,
    idle: 0,
    reused: 0,
    evicted: 0,
  };
  /** flows released without a verdict */
  noHandshake = 0;
  private readonly remove: number[] = [];

  constructor(
    private readonly analyzer: Analyzer,
    private readonly opts: FinalOptions,
    private readonly onJudged: (c: JudgedConnection) => void,
    private readonly onUnjudged: (reason: 'no_handshake') => void = () => undefined,
  ) {}

  private get table(): FlowTable {
    return this.analyzer.flowTable;
  }

  private fit(): void {
    const cap = this.table.capacity;
    if (this.counted.length >= cap) return;
    const c = new Float64Array(cap);
    c.set(this.counted);
    this.counted = c;
  }

  /** Analyzer's onSlotDone: an evicted flow not counted yet is counted now (its last chance). */
  onEvicted(slot: number, verdict: number): void {
    this.fit();
    const t = this.table;
    if (this.counted[slot] === t.idOf(slot)) return;
    if (!(t.bitsOf(slot) & (F_HAS_SYN | F_HAS_SYNACK))) {
      this.noHandshake++;
      this.onUnjudged('no_handshake');
      return;
    }
    this.emit(slot, verdict, 'evicted');
  }

  private emit(slot: number, v: number, reason: FinalReason): void {
    const t = this.table;
    this.counted[slot] = t.idOf(slot);
    const s = this.analyzer.judged;
    let variant = 'none';
    let packet = 'none';
    if (s.primary >= 0) {
      variant = TOA_VARIANTS[s.variant[s.primary]!]?.id ?? 'none';
      packet = ROLE_LABEL[ROLE_NAMES[s.role[s.primary]!]!] ?? 'none';
    }
    const server = clientSide(t, slot).client === 0 ? 1 : 0;
    this.reasons[reason]++;
    this.onJudged({
      verdict: VERDICTS[v]!,
      variant,
      packet,
      serverPort: endpointPort(t, slot, server),
      reason,
    });
  }

  /** Count the flows that became final and release the ones that are done. `now` in seconds. */
  sweep(now: number): void {
    this.fit();
    const t = this.table;
    const { settleSec, idleSec, lingerSec } = this.opts;
    const remove = this.remove;
    remove.length = 0;
    for (const slot of t.slots()) {
      const bits = t.bitsOf(slot);
      const idle = now - t.lastTs(slot);
      const closed = (bits & (F_FIN | F_RST)) !== 0;
      if (this.counted[slot] === t.idOf(slot)) {
        if ((closed && idle >= lingerSec) || idle >= idleSec || bits & F_DETACHED) remove.push(slot);
        continue;
      }
      if (!(bits & (F_HAS_SYN | F_HAS_SYNACK))) {
        if (idle >= idleSec || closed) {
          remove.push(slot);
          this.noHandshake++;
          this.onUnjudged('no_handshake');
        }
        continue;
      }
      let reason: FinalReason | null = null;
      if (closed) reason = 'closed';
      else if (bits & F_DETACHED) reason = 'reused';
      else {
        const readRole = bits & F_TFO_DATA ? ROLE_SYN : ROLE_ACK;
        if (bits & (F_HAS_SYN << readRole)) {
          if (bits & F_HAS_DATA) reason = 'data';
          else if (now - t.rTs(slot * 4 + readRole) >= settleSec) reason = 'settled';
        }
        if (!reason && idle >= idleSec) reason = 'idle';
      }
      if (!reason) continue;
      this.emit(slot, this.analyzer.judgeSlot(slot), reason);
      if (reason === 'idle' || reason === 'reused') remove.push(slot);
    }
    for (const s of remove) t.remove(s);
  }

  /** At shutdown: count every flow with a handshake not counted yet. */
  flush(): void {
    this.sweep(Number.POSITIVE_INFINITY);
  }
}
