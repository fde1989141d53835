/**
 * The bounded flow table. Flows are keyed by the 5-tuple with both directions joined (canonical
 * order: the lower (address, port) endpoint is "A"). Storage is struct-of-arrays in typed arrays
 * (no object per flow, no object per packet): a flow is a slot index. A custom open-addressing hash
 * (linear probing, backward-shift deletion) maps the tuple to the slot: IPv4 tuples are compared as
 * three uint32 numbers, IPv6 tuples against a 32-byte address pool. A bucket is one int32: slot + 1
 * in the low bits, the same high bits of the flow's hash above (a tag): a probe that hits another
 * flow's bucket is rejected without reading that flow's row (a cache miss on random flow order).
 *
 * Per flow it keeps the facts of four packets (SYN, SYN-ACK, handshake-completing ACK, first client
 * data: the "roles"), the first TOA sighting of each, retransmission counts, FIN/RST, TFO and
 * server-speaks-first; extra TOA sightings (a second TOA on one packet, TOA on later packets) go to
 * a small side map, capped per flow.
 *
 * Layout: the per-packet hot fields of a flow sit together (array-of-structs in one Uint32Array,
 * 32 bytes per flow; timestamps in a Float64Array), so a packet touches two or three cache lines,
 * not one per field. Role facts: 32 bytes per role in one Int32Array.
 *
 * Eviction at the hard cap: the oldest FINISHED flow (FIN/RST seen; a FIFO of finished flows)
 * first, else the least recently active of the oldest-created flows (a sample of EVICT_SAMPLE from
 * the head of the creation order: idle flows go first). The owner gets `onDone(slot)` before a
 * slot is reused, so the verdict of an evicted flow is still counted.
 */

import type { Frame } from '../capture/types.js';
import {
  type DecodedPacketExt,
  decodeOptions,
  findToaVariant,
  ipCarrierAt,
  isPartialChecksum,
  optionStep,
  TOA_VARIANTS,
  tcpChecksum,
  toaVariantAt,
} from '../decode/index.js';
import { ChecksumStatus, type DecodedPacket, TcpFlag } from '../decode/types.js';

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

export const BREAKS = ['none', 'zero-length', 'length-one', 'overrun', 'no-length', 'truncated'] as const;

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

const NO_TOA = -1;
/** option kinds used by some TOA variant */
const TOA_KINDS = new Set(TOA_VARIANTS.map((v) => v.kind));
/** IANA-assigned kinds seen on ordinary traffic (RFC 9293 registry): never a TOA look-alike */
const STANDARD_KINDS = new Set([
  2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 18, 19, 27, 28, 29, 30, 34, 69,
]);
/** hidden-variant marker: something TOA-shaped is hidden but no (kind, length) match was found */
export const HIDDEN_UNKNOWN = -2;

