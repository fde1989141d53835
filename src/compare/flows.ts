/**
 * FlowRecord (flow/ results, analysed with `compareFacts`) → CompareFlow: the few facts pairing and
 * diffing need, so 100,000 connections per side stay small. Nothing here decodes packets.
 */
import { formatEndpoint } from '../decode/toa.js';
import { ChecksumStatus } from '../decode/types.js';
import type { FlowRecord, PacketFacts, ToaSighting } from '../flow/types.js';
import type { CompareFlow, ComparePacketFacts, CompareToa } from './types.js';

const CK: Record<number, ComparePacketFacts['checksum']> = {
  [ChecksumStatus.OK]: 'ok',
  [ChecksumStatus.BAD]: 'bad',
  [ChecksumStatus.UNVERIFIABLE]: 'unverifiable',
  [ChecksumStatus.NOT_CHECKED]: 'not-checked',
};

export function toaOf(x: ToaSighting): CompareToa {
  return {
    variant: x.variant,
    kind: x.kind,
    length: x.length,
    client: x.address === null ? null : formatEndpoint(x.address, x.port),
  };
}

const NO_TOA: CompareToa[] = [];
/** server endpoints and option lists repeat across connections: keep one copy of each */
const pool = new Map<string, string>();
function intern(s: string): string {
  const hit = pool.get(s);
  if (hit !== undefined) return hit;
  if (pool.size >= 4096) pool.clear();
  pool.set(s, s);
  return s;
}

/** one CompareToa per distinct TOA of a flow (the same option usually rides on 2-3 packets) */
type ToaMemo = Map<string, CompareToa>;
function memoToa(x: ToaSighting, memo: ToaMemo): CompareToa {
  const k = `${x.variant}|${x.address}|${x.port}`;
  let t = memo.get(k);
  if (!t) {
    t = toaOf(x);
    memo.set(k, t);
  }
  return t;
}

function packet(p: PacketFacts | null, memo: ToaMemo): ComparePacketFacts | null {
  if (!p) return null;
  return {
    ts: p.ts,
    optionBytes: p.optionBytes === undefined ? null : intern(p.optionBytes),
    toa: p.toa.length ? p.toa.map((x) => memoToa(x, memo)) : NO_TOA,
    checksum: CK[p.checksum] ?? 'not-checked',
  };
}

export function toCompareFlow(r: FlowRecord): CompareFlow {
  const data = r.firstData;
  const memo: ToaMemo = new Map();
  return {
    id: r.id,
    family: r.family,
    client: formatEndpoint(r.client.address, r.client.port),
    server: intern(formatEndpoint(r.server.address, r.server.port)),
    clientAddress: r.client.address,
    clientPort: r.client.port,
    serverAddress: intern(r.server.address),
    serverPort: r.server.port,
    start: r.syn?.ts ?? r.firstTs,
    isn: r.syn ? r.syn.seq : null,
    payload: data?.payloadDigest ?? null,
    payloadLength: data ? data.payloadLength : null,
    toa: r.toa ? memoToa(r.toa, memo) : null,
    verdict: r.verdict,
    packets: { syn: packet(r.syn, memo), ack: packet(r.handshakeAck, memo), data: packet(data, memo) },
  };
}

/** every TOA the flow carried on the compared packets (the verdict's TOA first) */
export function allToa(f: CompareFlow): CompareToa[] {
  const out: CompareToa[] = [];
  if (f.toa) out.push(f.toa);
  for (const k of ['syn', 'ack', 'data'] as const) for (const t of f.packets[k]?.toa ?? []) out.push(t);
  return out;
}
