/**
 * Aggregates over every judged flow (kept or evicted): what the diagnosis needs, in bounded memory.
 */
import { addressToString, decodeToa, formatEndpoint, OPTION_BREAKS, TOA_VARIANTS } from '../decode/index.js';
import type { CidrSet } from './cidr.js';
import { matchingProfiles } from './profiles.js';
import { clientSide, endpointAddress, type MaterializeContext, materialize } from './record.js';
import type { AggregatorState, FlowStats, ServerPortStat, VerdictExamples } from './result.js';
import {
  F_ACK_INFERRED,
  F_DUP_TOA,
  F_HAS_ACK,
  F_HAS_SYN,
  F_HAS_SYNACK,
  F_SERVER_FIRST,
  F_TFO,
  F_TFO_DATA,
  F_TOA_TO_CLIENT,
  F_V6,
  type FlowTable,
  R_TOA_AFTER_EOL,
  ROLE_ACK,
  ROLE_SYN,
} from './table.js';
import { type ClientRule, type FlowRecord, VERDICTS, type Verdict } from './types.js';
import {
  type Scratch,
  V_KIND_MISMATCH,
  V_LATE,
  V_MALFORMED,
  V_MISSING,
  V_NAT64,
  V_SYN_ONLY,
} from './verdict.js';

export const EXAMPLES_PER_VERDICT = 5;
const MAX_PORT_KEYS = 10_000;
const MAX_SOURCE_KEYS = 10_000;

export function emptyVerdictCounts(): Record<Verdict, number> {
  const o = {} as Record<Verdict, number>;
  for (const v of VERDICTS) o[v] = 0;
  return o;
}

export class Aggregator implements AggregatorState {
  flows = 0;
  ipv4 = 0;
  ipv6 = 0;
  verdicts = new Float64Array(VERDICTS.length);
  examples: VerdictExamples;
  withSyn = 0;
  withSynAck = 0;
  handshakes = 0;
  inferredAcks = 0;
  oneDirection = 0;
  rules: Record<ClientRule, number> = { syn: 0, 'toa-sender': 0, 'higher-port': 0 };
  tfo = 0;
  serverFirst = 0;
  readToa = 0;
  readNoToa = 0;
  variantFlows = new Float64Array(TOA_VARIANTS.length);
  variantOnRead = new Float64Array(TOA_VARIANTS.length);
  mismatch = new Float64Array(TOA_VARIANTS.length);
  nat64 = new Float64Array(TOA_VARIANTS.length);
  synOnly = new Float64Array(TOA_VARIANTS.length);
  missingNoRoom = 0;
  lateTfo = 0;
  lateServerFirst = 0;
  malformed = new Map<string, number>();
  outsideLb = 0;
  outsideSources = new Map<string, number>();
  duplicateToa = 0;
  /** TOA-shaped options of unknown kinds: 'kind/length' → flows, and one candidate ip:port */
  shaped = new Map<string, { flows: number; example: string; id: number }>();
  /** flows whose read packet carries kind 253 next to kind 254 (a DPVS fork's VIP?) */
  vipNext = 0;
  vipExample = '';
  /** id of the flow the example is from: the earliest-created one wins, so threads agree */
  vipExampleId = Number.POSITIVE_INFINITY;
  toaToClient = 0;
  ports = new Map<number, ServerPortStat>();
  /** variants seen in this flow (scratch) */
  private seen = new Uint8Array(TOA_VARIANTS.length);

  constructor(
    private readonly ctx: MaterializeContext,
    private readonly lb: CidrSet | null,
  ) {
    this.examples = {} as VerdictExamples;
    for (const v of VERDICTS) this.examples[v] = [];
  }

