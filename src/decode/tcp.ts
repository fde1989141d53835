/**
 * TCP header and the allocation-free option summary walk (what the flow table needs).
 * The option format is RFC 9293 section 3.1; the walk follows the modules' parser, get_toa_data()
 * in alibaba/LVS kernel/net/toa/toa.c and its forks (iqiyi/dpvs kmod/toa/toa.c, Huawei/
 * TCP_option_address src/toa.c): stop at EOL, skip NOP, give up on a length < 2 or past the option
 * area, first (kind, length) match wins.
 */
import { optionStep, stopReason, WalkStop } from './options.js';
import { TFO_EXID, TOA_VARIANTS, toaVariantAt } from './toa.js';
import { type DecodedPacket, DecodeStatus, type OptionSummary } from './types.js';

export function createOptionSummary(): OptionSummary {
  return {
    toaKind: -1,
    toaLength: -1,
    toaOffset: -1,
    toaVariant: -1,
    toaCount: 0,
    toaAfterEol: false,
    breakReason: 'none',
    breakOffset: -1,
    eolOffset: -1,
    optionAreaLength: 0,
    optionBytesUsed: 0,
    hasMss: false,
    hasTimestamps: false,
    hasTfo: false,
    hasMptcp: false,
    hasMd5: false,
    hasAo: false,
    toaAfterBreak: false,
    toaAfterBreakOffset: -1,
    toaAfterEolOffset: -1,
    bytesAfterEol: false,
    toaExtCount: 0,
  };
}

export function resetOptionSummary(s: OptionSummary): void {
  s.toaKind = -1;
  s.toaLength = -1;
  s.toaOffset = -1;
  s.toaVariant = -1;
  s.toaCount = 0;
  s.toaAfterEol = false;
  s.breakReason = 'none';
  s.breakOffset = -1;
  s.eolOffset = -1;
  s.optionAreaLength = 0;
  s.optionBytesUsed = 0;
  s.hasMss = false;
  s.hasTimestamps = false;
  s.hasTfo = false;
  s.hasMptcp = false;
  s.hasMd5 = false;
  s.hasAo = false;
  s.toaAfterBreak = false;
  s.toaAfterBreakOffset = -1;
  s.toaAfterEolOffset = -1;
  s.bytesAfterEol = false;
  s.toaExtCount = 0;
}

/** per TOA_VARIANTS index: 1 when the row carries the client address */
const CARRIES = Uint8Array.from(TOA_VARIANTS, (v) => (v.carriesClient ? 1 : 0));

const F_MSS = 1;
const F_TS = 2;
const F_MD5 = 4;
const F_AO = 8;
const F_MPTCP = 16;
const F_TFO = 32;
/** kind 254: TFO only with the TFO ExID (and then not a TOA) */
const E_EXP = 1 << 12;
/**
 * (kind << 8 | length) → one entry for the walk: bits 0-4 the TOA_VARIANTS index + 1 (0: none,
 * as findToaVariant), bits 5-10 the F_* flag the kind sets, E_EXP for kind 254.
 */
const KIND_LEN = new Uint16Array(65536);
for (let n = 0; n < 256; n++) {
  for (const [k, f] of [
    [2, F_MSS],
    [8, F_TS],
    [19, F_MD5],
    [29, F_AO],
    [30, F_MPTCP],
    [34, F_TFO],
  ])
    KIND_LEN[(k << 8) | n] = f << 5;
  KIND_LEN[(254 << 8) | n] = E_EXP;
}
// as the TOA lookup table: a later row with the same (kind, length) wins
TOA_VARIANTS.forEach((v, i) => {
  if (v.carrier) return; // IP-level carriers are not TCP options
  const x = (v.kind << 8) | v.length;
  KIND_LEN[x] = (KIND_LEN[x] & ~0x1f) | (i + 1);
});

/**
 * Summarise the option area [start, end) of which bytes before `cend` were captured.
 * Offsets recorded are absolute (into buf). Every field of `s` is written once, at the end.
 */
