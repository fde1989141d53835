/**
 * pairFlows(): which connection at B is which connection at A, across a full NAT, without trusting
 * any single clue. The steps, in the order they run:
 *
 *  1. Exact clues. B is indexed by its 5-tuple, the client its TOA names, the client ISN and the
 *     first-payload digest. Every A connection looks itself up there (front mode: its own client
 *     against B's TOA; path mode: its TOA against B's TOA) and scores each candidate by the clues
 *     that agree (tuple, toa, isn: strong; payload: strong when the digest is unique on both sides,
 *     weak when many connections sent the same request). A pair is taken only when it is the best
 *     candidate of both of its connections and no other candidate ties it.
 *  2. What the confident pairs teach: the clock offset between the captures (median of B start −
 *     A start), the timing window (from the spread of those offsets, not a constant), whether the
 *     LB keeps the client ISN, whether the 5-tuple is kept, and the server port mapping.
 *  3. Timing. Each connection still unpaired looks for B connections starting inside the window
 *     around A start + offset, on a mapped server port, not contradicted by a clue (another ISN
 *     when the LB keeps ISNs, another payload digest, another tuple when tuples are kept). A pair
 *     is taken when the two connections are each other's only candidate; otherwise the A side is
 *     reported as ambiguous with its candidates. Repeated while it finds pairs.
 *  4. Everything left is one side only.
 */
import { allToa } from './flows.js';
import type { Clue, CompareFlow, CompareMode, MatchingInfo } from './types.js';

export interface PairEdge {
  a: number;
  b: number;
  clues: Clue[];
  confidence: number;
}

export interface Pairing {
  pairs: PairEdge[];
  ambiguous: Array<{ a: number; candidates: Array<{ b: number; clues: Clue[] }> }>;
  onlyA: number[];
  onlyB: number[];
  matching: MatchingInfo;
}

/** weight of a clue (chance it is right on its own) */
const WEIGHT: Record<Clue, number> = {
  tuple: 0.9,
  toa: 0.95,
  isn: 0.97,
  payload: 0.9,
  'port-map': 0.1,
  timing: 0.5,
};
const WEAK_PAYLOAD = 0.2;
/** a digest shared by more connections than this is not used to find candidates */
const MAX_DIGEST_FANOUT = 16;
/** ambiguous candidates listed per A connection */
export const MAX_CANDIDATES = 5;
/** the window never shrinks below the timestamp noise of two capture hosts */
const MIN_WINDOW = 0.001;

function tupleKey(f: CompareFlow): string {
  return `${f.client}>${f.server}`;
}

/** the number of payload bytes a digest covers ('<hex>/<n>') */
function hashed(digest: string): string {
  return digest.slice(digest.indexOf('/') + 1);
}

function payloadKey(f: CompareFlow): string | null {
  return f.payload === null ? null : `${f.payload}#${f.payloadLength}`;
}

/** the TOA client keys of a flow: ip:port, plus the bare ip for port-less TOA (kind 28) */
function toaKeys(f: CompareFlow): string[] {
  const out = new Set<string>();
  for (const t of allToa(f)) if (t.client !== null) out.add(t.client);
  return [...out];
}

function addTo(m: Map<string, number[]>, k: string, i: number): void {
  const l = m.get(k);
  if (l) l.push(i);
  else m.set(k, [i]);
}

function confidenceOf(clues: Clue[], payloadUnique: boolean): number {
  let miss = 1;
  for (const c of clues) miss *= 1 - (c === 'payload' && !payloadUnique ? WEAK_PAYLOAD : WEIGHT[c]);
  return Math.round((1 - miss) * 1000) / 1000;
}

function median(xs: number[]): number {
  const s = [...xs].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}

/** an endpoint text without a port (the port-less kind-28 TOA): `1.2.3.4`, `2001:db8::1` */
function portless(e: string): boolean {
  return !e.startsWith('[') && e.split(':').length !== 2;
}

/** `1.2.3.4:5` → `1.2.3.4`, `[2001:db8::1]:5` → `2001:db8::1` */
function stripPort(e: string): string {
  if (e.startsWith('[')) return e.slice(1, e.indexOf(']'));
  const i = e.lastIndexOf(':');
  return i > 0 ? e.slice(0, i) : e;
}

