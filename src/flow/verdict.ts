/**
 * Per-flow verdict: exactly the codes of VERDICTS (src/flow/types.ts), decided from the TOA
 * sightings of the client's packets and the facts of the packet the module reads (the
 * handshake-completing ACK; the SYN under TCP Fast Open and for the SYN-only kind-28 variants).
 *
 * Order of the checks (first match wins):
 *   INCOMPLETE       the packet the module reads was not captured (no SYN-only kind-28 TOA to judge either)
 *   TOA_MALFORMED    no readable client TOA anywhere, but one hides behind EOL / a broken option on that packet
 *   TOA_MISSING      no client TOA on any packet of the flow
 *   TOA_KIND_MISMATCH client TOA present, but no variant the profile's module reads
 *   TOA_INCONSISTENT different client addresses in different packets (or two TOAs on one packet)
 *   -- an accepted TOA is on the packet the module reads:
 *   TOA_BAD_CHECKSUM that packet has a bad TCP checksum (the kernel drops it); a partial checksum
 *                    (offload: a locally generated packet) is not bad
 *   TOA_NAT64        the client address is IPv6 and the flow is IPv4 (getsockopt 4096 needed)
 *   TOA_OK
 *   -- it is not:
 *   TOA_MALFORMED    the option list on that packet breaks before the TOA / TOA after EOL
 *   TOA_LATE         a later client data segment carries it (works only with TCP_DEFER_ACCEPT)
 *   TOA_SYN_ONLY     only the SYN carried it
 */
import { decodeToa, TOA_VARIANTS } from '../decode/index.js';
import { ChecksumStatus } from '../decode/types.js';
import { type JudgeModel, READ_EITHER, READ_SYN } from './profiles.js';
import {
  F_ACK_INFERRED,
  F_EXTRAS,
  F_HAS_ACK,
  F_HAS_SYN,
  F_TFO_DATA,
  F_V6,
  type FlowTable,
  R_CK_PARTIAL,
  ROLE_ACK,
  ROLE_DATA,
  ROLE_LATER,
  ROLE_SYN,
  ROLE_SYNACK,
} from './table.js';
import { VERDICTS, type Verdict } from './types.js';

const READ_ACK = 0;

export const V_OK = 0;
export const V_MISSING = 1;
export const V_SYN_ONLY = 2;
export const V_LATE = 3;
export const V_MALFORMED = 4;
export const V_KIND_MISMATCH = 5;
export const V_INCONSISTENT = 6;
export const V_NAT64 = 7;
export const V_BAD_CHECKSUM = 8;
export const V_INCOMPLETE = 9;

/**
 * Every numeric code with the name it stands for. The codes stay literals (the hot paths switch on
 * them); this check at load time, over all of them, keeps them in step with VERDICTS.
 */
export const V_CODES: ReadonlyArray<readonly [number, Verdict]> = [
  [V_OK, 'TOA_OK'],
  [V_MISSING, 'TOA_MISSING'],
  [V_SYN_ONLY, 'TOA_SYN_ONLY'],
  [V_LATE, 'TOA_LATE'],
  [V_MALFORMED, 'TOA_MALFORMED'],
  [V_KIND_MISMATCH, 'TOA_KIND_MISMATCH'],
  [V_INCONSISTENT, 'TOA_INCONSISTENT'],
  [V_NAT64, 'TOA_NAT64'],
  [V_BAD_CHECKSUM, 'TOA_BAD_CHECKSUM'],
  [V_INCOMPLETE, 'INCOMPLETE'],
];
if (V_CODES.length !== VERDICTS.length || V_CODES.some(([n, name]) => VERDICTS[n] !== name))
  throw new Error('verdict codes out of step with VERDICTS');

export function verdictName(v: number): Verdict {
  return VERDICTS[v]!;
}

const MAX_SIGHTINGS = 32;
const CLIENT_ROLES = [ROLE_SYN, ROLE_ACK, ROLE_DATA] as const;

/**
 * Reusable per-flow scratch: the client-side TOA sightings in packet order (syn, ack, data, later).
 * Filled from the table without allocation (except for flows with extra sightings).
 */
export class Scratch {
  n = 0;
  role = new Uint8Array(MAX_SIGHTINGS);
  variant = new Int16Array(MAX_SIGHTINGS);
  buf: Buffer[] = new Array(MAX_SIGHTINGS);
  off = new Int32Array(MAX_SIGHTINGS);
  len = new Int32Array(MAX_SIGHTINGS);
  // results of judge()
  verdict = V_INCOMPLETE;
  /** index of the sighting the verdict is about, -1 none */
  primary = -1;
  /** the role that is the packet the module reads for this flow (ROLE_ACK, or ROLE_SYN) */
  readRole = ROLE_ACK;
  /** the read packet carried any client TOA */
  readHasToa = false;

