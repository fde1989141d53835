/**
 * The bounded flow table. Flows are keyed by the 5-tuple with both directions joined (canonical
 * order: the lower (address, port) endpoint is "A"). Storage is struct-of-arrays in typed arrays
 * (no object per flow, no object per packet): a flow is a slot index. A custom open-addressing hash
 * (linear probing, backward-shift deletion) maps the tuple to the slot: IPv4 tuples are compared as
 * three uint32 numbers, IPv6 tuples against a 32-byte address pool.
 *
 * Per flow it keeps the facts of four packets (SYN, SYN-ACK, handshake-completing ACK, first client
 * data: the "roles"), the first TOA sighting of each, retransmission counts, FIN/RST, TFO and
 * server-speaks-first; extra TOA sightings (a second TOA on one packet, TOA on later packets) go to
 * a small side map, capped per flow.
 *
 * Eviction at the hard cap: the oldest FINISHED flow (FIN/RST seen) first, else the least recently
 * active flow (the most idle one). The owner gets `onDone(slot)` before a slot is reused, so the
 * verdict of an evicted flow is still counted.
 */
import {
  type DecodedPacketExt,
  decodeOptions,
  findToaVariant,
  TOA_VARIANTS,
  tcpChecksum,
  toaVariantAt,
} from '../decode/index.js';
import { ChecksumStatus, type DecodedPacket, TcpFlag } from '../decode/types.js';
import type { Frame } from '../capture/types.js';

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

// role bits
export const R_TOA_AFTER_EOL = 1;
export const R_TOA_AFTER_BREAK = 2;
export const R_TFO = 4;
export const R_DUP = 8;

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
}

const NO_TOA = -1;
/** option kinds used by some TOA variant */
const TOA_KINDS = new Set(TOA_VARIANTS.map((v) => v.kind));
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

export class FlowTable {
  /** slots allocated so far (arrays are this long) */
  capacity: number;
  readonly maxFlows: number;
  count = 0;
  nextId = 1;
  evicted = 0;

  // ---------------------------------------------------------------- flow-level columns
  bits!: Uint32Array;
  addrA!: Uint32Array;
  addrB!: Uint32Array;
  ports!: Uint32Array;
  hashv!: Uint32Array;
  id!: Float64Array;
  firstTs!: Float64Array;
  lastTs!: Float64Array;
  pktAB!: Uint32Array;
  pktBA!: Uint32Array;
  /** judged verdict index (VERDICTS), 255 = not judged yet */
  verdict!: Uint8Array;
  lruPrev!: Int32Array;
  lruNext!: Int32Array;
  ordPrev!: Int32Array;
  ordNext!: Int32Array;
  /** IPv6 addresses: 32 bytes per slot (A then B), allocated when the first IPv6 flow appears */
  v6: Buffer | null = null;

  // ---------------------------------------------------------------- role columns (slot*4 + role)
  rTs!: Float64Array;
  rSeq!: Uint32Array;
  rAck!: Uint32Array;
  rFlags!: Uint8Array;
  rPay!: Uint32Array;
  rOptLen!: Uint8Array;
  rOptUsed!: Uint8Array;
  rBreak!: Uint8Array;
  rBits!: Uint8Array;
  rCk!: Uint8Array;
  rRetx!: Uint32Array;
  rToaN!: Uint8Array;
  rToaVar!: Int16Array;
  rHidVar!: Int16Array;
  rToaBytes!: Buffer;

  extras = new Map<number, ExtraSighting[]>();

  // ---------------------------------------------------------------- hash index
  private index: Int32Array;
  private mask: number;

  // ---------------------------------------------------------------- lists
  /** active flows by last activity (head = least recent) */
  lruHead = -1;
  lruTail = -1;
  /** finished flows (FIN/RST) by last activity */
  finHead = -1;
  finTail = -1;
  /** every flow in creation order */
  ordHead = -1;
  ordTail = -1;
  private freeList: Int32Array;
  private freeTop = 0;

