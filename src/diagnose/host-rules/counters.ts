/**
 * Host rules, counter groups: the stats files read, what one snapshot of the counters supports,
 * and what the movement between two snapshots shows (hook not in path, no TOA rising, bypass,
 * IPv6 entry leaks, resets).
 */
import type { HostEvidence, NormalizedCounters } from '../../host/types-host.js';
import { signed } from '../finding.js';
import type { Finding } from '../types.js';
import { finding, implLabel, ipv6PathPorts, n, portExamples } from './common.js';

function vtoaOnly(ev: HostEvidence): boolean {
  return ev.snapshot.stats.length > 0 && ev.snapshot.stats.every((f) => f.counterSet === 'vtoa');
}

function cdnOnly(ev: HostEvidence): boolean {
  return ev.implementations.length === 1 && ev.implementations[0] === 'tcp_toa';
}

export function statsFileRules(ev: HostEvidence, out: Finding[]): void {
  for (const f of ev.snapshot.stats) {
    if (f.layout === 'unrecognised' || f.layout === 'empty')
      out.push(
        finding('HOST_STATS_UNRECOGNISED', {
          title: `${f.path} matches no known layout`,
          explanation: `${f.path} is ${f.layout === 'empty' ? 'empty' : 'in a format toa-doctor does not know'}, so its counters cannot be used.`,
          remediation:
            'Attach the file to the report (toa-doctor bundle does); if it comes from a TOA module not listed in the README, please report it.',
          examples: f.firstLines.slice(0, 5).map((l, i) => ({ ref: `${f.path}:${i + 1}`, detail: l })),
        }),
      );
    else if (f.problems.length)
      out.push(
        finding('HOST_STATS_PARSE_PROBLEMS', {
          title: `${f.path}: ${f.problems.length} line(s) not understood`,
          explanation:
            'The file was read, but some lines did not fit its layout (values per CPU, non-numeric values, repeated names).',
          remediation: 'Usually harmless (a file copied while changing); check the lines listed.',
          examples: f.problems.slice(0, 5).map((p) => ({ ref: f.path, detail: p })),
        }),
      );
    if (f.unknownCounters.length)
      out.push(
        finding('HOST_UNKNOWN_COUNTERS', {
          title: `${f.path}: counters toa-doctor does not know`,
          explanation: `Kept and shown, not interpreted: ${f.unknownCounters.join(', ')}.`,
          remediation: 'Nothing to do; report the module version if you want them interpreted.',
          examples: f.unknownCounters
            .slice(0, 10)
            .map((c) => ({ ref: f.path, detail: `${c} = ${f.totals[c]}` })),
        }),
      );
  }
}

