/**
 * The flow table's hash index: the 5-tuple, both directions joined (canonical order: the lower
 * (address, port) endpoint is "A"), maps to a slot through a custom open-addressing hash (linear
 * probing, backward-shift deletion). IPv4 tuples are compared as three uint32 numbers, IPv6
 * tuples against a 32-byte address pool. A bucket is one int32: slot + 1 in the low bits, the same
 * high bits of the flow's hash above (a tag): a probe that hits another flow's bucket is rejected
 * without reading that flow's row (a cache miss on random flow order).
 *
 * Eviction at the hard cap: the oldest FINISHED flow (FIN/RST seen; a FIFO of finished flows)
 * first, else the least recently active of the oldest-created flows (a sample of EVICT_SAMPLE from
 * the head of the creation order: idle flows go first). The owner gets `onDone(slot)` before a
 * slot is reused, so the verdict of an evicted flow is still counted.
 */

import { type DecodedPacket, TcpFlag } from '../decode/types.js';
import * as layout from './table-layout.js';
import { type DoneReason, FlowStore } from './table-layout.js';

// The layout's numbers, copied into module consts once. V8 reads an imported binding through its
// module cell, with a TDZ check, at every use and does not fold it; a module-level const it does.
// The per-packet path reads dozens of these per packet: as imports they cost +7 % instructions on
// `Analyzer.push` (callgrind, 200k packets: 2.65 G vs 2.48 G) when table.ts was split.
const {
  D_FIRST,
  D_LAST,
  F_DETACHED,
  F_IN_FINISHED,
  F_USED,
  F_V6,
  FD_S,
  FS,
  INITIAL_SLOTS,
  O_A,
  O_B,
  O_BITS,
  O_HASH,
  O_PAB,
  O_PBA,
  O_PORTS,
} = layout;

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

const EVICT_SAMPLE = 32;

/** The storage plus the index from 5-tuple to slot: lookup, insert, evict, remove. */
export class FlowIndex extends FlowStore {
  /** hash index buckets: (hash & tagMask) | (slot + 1), 0 = empty */
  private index: Int32Array;
  private mask: number;
  /** low bits of a bucket: slot + 1 */
  private readonly slotMask: number;
  /** high bits of a bucket: the same bits of the flow's hash (most probes never read a flow row) */
  private readonly tagMask: number;
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

  constructor(
    maxFlows: number,
    protected readonly onDone: (slot: number, why: DoneReason) => void,
    initialSlots = INITIAL_SLOTS,
  ) {
    super(maxFlows, initialSlots);
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
  protected restart(slot: number, ts: number): number {
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

  protected markFinished(slot: number): void {
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
}
