/**
 * compareResults(): two analysed captures of the same traffic (flow/ results, as CompareFlow) →
 * the `toa-doctor/compare@1` document. Pure: no I/O, no clock; the CLI (src/cli/compare.ts) runs
 * the analyzer on each input and renders the document (src/report/compare-*.ts).
 */

import { judgePair, packetDiffs } from './diff.js';
import { allToa } from './flows.js';
import { MAX_CANDIDATES, pairFlows } from './pair.js';
import {
  CHANGE_BY_CODE,
  type ChangeCode,
  COMPARE_CODES,
  COMPARE_SCHEMA,
  type CompareDocument,
  type CompareFinding,
  type CompareFlow,
  type CompareMode,
  type ComparePair,
  type CompareSideInput,
  type OnlyOneSide,
} from './types.js';

export { judgePair, optionList, packetDiffs } from './diff.js';
export { toCompareFlow } from './flows.js';
export { pairFlows } from './pair.js';
export * from './types.js';

export interface CompareOptions {
  /** force a mode (default: detected) */
  mode?: CompareMode;
  toolVersion?: string;
  /** examples per finding (default 3) */
  examples?: number;
}

/**
 * front when A carries (almost) no TOA and either B does or the two sides share no 5-tuples (a
 * full NAT between them); path when A carries TOA (A is behind the LB) or most 5-tuples are the
 * same on both sides.
 */
export function detectMode(A: CompareFlow[], B: CompareFlow[]): { mode: CompareMode; reason: string } {
  const share = (xs: CompareFlow[]) =>
    xs.length ? xs.filter((f) => allToa(f).length > 0).length / xs.length : 0;
  const aToa = share(A);
  const bToa = share(B);
  const tuples = new Set(B.map((f) => `${f.client}>${f.server}`));
  const same = A.filter((f) => tuples.has(`${f.client}>${f.server}`)).length;
  const overlap = Math.min(A.length, B.length) ? same / Math.min(A.length, B.length) : 0;
  const pct = (x: number) => `${Math.round(x * 100)}%`;
  if (aToa >= 0.05)
    return {
      mode: 'path',
      reason: `A already carries TOA on ${pct(aToa)} of its connections: A is behind the LB`,
    };
  if (overlap >= 0.5)
    return {
      mode: 'path',
      reason: `${pct(overlap)} of the connections have the same addresses and ports at A and B`,
    };
  if (bToa >= 0.05)
    return {
      mode: 'front',
      reason: `A carries no TOA, B does on ${pct(bToa)} of its connections, addresses differ`,
    };
  return {
    mode: 'front',
    reason: `neither side carries TOA and only ${pct(overlap)} of the 5-tuples match: a full NAT between A and B`,
  };
}

/**
 * A pair whose sides and option lists (`a`, `b`, `packets`) are derived from the two flows when
 * read (JSON streaming, renderers) instead of being held for every one of 100,000 pairs. It
 * serialises as the plain ComparePair of the schema.
 */
class Pair implements ComparePair {
  constructor(
    readonly change: ComparePair['change'],
    readonly problem: boolean,
    readonly detail: string,
    readonly matchedBy: ComparePair['matchedBy'],
    readonly confidence: number,
    readonly confidenceLevel: ComparePair['confidenceLevel'],
    readonly offsetSec: number,
    private readonly fa: CompareFlow,
    private readonly fb: CompareFlow,
  ) {}
  get a(): ComparePair['a'] {
    return side(this.fa);
  }
  get b(): ComparePair['b'] {
    return side(this.fb);
  }
  get packets(): ComparePair['packets'] {
    return packetDiffs(this.fa, this.fb);
  }
  toJSON(): ComparePair {
    const { a, b, change, problem, detail, matchedBy, confidence, confidenceLevel, offsetSec } = this;
    return {
      a,
      b,
      change,
      problem,
      detail,
      matchedBy,
      confidence,
      confidenceLevel,
      offsetSec,
      packets: this.packets,
    };
  }
}

/** the kinds the remedy is about, named first (e.g. "the stripped TOA is kind 200: ...") */
function specificRemedy(code: ChangeCode, pairs: readonly ComparePair[]): string {
  if (code !== 'TOA_STRIPPED') return '';
  const kinds = [
    ...new Set(pairs.map((p) => p.a.toa?.kind).filter((k): k is number => k !== undefined)),
  ].sort((x, y) => x - y);
  if (!kinds.length) return '';
  return `the stripped TOA is kind ${kinds.join(', ')}: on a Cisco ASA allow it with ${kinds.map((k) => `tcp-options range ${k} ${k} allow`).join(' and ')} in a tcp-map. `;
}

function conns(n: number): string {
  return `${n} connection${n === 1 ? '' : 's'}`;
}

function side(f: CompareFlow) {
  return { client: f.client, server: f.server, id: f.id, start: f.start, verdict: f.verdict, toa: f.toa };
}