export function countersSingle(ev: HostEvidence, out: Finding[]): void {
  const c = ev.normalized;
  const s = ev.snapshot;
  const files = s.stats.filter((f) => f.layout === 'classic' || f.layout === 'ttgw');
  if (files.length === 0) return;
  const ref = files.map((f) => f.path).join(', ');
  if (c.synRecvToa !== null && c.synRecvNoToa !== null && !ev.deltas) {
    if (c.synRecvToa === 0 && c.synRecvNoToa > 0)
      out.push(
        finding('HOST_NO_TOA_SINCE_LOAD', {
          explanation:
            `syn_recv_sock_toa = 0 and syn_recv_sock_no_toa = ${c.synRecvNoToa} (totals since load): every connection the ` +
            `hook saw arrived without a TOA that ${implLabel(ev.implementations)} recognises. Either the load balancer ` +
            'does not insert it (or a middlebox strips it), or it uses another option kind.',
          remediation:
            'Capture on this host (`toa-doctor live` or `tcpdump -w`), then `toa-doctor read capture.pcap --host-dir <snapshot>` ' +
            'to see which kind arrives; match the module to the LB (200 = Tencent/UCloud, 254 = LVS/DPVS/Huawei, 28 = Alibaba CDN).',
          examples: [
            { ref, detail: `syn_recv_sock_toa=${c.synRecvToa} syn_recv_sock_no_toa=${c.synRecvNoToa}` },
          ],
        }),
      );
    else if (c.synRecvToa === 0 && c.synRecvNoToa === 0)
      out.push(
        finding('HOST_COUNTERS_ZERO', {
          explanation:
            'syn_recv_sock_toa and syn_recv_sock_no_toa are both 0: no connection has been created through the hooked path ' +
            'since the module loaded. Either no connection arrived yet, or the hook is not in the path (IPv6 listener, ' +
            'another module took over the pointer).',
          remediation:
            'Take two snapshots while clients connect (`toa-doctor host --interval 10 --count 2`).',
          examples: [{ ref }],
        }),
      );
    else if (c.synRecvNoToa > 0)
      out.push(
        finding('HOST_SOME_WITHOUT_TOA', {
          title: `${pct(c.synRecvNoToa, c.synRecvToa + c.synRecvNoToa)} of connections since load had no TOA`,
          explanation:
            `syn_recv_sock_toa = ${c.synRecvToa}, syn_recv_sock_no_toa = ${c.synRecvNoToa}. Connections that do not come ` +
            'through the load balancer (health checks from other sources, direct clients, loopback) have no TOA; that is normal.',
          remediation:
            'If real clients are among them, compare with a capture (toa-doctor read CAPTURE --host-dir DIR).',
          examples: [
            { ref, detail: `syn_recv_sock_toa=${c.synRecvToa} syn_recv_sock_no_toa=${c.synRecvNoToa}` },
          ],
        }),
      );
  }
  if (c.getnameMismatch !== null && c.getnameMismatch > 0 && !ev.deltas)
    out.push(
      finding('HOST_TOA_MISMATCH_SEEN', {
        title: `getname_toa_mismatch = ${c.getnameMismatch} since load`,
        explanation:
          'Sockets carried TOA bytes that were not a (kind, length) the getname path expects — e.g. an IPv6 TOA read through an ' +
          'IPv4 socket (NAT64), or a NAT64 getsockopt on the wrong socket type. One snapshot cannot tell whether it still happens.',
        remediation:
          'Take two snapshots (--interval) to see whether it rises; NAT64 clients need getsockopt(IPPROTO_IP, 4096).',
        examples: [{ ref, detail: `getname_toa_mismatch=${c.getnameMismatch}` }],
      }),
    );
  if (c.getnameBypass !== null && c.getnameBypass > 0 && !vtoaOnly(ev) && !ev.deltas)
    out.push(bypassFinding(ev, c.getnameBypass, false, ref));
  if (c.ip6Alloc !== null && c.ip6Free !== null && !ev.deltas) {
    const gap = c.ip6Alloc - c.ip6Free;
    const sockets = s.listeners.otherSockets.ipv4 + s.listeners.otherSockets.ipv6;
    const socketsKnown =
      (s.listeners.tcp || s.listeners.tcp6) && !s.container.inContainer && !s.listeners.truncated;
    if (gap > 0 && socketsKnown && gap > sockets)
      out.push(
        finding('HOST_IP6_ADDRESS_LEAK', {
          title: 'More IPv6 TOA entries are held than there are TCP sockets',
          explanation:
            `ip6_address_alloc − ip6_address_free = ${gap}, but /proc/net/tcp and tcp6 list only ${sockets} non-listening ` +
            'sockets. Entries are freed when their socket is destroyed, so entries without sockets are leaked memory.',
          remediation:
            'Take two snapshots with no traffic (--interval) to confirm it keeps growing; upgrade the module (DPVS/Huawei ELB/tgw_toa) and reload it in a maintenance window.',
          examples: [{ ref, detail: `ip6_address_alloc=${c.ip6Alloc} ip6_address_free=${c.ip6Free}` }],
        }),
      );
    else if (gap !== 0)
      out.push(
        finding('HOST_IP6_ADDRESS_GAP', {
          title: `${gap} IPv6 TOA entries currently held`,
          explanation:
            `ip6_address_alloc − ip6_address_free = ${gap}: heap entries for IPv6/NAT64/v4-mapped TOA of sockets that still ` +
            `exist${socketsKnown ? ` (${sockets} non-listening TCP sockets now)` : ''}. With no live connections the two ` +
            'should be equal; a gap that keeps growing without connections is a leak.',
          remediation: 'Compare two snapshots taken with little traffic (--interval).',
          examples: [{ ref, detail: `ip6_address_alloc=${c.ip6Alloc} ip6_address_free=${c.ip6Free}` }],
        }),
      );
  }
  if (!ev.deltas)
    out.push(
      finding('HOST_SINGLE_SNAPSHOT', {
        explanation:
          'Counters only show what happened since the module loaded; whether they move now needs two snapshots.',
        remediation:
          '`toa-doctor host --interval 10 --count 2` (or a snapshot dir with before/ and after/) while clients connect.',
        examples: [{ ref, detail: summarize(c) }],
      }),
    );
}