  /**
   * Count one judged flow (s = the scratch judge() filled for this slot). `rec` is the materialised
   * record when the caller already has one.
   */
  add(t: FlowTable, slot: number, s: Scratch, v: number, rec?: FlowRecord): FlowRecord | undefined {
    this.flows++;
    const bits = t.bitsOf(slot);
    const v6 = (bits & F_V6) !== 0;
    if (v6) this.ipv6++;
    else this.ipv4++;
    this.verdicts[v]!++;
    const name = VERDICTS[v]!;
    if (this.examples[name].length < EXAMPLES_PER_VERDICT) {
      rec ??= materialize(t, slot, this.ctx);
      this.examples[name].push(rec);
    }
    if (bits & F_HAS_SYN) this.withSyn++;
    if (bits & F_HAS_SYNACK) this.withSynAck++;
    const hasRead = (bits & (F_HAS_SYN << s.readRole)) !== 0;
    if (hasRead) this.handshakes++;
    if (bits & F_ACK_INFERRED && bits & F_HAS_ACK) this.inferredAcks++;
    if (t.pktAB(slot) === 0 || t.pktBA(slot) === 0) this.oneDirection++;
    const cs = clientSide(t, slot);
    this.rules[cs.rule]++;
    if (bits & F_TFO) this.tfo++;
    if (bits & F_SERVER_FIRST) this.serverFirst++;
    if (hasRead) {
      if (s.readHasToa) this.readToa++;
      else this.readNoToa++;
    }
    if (bits & F_DUP_TOA) this.duplicateToa++;
    if (t.shaped.size) {
      const b = t.shaped.get(slot);
      if (b) {
        const key = `${b[0]}/${b[1]}`;
        const e = this.shaped.get(key);
        const id = t.idOf(slot);
        if (e) {
          e.flows++;
          if (id < e.id) {
            e.id = id;
            e.example = shapedCandidate(b);
          }
        } else if (this.shaped.size < MAX_SOURCE_KEYS)
          this.shaped.set(key, { flows: 1, example: shapedCandidate(b), id });
      }
    }
    if (bits & F_DUP_TOA) {
      // 253 next to 254 on the packet the module reads
      let k253 = -1;
      let k254 = -1;
      for (let i = 0; i < s.n; i++) {
        if (s.role[i] !== s.readRole) continue;
        const k = TOA_VARIANTS[s.variant[i]!]!.kind;
        if (k === 253 && k253 < 0) k253 = i;
        if (k === 254 && k254 < 0) k254 = i;
      }
      if (k253 >= 0 && k254 >= 0) {
        this.vipNext++;
        if (t.idOf(slot) < this.vipExampleId) {
          this.vipExampleId = t.idOf(slot);
          const a = decodeToa(s.bytes(k254), 0, s.variant[k254]!);
          const v = decodeToa(s.bytes(k253), 0, s.variant[k253]!);
          this.vipExample = `254 ${formatEndpoint(a.address ?? '?', a.port)}, 253 ${formatEndpoint(v.address ?? '?', v.port)}`;
        }
      }
    }
    if (bits & F_TOA_TO_CLIENT) this.toaToClient++;

    // variants seen in the flow (client packets), and on the read packet
    const seen = this.seen;
    seen.fill(0);
    let anyClientToa = false;
    for (let i = 0; i < s.n; i++) {
      const vi = s.variant[i]!;
      if (TOA_VARIANTS[vi]!.carriesClient) anyClientToa = true;
      if (!(seen[vi]! & 1)) {
        seen[vi] = seen[vi]! | 1;
        this.variantFlows[vi]!++;
      }
      const r = s.role[i]!;
      if ((r === s.readRole || (r === ROLE_SYN && TOA_VARIANTS[vi]!.synOnly)) && !(seen[vi]! & 2)) {
        seen[vi] = seen[vi]! | 2;
        this.variantOnRead[vi]!++;
      }
    }
    const pv = s.primary >= 0 ? s.variant[s.primary]! : -1;
    switch (v) {
      case V_KIND_MISMATCH:
        if (pv >= 0) this.mismatch[pv]!++;
        break;
      case V_NAT64:
        if (pv >= 0) this.nat64[pv]!++;
        break;
      case V_SYN_ONLY:
        if (pv >= 0) this.synOnly[pv]!++;
        if (bits & F_SERVER_FIRST) this.lateServerFirst++;
        break;
      case V_LATE:
        if (bits & F_TFO_DATA) this.lateTfo++;
        if (bits & F_SERVER_FIRST) this.lateServerFirst++;
        break;
      case V_MISSING:
        if (bits & F_HAS_ACK && 40 - t.rOptLen(slot * 4 + ROLE_ACK) < 8) this.missingNoRoom++;
        break;
      case V_MALFORMED: {
        const i = slot * 4 + s.readRole;
        const key = t.rBits(i) & R_TOA_AFTER_EOL ? 'after-eol' : OPTION_BREAKS[t.rBreak(i)]!;
        this.malformed.set(key, (this.malformed.get(key) ?? 0) + 1);
        break;
      }
    }

    // TOA from a source outside the LB list: the IP source of the client's packets
    if (this.lb && anyClientToa) {
      const side = cs.client;
      let inside: boolean;
      if (v6) inside = this.lb.hasV6(t.v6!, slot * 32 + side * 16);
      else inside = this.lb.hasV4(side === 0 ? t.addrA(slot) : t.addrB(slot));
      if (!inside) {
        this.outsideLb++;
        const a = endpointAddress(t, slot, side);
        const n = this.outsideSources.get(a);
        if (n !== undefined) this.outsideSources.set(a, n + 1);
        else if (this.outsideSources.size < MAX_SOURCE_KEYS) this.outsideSources.set(a, 1);
      }
    }

    // server ports
    const srv = cs.client === 0 ? 1 : 0;
    const port = srv === 0 ? t.portsOf(slot) >>> 16 : t.portsOf(slot) & 0xffff;
    const key = port * 2 + (v6 ? 1 : 0);
    let ps = this.ports.get(key);
    if (!ps && this.ports.size < MAX_PORT_KEYS) {
      ps = { port, family: v6 ? 'ipv6' : 'ipv4', flows: 0, handshakes: 0, toaOnRead: 0 };
      this.ports.set(key, ps);
    }
    if (ps) {
      ps.flows++;
      if (hasRead) ps.handshakes++;
      if (hasRead && s.readHasToa) ps.toaOnRead++;
    }
    return rec;
  }

