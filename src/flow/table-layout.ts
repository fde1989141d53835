/**
 * The flow table's storage: struct-of-arrays in typed arrays (no object per flow, no object per
 * packet; a flow is a slot index), the meaning of every word and bit, and the accessors that
 * read them. The hash index that maps a 5-tuple to its slot is in table-index.ts, the role state
 * machine that fills the rows in table.ts.
 *
 * Layout: the per-packet hot fields of a flow sit together (array-of-structs in one Uint32Array,
 * 64 bytes per flow; timestamps in a Float64Array view), so a packet touches two or three cache
 * lines, not one per field. Role facts: 64 bytes per role in one Int32Array.
 */

import { TOA_VARIANTS } from '../decode/index.js';

export const ROLE_SYN = 0;
export const ROLE_SYNACK = 1;
export const ROLE_ACK = 2;
export const ROLE_DATA = 3;
/** extras only: a TOA on a later client packet */
export const ROLE_LATER = 4;
export const ROLE_NAMES = ['syn', 'synAck', 'ack', 'data', 'later'] as const;

// flow bits
export const F_USED = 1;
export const F_CLIENT_KNOWN = 1 << 1;
/** the client is endpoint B */
export const F_CLIENT_B = 1 << 2;
export const F_RULE_SYN = 1 << 3;
export const F_RULE_TOA = 1 << 4;
export const F_FIN = 1 << 5;
export const F_RST = 1 << 6;
export const F_SERVER_FIRST = 1 << 7;
export const F_ANY_DATA = 1 << 8;
export const F_TFO = 1 << 9;
/** queued in the finished FIFO */
export const F_IN_FINISHED = 1 << 10;
export const F_ACK_INFERRED = 1 << 11;
/** role r present: F_HAS_SYN << r */
export const F_HAS_SYN = 1 << 12;
export const F_HAS_SYNACK = 1 << 13;
export const F_HAS_ACK = 1 << 14;
export const F_HAS_DATA = 1 << 15;
export const F_TOA_TO_CLIENT = 1 << 16;
export const F_DUP_TOA = 1 << 17;
export const F_EXTRAS = 1 << 18;
/** a client ACK acknowledging the SYN-ACK was seen beyond ISN+1 before any handshake ACK */
export const F_ACK_MISSED = 1 << 19;
export const F_V6 = 1 << 20;
/** an older connection on a reused 5-tuple: no longer in the hash index */
export const F_DETACHED = 1 << 21;
/** the SYN carried data (TCP Fast Open): the SYN creates the socket, so it is the packet the module reads */
export const F_TFO_DATA = 1 << 22;

// role bits
export const R_TOA_AFTER_EOL = 1;
export const R_TOA_AFTER_BREAK = 2;
export const R_TFO = 4;
export const R_DUP = 8;
/** a 254/8 or 254/20 TOA whose client port is 0xF989 (63881): decoders show it as a TFO cookie */
export const R_TFO_LOOKALIKE = 16;
/** the bad checksum is a partial one (offload: the capture saw a locally generated packet) */
export const R_CK_PARTIAL = 32;

/** the Q_PACK top byte holds a break reason as its index in OPTION_BREAKS (decode/types.ts, optionBreakIndex) */

/** bytes of the first TOA of each role kept inline; longer ones (249/40) go to the extras */
export const INLINE_TOA = 20;
/** cap on extra TOA sightings kept per flow */
export const MAX_EXTRAS = 8;

export interface ExtraSighting {
  role: number;
  variant: number;
  /** option bytes (kind, length, data) */
  bytes: Buffer;
  /** the full bytes of a role's FIRST toa that did not fit inline */
  primary: boolean;
  /** a TOA the module's parser never reaches (after EOL / after the list broke): not a sighting */
  hidden?: boolean;
}

/** hidden-variant marker: something TOA-shaped is hidden but no (kind, length) match was found */
export const HIDDEN_UNKNOWN = -2;

export type DoneReason = 'evicted' | 'reused';

// flow struct: FS uint32 words (64 bytes, one cache line) per flow; the last four words hold two
// float64 timestamps (FD view on the same buffer). The sequence numbers the per-packet checks need
// (SYN / SYN-ACK ISNs, handshake ACK, first data) are copied here so a packet touches one line.
export const FS = 16;
export const O_HASH = 0;
export const O_A = 1;
export const O_B = 2;
export const O_PORTS = 3;
export const O_BITS = 4;
export const O_PAB = 5;
export const O_PBA = 6;
export const O_SYNSEQ = 7;
export const O_SYNACKSEQ = 8;
export const O_ACKSEQ = 9;
export const O_ACKACK = 10;
export const O_DATASEQ = 11;
/** float64 index (slot * FD_S + ...) */
export const FD_S = FS / 2;
export const D_FIRST = 6;
export const D_LAST = 7;
// role struct: RS int32 words (64 bytes, one cache line) per role, 4 roles per flow; words 8-9
// hold the float64 timestamp (RD view), bytes 40-59 the first TOA option (RB view): recording a
// role packet touches one line
export const RS = 16;
export const RD_TS = 4; // float64 index within the role (byte 32)
export const RB_TOA = 40; // byte offset within the role
export const Q_SEQ = 0;
export const Q_ACK = 1;
export const Q_PAY = 2;
export const Q_RETX = 3;
/** flags | optLen << 8 | optUsed << 16 | break << 24 */
export const Q_PACK = 4;
/** role bits | checksum << 8 | toaCount << 16 */
export const Q_PACK2 = 5;
export const Q_TOAVAR = 6;
export const Q_HIDVAR = 7;