function bypassFinding(ev: HostEvidence, value: number, rising: boolean, ref: string): Finding {
  const cdn = cdnOnly(ev);
  return finding('HOST_TOA_BYPASS', {
    severity: cdn ? 'info' : 'warning',
    title: rising ? `getname_toa_bypass rising (${signed(value)})` : `getname_toa_bypass = ${value}`,
    explanation: cdn
      ? 'For the Alibaba CDN tcp_toa module this counter means getname was called on a socket that is not an AF_INET TCP socket; harmless.'
      : 'The socket had sk_user_data set, but its sk_data_ready is no longer the kernel default, so another kernel user ' +
        '(sockmap/psock from Cilium or a service-mesh socket accelerator, kTLS, sunrpc, strparser/KCM) owns it and TOA ' +
        'refuses to interpret it: those connections show the load balancer address.',
    remediation: cdn
      ? 'Nothing to do.'
      : 'Find who attaches to the sockets (Cilium socket-LB / sockops acceleration, kTLS offload): disable it for the TOA ports, or use a TOA design that does not use sk_user_data (eBPF-based or field-based).',
    examples: [{ ref, detail: `getname_toa_bypass ${rising ? signed(value) : `= ${value}`}` }],
  });
}

function pct(a: number, b: number): string {
  return b > 0 ? `${((a / b) * 100).toFixed(a === b ? 0 : 1)}%` : '0%';
}

function summarize(c: NormalizedCounters): string {
  return [
    `syn_recv_sock_toa=${n(c.synRecvToa)}`,
    `syn_recv_sock_no_toa=${n(c.synRecvNoToa)}`,
    `getname_ok=${n(c.getnameOk)}`,
    c.getnameMismatch !== null ? `mismatch=${c.getnameMismatch}` : null,
    c.getnameBypass !== null ? `bypass=${c.getnameBypass}` : null,
  ]
    .filter(Boolean)
    .join(' ');
}

