/**
 * Link layers → offset of the IP header. Supported LINKTYPEs: EN10MB (1) with stacked
 * 802.1Q/802.1ad/0x9100/0x9200 tags, LINUX_SLL (113), LINUX_SLL2 (276), RAW (101, IP version
 * from the first nibble), IPV4 (228), IPV6 (229), NULL (0, host-endian AF) and LOOP (108,
 * network-order AF). No allocation.
 */
import { LinkType } from '../capture/types.js';
import { DecodeStatus } from './types.js';

// the names live next to the LinkType numbers (capture/types.ts); re-exported for decode's importers
export { LINKTYPE_NAMES, linkTypeName } from '../capture/types.js';

/** Result of decodeLink (a reused scratch object). */
export interface LinkResult {
  status: DecodeStatus;
  /** absolute offset of the network header */
  offset: number;
  /** 4/6 when the link header said which IP version, 0 when the IP nibble decides */
  ipVersion: 0 | 4 | 6;
  /** number of VLAN tags passed */
  vlans: number;
  /** ethertype / AF that was not IP (for display), -1 if n/a */
  proto: number;
}

const ETH_IPV4 = 0x0800;
const ETH_IPV6 = 0x86dd;

export function isVlanTag(t: number): boolean {
  return t === 0x8100 || t === 0x88a8 || t === 0x9100 || t === 0x9200 || t === 0x9300;
}

function fromEthertype(r: LinkResult, etype: number, offset: number): LinkResult {
  r.offset = offset;
  if (etype === ETH_IPV4) r.ipVersion = 4;
  else if (etype === ETH_IPV6) r.ipVersion = 6;
  else {
    r.status = DecodeStatus.NOT_IP;
    r.proto = etype;
  }
  return r;
}

/** BSD AF_INET6 differs per OS: 10 (Linux), 24 (NetBSD/OpenBSD), 28 (FreeBSD), 30 (macOS) */
function afVersion(af: number): 0 | 4 | 6 {
  if (af === 2) return 4;
  if (af === 24 || af === 28 || af === 30 || af === 10) return 6;
  return 0;
}

/**
 * Decode the link header of the bytes [off, end) of `buf`.
 * On success r.status is OK and r.offset points at the IP header.
 */
export function decodeLink(
  buf: Uint8Array,
  off: number,
  end: number,
  linkType: number,
  r: LinkResult,
): LinkResult {
  r.status = DecodeStatus.OK;
  r.offset = off;
  r.ipVersion = 0;
  r.vlans = 0;
  r.proto = -1;
  switch (linkType) {
    case LinkType.EN10MB: {
      if (end - off < 14) {
        r.status = DecodeStatus.TRUNCATED;
        return r;
      }
      let p = off + 12;
      let etype = (buf[p] << 8) | buf[p + 1];
      p += 2;
      while (isVlanTag(etype)) {
        if (p + 4 > end) {
          r.status = DecodeStatus.TRUNCATED;
          return r;
        }
        r.vlans++;
        etype = (buf[p + 2] << 8) | buf[p + 3];
        p += 4;
      }
      return fromEthertype(r, etype, p);
    }
    case LinkType.LINUX_SLL: {
      if (end - off < 16) {
        r.status = DecodeStatus.TRUNCATED;
        return r;
      }
      const etype = (buf[off + 14] << 8) | buf[off + 15];
      // SLL protocol field may itself be a VLAN tag when the kernel did not strip it
      let p = off + 16;
      let t = etype;
      while (isVlanTag(t)) {
        if (p + 4 > end) {
          r.status = DecodeStatus.TRUNCATED;
          return r;
        }
        r.vlans++;
        t = (buf[p + 2] << 8) | buf[p + 3];
        p += 4;
      }
      return fromEthertype(r, t, p);
    }
    case LinkType.LINUX_SLL2: {
      if (end - off < 20) {
        r.status = DecodeStatus.TRUNCATED;
        return r;
      }
      let p = off + 20;
      let t = (buf[off] << 8) | buf[off + 1];
      while (isVlanTag(t)) {
        if (p + 4 > end) {
          r.status = DecodeStatus.TRUNCATED;
          return r;
        }
        r.vlans++;
        t = (buf[p + 2] << 8) | buf[p + 3];
        p += 4;
      }
      return fromEthertype(r, t, p);
    }
    case LinkType.RAW:
      r.offset = off;
      return r;
    case LinkType.IPV4:
      r.offset = off;
      r.ipVersion = 4;
      return r;
    case LinkType.IPV6:
      r.offset = off;
      r.ipVersion = 6;
      return r;
    case LinkType.NULL:
    case LinkType.LOOP: {
      if (end - off < 4) {
        r.status = DecodeStatus.TRUNCATED;
        return r;
      }
      let af: number;
      if (linkType === LinkType.LOOP)
        af = ((buf[off] << 24) >>> 0) + ((buf[off + 1] << 16) | (buf[off + 2] << 8) | buf[off + 3]);
      else {
        // host byte order of the capturing machine: a small AF value sits in the low bytes of one order
        const le = buf[off] | (buf[off + 1] << 8) | (buf[off + 2] << 16) | (buf[off + 3] << 24);
        af =
          (le & 0xffff0000) === 0
            ? le
            : ((buf[off] << 24) >>> 0) + ((buf[off + 1] << 16) | (buf[off + 2] << 8) | buf[off + 3]);
      }
      r.offset = off + 4;
      const v = afVersion(af);
      if (v === 0) {
        r.status = DecodeStatus.NOT_IP;
        r.proto = af;
      } else r.ipVersion = v;
      return r;
    }
    default:
      r.status = DecodeStatus.UNKNOWN_LINKTYPE;
      return r;
  }
}
