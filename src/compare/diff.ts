/**
 * One pair → its change code, a one-line detail, and the option lists side by side per packet.
 * The option lists come from the option bytes flow/ kept (FlowTable.keepCompareFacts); they are
 * listed with the same walker and texts as `print` (decode/options.ts), nothing else is decoded.
 *
 * Front mode (A before the LB, B at the backend): B's TOA against A's client.
 *   TOA_INSERTED     B carries a TOA naming A's client (address, and port when the TOA has one)
 *   TOA_NOT_INSERTED B carries no TOA
 *   TOA_WRONG_ADDRESS B's TOA names another client
 * Path mode (same traffic at two hops), on the packets captured at both points, checked in order:
 *   TOA_CHANGED      a packet carries a TOA at both points, naming another client or (kind, length)
 *                    (also: B carries a TOA where A carried none on any packet)
 *   CHECKSUM_BROKEN  a packet carrying a TOA at B has a bad checksum there and not at A
 *   TOA_MOVED        B carries a TOA on a packet that carried none at A
 *   TOA_STRIPPED     A carried a TOA on a packet that carries none at B
 *   TOA_INTACT       otherwise
 */
import { decodeOptions, optionText } from '../decode/options.js';
import { allToa } from './flows.js';
import {
  CHANGE_BY_CODE,
  type ChangeCode,
  COMPARE_PACKETS,
  type CompareFlow,
  type CompareMode,
  type ComparePacket,
  type CompareToa,
  type OptionItem,
  type PacketDiff,
} from './types.js';

/** decoded option lists by hex (most connections share a few lists) */
const listCache = new Map<string, OptionItem[]>();

export function optionList(hex: string): OptionItem[] {
  const hit = listCache.get(hex);
  if (hit) return hit;
  const buf = Buffer.from(hex, 'hex');
  const d = decodeOptions(buf, 0, buf.length);
  const out: OptionItem[] = [];
  let p = 0;
  for (const o of d.options) {
    out.push({ kind: o.kind, text: optionText(buf, p, o.kind, o.length), raw: o.raw });
    p += o.length;
  }
  if (d.malformed) out.push({ kind: d.malformed.kind, text: `[bad opt ${d.malformed.malformed}]`, raw: '' });
  if (listCache.size > 4096) listCache.clear();
  listCache.set(hex, out);
  return out;
}

const textCache = new WeakMap<OptionItem[], string[]>();
/** the texts of a cached list (shared between pairs, so 100,000 pairs do not copy them) */
function texts(l: OptionItem[]): string[] {
  let t = textCache.get(l);
  if (!t) {
    t = l.map((o) => o.text);
    textCache.set(l, t);
  }
  return t;
}

function toaText(t: CompareToa | undefined): string | null {
  if (!t) return null;
  return t.client === null ? `${t.kind}/${t.length}` : `${t.client} (${t.kind}/${t.length})`;
}

const PADDING = new Set([0, 1]);

/** option diff of one packet; options are matched by kind, in wire order (NOP/EOL padding ignored) */
function diffPacket(packet: ComparePacket, a: CompareFlow, b: CompareFlow): PacketDiff | null {
  const pa = a.packets[packet];
  const pb = b.packets[packet];
  if (!pa && !pb) return null;
  const la = pa?.optionBytes != null ? optionList(pa.optionBytes) : pa ? [] : null;
  const lb = pb?.optionBytes != null ? optionList(pb.optionBytes) : pb ? [] : null;
  const added: string[] = [];
  const removed: string[] = [];
  const changed: Array<{ a: string; b: string }> = [];
  if (la && lb) {
    const rest = lb.filter((o) => !PADDING.has(o.kind));
    for (const o of la) {
      if (PADDING.has(o.kind)) continue;
      const k = rest.findIndex((x) => x.kind === o.kind);
      if (k < 0) {
        removed.push(o.text);
        continue;
      }
      const m = rest.splice(k, 1)[0]!;
      if (m.raw !== o.raw) changed.push({ a: o.text, b: m.text });
    }
    for (const o of rest) added.push(o.text);
  }
  return {
    packet,
    a: la && texts(la),
    b: lb && texts(lb),
    added,
    removed,
    changed,
    toaA: toaText(pa?.toa[0]),
    toaB: toaText(pb?.toa[0]),
    checksumA: pa?.checksum ?? null,
    checksumB: pb?.checksum ?? null,
  };
}

export interface PairJudgement {
  change: ChangeCode;
  problem: boolean;
  detail: string;
}

const NAMES: Record<ComparePacket, string> = { syn: 'SYN', ack: 'handshake ACK', data: 'first data' };