export function countersDelta(ev: HostEvidence, out: Finding[]): void {
  const dl = ev.deltas;
  if (!dl) return;
  const files = ev.snapshot.stats.filter((f) => f.layout === 'classic' || f.layout === 'ttgw');
  if (files.length === 0) return;
  const ref = `${files.map((f) => f.path).join(', ')} over ${dl.seconds.toFixed(1)} s`;
  if (dl.reset) {
    out.push(
      finding('HOST_COUNTER_RESET', {
        title: 'Counters went backwards between the snapshots',
        explanation:
          'At least one counter is lower in the second snapshot: the module was unloaded and loaded again (or the host rebooted) in between, so the deltas mean nothing.',
        remediation: 'Take the two snapshots again.',
        examples: dl.counters
          .filter((c) => c.delta < 0)
          .slice(0, 5)
          .map((c) => ({ ref: c.file, detail: `${c.counter}: ${c.before} → ${c.after}` })),
      }),
    );
    return;
  }
  const d = dl.normalized;
  const passive = dl.passiveOpens;
  const toaD = d.synRecvToa ?? 0;
  const noToaD = d.synRecvNoToa ?? 0;
  const detail = `syn_recv_sock_toa ${signed(d.synRecvToa)}, syn_recv_sock_no_toa ${signed(d.synRecvNoToa)}, PassiveOpens ${signed(passive)}`;
  if (toaD === 0 && noToaD === 0 && passive !== null && passive > 0) {
    const ports = ipv6PathPorts(ev);
    out.push(
      finding('HOST_HOOK_NOT_IN_PATH', {
        title: `${passive} connections arrived but the TOA hook never ran`,
        explanation:
          `The kernel accepted ${passive} connections (/proc/net/snmp PassiveOpens) in ${dl.seconds.toFixed(1)} s, but ` +
          "neither syn_recv_sock_toa nor syn_recv_sock_no_toa moved: the module's syn_recv_sock hook is not on the path " +
          'those connections took. Causes: an IPv6/dual-stack listener with IPv4-only hooks' +
          (ports.length ? ` (this host has ${ports.length} such port(s))` : '') +
          ', another module overwrote the function pointer (two TOA modules), or the module is loaded-but-dead.',
        remediation: ports.length
          ? 'Listen on IPv4 (0.0.0.0) or use a build that hooks IPv6; then re-check with --interval.'
          : 'Check for a second TOA module or eBPF hook (lsmod, /sys/fs/bpf/toa), rmmod and re-load the module, and re-check with --interval.',
        examples: [{ ref, detail }, ...portExamples(ports)],
        flows: passive,
      }),
    );
  }
  if (noToaD > 0) {
    const all = toaD === 0;
    out.push(
      finding('HOST_NO_TOA_RISING', {
        severity: all ? 'error' : 'warning',
        title: all
          ? `All ${noToaD} new connections arrived without a recognised TOA`
          : `${pct(noToaD, toaD + noToaD)} of new connections arrived without a recognised TOA`,
        explanation:
          `In ${dl.seconds.toFixed(1)} s syn_recv_sock_no_toa rose by ${noToaD} and syn_recv_sock_toa by ${toaD}. ` +
          (all
            ? `The hook runs, but no packet that created a socket carried a TOA ${implLabel(ev.implementations)} accepts: the load balancer does not insert it, a middlebox strips it, it rides only on a packet the module does not read (SYN only), or the LB uses another kind.`
            : 'Connections not coming through the load balancer (health checks, direct clients) have no TOA, which is normal; if real clients are among them, the LB or a middlebox drops the option for some flows.'),
        remediation:
          'Capture during the same interval and run `toa-doctor read capture.pcap --host-dir <before/after dir>` to see which kind (if any) arrives on the handshake ACK.',
        examples: [{ ref, detail }],
        flows: noToaD,
      }),
    );
  }
  if (d.getnameMismatch !== null && d.getnameMismatch > 0)
    out.push(
      finding('HOST_TOA_MISMATCH_RISING', {
        title: `getname_toa_mismatch rising (${signed(d.getnameMismatch)})`,
        explanation:
          'getpeername()/accept() found TOA bytes of a (kind, length) the getname path does not accept: typically an IPv6 ' +
          'TOA (NAT64 client) on an IPv4 socket, which needs getsockopt(IPPROTO_IP, 4096), or a NAT64 getsockopt on a socket ' +
          'without NAT64 TOA.',
        remediation:
          'For NAT64 (IPv6 clients, IPv4 backend) read the address with getsockopt(fd, IPPROTO_IP, 4096, struct toa_nat64_peer) ' +
          'and fall back to getpeername; otherwise check that the LB sends the kind/length this module expects.',
        examples: [{ ref, detail: `getname_toa_mismatch ${signed(d.getnameMismatch)}` }],
        flows: d.getnameMismatch,
      }),
    );
  if (d.getnameBypass !== null && d.getnameBypass > 0 && !vtoaOnly(ev))
    out.push(bypassFinding(ev, d.getnameBypass, true, ref));
  if (d.ip6Alloc !== null && d.ip6Free !== null) {
    const grow = d.ip6Alloc - d.ip6Free;
    const quiet = passive !== null ? passive === 0 : toaD + noToaD === 0;
    if (grow > 0 && quiet)
      out.push(
        finding('HOST_IP6_ADDRESS_LEAK', {
          title: `IPv6 TOA entries grew by ${grow} with no new connections`,
          explanation:
            `ip6_address_alloc ${signed(d.ip6Alloc)}, ip6_address_free ${signed(d.ip6Free)} in ${dl.seconds.toFixed(1)} s while ` +
            'no connection was accepted: entries are allocated without sockets to free them — a leak in the module.',
          remediation:
            'Upgrade the module (DPVS kmod/toa, Huawei ELB toa, tgw_toa) and reload it in a maintenance window; watch the gap with --interval.',
          examples: [
            {
              ref,
              detail: `ip6_address_alloc ${signed(d.ip6Alloc)} ip6_address_free ${signed(d.ip6Free)} PassiveOpens ${signed(passive)}`,
            },
          ],
        }),
      );
    else if (grow !== 0 || (ev.normalized.ip6Alloc ?? 0) !== (ev.normalized.ip6Free ?? 0))
      out.push(
        finding('HOST_IP6_ADDRESS_GAP', {
          title: `IPv6 TOA entries held: ${(ev.normalized.ip6Alloc ?? 0) - (ev.normalized.ip6Free ?? 0)} (${signed(grow)} in the interval)`,
          explanation:
            'ip6_address_alloc − ip6_address_free counts live IPv6/NAT64/v4-mapped TOA entries; it moves with connections.',
          remediation: 'Nothing to do unless it grows while no connections arrive.',
          examples: [
            { ref, detail: `ip6_address_alloc ${signed(d.ip6Alloc)} ip6_address_free ${signed(d.ip6Free)}` },
          ],
        }),
      );
  }
  const noNewConnections = passive !== null ? passive === 0 : toaD + noToaD === 0;
  if (noNewConnections)
    out.push(
      finding('HOST_NO_TRAFFIC_IN_INTERVAL', {
        explanation:
          `In ${dl.seconds.toFixed(1)} s ${passive === 0 ? 'PassiveOpens did not move' : 'syn_recv_sock_* did not move'}: ` +
          'no new connection was accepted, so nothing can be concluded about the hook from this interval.',
        remediation:
          'Take the snapshots while clients connect through the load balancer, or lengthen --interval.',
        examples: [{ ref }],
      }),
    );
}