/** compare facts: bytes per role (length byte + 40 option bytes, rounded up) and digest words per flow */
export const KEEP_OPT = 44;
export const DIGEST = 3;
/** payload bytes hashed: short enough that a -s 128 capture still hashes the same bytes */
export const DIGEST_BYTES = 48;

/** slots allocated up front (more are added by doubling, up to maxFlows) */
export const INITIAL_SLOTS = 262_144;

/** Storage columns and accessors; FlowIndex adds the hash index, FlowTable the per-packet update. */
export class FlowStore {
  /** slots allocated so far (arrays are this long) */
  capacity: number;
  readonly maxFlows: number;
  count = 0;
  nextId = 1;
  evicted = 0;

  protected F!: Uint32Array;
  protected FD!: Float64Array;
  protected R!: Int32Array;
  protected RD!: Float64Array;
  protected RB!: Buffer;
  protected ids!: Float64Array;
  /** judged verdict index (VERDICTS), 255 = not judged yet */
  verdict!: Uint8Array;
  protected ordPrev!: Int32Array;
  protected ordNext!: Int32Array;
  /** IPv6 addresses: 32 bytes per slot (A then B), allocated when the first IPv6 flow appears */
  v6: Buffer | null = null;

  extras = new Map<number, ExtraSighting[]>();
  /**
   * A TOA-shaped option of a kind no table row knows (length 8 or 20, e.g. 252/8 from a module
   * rebuilt with another kind), on the SYN or handshake ACK of a flow without a known client TOA:
   * the option bytes, first one per flow. Rare; cleared with the slot.
   */
  shaped = new Map<number, Buffer>();

  /**
   * Opt-in facts for `compare` (keepCompareFacts()): per role, the captured option area (byte 0:
   * its length, then up to 40 bytes; KEEP_OPT bytes per role), and per flow a digest of the first
   * client data segment's payload (DIGEST words: two 32-bit hashes and the number of bytes hashed).
   * null unless asked for, so `read` pays nothing.
   */
  optKeep: Uint8Array | null = null;
  payDigest: Uint32Array | null = null;
  /** every flow in creation order */
  ordHead = -1;
  ordTail = -1;

  constructor(maxFlows: number, initialSlots: number) {
    this.maxFlows = Math.max(1, Math.floor(maxFlows));
    // Slot storage: typed arrays are calloc'ed, so the kernel only commits the pages that slots
    // actually touch (slots are handed out in order). Up to INITIAL_SLOTS flows nothing is ever
    // copied; beyond, the columns double (a copy) up to the cap. The hash index grows on its own.
    this.capacity = Math.max(1, Math.min(this.maxFlows, initialSlots));
    this.alloc(this.capacity, 0);
  }

  // ---------------------------------------------------------------- accessors (for verdict/record/aggregate)
  bitsOf(slot: number): number {
    return this.F[slot * FS + O_BITS]!;
  }
  addrA(slot: number): number {
    return this.F[slot * FS + O_A]!;
  }
  addrB(slot: number): number {
    return this.F[slot * FS + O_B]!;
  }
  portsOf(slot: number): number {
    return this.F[slot * FS + O_PORTS]!;
  }
  pktAB(slot: number): number {
    return this.F[slot * FS + O_PAB]!;
  }
  pktBA(slot: number): number {
    return this.F[slot * FS + O_PBA]!;
  }
  firstTs(slot: number): number {
    return this.FD[slot * FD_S + D_FIRST]!;
  }
  lastTs(slot: number): number {
    return this.FD[slot * FD_S + D_LAST]!;
  }
  idOf(slot: number): number {
    return this.ids[slot]!;
  }
  // role accessors: i = slot * 4 + role
  rTs(i: number): number {
    return this.RD[i * (RS / 2) + RD_TS]!;
  }
  rSeq(i: number): number {
    return this.R[i * RS + Q_SEQ]! >>> 0;
  }
  rAck(i: number): number {
    return this.R[i * RS + Q_ACK]! >>> 0;
  }
  rPay(i: number): number {
    return this.R[i * RS + Q_PAY]!;
  }
  rRetx(i: number): number {
    return this.R[i * RS + Q_RETX]!;
  }
  rFlags(i: number): number {
    return this.R[i * RS + Q_PACK]! & 0xff;
  }
  rOptLen(i: number): number {
    return (this.R[i * RS + Q_PACK]! >>> 8) & 0xff;
  }
  rOptUsed(i: number): number {
    return (this.R[i * RS + Q_PACK]! >>> 16) & 0xff;
  }
  rBreak(i: number): number {
    return (this.R[i * RS + Q_PACK]! >>> 24) & 0xff;
  }
  rBits(i: number): number {
    return this.R[i * RS + Q_PACK2]! & 0xff;
  }
  rCk(i: number): number {
    return (this.R[i * RS + Q_PACK2]! >>> 8) & 0xff;
  }
  rToaN(i: number): number {
    return (this.R[i * RS + Q_PACK2]! >>> 16) & 0xff;
  }
  rToaVar(i: number): number {
    return this.R[i * RS + Q_TOAVAR]!;
  }
  rHidVar(i: number): number {
    return this.R[i * RS + Q_HIDVAR]!;
  }