function list(xs: ComparePacket[]): string {
  return xs.map((x) => NAMES[x]).join(', ');
}

/** does the B-side TOA name A's client? (a port-less TOA names the address only) */
function namesClient(t: CompareToa, a: CompareFlow): boolean {
  if (t.client === null) return false;
  return t.client === a.client || t.client === a.clientAddress;
}

/** the option lists of both sides, packet by packet (computed when asked: 100,000 pairs would hold them all) */
export function packetDiffs(a: CompareFlow, b: CompareFlow): PacketDiff[] {
  const packets: PacketDiff[] = [];
  for (const p of COMPARE_PACKETS) {
    const d = diffPacket(p, a, b);
    if (d) packets.push(d);
  }
  return packets;
}

export function judgePair(a: CompareFlow, b: CompareFlow, mode: CompareMode): PairJudgement {
  const done = (change: ChangeCode, detail: string): PairJudgement => ({
    change,
    problem: CHANGE_BY_CODE.get(change)!.problem,
    detail,
  });
  if (mode === 'front') {
    const toas = allToa(b);
    if (!toas.length) return done('TOA_NOT_INSERTED', `no TOA at B; A's client is ${a.client}`);
    const right = toas.find((t) => namesClient(t, a));
    if (right) {
      const where = COMPARE_PACKETS.filter((p) => b.packets[p]?.toa.some((t) => namesClient(t, a)));
      return done(
        'TOA_INSERTED',
        `B's TOA ${toaText(right)} names A's client${where.length ? ` (on the ${list(where)})` : ''}`,
      );
    }
    return done('TOA_WRONG_ADDRESS', `B's TOA ${toaText(toas[0])} but A's client is ${a.client}`);
  }
  // path mode: per packet captured at both points
  const both = COMPARE_PACKETS.filter((p) => a.packets[p] && b.packets[p]);
  const aAny = allToa(a);
  const bAny = allToa(b);
  for (const p of both) {
    const ta = a.packets[p]!.toa[0];
    const tb = b.packets[p]!.toa[0];
    if (ta && tb && (ta.client !== tb.client || ta.kind !== tb.kind || ta.length !== tb.length))
      return done('TOA_CHANGED', `${NAMES[p]}: ${toaText(ta)} at A, ${toaText(tb)} at B`);
  }
  if (!aAny.length && bAny.length)
    return done('TOA_CHANGED', `no TOA at A, ${toaText(bAny[0])} at B (added between the points)`);
  for (const p of both) {
    const pa = a.packets[p]!;
    const pb = b.packets[p]!;
    if (pb.toa.length && pb.checksum === 'bad' && pa.checksum !== 'bad')
      return done(
        'CHECKSUM_BROKEN',
        `${NAMES[p]} with ${toaText(pb.toa[0])}: checksum ${pa.checksum} at A, bad at B`,
      );
  }
  const withA = both.filter((p) => a.packets[p]!.toa.length > 0);
  const withB = both.filter((p) => b.packets[p]!.toa.length > 0);
  const added = withB.filter((p) => !withA.includes(p));
  const removed = withA.filter((p) => !withB.includes(p));
  // B carries it on a packet A did not, or only on a packet A was not seen with (a missing packet at A)
  const bElsewhere = COMPARE_PACKETS.filter((p) => !both.includes(p) && (b.packets[p]?.toa.length ?? 0) > 0);
  if (added.length)
    return done('TOA_MOVED', `TOA on the ${list(withA) || 'no packet'} at A, on the ${list(withB)} at B`);
  if (removed.length) {
    if (!withB.length && bElsewhere.length)
      return done('TOA_MOVED', `TOA on the ${list(withA)} at A, only on the ${list(bElsewhere)} at B`);
    return done(
      'TOA_STRIPPED',
      withB.length
        ? `TOA removed from the ${list(removed)} (still on the ${list(withB)})`
        : `TOA on the ${list(removed)} at A, none at B`,
    );
  }
  if (!both.length && aAny.length && !bAny.length)
    return done(
      'TOA_STRIPPED',
      `TOA ${toaText(aAny[0])} at A, none at B (no packet captured at both points)`,
    );
  if (!aAny.length) return done('TOA_INTACT', 'no TOA at either point');
  const missing = COMPARE_PACKETS.filter((p) => !!a.packets[p] !== !!b.packets[p]);
  return done(
    'TOA_INTACT',
    `${toaText(aAny[0])} on the ${list(withA.length ? withA : COMPARE_PACKETS.filter((p) => a.packets[p]?.toa.length))} at both points${missing.length ? ` (${list(missing)} captured at one point only)` : ''}`,
  );
}