  /** checksum counters for kept packets */
  ckChecked = 0;
  ckBadToServer = 0;
  ckBadToClient = 0;
  ckUnverifiable = 0;

  constructor(
    maxFlows: number,
    private readonly onDone: (slot: number, why: DoneReason) => void,
    initialCapacity = 4096,
  ) {
    this.maxFlows = Math.max(1, Math.floor(maxFlows));
    this.capacity = Math.min(this.maxFlows, initialCapacity);
    this.alloc(this.capacity, 0);
    const isize = nextPow2(this.capacity * 2);
    this.index = new Int32Array(isize);
    this.mask = isize - 1;
    this.freeList = new Int32Array(this.capacity);
    for (let i = 0; i < this.capacity; i++) this.freeList[i] = this.capacity - 1 - i;
    this.freeTop = this.capacity;
  }

  private alloc(cap: number, old: number): void {
    const f64 = (a: Float64Array | undefined) => {
      const n = new Float64Array(cap);
      if (a && old) n.set(a.subarray(0, old));
      return n;
    };
    const u32 = (a: Uint32Array | undefined, mul = 1) => {
      const n = new Uint32Array(cap * mul);
      if (a && old) n.set(a.subarray(0, old * mul));
      return n;
    };
    const i32 = (a: Int32Array | undefined) => {
      const n = new Int32Array(cap);
      if (a && old) n.set(a.subarray(0, old));
      return n;
    };
    const u8 = (a: Uint8Array | undefined, mul = 1) => {
      const n = new Uint8Array(cap * mul);
      if (a && old) n.set(a.subarray(0, old * mul));
      return n;
    };
    const i16 = (a: Int16Array | undefined, mul = 1) => {
      const n = new Int16Array(cap * mul);
      if (a && old) n.set(a.subarray(0, old * mul));
      return n;
    };
    this.bits = u32(this.bits);
    this.addrA = u32(this.addrA);
    this.addrB = u32(this.addrB);
    this.ports = u32(this.ports);
    this.hashv = u32(this.hashv);
    this.id = f64(this.id);
    this.firstTs = f64(this.firstTs);
    this.lastTs = f64(this.lastTs);
    this.pktAB = u32(this.pktAB);
    this.pktBA = u32(this.pktBA);
    this.verdict = u8(this.verdict);
    this.lruPrev = i32(this.lruPrev);
    this.lruNext = i32(this.lruNext);
    this.ordPrev = i32(this.ordPrev);
    this.ordNext = i32(this.ordNext);
    if (this.v6) {
      const n = Buffer.alloc(cap * 32);
      this.v6.copy(n, 0, 0, old * 32);
      this.v6 = n;
    }
    const r = (a: Float64Array | undefined) => {
      const n = new Float64Array(cap * 4);
      if (a && old) n.set(a.subarray(0, old * 4));
      return n;
    };
    this.rTs = r(this.rTs);
    this.rSeq = u32(this.rSeq, 4);
    this.rAck = u32(this.rAck, 4);
    this.rFlags = u8(this.rFlags, 4);
    this.rPay = u32(this.rPay, 4);
    this.rOptLen = u8(this.rOptLen, 4);
    this.rOptUsed = u8(this.rOptUsed, 4);
    this.rBreak = u8(this.rBreak, 4);
    this.rBits = u8(this.rBits, 4);
    this.rCk = u8(this.rCk, 4);
    this.rRetx = u32(this.rRetx, 4);
    this.rToaN = u8(this.rToaN, 4);
    this.rToaVar = i16(this.rToaVar, 4);
    this.rHidVar = i16(this.rHidVar, 4);
    const tb = Buffer.alloc(cap * 4 * INLINE_TOA);
    if (this.rToaBytes && old) this.rToaBytes.copy(tb, 0, 0, old * 4 * INLINE_TOA);
    this.rToaBytes = tb;
  }

