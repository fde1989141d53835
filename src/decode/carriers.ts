/**
 * Client-address carriers outside the TCP options: the IPv4 option type 31/30 and the IPv6
 * destination option type 31/30 that TTGW toa 3.0.1 reads before any TCP option (toa.c
 * toa_process_v4: only the FIRST IPv4 option is looked at, and its length byte is not checked;
 * toa_process_v6: only a destination-options header right after the IPv6 header whose next header
 * is TCP; ip_option_to_four_tuple: the IPv4 option's `operation` byte, or the IPv6 option length
 * 12/36, says whether an IPv4 or an IPv6 address follows).
 *
 * This is the slow path: the per-packet walk (decodePacket) never calls it. The flow table calls
 * it only for the few packets it keeps facts about, and only when the IP header is longer than its
 * fixed part (IHL > 5, or an IPv6 extension header), which is rare.
 */
import { TOA_VARIANTS } from './toa.js';
import type { DecodedPacket } from './types.js';

const IP4_V4 = TOA_VARIANTS.findIndex((v) => v.id === 'ip4opt-31-16');
const IP4_V6 = TOA_VARIANTS.findIndex((v) => v.id === 'ip4opt-31-40');
const IP6_V4 = TOA_VARIANTS.findIndex((v) => v.id === 'ip6dst-31-16');
const IP6_V6 = TOA_VARIANTS.findIndex((v) => v.id === 'ip6dst-31-40');

/** Where a carrier was found: TOA_VARIANTS index and absolute offset of its first byte. */
export interface CarrierAt {
  variant: number;
  offset: number;
}

/**
 * The TTGW carrier in the IP header of a decoded packet, or null. `end` bounds the bytes that may
 * be read (the captured end). Never throws; a carrier cut by the snap length is not reported.
 */
export function ipCarrierAt(buf: Uint8Array, pkt: DecodedPacket, end: number): CarrierAt | null {
  const ip = pkt.ipOffset;
  if (pkt.ipVersion === 4) {
    const ihl = (buf[ip]! & 0x0f) * 4;
    const p = ip + 20;
    if (ihl <= 20) return null;
    const type = buf[p]!;
    if (type !== 31 && type !== 30) return null;
    const op = buf[p + 2];
    const v = op === 0 ? IP4_V4 : op === 1 ? IP4_V6 : -1;
    if (v < 0 || p + TOA_VARIANTS[v]!.length > Math.min(end, ip + ihl)) return null;
    return { variant: v, offset: p };
  }
  if (pkt.ipVersion === 6) {
    if (buf[ip + 6] !== 60) return null;
    const p = ip + 40;
    if (p + 4 > end || buf[p] !== 6) return null;
    const type = buf[p + 2]!;
    if (type !== 31 && type !== 30) return null;
    const olen = buf[p + 3];
    const v = olen === 12 ? IP6_V4 : olen === 36 ? IP6_V6 : -1;
    if (v < 0 || p + TOA_VARIANTS[v]!.length > end) return null;
    return { variant: v, offset: p };
  }
  return null;
}