/** does one of A's client keys match one of B's TOA keys (a port-less TOA matches the address)? */
function toaMatches(aKeys: string[], bKeys: string[]): boolean {
  for (const k of aKeys)
    for (const j of bKeys) if (k === j || (portless(j) && !portless(k) && stripPort(k) === j)) return true;
  return false;
}

export function pairFlows(A: CompareFlow[], B: CompareFlow[], mode: CompareMode): Pairing {
  // ---------------------------------------------------------------- 1. exact clues
  const byTuple = new Map<string, number[]>();
  const byToa = new Map<string, number[]>();
  const byIsn = new Map<number, number[]>();
  const byPayload = new Map<string, number[]>();
  const payloadCountA = new Map<string, number>();
  // keys computed once per connection (a key built per lookup costs more than the lookup)
  const pkA = A.map(payloadKey);
  const pkB = B.map(payloadKey);
  const bToaKeys: string[][] = B.map(toaKeys);
  B.forEach((f, i) => {
    // front mode: A sees client → VIP, B sees LB → RS; a 5-tuple never survives that NAT
    if (mode === 'path') addTo(byTuple, tupleKey(f), i);
    for (const k of bToaKeys[i]!) addTo(byToa, k, i);
    if (f.isn !== null) {
      const l = byIsn.get(f.isn);
      if (l) l.push(i);
      else byIsn.set(f.isn, [i]);
    }
    const pk = pkB[i]!;
    if (pk !== null) addTo(byPayload, pk, i);
  });
  for (const pk of pkA) if (pk !== null) payloadCountA.set(pk, (payloadCountA.get(pk) ?? 0) + 1);
  /** A's keys to look up in B's TOA index */
  const aToaKeys: string[][] = A.map((f) => {
    if (mode === 'front') return [f.client, f.clientAddress];
    return toaKeys(f);
  });
  /** A[i]'s first request is sent by no other connection, on either side */
  const uniqueA = new Uint8Array(A.length);
  pkA.forEach((pk, i) => {
    if (pk !== null && payloadCountA.get(pk) === 1 && byPayload.get(pk)?.length === 1) uniqueA[i] = 1;
  });

  /** clues that agree between A[i] and B[j] (timing and port-map are judged later) */
  const exactClues = (i: number, j: number): Clue[] => {
    const a = A[i]!;
    const b = B[j]!;
    const c: Clue[] = [];
    if (a.client === b.client && a.server === b.server) c.push('tuple');
    const ak = aToaKeys[i]!;
    if (ak.length && bToaKeys[j]!.length && toaMatches(ak, bToaKeys[j]!)) c.push('toa');
    if (a.isn !== null && a.isn === b.isn) c.push('isn');
    if (pkA[i] !== null && pkA[i] === pkB[j]) c.push('payload');
    return c;
  };
  const score = (clues: Clue[], i: number): number => {
    let s = 0;
    for (const c of clues) s += c === 'payload' ? (uniqueA[i] ? 3 : 0.5) : c === 'timing' ? 1 : 3;
    return s;
  };

  const candA: Array<Array<{ b: number; clues: Clue[]; score: number }>> = A.map(() => []);
  const bestB = new Float64Array(B.length);
  const bestBCount = new Uint32Array(B.length);
  /** seen[j] = i + 1 when B[j] is already a candidate of A[i] */
  const seen = new Int32Array(B.length);
  const found: number[] = [];
  for (let i = 0; i < A.length; i++) {
    const a = A[i]!;
    found.length = 0;
    const consider = (list: number[] | undefined) => {
      if (!list) return;
      for (const j of list)
        if (seen[j] !== i + 1) {
          seen[j] = i + 1;
          found.push(j);
        }
    };
    if (mode === 'path') consider(byTuple.get(tupleKey(a)));
    for (const k of aToaKeys[i]!) consider(byToa.get(k));
    if (a.isn !== null) consider(byIsn.get(a.isn));
    const pk = pkA[i]!;
    if (pk !== null) {
      const l = byPayload.get(pk);
      if (l && l.length <= MAX_DIGEST_FANOUT) consider(l);
    }
    for (const j of found) {
      const clues = exactClues(i, j);
      // a shared request alone is not a candidate: timing decides those (step 3)
      const s = score(clues, i);
      if (s < 3) continue;
      candA[i]!.push({ b: j, clues, score: s });
      if (s > bestB[j]!) {
        bestB[j] = s;
        bestBCount[j] = 1;
      } else if (s === bestB[j]) bestBCount[j]!++;
    }
  }

  const pairedA = new Int32Array(A.length).fill(-1);
  const pairedB = new Int32Array(B.length).fill(-1);
  const pairs: PairEdge[] = [];
  A.forEach((_, i) => {
    const cs = candA[i]!;
    if (!cs.length) return;
    let best = cs[0]!;
    let ties = 0;
    for (const c of cs)
      if (c.score > best.score) {
        best = c;
        ties = 0;
      } else if (c.score === best.score && c !== best) ties++;
    if (ties > 0) return;
    if (bestB[best.b] !== best.score || bestBCount[best.b] !== 1) return;
    pairedA[i] = best.b;
    pairedB[best.b] = i;
    pairs.push({ a: i, b: best.b, clues: best.clues, confidence: 0 });
  });

  // ---------------------------------------------------------------- 2. what the confident pairs teach
  const confident = pairs.length;
  const offsets = pairs.map((p) => B[p.b]!.start - A[p.a]!.start);
  let offset: number | null = null;
  let window: number | null = null;
  if (offsets.length) {
    offset = median(offsets);
    const dev = offsets.map((d) => Math.abs(d - offset!));
    // 4× the 95th percentile of the deviations: wide enough for jitter of the confident pairs,
    // narrow enough to keep simultaneous connections apart
    window = Math.max(MIN_WINDOW, 4 * quantile(dev, 0.95));
  }
  let isnBoth = 0;
  let isnSame = 0;
  let tupleSame = 0;
  const portMap = new Map<number, Map<number, number>>();
  for (const p of pairs) {
    const a = A[p.a]!;
    const b = B[p.b]!;
    if (a.isn !== null && b.isn !== null) {
      isnBoth++;
      if (a.isn === b.isn) isnSame++;
    }
    if (a.client === b.client && a.server === b.server) tupleSame++;
    const m = portMap.get(a.serverPort) ?? new Map<number, number>();
    m.set(b.serverPort, (m.get(b.serverPort) ?? 0) + 1);
    portMap.set(a.serverPort, m);
  }
  const isnKept =
    isnBoth === 0 ? null : isnSame / isnBoth >= 0.9 ? true : isnSame / isnBoth <= 0.1 ? false : null;
  const tupleKept = pairs.length ? tupleSame / pairs.length : null;

  // clues judged now that offset, window and mapping are known
  const inWindow = (i: number, j: number): boolean =>
    offset !== null && window !== null && Math.abs(B[j]!.start - A[i]!.start - offset) <= window;
  const portMapped = (i: number, j: number): boolean =>
    portMap.get(A[i]!.serverPort)?.has(B[j]!.serverPort) ?? false;
  const finish = (e: PairEdge) => {
    if (!e.clues.includes('port-map') && portMapped(e.a, e.b)) e.clues.push('port-map');
    if (!e.clues.includes('timing') && inWindow(e.a, e.b)) e.clues.push('timing');
    e.clues.sort((x, y) => CLUE_ORDER[x] - CLUE_ORDER[y]);
    e.confidence = confidenceOf(e.clues, uniqueA[e.a] === 1);
  };

  // ---------------------------------------------------------------- 3. timing
  const contradicted = (i: number, j: number): boolean => {
    const a = A[i]!;
    const b = B[j]!;
    if (a.family !== b.family && mode === 'path') return true;
    if (isnKept === true && a.isn !== null && b.isn !== null && a.isn !== b.isn) return true;
    if (
      a.payload !== null &&
      b.payload !== null &&
      pkA[i] !== pkB[j] &&
      hashed(a.payload) === hashed(b.payload)
    )
      return true;
    if (a.payloadLength !== null && b.payloadLength !== null && a.payloadLength !== b.payloadLength)
      return true;
    if (tupleKept !== null && tupleKept >= 0.9 && (a.client !== b.client || a.server !== b.server))
      return true;
    const mapped = portMap.get(a.serverPort);
    if (mapped && !mapped.has(b.serverPort)) return true;
    // a TOA at B naming a client: in front mode it must be A's client unless it is simply wrong,
    // which only a confident clue can tell; in path mode two different TOAs are two connections
    if (
      mode === 'path' &&
      bToaKeys[j]!.length &&
      aToaKeys[i]!.length &&
      !toaMatches(aToaKeys[i]!, bToaKeys[j]!)
    )
      return true;
    return false;
  };
  const ambiguous = new Map<number, Array<{ b: number; clues: Clue[] }>>();
  if (offset !== null && window !== null) {
    const order = B.map((_, j) => j).sort((x, y) => B[x]!.start - B[y]!.start);
    const starts = order.map((j) => B[j]!.start);
    const lowerBound = (t: number): number => {
      let lo = 0;
      let hi = starts.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (starts[mid]! < t) lo = mid + 1;
        else hi = mid;
      }
      return lo;
    };
    for (let round = 0; round < 4; round++) {
      const cand = new Map<number, number[]>();
      const candOfB = new Map<number, number>();
      for (let i = 0; i < A.length; i++) {
        if (pairedA[i]! >= 0) continue;
        const t = A[i]!.start + offset;
        const list: number[] = [];
        for (let k = lowerBound(t - window); k < order.length && starts[k]! <= t + window; k++) {
          const j = order[k]!;
          if (pairedB[j]! >= 0 || contradicted(i, j)) continue;
          list.push(j);
          candOfB.set(j, (candOfB.get(j) ?? 0) + 1);
        }
        if (list.length) cand.set(i, list);
      }
      let found = 0;
      ambiguous.clear();
      for (const [i, list] of cand) {
        if (list.length === 1 && candOfB.get(list[0]!) === 1) {
          const j = list[0]!;
          pairedA[i] = j;
          pairedB[j] = i;
          const e: PairEdge = { a: i, b: j, clues: [...exactClues(i, j), 'timing'], confidence: 0 };
          pairs.push(e);
          found++;
        } else
          ambiguous.set(
            i,
            list.map((j) => ({ b: j, clues: timingClues(i, j) })),
          );
      }
      if (!found) break;
    }
  } else {
    // no confident pair: nothing to estimate a window from; candidates of step 1 that tied are ambiguous
    A.forEach((_, i) => {
      if (pairedA[i]! >= 0 || !candA[i]!.length) return;
      ambiguous.set(
        i,
        candA[i]!.map((c) => ({ b: c.b, clues: c.clues })),
      );
    });
  }
  function timingClues(i: number, j: number): Clue[] {
    const c = exactClues(i, j);
    if (portMapped(i, j)) c.push('port-map');
    c.push('timing');
    return c;
  }
  // A connections whose step-1 candidates tied and that timing did not settle
  A.forEach((_, i) => {
    if (pairedA[i]! >= 0 || ambiguous.has(i)) return;
    const cs = candA[i]!.filter((c) => pairedB[c.b]! < 0);
    if (cs.length > 1)
      ambiguous.set(
        i,
        cs.map((c) => ({ b: c.b, clues: c.clues })),
      );
  });
  for (const e of pairs) finish(e);

  // ---------------------------------------------------------------- 4. one side only
  const inAmbiguous = new Set<number>();
  for (const l of ambiguous.values()) for (const c of l) inAmbiguous.add(c.b);
  const onlyA: number[] = [];
  const onlyB: number[] = [];
  A.forEach((_, i) => {
    if (pairedA[i]! < 0 && !ambiguous.has(i)) onlyA.push(i);
  });
  B.forEach((_, j) => {
    if (pairedB[j]! < 0 && !inAmbiguous.has(j)) onlyB.push(j);
  });
  pairs.sort((x, y) => A[x.a]!.start - A[y.a]!.start || x.a - y.a);
  return {
    pairs,
    ambiguous: [...ambiguous].sort((x, y) => x[0] - y[0]).map(([a, candidates]) => ({ a, candidates })),
    onlyA,
    onlyB,
    matching: {
      clockOffsetSec: offset === null ? null : round6(offset),
      windowSec: window === null ? null : round6(window),
      confidentPairs: confident,
      isnKept,
      tupleKept: tupleKept === null ? null : Math.round(tupleKept * 1000) / 1000,
      portMap: [...portMap]
        .flatMap(([a, m]) => [...m].map(([b, n]) => ({ a, b, pairs: n })))
        .sort((x, y) => y.pairs - x.pairs || x.a - y.a)
        .slice(0, 20),
    },
  };
}

const CLUE_ORDER: Record<Clue, number> = { tuple: 0, toa: 1, isn: 2, payload: 3, 'port-map': 4, timing: 5 };

function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