  private grow(): void {
    const old = this.capacity;
    const cap = Math.min(this.maxFlows, old * 2);
    this.alloc(cap, old);
    this.capacity = cap;
    const fl = new Int32Array(cap);
    fl.set(this.freeList.subarray(0, this.freeTop));
    let top = this.freeTop;
    for (let i = cap - 1; i >= old; i--) fl[top++] = i;
    this.freeList = fl;
    this.freeTop = top;
    const isize = nextPow2(cap * 2);
    if (isize !== this.index.length) {
      this.index = new Int32Array(isize);
      this.mask = isize - 1;
      for (let s = 0; s < old; s++) {
        if (!(this.bits[s]! & F_USED)) continue;
        let i = this.hashv[s]! & this.mask;
        while (this.index[i] !== 0) i = (i + 1) & this.mask;
        this.index[i] = s + 1;
      }
    }
  }

  // ---------------------------------------------------------------- lookup

  /** current packet's orientation: true when the packet's source is endpoint A */
  srcIsA = false;

  /**
   * Find or create the flow of a decoded TCP packet; sets `srcIsA`. Returns the slot.
   */
  lookup(buf: Buffer, pkt: DecodedPacket, ts: number): number {
    const sp = pkt.srcPort;
    const dp = pkt.dstPort;
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
      let i = h & mask;
      for (;;) {
        const e = index[i]!;
        if (e === 0) break;
        const slot = e - 1;
        if (
          this.hashv[slot] === h &&
          this.addrA[slot] === a &&
          this.addrB[slot] === b &&
          this.ports[slot] === ports &&
          !(this.bits[slot]! & F_V6)
        )
          return slot;
        i = (i + 1) & mask;
      }
      const slot = this.insert(h, ts);
      this.addrA[slot] = a;
      this.addrB[slot] = b;
      this.ports[slot] = ports;
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
    let i = h & mask;
    for (;;) {
      const e = index[i]!;
      if (e === 0) break;
      const slot = e - 1;
      if (this.hashv[slot] === h && this.ports[slot] === ports && this.bits[slot]! & F_V6) {
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
    const slot = this.insert(h, ts);
    if (!this.v6) this.v6 = Buffer.alloc(this.capacity * 32);
    buf.copy(this.v6, slot * 32, ao, ao + 16);
    buf.copy(this.v6, slot * 32 + 16, bo, bo + 16);
    this.bits[slot] = this.bits[slot]! | F_V6;
    this.ports[slot] = ports;
    this.addrA[slot] = 0;
    this.addrB[slot] = 0;
    return slot;
  }

  private insert(h: number, ts: number): number {
    if (this.freeTop === 0) {
      if (this.capacity < this.maxFlows) this.grow();
      else this.evictOne();
    }
    const slot = this.freeList[--this.freeTop]!;
    this.count++;
    this.hashv[slot] = h;
    this.initSlot(slot, ts);
    let i = h & this.mask;
    while (this.index[i] !== 0) i = (i + 1) & this.mask;
    this.index[i] = slot + 1;
    // creation order
    this.ordPrev[slot] = this.ordTail;
    this.ordNext[slot] = -1;
    if (this.ordTail >= 0) this.ordNext[this.ordTail] = slot;
    else this.ordHead = slot;
    this.ordTail = slot;
    // lru tail
    this.lruPrev[slot] = this.lruTail;
    this.lruNext[slot] = -1;
    if (this.lruTail >= 0) this.lruNext[this.lruTail] = slot;
    else this.lruHead = slot;
    this.lruTail = slot;
    return slot;
  }

  /** reset a slot's per-connection state (keeps key, hash, list links) */
  private initSlot(slot: number, ts: number): void {
    this.bits[slot] = F_USED;
    this.id[slot] = this.nextId++;
    this.firstTs[slot] = ts;
    this.lastTs[slot] = ts;
    this.pktAB[slot] = 0;
    this.pktBA[slot] = 0;
    this.verdict[slot] = 255;
    const r = slot * 4;
    for (let k = r; k < r + 4; k++) {
      this.rRetx[k] = 0;
      this.rToaN[k] = 0;
      this.rToaVar[k] = NO_TOA;
      this.rHidVar[k] = NO_TOA;
      this.rBits[k] = 0;
    }
    this.extras.delete(slot);
  }

  private evictOne(): void {
    const slot = this.finHead >= 0 ? this.finHead : this.lruHead;
    this.evicted++;
    this.onDone(slot, 'evicted');
    this.remove(slot);
  }

  /** remove a flow: hash index, lists, free list */
  remove(slot: number): void {
    // hash index: find, then backward-shift delete
    const mask = this.mask;
    const index = this.index;
    let i = this.hashv[slot]! & mask;
    while (index[i] !== slot + 1) i = (i + 1) & mask;
    index[i] = 0;
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      const e = index[j]!;
      if (e === 0) break;
      const k = this.hashv[e - 1]! & mask;
      // move e back to i unless its home k lies cyclically in (i, j]
      const inRange = i <= j ? k > i && k <= j : k > i || k <= j;
      if (!inRange) {
        index[i] = e;
        index[j] = 0;
        i = j;
      }
    }
    this.unlinkActivity(slot);
    const p = this.ordPrev[slot]!;
    const n = this.ordNext[slot]!;
    if (p >= 0) this.ordNext[p] = n;
    else this.ordHead = n;
    if (n >= 0) this.ordPrev[n] = p;
    else this.ordTail = p;
    this.bits[slot] = 0;
    this.extras.delete(slot);
    this.freeList[this.freeTop++] = slot;
    this.count--;
  }

  private unlinkActivity(slot: number): void {
    const p = this.lruPrev[slot]!;
    const n = this.lruNext[slot]!;
    if (this.bits[slot]! & F_IN_FINISHED) {
      if (p >= 0) this.lruNext[p] = n;
      else this.finHead = n;
      if (n >= 0) this.lruPrev[n] = p;
      else this.finTail = p;
    } else {
      if (p >= 0) this.lruNext[p] = n;
      else this.lruHead = n;
      if (n >= 0) this.lruPrev[n] = p;
      else this.lruTail = p;
    }
  }

  /** move to the tail of its activity list (finished or active) */
  private touch(slot: number): void {
    const fin = (this.bits[slot]! & F_IN_FINISHED) !== 0;
    if (fin ? this.finTail === slot : this.lruTail === slot) return;
    this.unlinkActivity(slot);
    this.linkTail(slot, fin);
  }

  private linkTail(slot: number, fin: boolean): void {
    if (fin) {
      this.lruPrev[slot] = this.finTail;
      this.lruNext[slot] = -1;
      if (this.finTail >= 0) this.lruNext[this.finTail] = slot;
      else this.finHead = slot;
      this.finTail = slot;
    } else {
      this.lruPrev[slot] = this.lruTail;
      this.lruNext[slot] = -1;
      if (this.lruTail >= 0) this.lruNext[this.lruTail] = slot;
      else this.lruHead = slot;
      this.lruTail = slot;
    }
  }

  private markFinished(slot: number): void {
    if (this.bits[slot]! & F_IN_FINISHED) return;
    this.unlinkActivity(slot);
    this.bits[slot] = this.bits[slot]! | F_IN_FINISHED;
    this.linkTail(slot, true);
  }

  // ---------------------------------------------------------------- per-packet update

  /**
   * Account one decoded TCP packet (status OK) to its flow.
   */
  packet(frame: Frame, pkt: DecodedPacketExt, ts: number): void {
    const buf = frame.buf;
    const slot = this.lookup(buf, pkt, ts);
    const fromA = this.srcIsA;
    const flags = pkt.flags;
    const syn = (flags & TcpFlag.SYN) !== 0;
    const ackf = (flags & TcpFlag.ACK) !== 0;
    let bits = this.bits[slot]!;

    // A new connection on a reused 5-tuple: a pure SYN with another ISN, or a SYN after the
    // connection was established. The old one is judged first.
    if (syn && !ackf && (bits & (F_HAS_SYN | F_HAS_ACK | F_HAS_DATA | F_FIN | F_RST)) !== 0) {
      const clientIsA = (bits & F_CLIENT_B) === 0;
      const sameSyn =
        (bits & F_HAS_SYN) !== 0 && this.rSeq[slot * 4]! === pkt.seq && (bits & F_CLIENT_KNOWN) !== 0 && clientIsA === fromA;
      if (!sameSyn) {
        this.onDone(slot, 'reused');
        this.unlinkActivity(slot);
        this.initSlot(slot, ts);
        this.bits[slot] = this.bits[slot]! | (bits & F_V6);
        this.linkTail(slot, false);
        bits = this.bits[slot]!;
      }
    }

    if (ts > this.lastTs[slot]!) this.lastTs[slot] = ts;
    if (ts < this.firstTs[slot]!) this.firstTs[slot] = ts;
    if (fromA) this.pktAB[slot] = this.pktAB[slot]! + 1;
    else this.pktBA[slot] = this.pktBA[slot]! + 1;
    this.touch(slot);

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
        this.bits[slot] = bits;
        if ((flags & (TcpFlag.FIN | TcpFlag.RST)) !== 0) this.markFinished(slot);
        return;
      }
    }
    const fromClient = ((bits & F_CLIENT_B) === 0) === fromA;
    const base = slot * 4;

