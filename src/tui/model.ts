/**
 * Dashboard view model: plain data computed outside React (at most ~10×/s from
 * Analyzer.snapshot()), plus the pure helpers that turn flows into table rows.
 */
import { formatEndpoint } from '../endpoint.js';
import type { AnalyzerSnapshot } from '../flow/result.js';
import { type FlowRecord, type PacketRole, VERDICTS, type Verdict } from '../flow/types.js';
import { isProblem } from '../flow/verdict-info.js';
import { VERDICT_STYLE } from './verdicts.js';

export interface HeaderInfo {
  iface: string;
  engine: string;
  /** why this engine (auto selection), shown dimmed */
  engineReason?: string;
  filter: string;
  profile: string;
  elapsedSec: number;
  packetsPerSec: number;
  packets: number;
  flows: number;
  /** kernel drops; null when the engine cannot tell */
  drops: number | null;
  /** why the capture ended (shown while the final report is prepared) */
  ended?: string;
}

export interface TopFinding {
  verdict: Verdict;
  flows: number;
  share: number;
  title: string;
  remediation: string;
}

export interface HostCounter {
  name: string;
  total: number;
  /** change per second since the previous poll (null on the first poll) */
  perSec: number | null;
}

export interface HostPanelModel {
  /** '/' (polling this host), a snapshot dir, or 'off' */
  source: string;
  mode: 'poll' | 'snapshot';
  /** one line per TOA-related module: 'toa: Live', 'vtoa: not loaded'; null when /proc/modules
   * could not be read (then nothing is known about modules, and the panel must not say "none") */
  modules: string[] | null;
  /** stats file layout(s) and counter set, e.g. '/proc/net/toa_stats classic (alibaba)' */
  statsLabel: string | null;
  counters: HostCounter[];
  /** the last few TOA lines of the kernel log */
  dmesg: string[];
  /** problems reading (permission, no dmesg...) */
  notes: string[];
  updatedAtMs: number;
}

export interface DashboardModel {
  header: HeaderInfo;
  verdicts: Record<Verdict, number>;
  top: TopFinding | null;
  /** problem flows first, then newest (deduplicated) */
  flows: FlowRecord[];
  host: HostPanelModel | null;
  warnings: string[];
}

export type SortMode = 'problems' | 'newest' | 'verdict' | 'client';
export const SORT_MODES: SortMode[] = ['problems', 'newest', 'verdict', 'client'];

export function emptyVerdicts(): Record<Verdict, number> {
  const o = {} as Record<Verdict, number>;
  for (const v of VERDICTS) o[v] = 0;
  return o;
}

/** The most common problem verdict, as a one/two-line finding. */
export function topFinding(verdicts: Record<Verdict, number>): TopFinding | null {
  let total = 0;
  for (const v of VERDICTS) total += verdicts[v] ?? 0;
  let best: Verdict | null = null;
  for (const v of VERDICTS) {
    if (!isProblem(v) || !verdicts[v]) continue;
    if (best === null || verdicts[v] > verdicts[best]) best = v;
  }
  if (best === null) return null;
  const s = VERDICT_STYLE[best];
  return {
    verdict: best,
    flows: verdicts[best],
    share: total ? (100 * verdicts[best]) / total : 0,
    title: s.meaning,
    remediation: s.remediation,
  };
}

/** Rows for the table: problems then newest, deduplicated by flow id. */
export function mergeFlows(snap: Pick<AnalyzerSnapshot, 'newest' | 'problems'>): FlowRecord[] {
  const seen = new Set<number>();
  const out: FlowRecord[] = [];
  for (const f of [...snap.problems, ...snap.newest]) {
    if (seen.has(f.id)) continue;
    seen.add(f.id);
    out.push(f);
  }
  return out;
}

const VERDICT_ORDER = new Map(VERDICTS.map((v, i) => [v, i]));

export function sortFlows(flows: FlowRecord[], mode: SortMode): FlowRecord[] {
  const byNewest = (a: FlowRecord, b: FlowRecord) => b.lastTs - a.lastTs || b.id - a.id;
  const list = [...flows];
  switch (mode) {
    case 'problems':
      return list.sort(
        (a, b) => Number(isProblem(b.verdict)) - Number(isProblem(a.verdict)) || byNewest(a, b),
      );
    case 'newest':
      return list.sort(byNewest);
    case 'verdict':
      return list.sort(
        (a, b) => (VERDICT_ORDER.get(a.verdict) ?? 0) - (VERDICT_ORDER.get(b.verdict) ?? 0) || byNewest(a, b),
      );
    case 'client':
      return list.sort((a, b) => realClient(a).localeCompare(realClient(b)) || byNewest(a, b));
  }
}

/** verdict filter cycle: null (all), then each verdict that has flows */
export function nextVerdictFilter(
  current: Verdict | null,
  verdicts: Record<Verdict, number>,
): Verdict | null {
  const present = VERDICTS.filter((v) => (verdicts[v] ?? 0) > 0);
  if (!present.length) return null;
  if (current === null) return present[0]!;
  const i = present.indexOf(current);
  return i < 0 || i + 1 >= present.length ? null : present[i + 1]!;
}

/** The client address the TOA carries, or '-' */
export function realClient(f: FlowRecord): string {
  const t = f.toa;
  if (!t?.address) return '-';
  return formatEndpoint(t.address, t.port);
}

const ROLE_LABEL: Record<PacketRole, string> = { syn: 'SYN', ack: 'ACK', data: 'DATA' };

/**
 * Where TOA rode: 'SYN+ACK+DATA', 'ACK', or '-'. A flow without a client TOA but with another
 * table option (VPC id, VIP) shows where that rode and its kind/length, e.g. 'ACK 201/6'.
 */
export function toaRode(f: FlowRecord): string {
  if (f.toa?.packets?.length) return f.toa.packets.map((r) => ROLE_LABEL[r]).join('+');
  const roles: PacketRole[] = [];
  let first: { kind: number; length: number } | null = null;
  for (const [role, facts] of [
    ['syn', f.syn],
    ['ack', f.handshakeAck],
    ['data', f.firstData],
  ] as const) {
    if (!facts?.toa.length) continue;
    roles.push(role);
    first ??= facts.toa[0]!;
  }
  if (!roles.length) return f.laterToa.length ? 'later' : '-';
  const where = roles.map((r) => ROLE_LABEL[r]).join('+');
  return f.toa || !first ? where : `${where} ${first.kind}/${first.length}`;
}

export function formatRate(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  if (n >= 1e4) return `${(n / 1e3).toFixed(0)}k`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}k`;
  return String(Math.round(n));
}

export function formatElapsed(sec: number): string {
  const s = Math.max(0, Math.floor(sec));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  const mm = String(m).padStart(2, '0');
  const ss = String(r).padStart(2, '0');
  return h ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}