  /** the counters as plain data (for a partition's share; see mergeState) */
  exportState(): AggregatorState {
    const {
      seen: _seen,
      ctx: _ctx,
      lb: _lb,
      ...state
    } = this as unknown as AggregatorState & {
      seen: unknown;
      ctx: unknown;
      lb: unknown;
    };
    return state;
  }

  /**
   * Add another partition's counters. Examples are concatenated: the caller orders them by flow id
   * and keeps the first EXAMPLES_PER_VERDICT (mergePartitions).
   */
  mergeState(o: AggregatorState): void {
    const add = (a: Float64Array, b: Float64Array): void => {
      for (let i = 0; i < a.length; i++) a[i]! += b[i]!;
    };
    this.flows += o.flows;
    this.ipv4 += o.ipv4;
    this.ipv6 += o.ipv6;
    add(this.verdicts, o.verdicts);
    for (const v of VERDICTS) this.examples[v].push(...o.examples[v]);
    this.withSyn += o.withSyn;
    this.withSynAck += o.withSynAck;
    this.handshakes += o.handshakes;
    this.inferredAcks += o.inferredAcks;
    this.oneDirection += o.oneDirection;
    for (const k of Object.keys(this.rules) as ClientRule[]) this.rules[k] += o.rules[k];
    this.tfo += o.tfo;
    this.serverFirst += o.serverFirst;
    this.readToa += o.readToa;
    this.readNoToa += o.readNoToa;
    add(this.variantFlows, o.variantFlows);
    add(this.variantOnRead, o.variantOnRead);
    add(this.mismatch, o.mismatch);
    add(this.nat64, o.nat64);
    add(this.synOnly, o.synOnly);
    this.missingNoRoom += o.missingNoRoom;
    this.lateTfo += o.lateTfo;
    this.lateServerFirst += o.lateServerFirst;
    for (const [k, n] of o.malformed) this.malformed.set(k, (this.malformed.get(k) ?? 0) + n);
    this.outsideLb += o.outsideLb;
    for (const [k, n] of o.outsideSources) {
      const m = this.outsideSources.get(k);
      if (m !== undefined) this.outsideSources.set(k, m + n);
      else if (this.outsideSources.size < MAX_SOURCE_KEYS) this.outsideSources.set(k, n);
    }
    this.duplicateToa += o.duplicateToa;
    for (const [k, e] of o.shaped) {
      const m = this.shaped.get(k);
      if (m) {
        m.flows += e.flows;
        if (e.id < m.id) {
          m.id = e.id;
          m.example = e.example;
        }
      } else if (this.shaped.size < MAX_SOURCE_KEYS) this.shaped.set(k, { ...e });
    }
    if (o.vipExampleId < this.vipExampleId) {
      this.vipExampleId = o.vipExampleId;
      this.vipExample = o.vipExample;
    }
    this.vipNext += o.vipNext;
    this.toaToClient += o.toaToClient;
    for (const [k, p] of o.ports) {
      const m = this.ports.get(k);
      if (m) {
        m.flows += p.flows;
        m.handshakes += p.handshakes;
        m.toaOnRead += p.toaOnRead;
      } else if (this.ports.size < MAX_PORT_KEYS) this.ports.set(k, { ...p });
    }
  }