  fill(t: FlowTable, slot: number): void {
    this.n = 0;
    const base = slot * 4;
    for (const r of CLIENT_ROLES) {
      const v = t.rToaVar(base + r);
      if (v < 0 || !(t.bitsOf(slot) & (F_HAS_SYN << r))) continue;
      t.roleToaRef(slot, r);
      this.push(r, v, t.refBuf, t.refOff);
      if (t.bitsOf(slot) & F_EXTRAS) {
        for (const e of t.extras.get(slot) ?? [])
          if (e.role === r && !e.primary && !e.hidden) this.push(r, e.variant, e.bytes, 0);
      }
    }
    if (t.bitsOf(slot) & F_EXTRAS) {
      for (const e of t.extras.get(slot) ?? [])
        if (e.role === ROLE_LATER) this.push(ROLE_LATER, e.variant, e.bytes, 0);
    }
  }

  private push(role: number, variant: number, b: Buffer, off: number): void {
    if (this.n >= MAX_SIGHTINGS) return;
    const i = this.n++;
    this.role[i] = role;
    this.variant[i] = variant;
    this.buf[i] = b;
    this.off[i] = off;
    this.len[i] = Math.min(TOA_VARIANTS[variant]!.length, b.length - off);
  }

  /** the option bytes of sighting i (allocates a view: for reports only) */
  bytes(i: number): Buffer {
    return this.buf[i]!.subarray(this.off[i]!, this.off[i]! + this.len[i]!);
  }

  /** same client address (and port, where both carry one) */
  sameClient(i: number, j: number): boolean {
    const a = this.buf[i]!;
    const b = this.buf[j]!;
    const ao = this.off[i]!;
    const bo = this.off[j]!;
    const n = this.len[i]!;
    if (this.variant[i] === this.variant[j] && n === this.len[j]) {
      let same = true;
      for (let k = 0; k < n; k++) {
        if (a[ao + k] !== b[bo + k]) {
          same = false;
          break;
        }
      }
      if (same) return true;
    }
    const da = decodeToa(a, ao, this.variant[i]!);
    const db = decodeToa(b, bo, this.variant[j]!);
    if (da.address === null || db.address === null) return true;
    if (da.address !== db.address) return false;
    if (da.port !== null && db.port !== null && da.port !== db.port) return false;
    return true;
  }
}

function clientCarrying(v: number): boolean {
  return TOA_VARIANTS[v]!.carriesClient;
}

/**
 * Judge one flow the way the model's module reads it (`m`, derived from a src/model row):
 *   reads 'ack'        the packet that creates the socket: the handshake ACK (the SYN under TCP Fast
 *                      Open). With `auto` a SYN-only kind-28 variant is also read from the SYN.
 *   reads 'syn'        the SYN only: an accepted TOA that rides only on the ACK/data is TOA_LATE.
 *   reads 'syn-or-ack' the SYN and then the ACK (whose TOA overwrites the SYN's): either is OK.
 *   pick first/last    which accepted TOA on that packet the module keeps; a named model does not
 *                      call two TOAs on the one packet INCONSISTENT (it uses one of them).
 * Sets s.verdict / s.primary / s.readRole / s.readHasToa and returns the verdict index.
 */
