/**
 * TCP header and the allocation-free option summary walk (what the flow table needs).
 * The walk follows the modules' parser (reference 1.4): stop at EOL, skip NOP, give up on a
 * length < 2 or past the option area, first (kind, length) match wins.
 */
import type { DecodedPacketExt, OptionSummaryExt } from './ext-types.js';
import { optionStep, stopReason, WalkStop } from './options.js';
import { TFO_EXID, TOA_VARIANTS, toaVariantAt } from './toa.js';
import { DecodeStatus } from './types.js';

export function createOptionSummary(): OptionSummaryExt {
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

export function resetOptionSummary(s: OptionSummaryExt): void {
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

/**
 * Summarise the option area [start, end) of which bytes before `cend` were captured.
 * Offsets recorded are absolute (into buf).
 */
export function summarizeOptions(
  buf: Uint8Array,
  start: number,
  end: number,
  cend: number,
  s: OptionSummaryExt,
): void {
  resetOptionSummary(s);
  s.optionAreaLength = end - start;
  let p = start;
  let extVariant = -1;
  let extOffset = -1;
  for (;;) {
    const n = optionStep(buf, p, end, cend);
    if (n === WalkStop.END) break;
    if (n < 0) {
      s.breakReason = stopReason(n);
      s.breakOffset = p;
      break;
    }
    const k = buf[p];
    if (k === 0) {
      s.eolOffset = p;
      break;
    }
    if (k !== 1) {
      switch (k) {
        case 2:
          s.hasMss = true;
          break;
        case 8:
          s.hasTimestamps = true;
          break;
        case 19:
          s.hasMd5 = true;
          break;
        case 29:
          s.hasAo = true;
          break;
        case 30:
          s.hasMptcp = true;
          break;
        case 34:
          s.hasTfo = true;
          break;
        case 254:
          if (n >= 4 && ((buf[p + 2] << 8) | buf[p + 3]) === TFO_EXID) s.hasTfo = true;
          break;
      }
      const vi = toaVariantAt(buf, p, k, n);
      if (vi >= 0) {
        if (TOA_VARIANTS[vi].carriesClient) {
          if (s.toaCount === 0) {
            s.toaKind = k;
            s.toaLength = n;
            s.toaOffset = p;
            s.toaVariant = vi;
          }
          s.toaCount++;
        } else {
          s.toaExtCount++;
          if (extVariant < 0) {
            extVariant = vi;
            extOffset = p;
          }
        }
      }
    }
    p += n;
    s.optionBytesUsed = p - start;
  }
  if (s.toaCount === 0 && extVariant >= 0) {
    s.toaKind = TOA_VARIANTS[extVariant].kind;
    s.toaLength = TOA_VARIANTS[extVariant].length;
    s.toaOffset = extOffset;
    s.toaVariant = extVariant;
  }
  if (s.eolOffset >= 0) {
    // the module stops at EOL; look at what follows as options (zeros are padding)
    let q = s.eolOffset + 1;
    for (;;) {
      const n = optionStep(buf, q, end, cend);
      if (n < 0) {
        if (n !== WalkStop.END && n !== WalkStop.TRUNCATED) s.bytesAfterEol = true;
        break;
      }
      const k = buf[q];
      if (k !== 0) {
        s.bytesAfterEol = true;
        if (k !== 1 && toaVariantAt(buf, q, k, n) >= 0) {
          s.toaAfterEol = true;
          s.toaAfterEolOffset = q;
          break;
        }
      }
      q += n;
    }
  } else if (s.breakOffset >= 0 && s.breakReason !== 'truncated') {
    // byte-wise resync: a TOA-shaped pair that would fit after the break point
    const lim = Math.min(end, cend);
    for (let q = s.breakOffset + 1; q + 1 < lim; q++) {
      const len = buf[q + 1];
      if (len >= 6 && q + len <= lim && toaVariantAt(buf, q, buf[q], len) >= 0) {
        s.toaAfterBreak = true;
        s.toaAfterBreakOffset = q;
        break;
      }
    }
  }
}

/**
 * TCP header at `t`; `l4End` is where the segment ends per the IP header. Sets status OK,
 * BAD_TCP (data offset < 5 or past the segment) or TRUNCATED (fixed header not captured).
 */
export function decodeTcp(
  buf: Uint8Array,
  t: number,
  cend: number,
  l4End: number,
  out: DecodedPacketExt,
): void {
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
