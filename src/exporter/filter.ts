/**
 * The exporter's kernel filter: pass what a verdict needs, drop bulk data in the kernel.
 *
 * The module reads the TOA from the packet that makes the kernel create the child socket: the
 * handshake-completing ACK, a pure ACK (iqiyi/dpvs kmod/toa/toa.c, tcp_v4_syn_recv_sock_toa: hooked
 * on ipv4_specific.syn_recv_sock, it runs get_toa_data() on that skb and counts syn_recv_sock_toa or
 * syn_recv_sock_no_toa); some variants ride on the SYN. A verdict also looks at TOA on data segments
 * (TOA_LATE, TOA_INCONSISTENT) and at FIN/RST.
 * So a packet passes when it is
 *   - a SYN, SYN-ACK, FIN or RST (tcp flags & 0x07),
 *   - a pure segment (no payload: the handshake ACK, window updates, the ACKs of bulk transfers),
 *   - a data segment whose option area could hold a TOA: 8 option bytes or more (the smallest TOA,
 *     kind 28 len 7 or 201/6, needs 8 with padding), EXCEPT the exact Linux timestamps-only layout
 *     (12 option bytes starting NOP NOP 8 10: `tcp[20:4] = 0x0101080a`), which is what every bulk
 *     data segment of a timestamped connection carries.
 * Every other data segment (bulk) is dropped by the kernel. Trade-offs (documented in README): the
 * first client data segment is seen only when it carries more options than timestamps, so the
 * exporter waits --settle seconds after the handshake ACK instead; TCP checksums cannot be verified
 * on cut packets (snap length), so TOA_BAD_CHECKSUM is not reported by the exporter.
 *
 * IPv6: libpcap's tcp[] works for IPv4 only, so IPv6 uses ip6[] at the fixed offsets of a TCP
 * header right after the 40-byte IPv6 header (next header 6); TCP behind IPv6 extension headers is
 * not captured (as with the default `tcp` filter of `live`).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** BPF for IPv4 TCP: flags, pure segment, or an option area that is more than timestamps */
const V4 =
  '(ip and tcp and (tcp[13] & 7 != 0' +
  ' or ip[2:2] - ((ip[0] & 0xf) << 2) - ((tcp[12] & 0xf0) >> 2) = 0' +
  ' or tcp[12] & 0xf0 > 0x80' +
  ' or (tcp[12] & 0xf0 > 0x60 and tcp[20:4] != 0x0101080a)))';

/** the same for IPv6 without extension headers (TCP header at byte 40) */
const V6 =
  '(ip6 and ip6[6] = 6 and (ip6[53] & 7 != 0' +
  ' or ip6[4:2] - ((ip6[52] & 0xf0) >> 2) = 0' +
  ' or ip6[52] & 0xf0 > 0x80' +
  ' or (ip6[52] & 0xf0 > 0x60 and ip6[60:4] != 0x0101080a)))';

export const LOW_OVERHEAD_FILTER = `(${V4} or ${V6})`;

/**
 * Snap length: link header (Ethernet + 2 VLAN tags 22, or SLL2 20) + IPv6 40 + TCP with a full
 * option area 60 = 122, rounded up: enough for every header the verdict reads, never the payload.
 */
export const EXPORTER_SNAPLEN = 160;

/** The user's FILTER words (if any) narrow the low-overhead filter. */
export function exporterFilter(words: readonly string[]): string {
  const user = words.join(' ').trim();
  return user ? `(${user}) and ${LOW_OVERHEAD_FILTER}` : LOW_OVERHEAD_FILTER;
}

/**
 * Compile a filter with tcpdump against an empty Ethernet pcap file (no interface, no privilege):
 * null when it compiles, else tcpdump's one-line complaint. A FILTER typo is then a usage error at
 * start, not a capture that fails and is retried forever.
 */
export function filterProblem(filter: string, tcpdump: string): string | null {
  const dir = mkdtempSync(join(tmpdir(), 'toa-filter-'));
  try {
    const file = join(dir, 'empty.pcap');
    const h = Buffer.alloc(24);
    h.writeUInt32LE(0xa1b2c3d4, 0);
    h.writeUInt16LE(2, 4);
    h.writeUInt16LE(4, 6);
    h.writeUInt32LE(65535, 16);
    h.writeUInt32LE(1, 20); // LINKTYPE_ETHERNET
    writeFileSync(file, h);
    const r = spawnSync(tcpdump, ['-d', '-r', file, filter], { encoding: 'utf8', timeout: 10_000 });
    if (r.status === 0) return null;
    const line = (r.stderr || r.error?.message || `exit ${r.status}`)
      .split('\n')
      .map((l) => l.replace(/^tcpdump:\s*/, '').trim())
      .filter((l) => l && !/^reading from file/.test(l))[0];
    return line ?? `tcpdump exited ${r.status}`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