  protected alloc(cap: number, old: number): void {
    const keep = <A extends Uint32Array | Int32Array | Float64Array | Uint8Array>(
      prev: A | undefined,
      next: A,
      per: number,
    ): A => {
      if (prev && old) next.set(prev.subarray(0, old * per) as never);
      return next;
    };
    this.F = keep(this.F, new Uint32Array(cap * FS), FS);
    this.FD = new Float64Array(this.F.buffer);
    this.R = keep(this.R, new Int32Array(cap * 4 * RS), 4 * RS);
    this.RD = new Float64Array(this.R.buffer);
    this.RB = Buffer.from(this.R.buffer);
    this.ids = keep(this.ids, new Float64Array(cap), 1);
    this.verdict = keep(this.verdict, new Uint8Array(cap), 1);
    this.ordPrev = keep(this.ordPrev, new Int32Array(cap), 1);
    this.ordNext = keep(this.ordNext, new Int32Array(cap), 1);
    if (this.optKeep) {
      this.optKeep = keep(this.optKeep, new Uint8Array(cap * 4 * KEEP_OPT), 4 * KEEP_OPT);
      this.payDigest = keep(this.payDigest ?? undefined, new Uint32Array(cap * DIGEST), DIGEST);
    }
    if (this.v6) {
      const v = Buffer.alloc(cap * 32);
      this.v6.copy(v, 0, 0, old * 32);
      this.v6 = v;
    }
  }

  /** keep option bytes and a first-payload digest per flow (for `compare`); call before any packet */
  keepCompareFacts(): void {
    if (this.optKeep) return;
    this.optKeep = new Uint8Array(this.capacity * 4 * KEEP_OPT);
    this.payDigest = new Uint32Array(this.capacity * DIGEST);
  }

  /** the kept option area of role i = slot * 4 + role (empty when not kept) */
  keptOptions(i: number): Uint8Array {
    const k = this.optKeep;
    if (!k) return new Uint8Array(0);
    const o = i * KEEP_OPT;
    return k.subarray(o + 1, o + 1 + k[o]!);
  }

  /** the first client data segment's payload digest, 'h1h2/n' hex (null when not kept) */
  keptDigest(slot: number): string | null {
    const d = this.payDigest;
    if (!d) return null;
    const o = slot * DIGEST;
    return `${d[o]!.toString(16).padStart(8, '0')}${d[o + 1]!.toString(16).padStart(8, '0')}/${d[o + 2]!}`;
  }

  // ---------------------------------------------------------------- iteration helpers

  /** slots in creation order */
  *slots(): Generator<number> {
    for (let s = this.ordHead; s >= 0; s = this.ordNext[s]!) yield s;
  }

  /** slots newest-created first */
  *newestFirst(): Generator<number> {
    for (let s = this.ordTail; s >= 0; s = this.ordPrev[s]!) yield s;
  }

  /**
   * Where the first TOA of a role is stored, without allocating: sets `refBuf`/`refOff`
   * (the inline store, or the extras entry for variants longer than INLINE_TOA).
   */
  refBuf: Buffer = Buffer.alloc(0);
  refOff = 0;
  roleToaRef(slot: number, role: number): void {
    const i = slot * 4 + role;
    const v = this.R[i * RS + Q_TOAVAR]!;
    if (v >= 0 && TOA_VARIANTS[v]!.length > INLINE_TOA) {
      const e = this.extras.get(slot)?.find((x) => x.primary && x.role === role);
      if (e) {
        this.refBuf = e.bytes;
        this.refOff = 0;
        return;
      }
    }
    this.refBuf = this.RB;
    this.refOff = i * RS * 4 + RB_TOA;
  }

  /** the first TOA bytes of a role (a view; full bytes for the long variants) */
  roleToaBytes(slot: number, role: number): Buffer {
    const i = slot * 4 + role;
    const v = this.R[i * RS + Q_TOAVAR]!;
    const len = v >= 0 ? TOA_VARIANTS[v]!.length : 0;
    if (len > INLINE_TOA) {
      const e = this.extras.get(slot)?.find((x) => x.primary && x.role === role);
      if (e) return e.bytes;
    }
    const off = i * RS * 4 + RB_TOA;
    return this.RB.subarray(off, off + Math.min(len, INLINE_TOA));
  }
}
