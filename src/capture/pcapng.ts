/**
 * pcapng per-interface state of the current section: link type, snap length, timestamp resolution
 * and offset of every Interface Description Block, and the packet counts per interface. The block
 * walk itself is StreamParser's (parser.ts); this object turns a block's 64-bit timestamp into
 * seconds and nanoseconds, exactly, at the interface's resolution.
 *
 * Format: the pcapng specification (IETF draft-ietf-opsawg-pcapng, sections 4.2 "Interface
 * Description Block" with options if_tsresol (9) and if_tsoffset (14), 4.3 "Enhanced Packet
 * Block"); Wireshark reads the same options in wiretap/pcapng.c pcapng_read_if_descr_block().
 */
import { TWO32, u16be, u16le, u32be, u32le } from './bytes.js';
import type { Frame } from './types.js';

// timestamp resolution kinds
/** 10^-r with r <= 9 (units fit in 32 bits) */
export const TS_DEC = 0;
/** 2^-n with n <= 32 */
export const TS_BIN = 1;
/** anything else: BigInt per block */
export const TS_BIG = 2;

/**
 * The interfaces of one pcapng section, as parallel arrays indexed by interface id (the hot path
 * reads them directly: `kind[ifc]`, `units[ifc]`, `nsMul[ifc]`, `off[ifc]`, `link[ifc]`).
 */
export class NgInterfaces {
  readonly link: number[] = [];
  readonly snap: number[] = [];
  readonly kind: number[] = [];
  readonly units: number[] = [];
  readonly nsMul: number[] = [];
  /** if_tsoffset, seconds */
  readonly off: number[] = [];
  /** if_tsresol as written */
  readonly res: number[] = [];
  /** packets per interface in the current section (folded into the link-type counts at the next SHB) */
  readonly count: number[] = [];
  // long-division results (avoid allocating a pair)
  private qSec = 0;
  private qRem = 0;

  get length(): number {
    return this.link.length;
  }

  /** an Interface Description Block: link type, snap length, if_tsresol, if_tsoffset */
  add(lt: number, snap: number, res: number, tsOff: number): void {
    let kind: number;
    let units = 0;
    let nsMul = 0;
    if (res & 0x80) {
      const n = res & 0x7f;
      kind = n <= 32 ? TS_BIN : TS_BIG;
      units = n;
    } else if (res <= 9) {
      kind = TS_DEC;
      units = 10 ** res;
      nsMul = 10 ** (9 - res);
    } else {
      kind = TS_BIG;
      units = res;
    }
    this.link.push(lt);
    this.snap.push(snap);
    this.kind.push(kind);
    this.units.push(units);
    this.nsMul.push(nsMul);
    this.off.push(tsOff);
    this.res.push(res);
    this.count.push(0);
  }

  /** a new section: its interfaces are numbered from 0 again */
  clear(): void {
    this.count.length = 0;
    this.link.length = 0;
    this.snap.length = 0;
    this.kind.length = 0;
    this.units.length = 0;
    this.nsMul.length = 0;
    this.off.length = 0;
    this.res.length = 0;
  }

  /** add this section's packet counts to `into` (link type → packets) */
  foldCounts(into: Record<number, number>): void {
    for (let i = 0; i < this.count.length; i++)
      if (this.count[i] > 0) into[this.link[i]] = (into[this.link[i]] ?? 0) + this.count[i];
  }

  /**
   * Read an IDB body at `p` (block length `blen`, byte order `le`) and add the interface: link type,
   * snap length, and the if_tsresol / if_tsoffset options (malformed options: keep what was read).
   */
  addFromBlock(b: Buffer, p: number, blen: number, le: boolean): void {
    const r32 = le ? u32le : u32be;
    const r16 = le ? u16le : u16be;
    const lt = r16(b, p + 8);
    const snap = r32(b, p + 12);
    let res = 6;
    let tsOff = 0;
    let q = p + 16;
    const oend = p + blen - 4;
    while (oend - q >= 4) {
      const code = r16(b, q);
      const olen = r16(b, q + 2);
      if (code === 0) break;
      if (q + 4 + olen > oend) break; // malformed options: keep what was read
      if (code === 9 && olen >= 1) res = b[q + 4];
      else if (code === 14 && olen === 8) {
        const hi = r32(b, q + 4 + (le ? 4 : 0));
        const lo = r32(b, q + 4 + (le ? 0 : 4));
        tsOff = (hi | 0) * TWO32 + lo;
      }
      q += 4 + ((olen + 3) & ~3);
    }
    this.add(lt, snap, res, tsOff);
  }

  /** 64-bit tick count (hi, lo) at interface `ifc`'s resolution → f.tsSec / f.tsNsec, exactly. */
  setTs(f: Frame, ifc: number, hi: number, lo: number): void {
    const kind = this.kind[ifc];
    let sec: number;
    let ns: number;
    if (kind === TS_DEC) {
      const d = this.units[ifc];
      if (hi < 0x200000) {
        // below 2^53: exact in a double
        const t = hi * TWO32 + lo;
        sec = Math.floor(t / d);
        let rem = t - sec * d;
        if (rem < 0) {
          sec--;
          rem += d;
        } else if (rem >= d) {
          sec++;
          rem -= d;
        }
        ns = rem * this.nsMul[ifc];
      } else {
        this.div64(hi, lo, d);
        sec = this.qSec;
        ns = this.qRem * this.nsMul[ifc];
      }
    } else if (kind === TS_BIN) {
      const n = this.units[ifc];
      const p2 = 2 ** n;
      sec = hi * 2 ** (32 - n) + Math.floor(lo / p2);
      const frac = lo % p2;
      // frac * 1e9 / 2^n, exact: 1e9 = 2^9 * 1953125 and frac * 1953125 < 2^53
      ns = n >= 9 ? Math.floor((frac * 1953125) / 2 ** (n - 9)) : Math.floor((frac * 1e9) / 2 ** n);
    } else {
      const ticks = (BigInt(hi) << 32n) | BigInt(lo);
      const res = this.res[ifc];
      if (res & 0x80) {
        const n = BigInt(res & 0x7f);
        sec = Number(ticks >> n);
        ns = Number(((ticks & ((1n << n) - 1n)) * 1_000_000_000n) >> n);
      } else {
        const units = 10n ** BigInt(res);
        sec = Number(ticks / units);
        ns = Number((ticks % units) / 10n ** BigInt(res - 9));
      }
    }
    f.tsSec = sec + this.off[ifc];
    f.tsNsec = ns;
  }

  /** (hi * 2^32 + lo) / d for d < 2^32, by 16-bit limbs (every step exact in doubles). */
  private div64(hi: number, lo: number, d: number): void {
    const limbs0 = hi >>> 16;
    const limbs1 = hi & 0xffff;
    const limbs2 = lo >>> 16;
    const limbs3 = lo & 0xffff;
    let r = 0;
    let q = 0;
    for (let i = 0; i < 4; i++) {
      const limb = i === 0 ? limbs0 : i === 1 ? limbs1 : i === 2 ? limbs2 : limbs3;
      const cur = r * 65536 + limb;
      let qd = Math.floor(cur / d);
      r = cur - qd * d;
      if (r < 0) {
        qd--;
        r += d;
      } else if (r >= d) {
        qd++;
        r -= d;
      }
      q = q * 65536 + qd;
    }
    this.qSec = q;
    this.qRem = r;
  }
}