export function judge(t: FlowTable, slot: number, s: Scratch, m: JudgeModel): number {
  s.fill(t, slot);
  const accept = m.accept;
  const bits = t.bitsOf(slot);
  const base = slot * 4;
  const tfo = (bits & F_TFO_DATA) !== 0;
  const mode = tfo ? READ_SYN : m.reads;
  // the packet whose facts (checksum, hidden TOA) decide; for syn-or-ack set again below
  let readRole = mode === READ_SYN ? ROLE_SYN : ROLE_ACK;
  s.primary = -1;
  const hasSyn = (bits & F_HAS_SYN) !== 0;
  const hasAck = (bits & F_HAS_ACK) !== 0;

  // client-address sightings
  let nClient = 0;
  let firstClient = -1;
  let firstAccepted = -1;
  let onRead = -1; // the accepted sighting the module uses
  let onSyn = -1; // syn-or-ack: the accepted sighting on the SYN
  let clientOnRead = -1;
  let synOnlyOnSyn = -1;
  let acceptedLater = -1;
  let acceptedSyn = -1;
  for (let i = 0; i < s.n; i++) {
    const v = s.variant[i]!;
    if (!clientCarrying(v) || m.notClient[v]) continue;
    nClient++;
    if (firstClient < 0) firstClient = i;
    const r = s.role[i]!;
    const readsThis = mode === READ_EITHER ? r === ROLE_SYN || r === ROLE_ACK : r === readRole;
    if (readsThis && clientOnRead < 0) clientOnRead = i;
    if (!accept[v]) continue;
    if (firstAccepted < 0) firstAccepted = i;
    if (mode === READ_ACK) {
      const synOnly = TOA_VARIANTS[v]!.synOnly;
      if (r === ROLE_SYN && synOnly && synOnlyOnSyn < 0) synOnlyOnSyn = i;
      if (onRead < 0 && (r === readRole || (r === ROLE_SYN && synOnly && !m.named))) onRead = i;
      else if (m.pickLast && r === readRole && s.role[onRead]! === r) onRead = i;
      if (r === ROLE_SYN && acceptedSyn < 0) acceptedSyn = i;
    } else if (mode === READ_SYN) {
      if (r === ROLE_SYN && (onRead < 0 || m.pickLast)) onRead = i;
    } else if (r === ROLE_ACK) {
      if (onRead < 0 || s.role[onRead] !== ROLE_ACK || m.pickLast) onRead = i;
    } else if (r === ROLE_SYN && (onSyn < 0 || m.pickLast)) onSyn = i;
    // after the packet the module reads (data; with TFO / a SYN reader also the ACK)
    if (r > readRole && r !== ROLE_SYNACK && acceptedLater < 0) acceptedLater = i;
  }
  if (mode === READ_EITHER) {
    // the ACK's TOA overwrites the saved SYN's (toa-ebpf/toa-kern.c toa_parse)
    if (onRead < 0) onRead = onSyn;
    if (onRead >= 0) readRole = s.role[onRead]!;
  }
  s.readRole = readRole;
  s.readHasToa = clientOnRead >= 0 || synOnlyOnSyn >= 0;

  const done = (v: number, primary: number): number => {
    s.verdict = v;
    s.primary = primary;
    return v;
  };

  const hasRead = mode === READ_EITHER ? hasSyn && hasAck : (bits & (F_HAS_SYN << readRole)) !== 0;
  if (!hasRead && synOnlyOnSyn < 0 && !(mode === READ_EITHER && onRead >= 0))
    return done(V_INCOMPLETE, firstAccepted >= 0 ? firstAccepted : firstClient);

  const hidden = (bits & (F_HAS_SYN << readRole)) !== 0 && t.rHidVar(base + readRole) !== -1;
  if (nClient === 0) return done(hidden ? V_MALFORMED : V_MISSING, -1);
  if (firstAccepted < 0) return done(V_KIND_MISMATCH, clientOnRead >= 0 ? clientOnRead : firstClient);

  // different client addresses within the flow (a named model uses one of two on one packet)
  for (let i = 0; i < s.n; i++) {
    if (!clientCarrying(s.variant[i]!) || m.notClient[s.variant[i]!]) continue;
    for (let j = i + 1; j < s.n; j++) {
      if (!clientCarrying(s.variant[j]!) || m.notClient[s.variant[j]!]) continue;
      if (m.named && s.role[i] === s.role[j]) continue;
      if (!s.sameClient(i, j)) return done(V_INCONSISTENT, onRead >= 0 ? onRead : firstAccepted);
    }
  }

  if (onRead >= 0) {
    const pr = s.role[onRead]!;
    // a partial checksum (offload) is the capture's view of a locally generated packet, not damage
    if (t.rCk(base + pr) === ChecksumStatus.BAD && (t.rBits(base + pr) & R_CK_PARTIAL) === 0)
      return done(V_BAD_CHECKSUM, onRead);
    if (TOA_VARIANTS[s.variant[onRead]!]!.family === 'ipv6' && !(bits & F_V6)) return done(V_NAT64, onRead);
    return done(V_OK, onRead);
  }
  if (hidden) return done(V_MALFORMED, firstAccepted);
  if (acceptedLater >= 0) return done(V_LATE, acceptedLater);
  if (acceptedSyn >= 0) return done(V_SYN_ONLY, acceptedSyn);
  // accepted only somewhere we do not judge by (cannot happen with the roles above)
  return done(V_MISSING, firstAccepted);
}

/** for reports: was the handshake ACK identified without a SYN-ACK */
export function ackInferred(t: FlowTable, slot: number): boolean {
  return (t.bitsOf(slot) & F_ACK_INFERRED) !== 0 && (t.bitsOf(slot) & F_HAS_ACK) !== 0;
}