function nextPow2(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

function mix(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return (h ^ (h >>> 16)) >>> 0;
}

function rd32(b: Buffer, o: number): number {
  return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}

export type DoneReason = 'evicted' | 'reused';

// flow struct: FS uint32 words (64 bytes, one cache line) per flow; the last four words hold two
// float64 timestamps (FD view on the same buffer). The sequence numbers the per-packet checks need
// (SYN / SYN-ACK ISNs, handshake ACK, first data) are copied here so a packet touches one line.
const FS = 16;
const O_HASH = 0;
const O_A = 1;
const O_B = 2;
const O_PORTS = 3;
const O_BITS = 4;
const O_PAB = 5;
const O_PBA = 6;
const O_SYNSEQ = 7;
const O_SYNACKSEQ = 8;
const O_ACKSEQ = 9;
const O_ACKACK = 10;
const O_DATASEQ = 11;
/** float64 index (slot * FD_S + ...) */
const FD_S = FS / 2;
const D_FIRST = 6;
const D_LAST = 7;
// role struct: RS int32 words (64 bytes, one cache line) per role, 4 roles per flow; words 8-9
// hold the float64 timestamp (RD view), bytes 40-59 the first TOA option (RB view): recording a
// role packet touches one line
const RS = 16;
const RD_TS = 4; // float64 index within the role (byte 32)
const RB_TOA = 40; // byte offset within the role
const Q_SEQ = 0;
const Q_ACK = 1;
const Q_PAY = 2;
const Q_RETX = 3;
/** flags | optLen << 8 | optUsed << 16 | break << 24 */
const Q_PACK = 4;
/** role bits | checksum << 8 | toaCount << 16 */
const Q_PACK2 = 5;
const Q_TOAVAR = 6;
const Q_HIDVAR = 7;

/** compare facts: bytes per role (length byte + 40 option bytes, rounded up) and digest words per flow */
const KEEP_OPT = 44;
const DIGEST = 3;
/** payload bytes hashed: short enough that a -s 128 capture still hashes the same bytes */
const DIGEST_BYTES = 48;

const EVICT_SAMPLE = 32;
/** slots allocated up front (more are added by doubling, up to maxFlows) */
const INITIAL_SLOTS = 262_144;

export class FlowTable {
  /** slots allocated so far (arrays are this long) */
  capacity: number;
  readonly maxFlows: number;
  count = 0;
  nextId = 1;
  evicted = 0;

  private F!: Uint32Array;
  private FD!: Float64Array;
  private R!: Int32Array;
  private RD!: Float64Array;
  private RB!: Buffer;
  private ids!: Float64Array;
  /** judged verdict index (VERDICTS), 255 = not judged yet */
  verdict!: Uint8Array;
  private ordPrev!: Int32Array;
  private ordNext!: Int32Array;
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

  /** hash index buckets: (hash & tagMask) | (slot + 1), 0 = empty */
  private index: Int32Array;
  private mask: number;
  /** low bits of a bucket: slot + 1 */
  private readonly slotMask: number;
  /** high bits of a bucket: the same bits of the flow's hash (most probes never read a flow row) */
  private readonly tagMask: number;
  /** every flow in creation order */
  ordHead = -1;
  ordTail = -1;
  private freeList: Int32Array;
  private freeTop = 0;
  /** slots [0, fresh) have been used at least once */
  private fresh = 0;
  /** entries in the hash index */
  private indexed = 0;
  /** FIFO of flows that saw FIN/RST: slot and flow id (stale entries are skipped) */
  private finSlots: Int32Array;
  private finIds: Float64Array;
  private finHead = 0;
  private finLen = 0;

  /** checksum counters for kept packets */
  ckChecked = 0;
  ckBadToServer = 0;
  ckBadToClient = 0;
  ckUnverifiable = 0;

  constructor(
    maxFlows: number,
    private readonly onDone: (slot: number, why: DoneReason) => void,
    initialSlots = INITIAL_SLOTS,
  ) {
    this.maxFlows = Math.max(1, Math.floor(maxFlows));
    // Slot storage: typed arrays are calloc'ed, so the kernel only commits the pages that slots
    // actually touch (slots are handed out in order). Up to INITIAL_SLOTS flows nothing is ever
    // copied; beyond, the columns double (a copy) up to the cap. The hash index grows on its own.
    this.capacity = Math.max(1, Math.min(this.maxFlows, initialSlots));
    this.alloc(this.capacity, 0);
    const isize = nextPow2(Math.min(this.capacity, 32768));
    this.index = new Int32Array(isize);
    this.mask = isize - 1;
    let sb = 1;
    while (sb < 31 && 2 ** sb <= this.maxFlows) sb++;
    this.slotMask = sb >= 31 ? 0x7fffffff : (1 << sb) - 1;
    this.tagMask = ~this.slotMask;
    this.freeList = new Int32Array(this.capacity);
    this.finSlots = new Int32Array(this.capacity);
    this.finIds = new Float64Array(this.capacity);
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

  private alloc(cap: number, old: number): void {
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

  /** double the slot columns (only past INITIAL_SLOTS flows) */
  private growSlots(): void {
    const old = this.capacity;
    const cap = Math.min(this.maxFlows, old * 2);
    this.alloc(cap, old);
    this.capacity = cap;
    const fl = new Int32Array(cap);
    fl.set(this.freeList.subarray(0, this.freeTop));
    this.freeList = fl;
    // the finished FIFO, unrolled into the new arrays
    const fs = new Int32Array(cap);
    const fi = new Float64Array(cap);
    for (let k = 0; k < this.finLen; k++) {
      const j = (this.finHead + k) % this.finSlots.length;
      fs[k] = this.finSlots[j]!;
      fi[k] = this.finIds[j]!;
    }
    this.finSlots = fs;
    this.finIds = fi;
    this.finHead = 0;
  }

  /** double the hash index when it is half full */
  private growIndex(): void {
    const isize = this.index.length * 2;
    this.index = new Int32Array(isize);
    this.mask = isize - 1;
    const F = this.F;
    for (let s = 0; s < this.fresh; s++) {
      const b = F[s * FS + O_BITS]!;
      if (!(b & F_USED) || b & F_DETACHED) continue;
      const h = F[s * FS + O_HASH]!;
      let i = h & this.mask;
      while (this.index[i] !== 0) i = (i + 1) & this.mask;
      this.index[i] = (h & this.tagMask) | (s + 1);
    }
  }

  // ---------------------------------------------------------------- lookup

  /** current packet's orientation: true when the packet's source is endpoint A */
  srcIsA = false;

  /**
   * Packets not tracked because the table was full and they could not start a useful flow (no
   * SYN, no payload, no TOA: the tails of evicted connections).
   */
  untracked = 0;

  /** may a packet of an unknown 5-tuple start a flow? Under a full table only if it says something. */
  private admit(pkt: DecodedPacket): boolean {
    if (this.count < this.maxFlows) return true;
    return (pkt.flags & TcpFlag.SYN) !== 0 || pkt.payloadLength > 0 || pkt.opts.toaCount > 0;
  }

  /**
   * Find or create the flow of a decoded TCP packet; sets `srcIsA`. Returns the slot, or -1 when
   * the table is full and the packet is not worth a new flow (see admit()).
   */
  lookup(buf: Buffer, pkt: DecodedPacket, ts: number): number {
    const sp = pkt.srcPort;
    const dp = pkt.dstPort;
    const F = this.F;
    if (pkt.ipVersion === 4) {
      const s = rd32(buf, pkt.srcAddrOffset);
      const d = rd32(buf, pkt.dstAddrOffset);
      const srcIsA = s < d || (s === d && sp <= dp);
      this.srcIsA = srcIsA;
      const a = srcIsA ? s : d;
      const b = srcIsA ? d : s;
      const ports = srcIsA ? ((sp << 16) | dp) >>> 0 : ((dp << 16) | sp) >>> 0;
      const h = mix((mix(a ^ 0x9e3779b9) + Math.imul(b, 0x85ebca6b) + ports) | 0);
      const mask = this.mask;
      const index = this.index;
      const tagMask = this.tagMask;
      const slotMask = this.slotMask;
      let i = h & mask;
      for (;;) {
        const e = index[i]!;
        if (e === 0) break;
        if (((e ^ h) & tagMask) === 0) {
          const slot = (e & slotMask) - 1;
          const o = slot * FS;
          if (
            F[o + O_A] === a &&
            F[o + O_B] === b &&
            F[o + O_PORTS] === ports &&
            F[o + O_HASH] === h &&
            !(F[o + O_BITS]! & F_V6)
          )
            return slot;
        }
        i = (i + 1) & mask;
      }
      if (!this.admit(pkt)) return -1;
      const slot = this.insert(h, ts);
      const o = slot * FS;
      this.F[o + O_A] = a;
      this.F[o + O_B] = b;
      this.F[o + O_PORTS] = ports;
      return slot;
    }
    // IPv6
    const so = pkt.srcAddrOffset;
    const dO = pkt.dstAddrOffset;
    let cmp = 0;
    for (let k = 0; k < 16; k++) {
      const x = buf[so + k]! - buf[dO + k]!;
      if (x !== 0) {
        cmp = x;
        break;
      }
    }
    const srcIsA = cmp < 0 || (cmp === 0 && sp <= dp);
    this.srcIsA = srcIsA;
    const ao = srcIsA ? so : dO;
    const bo = srcIsA ? dO : so;
    const ports = srcIsA ? ((sp << 16) | dp) >>> 0 : ((dp << 16) | sp) >>> 0;
    let h = 0x6a09e667 ^ ports;
    for (let k = 0; k < 16; k += 4) {
      h = mix((h + rd32(buf, ao + k)) | 0);
      h = mix((h ^ rd32(buf, bo + k)) | 0);
    }
    h = mix(h ^ 0x3c6ef372);
    const mask = this.mask;
    const index = this.index;
    const tagMask = this.tagMask;
    const slotMask = this.slotMask;
    let i = h & mask;
    for (;;) {
      const e = index[i]!;
      if (e === 0) break;
      if (((e ^ h) & tagMask) !== 0) {
        i = (i + 1) & mask;
        continue;
      }
      const slot = (e & slotMask) - 1;
      const o = slot * FS;
      if (F[o + O_HASH] === h && F[o + O_PORTS] === ports && F[o + O_BITS]! & F_V6) {
        const v6 = this.v6!;
        const base = slot * 32;
        let same = true;
        for (let k = 0; k < 16; k++) {
          if (v6[base + k] !== buf[ao + k] || v6[base + 16 + k] !== buf[bo + k]) {
            same = false;
            break;
          }
        }
        if (same) return slot;
      }
      i = (i + 1) & mask;
    }
    if (!this.admit(pkt)) return -1;
    const slot = this.insert(h, ts);
    if (!this.v6) this.v6 = Buffer.alloc(this.capacity * 32); // committed page by page as used
    const v6 = this.v6;
    const base = slot * 32;
    for (let k = 0; k < 16; k++) {
      v6[base + k] = buf[ao + k]!;
      v6[base + 16 + k] = buf[bo + k]!;
    }
    const o = slot * FS;
    this.F[o + O_BITS] = this.F[o + O_BITS]! | F_V6;
    this.F[o + O_PORTS] = ports;
    this.F[o + O_A] = 0;
    this.F[o + O_B] = 0;
    return slot;
  }

  private insert(h: number, ts: number): number {
    let slot: number;
    if (this.freeTop > 0) slot = this.freeList[--this.freeTop]!;
    else if (this.fresh < this.capacity) slot = this.fresh++;
    else if (this.capacity < this.maxFlows) {
      this.growSlots();
      slot = this.fresh++;
    } else {
      this.evictOne(ts);
      slot = this.freeList[--this.freeTop]!;
    }
    // load factor up to 0.7: a smaller index stays in cache (linear probing is still short)
    if ((this.indexed + 1) * 10 > this.index.length * 7) this.growIndex();
    this.indexed++;
    this.count++;
    this.F[slot * FS + O_HASH] = h;
    this.initSlot(slot, ts);
    let i = h & this.mask;
    while (this.index[i] !== 0) i = (i + 1) & this.mask;
    this.index[i] = (h & this.tagMask) | (slot + 1);
    this.ordPrev[slot] = this.ordTail;
    this.ordNext[slot] = -1;
    if (this.ordTail >= 0) this.ordNext[this.ordTail] = slot;
    else this.ordHead = slot;
    this.ordTail = slot;
    return slot;
  }

  /** reset a slot's per-connection state (keeps key, hash, list links) */
  private initSlot(slot: number, ts: number): void {
    const o = slot * FS;
    this.F[o + O_BITS] = F_USED;
    this.F[o + O_PAB] = 0;
    this.F[o + O_PBA] = 0;
    this.ids[slot] = this.nextId++;
    this.FD[slot * FD_S + D_FIRST] = ts;
    this.FD[slot * FD_S + D_LAST] = ts;
    // role columns are not reset: a role's facts are only read when its F_HAS_* bit is set, and
    // record() writes all of them
    if (this.extras.size) this.extras.delete(slot);
    if (this.shaped.size) this.shaped.delete(slot);
  }

  private evictOne(now: number): void {
    let victim = -1;
    // 1. the oldest flow that saw FIN/RST
    while (this.finLen > 0) {
      const s = this.finSlots[this.finHead]!;
      const id = this.finIds[this.finHead]!;
      this.finHead = (this.finHead + 1) % this.finSlots.length;
      this.finLen--;
      if (this.ids[s] === id && this.F[s * FS + O_BITS]! & F_USED) {
        victim = s;
        break;
      }
    }
    // 2. the least recently active among the oldest-created flows
    if (victim < 0) {
      let best = Number.POSITIVE_INFINITY;
      let s = this.ordHead;
      for (let k = 0; k < EVICT_SAMPLE && s >= 0; k++, s = this.ordNext[s]!) {
        const last = this.FD[s * FD_S + D_LAST]!;
        if (last < best) {
          best = last;
          victim = s;
        }
      }
    }
    void now;
    this.evicted++;
    this.onDone(victim, 'evicted');
    this.remove(victim);
  }

  /** take a flow out of the hash index (backward-shift deletion) */
  private unindex(slot: number): void {
    this.indexed--;
    const mask = this.mask;
    const index = this.index;
    const F = this.F;
    const slotMask = this.slotMask;
    let i = F[slot * FS + O_HASH]! & mask;
    while ((index[i]! & slotMask) !== slot + 1) i = (i + 1) & mask;
    index[i] = 0;
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      const e = index[j]!;
      if (e === 0) break;
      const k = F[((e & slotMask) - 1) * FS + O_HASH]! & mask;
      // move e back to i unless its home k lies cyclically in (i, j]
      const inRange = i <= j ? k > i && k <= j : k > i || k <= j;
      if (!inRange) {
        index[i] = e;
        index[j] = 0;
        i = j;
      }
    }
  }

  /** remove a flow: hash index, creation list, free list */
  remove(slot: number): void {
    const F = this.F;
    if (!(F[slot * FS + O_BITS]! & F_DETACHED)) this.unindex(slot);
    const p = this.ordPrev[slot]!;
    const n = this.ordNext[slot]!;
    if (p >= 0) this.ordNext[p] = n;
    else this.ordHead = n;
    if (n >= 0) this.ordPrev[n] = p;
    else this.ordTail = p;
    F[slot * FS + O_BITS] = 0;
    if (this.extras.size) this.extras.delete(slot);
    if (this.shaped.size) this.shaped.delete(slot);
    this.freeList[this.freeTop++] = slot;
    this.count--;
  }

  private keyScratch = Buffer.alloc(32);

  /**
   * A new connection on the 5-tuple of `slot`: the old flow leaves the hash index (it stays in the
   * table, finished, until the end or eviction) and a new slot with the same key takes its place.
   */
  private restart(slot: number, ts: number): number {
    const F = this.F;
    const o = slot * FS;
    const h = F[o + O_HASH]!;
    const a = F[o + O_A]!;
    const b = F[o + O_B]!;
    const ports = F[o + O_PORTS]!;
    const v6 = F[o + O_BITS]! & F_V6;
    if (v6) this.v6!.copy(this.keyScratch, 0, slot * 32, slot * 32 + 32);
    this.unindex(slot);
    F[o + O_BITS] = F[o + O_BITS]! | F_DETACHED;
    this.markFinished(slot);
    const ns = this.insert(h, ts);
    const n = ns * FS;
    this.F[n + O_A] = a;
    this.F[n + O_B] = b;
    this.F[n + O_PORTS] = ports;
    if (v6) {
      this.F[n + O_BITS] = this.F[n + O_BITS]! | F_V6;
      this.keyScratch.copy(this.v6!, ns * 32, 0, 32);
    }
    return ns;
  }

  private markFinished(slot: number): void {
    const o = slot * FS + O_BITS;
    if (this.F[o]! & F_IN_FINISHED) return;
    this.F[o] = this.F[o]! | F_IN_FINISHED;
    if (this.finLen >= this.finSlots.length) {
      // full of stale entries: drop the oldest
      this.finHead = (this.finHead + 1) % this.finSlots.length;
      this.finLen--;
    }
    const j = (this.finHead + this.finLen) % this.finSlots.length;
    this.finSlots[j] = slot;
    this.finIds[j] = this.ids[slot]!;
    this.finLen++;
  }

  // ---------------------------------------------------------------- per-packet update

  /** Account one decoded TCP packet (status OK) to its flow. */
  packet(frame: Frame, pkt: DecodedPacketExt, ts: number): void {
    const buf = frame.buf;
    let slot = this.lookup(buf, pkt, ts);
    if (slot < 0) {
      this.untracked++;
      return;
    }
    const fromA = this.srcIsA;
    const flags = pkt.flags;
    const syn = (flags & TcpFlag.SYN) !== 0;
    const ackf = (flags & TcpFlag.ACK) !== 0;
    let F = this.F;
    let R = this.R;
    let fo = slot * FS;
    let bits = F[fo + O_BITS]!;
    let base = slot * 4;
    let rb = base * RS;

    // A new connection on a reused 5-tuple: a pure SYN with another ISN, or a SYN after the
    // connection was established. The old one is judged first.
    if (syn && !ackf && (bits & (F_HAS_SYN | F_HAS_ACK | F_HAS_DATA | F_FIN | F_RST)) !== 0) {
      const clientIsA = (bits & F_CLIENT_B) === 0;
      const sameSyn =
        (bits & F_HAS_SYN) !== 0 &&
        F[fo + O_SYNSEQ] === pkt.seq &&
        (bits & F_CLIENT_KNOWN) !== 0 &&
        clientIsA === fromA;
      if (!sameSyn) {
        // keep the old connection (listed and judged at the end, or evicted first), start a new one
        slot = this.restart(slot, ts);
        F = this.F; // insert() may have grown the arrays
        R = this.R;
        fo = slot * FS;
        base = slot * 4;
        rb = base * RS;
        bits = F[fo + O_BITS]!;
      }
    }

    const FD = this.FD;
    const fd = slot * FD_S;
    if (ts > FD[fd + D_LAST]!) FD[fd + D_LAST] = ts;
    else if (ts < FD[fd + D_FIRST]!) FD[fd + D_FIRST] = ts;
    if (fromA) F[fo + O_PAB] = F[fo + O_PAB]! + 1;
    else F[fo + O_PBA] = F[fo + O_PBA]! + 1;

    const opts = pkt.opts;
    const pay = pkt.payloadLength;

    // who is the client
    if ((bits & F_CLIENT_KNOWN) === 0) {
      if (syn) {
        // SYN sender, or the receiver of a SYN-ACK
        const clientIsA = ackf ? !fromA : fromA;
        bits |= F_CLIENT_KNOWN | F_RULE_SYN | (clientIsA ? 0 : F_CLIENT_B);
      } else if (opts.toaCount > 0) {
        bits |= F_CLIENT_KNOWN | F_RULE_TOA | (fromA ? 0 : F_CLIENT_B);
      } else {
        if (pay > 0) bits |= F_ANY_DATA;
        if ((flags & TcpFlag.FIN) !== 0) bits |= F_FIN;
        if ((flags & TcpFlag.RST) !== 0) bits |= F_RST;
        F[fo + O_BITS] = bits;
        if ((flags & (TcpFlag.FIN | TcpFlag.RST)) !== 0) this.markFinished(slot);
        return;
      }
    }
    const fromClient = ((bits & F_CLIENT_B) === 0) === fromA;

    if (fromClient) {
      if (syn && !ackf) {
        if ((bits & F_HAS_SYN) === 0) {
          bits |= F_HAS_SYN;
          if (pay > 0 || opts.hasTfo) bits |= F_TFO;
          if (pay > 0) bits |= F_TFO_DATA;
          F[fo + O_BITS] = bits;
          this.record(slot, ROLE_SYN, frame, pkt, ts, true);
          bits = F[fo + O_BITS]!;
        } else if (F[fo + O_SYNSEQ] === pkt.seq) {
          R[rb + Q_RETX] = R[rb + Q_RETX]! + 1;
        }
      } else if (!syn) {
        let isAck = false;
        const ra = rb + ROLE_ACK * RS;
        if (ackf) {
          if ((bits & F_HAS_ACK) === 0) {
            if ((bits & F_HAS_SYNACK) !== 0) {
              if (pkt.ack === (R[rb + ROLE_SYNACK * RS + Q_SEQ]! + 1) >>> 0) isAck = true;
              else if ((bits & F_HAS_DATA) === 0) bits |= F_ACK_MISSED;
            } else if (
              (bits & F_HAS_SYN) !== 0 &&
              (bits & (F_ACK_MISSED | F_HAS_DATA)) === 0 &&
              pkt.seq === (R[rb + Q_SEQ]! + 1 + ((bits & F_TFO) !== 0 ? R[rb + Q_PAY]! : 0)) >>> 0
            ) {
              // one-direction capture: the first client ACK right after the SYN
              isAck = true;
              bits |= F_ACK_INFERRED;
            }
            if (isAck) {
              bits |= F_HAS_ACK;
              F[fo + O_BITS] = bits;
              this.record(slot, ROLE_ACK, frame, pkt, ts, true);
              bits = F[fo + O_BITS]!;
            }
          } else if (pay === 0 && pkt.seq === F[fo + O_ACKSEQ] && pkt.ack === F[fo + O_ACKACK]) {
            R[ra + Q_RETX] = R[ra + Q_RETX]! + 1;
            isAck = true; // a duplicate of the handshake ACK
          }
        }
        if (pay > 0) {
          const rd = rb + ROLE_DATA * RS;
          if ((bits & F_HAS_DATA) === 0) {
            bits |= F_HAS_DATA | F_ANY_DATA;
            F[fo + O_BITS] = bits;
            this.record(slot, ROLE_DATA, frame, pkt, ts, true);
            bits = F[fo + O_BITS]!;
          } else if (pkt.seq === F[fo + O_DATASEQ]) {
            R[rd + Q_RETX] = R[rd + Q_RETX]! + 1;
          } else if (opts.toaCount > 0) {
            F[fo + O_BITS] = bits;
            this.laterToa(slot, buf, pkt);
            bits = F[fo + O_BITS]!;
          }
        } else if (!isAck && opts.toaCount > 0) {
          F[fo + O_BITS] = bits;
          this.laterToa(slot, buf, pkt);
          bits = F[fo + O_BITS]!;
        }
      }
    } else {
      // server → client
      if (syn && ackf) {
        const rs = rb + ROLE_SYNACK * RS;
        if ((bits & F_HAS_SYNACK) === 0) {
          bits |= F_HAS_SYNACK;
          F[fo + O_BITS] = bits;
          this.record(slot, ROLE_SYNACK, frame, pkt, ts, false);
          bits = F[fo + O_BITS]!;
        } else if (F[fo + O_SYNACKSEQ] === pkt.seq) {
          R[rs + Q_RETX] = R[rs + Q_RETX]! + 1;
        }
      }
      if (pay > 0 && !syn) {
        if ((bits & F_ANY_DATA) === 0) bits |= F_SERVER_FIRST;
        bits |= F_ANY_DATA;
      }
      if (opts.toaCount > 0) bits |= F_TOA_TO_CLIENT;
    }
    if ((flags & TcpFlag.FIN) !== 0) bits |= F_FIN;
    if ((flags & TcpFlag.RST) !== 0) bits |= F_RST;
    F[fo + O_BITS] = bits;
    if ((flags & (TcpFlag.FIN | TcpFlag.RST)) !== 0) this.markFinished(slot);
  }

  /** keep the facts of one role packet */
  private record(
    slot: number,
    role: number,
    frame: Frame,
    pkt: DecodedPacketExt,
    ts: number,
    toServer: boolean,
  ): void {
    const i = slot * 4 + role;
    const q = i * RS;
    const R = this.R;
    const o = pkt.opts;
    const buf = frame.buf;
    this.RD[i * (RS / 2) + RD_TS] = ts;
    R[q + Q_SEQ] = pkt.seq | 0;
    R[q + Q_ACK] = pkt.ack | 0;
    const fo = slot * FS;
    if (role === ROLE_SYN) this.F[fo + O_SYNSEQ] = pkt.seq;
    else if (role === ROLE_SYNACK) this.F[fo + O_SYNACKSEQ] = pkt.seq;
    else if (role === ROLE_ACK) {
      this.F[fo + O_ACKSEQ] = pkt.seq;
      this.F[fo + O_ACKACK] = pkt.ack;
    } else this.F[fo + O_DATASEQ] = pkt.seq;
    R[q + Q_PAY] = pkt.payloadLength;
    R[q + Q_RETX] = 0;
    R[q + Q_PACK] =
      (pkt.flags & 0xff) |
      ((o.optionAreaLength & 0xff) << 8) |
      ((o.optionBytesUsed & 0xff) << 16) |
      (breakIndex(o.breakReason) << 24);
    let rb = 0;
    if (o.hasTfo || (role === ROLE_SYN && pkt.payloadLength > 0)) rb |= R_TFO;
    if (o.toaCount > 1) rb |= R_DUP;
    // The checksum is verified on the SYN, SYN-ACK and handshake ACK (small packets), and on the
    // first data segment only when it carries a TOA: summing every first request is the most
    // expensive thing the flow table would do, and only a TOA-carrying packet's checksum matters.
    const ck =
      role !== ROLE_DATA || o.toaCount > 0 || o.toaAfterEol || o.toaAfterBreak
        ? tcpChecksum(frame, pkt)
        : ChecksumStatus.NOT_CHECKED;
    if (ck !== ChecksumStatus.NOT_CHECKED) this.ckChecked++;
    if (ck === ChecksumStatus.BAD) {
      if (isPartialChecksum(frame, pkt)) rb |= R_CK_PARTIAL;
      if (toServer) this.ckBadToServer++;
      else this.ckBadToClient++;
    } else if (ck === ChecksumStatus.UNVERIFIABLE) this.ckUnverifiable++;
    // first client TOA (or, when none, the first VIP/VPC extension)
    let toaVariant = o.toaVariant;
    let toaOffset = o.toaOffset;
    if (toaVariant < 0 && o.hasTfo && role !== ROLE_SYN && o.toaAfterEol === false) {
      // A 254/8 or 254/20 option whose first data bytes are 0xF989 is a TFO cookie to tcpdump and
      // to the decoder, but a TOA with client port 63881 to the RS modules (they match (kind,
      // length) only), and TFO options never ride on non-SYN packets: count it as a TOA.
      const at = this.tfoLookalike(buf, pkt);
      if (at >= 0) {
        toaVariant = findToaVariant(254, buf[at + 1]!);
        toaOffset = at;
        rb |= R_TFO_LOOKALIKE;
      }
    }
    // a client address in the IP header (TTGW: IPv4 option 31, IPv6 destination option 31) is read
    // before any TCP option: it becomes the role's first sighting, the TCP TOAs follow as extras
    let tcpToaAfterCarrier = false;
    if (pkt.ipHeaderLength > (pkt.ipVersion === 4 ? 20 : 40)) {
      const c = ipCarrierAt(buf, pkt, pkt.capturedEnd);
      if (c) {
        tcpToaAfterCarrier = toaVariant >= 0;
        toaVariant = c.variant;
        toaOffset = c.offset;
      }
    }
    R[q + Q_TOAVAR] = toaVariant;
    if (toaVariant >= 0) {
      const len = TOA_VARIANTS[toaVariant]!.length;
      const end = Math.min(toaOffset + len, pkt.capturedEnd);
      const tb = this.RB;
      const dst = q * 4 + RB_TOA;
      const n = Math.min(end, toaOffset + INLINE_TOA) - toaOffset;
      for (let k = 0; k < n; k++) tb[dst + k] = buf[toaOffset + k]!;
      if (len > INLINE_TOA)
        this.addExtra(slot, {
          role,
          variant: toaVariant,
          bytes: Buffer.from(buf.subarray(toaOffset, end)),
          primary: true,
        });
      if (tcpToaAfterCarrier) this.moreToa(slot, role, buf, pkt, -1);
      else if (o.toaCount + o.toaExtCount > 1) {
        if (o.toaCount > 1) this.F[slot * FS + O_BITS] = this.F[slot * FS + O_BITS]! | F_DUP_TOA;
        this.moreToa(slot, role, buf, pkt, toaVariant);
      }
    }
    // a client TOA the module's parser never reaches: behind EOL, or behind the point where the
    // list broke (the decoder's resync scan), or the list broke AT a TOA-kind option
    let hv = NO_TOA;
    if (o.toaAfterEol) {
      rb |= R_TOA_AFTER_EOL;
      hv = HIDDEN_UNKNOWN;
      const p = o.toaAfterEolOffset;
      if (p >= 0) {
        const v = toaVariantAt(buf, p, buf[p]!, buf[p + 1]!);
        if (v >= 0) hv = v;
      }
    } else if (o.toaAfterBreak && o.toaAfterBreakOffset >= 0) {
      rb |= R_TOA_AFTER_BREAK;
      const p = o.toaAfterBreakOffset;
      const v = toaVariantAt(buf, p, buf[p]!, buf[p + 1]!);
      hv = v >= 0 ? v : HIDDEN_UNKNOWN;
    } else if (o.breakReason !== 'none' && o.breakReason !== 'truncated' && o.breakOffset >= 0) {
      if (TOA_KINDS.has(buf[o.breakOffset]!)) {
        rb |= R_TOA_AFTER_BREAK;
        hv = HIDDEN_UNKNOWN;
      }
    }
    if (hv >= 0 && !TOA_VARIANTS[hv]!.carriesClient) {
      hv = NO_TOA;
      rb &= ~(R_TOA_AFTER_EOL | R_TOA_AFTER_BREAK);
    }
    if (hv >= 0) {
      // keep the unreachable option's bytes so reports can still show whom it names
      const p = o.toaAfterEol ? o.toaAfterEolOffset : o.toaAfterBreakOffset;
      const len = TOA_VARIANTS[hv]!.length;
      if (p >= 0 && p + len <= pkt.capturedEnd)
        this.addExtra(slot, {
          role,
          variant: hv,
          bytes: Buffer.from(buf.subarray(p, p + len)),
          primary: false,
          hidden: true,
        });
    }
    R[q + Q_HIDVAR] = hv;
    R[q + Q_PACK2] = rb | (ck << 8) | ((o.toaCount & 0xff) << 16);
    if (this.optKeep) this.keepFacts(slot, i, role, buf, pkt);
    if (toaVariant < 0 && role !== ROLE_SYNACK && role !== ROLE_DATA && o.optionAreaLength >= 8) {
      const at = this.unknownShaped(buf, pkt);
      if (at >= 0 && !this.shaped.has(slot))
        this.shaped.set(slot, Buffer.from(buf.subarray(at, at + buf[at + 1]!)));
    }
  }

  /** compare's facts of one role packet (only when keepCompareFacts() was called) */
  private keepFacts(slot: number, i: number, role: number, buf: Buffer, pkt: DecodedPacket): void {
    const k = this.optKeep!;
    const [start, end] = this.optArea(pkt);
    const n = Math.max(0, Math.min(end - start, KEEP_OPT - 1));
    const o = i * KEEP_OPT;
    k[o] = n;
    for (let j = 0; j < n; j++) k[o + 1 + j] = buf[start + j]!;
    if (role !== ROLE_DATA) return;
    // two independent 32-bit hashes (FNV-1a and a multiply-xorshift) of the first DIGEST_BYTES
    // payload bytes: 64 bits, so 100,000 connections with different requests do not collide
    const p0 = pkt.tcpOffset + pkt.dataOffset * 4;
    const m = Math.max(0, Math.min(pkt.capturedEnd - p0, pkt.payloadLength, DIGEST_BYTES));
    let h1 = 0x811c9dc5;
    let h2 = 0x9e3779b9 ^ m;
    for (let j = 0; j < m; j++) {
      const b = buf[p0 + j]!;
      h1 = Math.imul(h1 ^ b, 0x01000193);
      h2 = Math.imul(h2 ^ b, 0x5bd1e995);
      h2 ^= h2 >>> 15;
    }
    const d = this.payDigest!;
    d[slot * DIGEST] = h1 >>> 0;
    d[slot * DIGEST + 1] = h2 >>> 0;
    d[slot * DIGEST + 2] = m;
  }

  /**
   * Offset of the first option whose kind no TOA row and no standard option uses and whose length
   * fits a TOA (8: port + IPv4, 20: port + IPv6), walking as the modules do; -1 if none. Only run for
   * a SYN / handshake ACK that carries no known client TOA (rare).
   */
  private unknownShaped(buf: Buffer, pkt: DecodedPacket): number {
    const [start, end] = this.optArea(pkt);
    for (let p = start; ; ) {
      const n = optionStep(buf, p, end, end);
      if (n < 0 || buf[p] === 0) return -1;
      const k = buf[p]!;
      if ((n === 8 || n === 20) && k !== 1 && !STANDARD_KINDS.has(k) && findToaVariant(k, n) < 0) return p;
      p += n;
    }
  }

  /** option area [start, end) of the packet (captured part only) */
  private optArea(pkt: DecodedPacket): [number, number] {
    const start = pkt.tcpOffset + 20;
    const end = Math.min(start + pkt.opts.optionAreaLength, pkt.capturedEnd);
    return [start, end];
  }

  /** offset of a 254/8 or 254/20 option starting 0xF989 before any break, or -1 (rare path) */
  private tfoLookalike(buf: Buffer, pkt: DecodedPacket): number {
    const [start, end] = this.optArea(pkt);
    let p = start;
    while (p < end) {
      const k = buf[p]!;
      if (k === 0) return -1;
      if (k === 1) {
        p++;
        continue;
      }
      if (p + 1 >= end) return -1;
      const len = buf[p + 1]!;
      if (len < 2 || p + len > end) return -1;
      if (k === 254 && (len === 8 || len === 20) && buf[p + 2] === 0xf9 && buf[p + 3] === 0x89) return p;
      p += len;
    }
    return -1;
  }

  /** the 2nd.. TOA-table matches of one packet (rare: decode the whole list) */
  private moreToa(slot: number, role: number, buf: Buffer, pkt: DecodedPacket, firstVariant: number): void {
    const [start, end] = this.optArea(pkt);
    const d = decodeOptions(buf, start, pkt.opts.optionAreaLength, end);
    // firstVariant -1: the first sighting is not a TCP option (an IP carrier), keep every TCP TOA
    const firstId = firstVariant >= 0 ? TOA_VARIANTS[firstVariant]!.id : null;
    let skipped = firstId === null;
    for (const opt of d.options) {
      if (!opt.toa) continue;
      if (!skipped && opt.toa.variant === firstId) {
        // the decoder's summary already holds this one
        skipped = true;
        continue;
      }
      const v = findToaVariant(opt.kind, opt.length);
      if (v < 0) continue;
      this.addExtra(slot, { role, variant: v, bytes: Buffer.from(opt.raw, 'hex'), primary: false });
    }
  }

  private addExtra(slot: number, e: ExtraSighting): void {
    let list = this.extras.get(slot);
    if (!list) {
      list = [];
      this.extras.set(slot, list);
      this.F[slot * FS + O_BITS] = this.F[slot * FS + O_BITS]! | F_EXTRAS;
    }
    if (list.length < MAX_EXTRAS || e.primary) list.push(e);
  }

  /** a TOA on a later client packet: keep it when it differs from what the roles already hold */
  private laterToa(slot: number, buf: Buffer, pkt: DecodedPacket): void {
    const o = pkt.opts;
    if (o.toaVariant < 0) return;
    const len = TOA_VARIANTS[o.toaVariant]!.length;
    const end = Math.min(o.toaOffset + len, pkt.capturedEnd);
    const n = end - o.toaOffset;
    const tb = this.RB;
    // same as a role's first TOA?
    const bits = this.F[slot * FS + O_BITS]!;
    for (let r = 0; r < 4; r++) {
      const i = slot * 4 + r;
      if (!(bits & (F_HAS_SYN << r)) || this.R[i * RS + Q_TOAVAR] !== o.toaVariant || n > INLINE_TOA)
        continue;
      let same = true;
      for (let k = 0; k < n; k++) {
        if (tb[i * RS * 4 + RB_TOA + k] !== buf[o.toaOffset + k]) {
          same = false;
          break;
        }
      }
      if (same) return;
    }
    const list = this.extras.get(slot);
    if (list) {
      for (const e of list) {
        if (
          !e.hidden &&
          e.variant === o.toaVariant &&
          e.bytes.length === n &&
          buf.compare(e.bytes, 0, n, o.toaOffset, end) === 0
        )
          return;
      }
      if (list.length >= MAX_EXTRAS) return;
    }
    this.addExtra(slot, {
      role: ROLE_LATER,
      variant: o.toaVariant,
      bytes: Buffer.from(buf.subarray(o.toaOffset, end)),
      primary: false,
    });
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

function breakIndex(b: string): number {
  switch (b) {
    case 'none':
      return 0;
    case 'zero-length':
      return 1;
    case 'length-one':
      return 2;
    case 'overrun':
      return 3;
    case 'no-length':
      return 4;
    case 'truncated':
      return 5;
    default:
      return 0;
  }
}
