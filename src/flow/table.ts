/**
 * The bounded flow table: per flow, the facts of four packets (SYN, SYN-ACK, handshake-completing
 * ACK, first client data: the "roles"), the first TOA sighting of each, retransmission counts,
 * FIN/RST, TFO and server-speaks-first; extra TOA sightings (a second TOA on one packet, TOA on
 * later packets) go to a small side map, capped per flow. This file is the role state machine
 * (`packet()`, `record()`); the storage layout and its accessors are in table-layout.ts, the
 * 5-tuple hash index and eviction in table-index.ts.
 */

import type { Frame } from '../capture/types.js';
import {
  decodeOptions,
  findToaVariant,
  ipCarrierAt,
  isPartialChecksum,
  optionStep,
  TOA_VARIANTS,
  tcpChecksum,
  toaVariantAt,
} from '../decode/index.js';
import { ChecksumStatus, type DecodedPacket, optionBreakIndex, TcpFlag } from '../decode/types.js';
import { FlowIndex } from './table-index.js';
import type { ExtraSighting } from './table-layout.js';
import * as layout from './table-layout.js';

export {
  type DoneReason,
  type ExtraSighting,
  F_ACK_INFERRED,
  F_ACK_MISSED,
  F_ANY_DATA,
  F_CLIENT_B,
  F_CLIENT_KNOWN,
  F_DETACHED,
  F_DUP_TOA,
  F_EXTRAS,
  F_FIN,
  F_HAS_ACK,
  F_HAS_DATA,
  F_HAS_SYN,
  F_HAS_SYNACK,
  F_IN_FINISHED,
  F_RST,
  F_RULE_SYN,
  F_RULE_TOA,
  F_SERVER_FIRST,
  F_TFO,
  F_TFO_DATA,
  F_TOA_TO_CLIENT,
  F_USED,
  F_V6,
  HIDDEN_UNKNOWN,
  INLINE_TOA,
  R_CK_PARTIAL,
  R_DUP,
  R_TFO,
  R_TFO_LOOKALIKE,
  R_TOA_AFTER_BREAK,
  R_TOA_AFTER_EOL,
  ROLE_ACK,
  ROLE_DATA,
  ROLE_LATER,
  ROLE_NAMES,
  ROLE_SYN,
  ROLE_SYNACK,
} from './table-layout.js';

// The layout's numbers, copied into module consts once. V8 reads an imported binding through its
// module cell, with a TDZ check, at every use and does not fold it; a module-level const it does.
// The per-packet path reads dozens of these per packet: as imports they cost +7 % instructions on
// `Analyzer.push` (callgrind, 200k packets: 2.65 G vs 2.48 G) when table.ts was split.
const {
  D_FIRST,
  D_LAST,
  DIGEST,
  DIGEST_BYTES,
  F_ACK_INFERRED,
  F_ACK_MISSED,
  F_ANY_DATA,
  F_CLIENT_B,
  F_CLIENT_KNOWN,
  F_DUP_TOA,
  F_EXTRAS,
  F_FIN,
  F_HAS_ACK,
  F_HAS_DATA,
  F_HAS_SYN,
  F_HAS_SYNACK,
  F_RST,
  F_RULE_SYN,
  F_RULE_TOA,
  F_SERVER_FIRST,
  F_TFO,
  F_TFO_DATA,
  F_TOA_TO_CLIENT,
  FD_S,
  FS,
  HIDDEN_UNKNOWN,
  INLINE_TOA,
  KEEP_OPT,
  O_ACKACK,
  O_ACKSEQ,
  O_BITS,
  O_DATASEQ,
  O_PAB,
  O_PBA,
  O_SYNACKSEQ,
  O_SYNSEQ,
  Q_ACK,
  Q_HIDVAR,
  Q_PACK,
  Q_PACK2,
  Q_PAY,
  Q_RETX,
  Q_SEQ,
  Q_TOAVAR,
  R_CK_PARTIAL,
  R_DUP,
  R_TFO,
  R_TFO_LOOKALIKE,
  R_TOA_AFTER_BREAK,
  R_TOA_AFTER_EOL,
  RB_TOA,
  RD_TS,
  ROLE_ACK,
  ROLE_DATA,
  ROLE_LATER,
  ROLE_SYN,
  ROLE_SYNACK,
  RS,
} = layout;

/** cap on extra TOA sightings kept per flow */
export const MAX_EXTRAS = 8;

const NO_TOA = -1;
/** option kinds used by some TOA variant */
const TOA_KINDS = new Set(TOA_VARIANTS.map((v) => v.kind));
/** IANA-assigned kinds seen on ordinary traffic (RFC 9293 registry): never a TOA look-alike */
const STANDARD_KINDS = new Set([
  2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 18, 19, 27, 28, 29, 30, 34, 69,
]);

export class FlowTable extends FlowIndex {
  /** checksum counters for kept packets */
  ckChecked = 0;
  ckBadToServer = 0;
  ckBadToClient = 0;
  ckUnverifiable = 0;

  /** Account one decoded TCP packet (status OK) to its flow. */
  packet(frame: Frame, pkt: DecodedPacket, ts: number): void {
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
    pkt: DecodedPacket,
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
      (optionBreakIndex(o.breakReason) << 24);
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
}