export function summarizeOptions(
  buf: Uint8Array,
  start: number,
  end: number,
  cend: number,
  s: OptionSummary,
): void {
  let toaKind = -1;
  let toaLength = -1;
  let toaOffset = -1;
  let toaVariant = -1;
  let toaCount = 0;
  let toaExtCount = 0;
  let breakCode = 0; // a WalkStop code, 0 = none
  let breakOffset = -1;
  let eolOffset = -1;
  let flags = 0; // F_* bits of the kinds seen
  let extVariant = -1;
  let extOffset = -1;
  let p = start;
  // the steps of optionStep, inlined: END, TRUNCATED, EOL/NOP, NO_LENGTH, ..., OVERRUN, TRUNCATED
  while (p < end) {
    if (p >= cend) {
      breakCode = WalkStop.TRUNCATED;
      break;
    }
    const k = buf[p];
    if (k === 1) {
      p++;
      continue;
    }
    if (k === 0) {
      eolOffset = p;
      break;
    }
    if (p + 1 >= end) {
      breakCode = WalkStop.NO_LENGTH;
      break;
    }
    if (p + 1 >= cend) {
      breakCode = WalkStop.TRUNCATED;
      break;
    }
    const n = buf[p + 1];
    if (n < 2) {
      breakCode = n === 0 ? WalkStop.ZERO_LENGTH : WalkStop.LENGTH_ONE;
      break;
    }
    if (p + n > end) {
      breakCode = WalkStop.OVERRUN;
      break;
    }
    if (p + n > cend) {
      breakCode = WalkStop.TRUNCATED;
      break;
    }
    const e = KIND_LEN[(k << 8) | n];
    if (e !== 0) {
      let vi = (e & 0x1f) - 1;
      if ((e & E_EXP) === 0) flags |= e >> 5;
      else if (n >= 4 && ((buf[p + 2] << 8) | buf[p + 3]) === TFO_EXID) {
        flags |= F_TFO;
        vi = -1; // a TFO option, not a TOA (toaVariantAt)
      }
      if (vi >= 0) {
        if (CARRIES[vi] === 1) {
          if (toaCount === 0) {
            toaKind = k;
            toaLength = n;
            toaOffset = p;
            toaVariant = vi;
          }
          toaCount++;
        } else {
          toaExtCount++;
          if (extVariant < 0) {
            extVariant = vi;
            extOffset = p;
          }
        }
      }
    }
    p += n;
  }
  if (toaCount === 0 && extVariant >= 0) {
    toaKind = TOA_VARIANTS[extVariant].kind;
    toaLength = TOA_VARIANTS[extVariant].length;
    toaOffset = extOffset;
    toaVariant = extVariant;
  }
  if (breakCode !== 0) breakOffset = p;
  let toaAfterEol = false;
  let toaAfterEolOffset = -1;
  let bytesAfterEol = false;
  let toaAfterBreak = false;
  let toaAfterBreakOffset = -1;
  if (eolOffset >= 0) {
    // the module stops at EOL; look at what follows as options (zeros are padding)
    let q = eolOffset + 1;
    for (;;) {
      const n = optionStep(buf, q, end, cend);
      if (n < 0) {
        if (n !== WalkStop.END && n !== WalkStop.TRUNCATED) bytesAfterEol = true;
        break;
      }
      const k = buf[q];
      if (k !== 0) {
        bytesAfterEol = true;
        if (k !== 1 && toaVariantAt(buf, q, k, n) >= 0) {
          toaAfterEol = true;
          toaAfterEolOffset = q;
          break;
        }
      }
      q += n;
    }
  } else if (breakCode !== 0 && breakCode !== WalkStop.TRUNCATED) {
    // byte-wise resync: a TOA-shaped pair that would fit after the break point
    const lim = Math.min(end, cend);
    for (let q = breakOffset + 1; q + 1 < lim; q++) {
      const len = buf[q + 1];
      if (len >= 6 && q + len <= lim && toaVariantAt(buf, q, buf[q], len) >= 0) {
        toaAfterBreak = true;
        toaAfterBreakOffset = q;
        break;
      }
    }
  }
  s.toaKind = toaKind;
  s.toaLength = toaLength;
  s.toaOffset = toaOffset;
  s.toaVariant = toaVariant;
  s.toaCount = toaCount;
  s.toaAfterEol = toaAfterEol;
  s.breakReason = breakCode === 0 ? 'none' : stopReason(breakCode);
  s.breakOffset = breakOffset;
  s.eolOffset = eolOffset;
  s.optionAreaLength = end - start;
  s.optionBytesUsed = p - start;
  s.hasMss = (flags & F_MSS) !== 0;
  s.hasTimestamps = (flags & F_TS) !== 0;
  s.hasTfo = (flags & F_TFO) !== 0;
  s.hasMptcp = (flags & F_MPTCP) !== 0;
  s.hasMd5 = (flags & F_MD5) !== 0;
  s.hasAo = (flags & F_AO) !== 0;
  s.toaAfterBreak = toaAfterBreak;
  s.toaAfterBreakOffset = toaAfterBreakOffset;
  s.toaAfterEolOffset = toaAfterEolOffset;
  s.bytesAfterEol = bytesAfterEol;
  s.toaExtCount = toaExtCount;
}

/**
 * TCP header at `t`; `l4End` is where the segment ends per the IP header. Sets status OK,
 * BAD_TCP (data offset < 5 or past the segment) or TRUNCATED (fixed header not captured).
 */
export function decodeTcp(buf: Uint8Array, t: number, cend: number, l4End: number, out: DecodedPacket): void {
  out.tcpOffset = t;
  if (cend - t >= 4) {
    out.srcPort = (buf[t] << 8) | buf[t + 1];
    out.dstPort = (buf[t + 2] << 8) | buf[t + 3];
  }
  if (cend - t < 20 || l4End - t < 20) {
    out.status = DecodeStatus.TRUNCATED;
    out.tcpTruncated = cend - t < 20;
    return;
  }
  out.seq = ((buf[t + 4] << 24) >>> 0) + ((buf[t + 5] << 16) | (buf[t + 6] << 8) | buf[t + 7]);
  out.ack = ((buf[t + 8] << 24) >>> 0) + ((buf[t + 9] << 16) | (buf[t + 10] << 8) | buf[t + 11]);
  const doff = buf[t + 12] >> 4;
  out.dataOffset = doff;
  out.flags = buf[t + 13];
  out.window = (buf[t + 14] << 8) | buf[t + 15];
  if (doff < 5) {
    out.status = DecodeStatus.BAD_TCP;
    return;
  }
  const hlen = doff * 4;
  if (t + hlen > l4End) {
    out.status = DecodeStatus.BAD_TCP; // header longer than the segment (tcpdump: bad hdr length)
    return;
  }
  out.payloadLength = l4End - t - hlen;
  out.status = DecodeStatus.OK;
  out.tcpTruncated = t + hlen > cend;
  summarizeOptions(buf, t + 20, t + hlen, cend, out.opts);
}