  stats(base: {
    profile: FlowStats['profile'];
    packets: number;
    tcpPackets: number;
    firstTs: number | null;
    lastTs: number | null;
    evicted: number;
    untracked: number;
    decode: FlowStats['decode'];
  }): FlowStats {
    const verdicts = {} as Record<Verdict, number>;
    VERDICTS.forEach((name, i) => {
      verdicts[name] = this.verdicts[i]!;
    });
    const rec = (arr: Float64Array): Record<string, number> => {
      const o: Record<string, number> = {};
      for (let i = 0; i < arr.length; i++) if (arr[i]) o[TOA_VARIANTS[i]!.id] = arr[i]!;
      return o;
    };
    const variants = [];
    const seenIds: string[] = [];
    for (let i = 0; i < TOA_VARIANTS.length; i++) {
      if (!this.variantFlows[i]) continue;
      const tv = TOA_VARIANTS[i]!;
      variants.push({
        variant: tv.id,
        kind: tv.kind,
        length: tv.length,
        flows: this.variantFlows[i]!,
        onReadPacket: this.variantOnRead[i]!,
      });
      seenIds.push(tv.id);
    }
    variants.sort((a, b) => b.flows - a.flows);
    const sources = [...this.outsideSources]
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
      .slice(0, 5)
      .map(([address, flows]) => ({ address, flows }));
    const ports = [...this.ports.values()]
      .sort((a, b) => b.flows - a.flows || a.port - b.port || (a.family === 'ipv4' ? -1 : 1))
      .slice(0, 50);
    const duration =
      base.firstTs !== null && base.lastTs !== null ? Math.max(0, base.lastTs - base.firstTs) : 0;
    return {
      profile: base.profile,
      packets: base.packets,
      tcpPackets: base.tcpPackets,
      firstTs: base.firstTs,
      lastTs: base.lastTs,
      durationSec: duration,
      flows: this.flows,
      evicted: base.evicted,
      untrackedPackets: base.untracked,
      ipv4Flows: this.ipv4,
      ipv6Flows: this.ipv6,
      verdicts,
      withSyn: this.withSyn,
      withSynAck: this.withSynAck,
      handshakes: this.handshakes,
      inferredAcks: this.inferredAcks,
      oneDirection: this.oneDirection,
      clientRules: { ...this.rules },
      tfoFlows: this.tfo,
      serverSpeaksFirst: this.serverFirst,
      readPacketToa: this.readToa,
      readPacketNoToa: this.readNoToa,
      variants,
      matchingProfiles: matchingProfiles(seenIds),
      mismatchVariants: rec(this.mismatch),
      missingNoRoom: this.missingNoRoom,
      lateTfo: this.lateTfo,
      lateServerFirst: this.lateServerFirst,
      nat64Variants: rec(this.nat64),
      synOnlyVariants: rec(this.synOnly),
      malformedReasons: Object.fromEntries(this.malformed),
      outsideLb: this.outsideLb,
      outsideLbSources: sources,
      duplicateToa: this.duplicateToa,
      unknownToaShaped: [...this.shaped]
        .map(([k, e]) => ({ kindLength: k, flows: e.flows, candidate: e.example }))
        .sort((a, b) => b.flows - a.flows || a.kindLength.localeCompare(b.kindLength)),
      vipNextToClient: { flows: this.vipNext, example: this.vipExample },
      toaToClient: this.toaToClient,
      serverPorts: ports,
      decode: base.decode,
    };
  }
}

/** the option bytes of an unknown-kind option read as if it were a classic TOA: ip:port */
function shapedCandidate(b: Buffer): string {
  const port = (b[2]! << 8) | b[3]!;
  if (b.length === 8) return `${b[4]}.${b[5]}.${b[6]}.${b[7]}:${port}`;
  return formatEndpoint(addressToString(b, 4, 6), port);
}