    if (fromClient) {
      if (syn && !ackf) {
        if ((bits & F_HAS_SYN) === 0) {
          bits |= F_HAS_SYN;
          if (pay > 0 || opts.hasTfo) bits |= F_TFO;
          this.bits[slot] = bits;
          this.record(slot, ROLE_SYN, frame, pkt, ts, true);
          bits = this.bits[slot]!;
        } else if (this.rSeq[base]! === pkt.seq) {
          this.rRetx[base] = this.rRetx[base]! + 1;
        }
      } else if (!syn) {
        let isAck = false;
        if (ackf) {
          if ((bits & F_HAS_ACK) === 0) {
            if ((bits & F_HAS_SYNACK) !== 0) {
              if (pkt.ack === ((this.rSeq[base + ROLE_SYNACK]! + 1) >>> 0)) isAck = true;
              else if ((bits & F_HAS_DATA) === 0) bits |= F_ACK_MISSED;
            } else if (
              (bits & F_HAS_SYN) !== 0 &&
              pkt.seq === ((this.rSeq[base]! + 1 + ((bits & F_TFO) !== 0 ? this.rPay[base]! : 0)) >>> 0) &&
              (bits & (F_ACK_MISSED | F_HAS_DATA)) === 0
            ) {
              // one-direction capture: the first client ACK right after the SYN
              isAck = true;
              bits |= F_ACK_INFERRED;
            }
            if (isAck) {
              bits |= F_HAS_ACK;
              this.bits[slot] = bits;
              this.record(slot, ROLE_ACK, frame, pkt, ts, true);
              bits = this.bits[slot]!;
            }
          } else if (pay === 0 && pkt.seq === this.rSeq[base + ROLE_ACK] && pkt.ack === this.rAck[base + ROLE_ACK]) {
            this.rRetx[base + ROLE_ACK] = this.rRetx[base + ROLE_ACK]! + 1;
            isAck = true; // a duplicate of the handshake ACK
          }
        }
        if (pay > 0) {
          if ((bits & F_HAS_DATA) === 0) {
            bits |= F_HAS_DATA | F_ANY_DATA;
            this.bits[slot] = bits;
            this.record(slot, ROLE_DATA, frame, pkt, ts, true);
            bits = this.bits[slot]!;
          } else if (pkt.seq === this.rSeq[base + ROLE_DATA]) {
            this.rRetx[base + ROLE_DATA] = this.rRetx[base + ROLE_DATA]! + 1;
          } else if (opts.toaCount > 0) {
            bits = this.laterToa(slot, bits, buf, pkt);
          }
        } else if (!isAck && opts.toaCount > 0) {
          bits = this.laterToa(slot, bits, buf, pkt);
        }
      }
    } else {
      // server → client
      if (syn && ackf) {
        if ((bits & F_HAS_SYNACK) === 0) {
          bits |= F_HAS_SYNACK;
          this.bits[slot] = bits;
          this.record(slot, ROLE_SYNACK, frame, pkt, ts, false);
          bits = this.bits[slot]!;
        } else if (this.rSeq[base + ROLE_SYNACK]! === pkt.seq) {
          this.rRetx[base + ROLE_SYNACK] = this.rRetx[base + ROLE_SYNACK]! + 1;
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
    this.bits[slot] = bits;
    if ((flags & (TcpFlag.FIN | TcpFlag.RST)) !== 0) this.markFinished(slot);
  }

  /** keep the facts of one role packet */
  private record(slot: number, role: number, frame: Frame, pkt: DecodedPacketExt, ts: number, toServer: boolean): void {
    const i = slot * 4 + role;
    const o = pkt.opts;
    const buf = frame.buf;
    this.rTs[i] = ts;
    this.rSeq[i] = pkt.seq;
    this.rAck[i] = pkt.ack;
    this.rFlags[i] = pkt.flags;
    this.rPay[i] = pkt.payloadLength;
    this.rOptLen[i] = o.optionAreaLength;
    this.rOptUsed[i] = o.optionBytesUsed;
    const br = BREAKS.indexOf(o.breakReason);
    this.rBreak[i] = br < 0 ? 0 : br;
    let rb = 0;
    if (o.hasTfo || (role === ROLE_SYN && pkt.payloadLength > 0)) rb |= R_TFO;
    if (o.toaCount > 1) rb |= R_DUP;
    const ck = tcpChecksum(frame, pkt);
    this.rCk[i] = ck;
    this.ckChecked++;
    if (ck === ChecksumStatus.BAD) {
      if (toServer) this.ckBadToServer++;
      else this.ckBadToClient++;
    } else if (ck === ChecksumStatus.UNVERIFIABLE) this.ckUnverifiable++;
    this.rRetx[i] = 0;
    this.rToaN[i] = o.toaCount;
    // first client TOA (or, when none, the first VIP/VPC extension)
    this.rToaVar[i] = o.toaVariant;
    this.rHidVar[i] = NO_TOA;
    if (o.toaVariant >= 0) {
      const len = TOA_VARIANTS[o.toaVariant]!.length;
      const end = Math.min(o.toaOffset + len, pkt.capturedEnd);
      buf.copy(this.rToaBytes, i * INLINE_TOA, o.toaOffset, Math.min(end, o.toaOffset + INLINE_TOA));
      if (len > INLINE_TOA)
        this.addExtra(slot, {
          role,
          variant: o.toaVariant,
          bytes: Buffer.from(buf.subarray(o.toaOffset, end)),
          primary: true,
        });
      if (o.toaCount + o.toaExtCount > 1) {
        if (o.toaCount > 1) this.bits[slot] = this.bits[slot]! | F_DUP_TOA;
        this.moreToa(slot, role, buf, pkt, o.toaVariant);
      }
    }
    // a client TOA the module's parser never reaches: behind EOL, or behind the point where the
    // list broke (the decoder's resync scan), or the list broke AT a TOA-kind option
    let hv = NO_TOA;
    if (o.toaAfterEol) {
      rb |= R_TOA_AFTER_EOL;
      hv = HIDDEN_UNKNOWN;
      const q = o.toaAfterEolOffset;
      if (q >= 0) {
        const v = toaVariantAt(buf, q, buf[q]!, buf[q + 1]!);
        if (v >= 0) hv = v;
      }
    } else if (o.toaAfterBreak && o.toaAfterBreakOffset >= 0) {
      rb |= R_TOA_AFTER_BREAK;
      const q = o.toaAfterBreakOffset;
      const v = toaVariantAt(buf, q, buf[q]!, buf[q + 1]!);
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
    this.rHidVar[i] = hv;
    this.rBits[i] = rb;
  }

  /** option area [start, end) of the packet (captured part only) */
  private optArea(pkt: DecodedPacket): [number, number] {
    const start = pkt.tcpOffset + 20;
    const end = Math.min(start + pkt.opts.optionAreaLength, pkt.capturedEnd);
    return [start, end];
  }

  /** the 2nd.. TOA-table matches of one packet (rare: decode the whole list) */
  private moreToa(slot: number, role: number, buf: Buffer, pkt: DecodedPacket, firstVariant: number): void {
    const [start, end] = this.optArea(pkt);
    const d = decodeOptions(buf, start, pkt.opts.optionAreaLength, end);
    const firstId = TOA_VARIANTS[firstVariant]!.id;
    let skipped = false;
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
      this.bits[slot] = this.bits[slot]! | F_EXTRAS;
    }
    if (list.length < MAX_EXTRAS || e.primary) list.push(e);
  }

  /** a TOA on a later client packet: keep it when it differs from what the roles already hold */
  private laterToa(slot: number, bits: number, buf: Buffer, pkt: DecodedPacket): number {
    const o = pkt.opts;
    if (o.toaVariant < 0) return bits;
    const len = TOA_VARIANTS[o.toaVariant]!.length;
    const end = Math.min(o.toaOffset + len, pkt.capturedEnd);
    const n = end - o.toaOffset;
    // same as a role's first TOA?
    for (let r = 0; r < 4; r++) {
      const i = slot * 4 + r;
      if (this.rToaVar[i] !== o.toaVariant || n > INLINE_TOA) continue;
      if (buf.compare(this.rToaBytes, i * INLINE_TOA, i * INLINE_TOA + n, o.toaOffset, end) === 0) return bits;
    }
    const list = this.extras.get(slot);
    if (list) {
      for (const e of list) {
        if (e.variant === o.toaVariant && e.bytes.length === n && buf.compare(e.bytes, 0, n, o.toaOffset, end) === 0)
          return bits;
      }
      if (list.length >= MAX_EXTRAS) return bits;
    }
    this.addExtra(slot, {
      role: ROLE_LATER,
      variant: o.toaVariant,
      bytes: Buffer.from(buf.subarray(o.toaOffset, end)),
      primary: false,
    });
    return this.bits[slot]!;
  }

  // ---------------------------------------------------------------- iteration helpers

  /** slots in creation order */
  *slots(): Generator<number> {
    for (let s = this.ordHead; s >= 0; s = this.ordNext[s]!) yield s;
  }

  /** slots by last activity, newest first (active then finished interleaved is not kept: active first) */
  *recent(): Generator<number> {
    // merge the two activity lists by lastTs, newest first
    let a = this.lruTail;
    let f = this.finTail;
    while (a >= 0 || f >= 0) {
      if (f < 0 || (a >= 0 && this.lastTs[a]! >= this.lastTs[f]!)) {
        yield a;
        a = this.lruPrev[a]!;
      } else {
        yield f;
        f = this.lruPrev[f]!;
      }
    }
  }

  /** the first TOA bytes of a role (a view; full bytes for the long variants) */
  roleToaBytes(slot: number, role: number): Buffer {
    const i = slot * 4 + role;
    const v = this.rToaVar[i]!;
    const len = v >= 0 ? TOA_VARIANTS[v]!.length : 0;
    if (len > INLINE_TOA) {
      const e = this.extras.get(slot)?.find((x) => x.primary && x.role === role);
      if (e) return e.bytes;
    }
    return this.rToaBytes.subarray(i * INLINE_TOA, i * INLINE_TOA + Math.min(len, INLINE_TOA));
  }
}
