/**
 * Packet selection for commands that analyse files (read; bundle reuses read): a pcap-filter
 * expression (compiled by libpcap, src/capture/filter) and/or --port / --host lists. A frame is
 * kept when every given selector keeps it. Plain data, so read's worker threads get the same spec.
 */
import type { Frame, FrameSink } from '../capture/types.js';
import { createDecodedPacket, DecodeStatus, decodePacket } from '../decode/index.js';
import { CidrSet, parseCidr } from '../flow/cidr.js';

export interface SelectSpec {
  /** pcap-filter expression, tcpdump syntax */
  expression?: string;
  /** TCP ports, either side */
  ports?: number[];
  /** addresses / CIDRs (already validated), either side */
  hosts?: string[];
}

export function selectsAnything(s: SelectSpec | undefined): boolean {
  return !!(s && (s.expression || s.ports?.length || s.hosts?.length));
}

/** `push` behind the selectors of `spec` (`push` itself when there are none) */
export async function selectingSink(push: FrameSink, spec: SelectSpec | undefined): Promise<FrameSink> {
  if (!spec || !selectsAnything(spec)) return push;
  const filter = spec.expression
    ? new (await import('../capture/filter/compile.js')).FrameFilter(spec.expression)
    : null;
  const ports = spec.ports ?? [];
  const hosts = new CidrSet((spec.hosts ?? []).map((h) => parseCidr(h)).filter((c) => c !== null));
  if (!ports.length && !hosts.size && filter) return (f: Frame) => (filter.matches(f) ? push(f) : undefined);
  const pkt = createDecodedPacket();
  return (f: Frame) => {
    if (filter && !filter.matches(f)) return;
    decodePacket(f, pkt);
    if (ports.length) {
      if (pkt.status !== DecodeStatus.OK && pkt.status !== DecodeStatus.BAD_TCP) return;
      if (!ports.includes(pkt.srcPort) && !ports.includes(pkt.dstPort)) return;
    }
    if (hosts.size) {
      if (pkt.srcAddrOffset < 0) return;
      const b = f.buf;
      if (pkt.ipVersion === 4) {
        if (
          !hosts.hasV4(b.readUInt32BE(pkt.srcAddrOffset)) &&
          !hosts.hasV4(b.readUInt32BE(pkt.dstAddrOffset))
        )
          return;
      } else if (!hosts.hasV6(b, pkt.srcAddrOffset) && !hosts.hasV6(b, pkt.dstAddrOffset)) return;
    }
    push(f);
  };
}