function only(f: CompareFlow): OnlyOneSide {
  return { client: f.client, server: f.server, id: f.id, start: f.start, verdict: f.verdict };
}

function example(p: ComparePair): string {
  return `${p.a.client} → ${p.a.server}  ⇒  ${p.b.client} → ${p.b.server}: ${p.detail}`;
}

const ZERO_CHANGES = (): Record<ChangeCode, number> =>
  Object.fromEntries(COMPARE_CODES.map((r) => [r.code, 0])) as Record<ChangeCode, number>;

export function compareResults(
  a: CompareSideInput,
  b: CompareSideInput,
  opts: CompareOptions = {},
): CompareDocument {
  const A = a.flows;
  const B = b.flows;
  const detected = detectMode(A, B);
  const mode = opts.mode ?? detected.mode;
  const reason = opts.mode
    ? `set with --mode (detection said ${detected.mode}: ${detected.reason})`
    : detected.reason;
  const pairing = pairFlows(A, B, mode);
  const nEx = opts.examples ?? 3;

  const changes = ZERO_CHANGES();
  const pairs: ComparePair[] = pairing.pairs.map((e) => {
    const fa = A[e.a]!;
    const fb = B[e.b]!;
    const j = judgePair(fa, fb, mode);
    changes[j.change]++;
    return new Pair(
      j.change,
      j.problem,
      j.detail,
      e.clues,
      e.confidence,
      e.confidence >= 0.95 ? 'high' : e.confidence >= 0.75 ? 'medium' : 'low',
      Math.round((fb.start - fa.start) * 1e6) / 1e6,
      fa,
      fb,
    );
  });
  const onlyA = pairing.onlyA.map((i) => only(A[i]!));
  const onlyB = pairing.onlyB.map((j) => only(B[j]!));
  const ambiguous = pairing.ambiguous.map((m) => {
    const fa = A[m.a]!;
    return {
      a: { client: fa.client, server: fa.server, id: fa.id, start: fa.start },
      candidates: m.candidates.slice(0, MAX_CANDIDATES).map((c) => {
        const fb = B[c.b]!;
        return { client: fb.client, server: fb.server, id: fb.id, start: fb.start, matchedBy: c.clues };
      }),
      more: Math.max(0, m.candidates.length - MAX_CANDIDATES),
    };
  });

  // ---------------------------------------------------------------- findings
  const findings: CompareFinding[] = [];
  const where = mode === 'front' ? 'in front of the LB (A)' : 'at A';
  const there = mode === 'front' ? 'at the backend (B)' : 'at B';
  for (const row of COMPARE_CODES) {
    if (row.mode !== mode) continue;
    const n = changes[row.code];
    if (!n) continue;
    const ex = pairs.filter((p) => p.change === row.code);
    let title = `${row.title} on ${n} of ${pairs.length} connections`;
    if (row.code === 'TOA_STRIPPED')
      title = `TOA present ${where} but gone ${there} on ${n} of ${pairs.length} connections`;
    findings.push({
      code: row.code,
      severity: row.problem ? 'error' : 'info',
      title,
      count: n,
      of: pairs.length,
      explanation: row.explanation,
      remediation: row.problem ? specificRemedy(row.code, ex) + row.remediation : null,
      examples: ex.slice(0, nEx).map(example),
    });
  }
  const m = pairing.matching;
  if (!pairs.length && (A.length || B.length))
    findings.push({
      code: 'NO_PAIRS',
      severity: 'warning',
      title: 'no connection could be paired',
      count: 0,
      of: A.length,
      explanation:
        'no clue (5-tuple, TOA, client ISN, first request) matched between the captures: they may not hold the same traffic or the same time span.',
      remediation:
        'capture both points at the same time, with a filter that keeps the handshake and the first data (tcpdump -s 256 "tcp port P"); check the clocks',
      examples: [],
    });
  if (ambiguous.length)
    findings.push({
      code: 'AMBIGUOUS',
      severity: 'warning',
      title: `${conns(ambiguous.length)} at A ${ambiguous.length === 1 ? 'has' : 'have'} several possible partners at B`,
      count: ambiguous.length,
      of: A.length,
      explanation:
        'only timing and the server port tie them together (no TOA, ISN or distinct first request in common), and several B connections start inside the timing window: they are listed, not guessed.',
      remediation:
        'compare a quieter period, or capture the first data bytes (a larger snaplen) so requests tell connections apart',
      examples: ambiguous
        .slice(0, nEx)
        .map((x) => `${x.a.client} → ${x.a.server}: ${x.candidates.length + x.more} candidates`),
    });
  if (onlyA.length)
    findings.push({
      code: 'ONLY_A',
      severity: 'warning',
      title: `${conns(onlyA.length)} seen only at A`,
      count: onlyA.length,
      of: A.length,
      explanation:
        'no connection at B matches them: dropped between the points (firewall, ACL, health check of another backend), sent to another backend, or outside the time span of B.',
      remediation: 'check that B covers the same time span and backend; look for drops between the points',
      examples: onlyA.slice(0, nEx).map((f) => `${f.client} → ${f.server}`),
    });
  if (onlyB.length)
    findings.push({
      code: 'ONLY_B',
      severity: 'info',
      title: `${conns(onlyB.length)} seen only at B`,
      count: onlyB.length,
      of: B.length,
      explanation:
        'no connection at A matches them: LB health checks, traffic from other clients or LBs, or outside the time span of A.',
      remediation: null,
      examples: onlyB.slice(0, nEx).map((f) => `${f.client} → ${f.server}`),
    });
  if (m.isnKept === false)
    findings.push({
      code: 'ISN_REWRITTEN',
      severity: 'info',
      title: 'the client ISN is rewritten between A and B',
      count: m.confidentPairs,
      of: pairs.length,
      explanation:
        'the sequence numbers differ at the two points (LB FULLNAT sequence adjustment, or a firewall with TCP sequence randomization such as Cisco ASA by default): ISN was not used as a clue.',
      remediation: null,
      examples: [],
    });
  if (m.clockOffsetSec !== null && Math.abs(m.clockOffsetSec) >= 0.5)
    findings.push({
      code: 'CLOCK_OFFSET',
      severity: 'info',
      title: `B's clock is ${m.clockOffsetSec > 0 ? 'ahead of' : 'behind'} A's by ${Math.abs(m.clockOffsetSec).toFixed(3)} s`,
      count: m.confidentPairs,
      of: pairs.length,
      explanation: `estimated from ${m.confidentPairs} pairs matched without timing; timing window ±${(m.windowSec ?? 0).toFixed(4)} s around it.`,
      remediation: null,
      examples: [],
    });
  for (const [name, s] of [
    ['A', a],
    ['B', b],
  ] as const)
    if (s.evicted > 0)
      findings.push({
        code: 'EVICTED',
        severity: 'warning',
        title: `${conns(s.evicted)} of ${name} evicted from the flow table and not compared`,
        count: s.evicted,
        of: s.flows.length + s.evicted,
        explanation: 'the capture holds more connections than --max-flows.',
        remediation: 'raise --max-flows, or cut the captures to a shorter time span',
        examples: [],
      });
  // the sides given the wrong way round: A's TOAs name B's clients (A is the backend side)
  const bClients = new Set(B.map((f) => f.client));
  const aNaming = A.filter((f) => f.toa?.client != null);
  const swapped = aNaming.filter((f) => bClients.has(f.toa!.client!)).length;
  if (aNaming.length && swapped >= 0.5 * aNaming.length)
    findings.push({
      code: 'SIDES_SWAPPED',
      severity: 'warning',
      title: `A and B look swapped: the TOA at A names B's clients on ${swapped} of ${aNaming.length} connections`,
      count: swapped,
      of: aNaming.length,
      explanation:
        'A carries TOA naming clients that B sees directly: A was captured behind the LB and B in front of it.',
      remediation:
        'run the comparison the other way round: toa-doctor compare B A (front mode: A in front of the LB)',
      examples: aNaming
        .filter((f) => bClients.has(f.toa!.client!))
        .slice(0, nEx)
        .map((f) => `${f.client} → ${f.server} carries TOA ${f.toa!.client}`),
    });
  const rank = { error: 0, warning: 1, info: 2 } as const;
  findings.sort((x, y) => rank[x.severity] - rank[y.severity] || y.count - x.count);

  const problemPairs = pairs.filter((p) => p.problem).length;
  return {
    schema: COMPARE_SCHEMA,
    tool: { name: 'toa-doctor', version: opts.toolVersion ?? '0.0.0' },
    input: {
      a: { files: a.files, flows: A.length, packets: a.packets, evicted: a.evicted },
      b: { files: b.files, flows: B.length, packets: b.packets, evicted: b.evicted },
    },
    mode,
    modeSource: opts.mode ? 'option' : 'auto',
    modeReason: reason,
    matching: m,
    summary: {
      pairs: pairs.length,
      onlyA: onlyA.length,
      onlyB: onlyB.length,
      ambiguous: ambiguous.length,
      changes,
      problemPairs,
      exitCode: problemPairs > 0 ? 1 : 0,
    },
    findings,
    pairs,
    onlyA,
    onlyB,
    ambiguous,
  };
}

/** the first problem pair of each problem change code, then more of them, up to n */
export function exampleProblems(pairs: readonly ComparePair[], n: number): ComparePair[] {
  const out: ComparePair[] = [];
  const codes = new Set<string>();
  for (const p of pairs)
    if (p.problem && !codes.has(p.change)) {
      codes.add(p.change);
      out.push(p);
    }
  for (const p of pairs) if (out.length < n && p.problem && !out.includes(p)) out.push(p);
  return out.slice(0, n);
}

export function isProblemChange(code: ChangeCode): boolean {
  return CHANGE_BY_CODE.get(code)?.problem ?? false;
}
