/**
 * Host rules, container and listener groups: counters hidden in a container, and IPv6/dual-stack
 * listeners that IPv4-only hooks never see.
 */
import type { HostEvidence } from '../../host/types-host.js';
import { READER_MODULES } from '../finding.js';
import type { Finding, Severity } from '../types.js';
import { finding, ipv6Hooks, ipv6PathPorts, portExamples } from './common.js';

export function containerRules(ev: HostEvidence, out: Finding[]): void {
  const s = ev.snapshot;
  if (!s.container.inContainer || s.stats.length > 0) return;
  const visible = s.modules.filter((m) => READER_MODULES.includes(m.name) && (m.loaded || m.sysfs));
  out.push(
    finding('HOST_CONTAINER_NO_VISIBILITY', {
      explanation:
        `This looks like a container (${s.container.reasons.join('; ')}). TOA modules create /proc/net/toa_stats only ` +
        'in the host network namespace, so its absence here says nothing about the module. ' +
        (visible.length
          ? `${visible.map((m) => m.name).join(', ')} is visible in /proc/modules or /sys/module, i.e. loaded on the host; its hooks are global, so sockets in this container are rewritten too.`
          : 'No TOA module is visible through /proc/modules or /sys/module either: it has to be loaded on the host (vendors require that).'),
      remediation:
        'Run `toa-doctor host` on the host (or in a privileged pod with hostNetwork and /proc from the host) to read ' +
        'the counters. If a sidecar/L7 proxy sits in front of the app, it must read and forward the client address itself.',
      examples: s.container.reasons.map((r) => ({ ref: r })),
    }),
  );
}

export function listenerRules(ev: HostEvidence, out: Finding[], active: boolean): void {
  if (!active) return;
  const ports = ipv6PathPorts(ev);
  if (ports.length === 0) return;
  const h = ipv6Hooks(ev);
  if (h.hooked === true) return;
  /** ports where IPv4 clients (the usual LB traffic) take the IPv6 path */
  const v4via6 = ports.filter((p) => p.ipv4ClientPath === 'ipv6');
  if (h.hooked === false) {
    const main = v4via6.length ? v4via6 : ports;
    const severity: Severity = v4via6.length
      ? h.strong
        ? 'error'
        : 'warning'
      : h.strong
        ? 'warning'
        : 'info';
    out.push(
      finding('HOST_IPV6_LISTENER_IPV4_HOOKS', {
        severity,
        explanation:
          (v4via6.length
            ? `${v4via6.length} port(s) (${v4via6.map((p) => p.port).join(', ')}) are served only by an IPv6 socket (\`::\`, ` +
              'the default of Go and Java), so IPv4 clients are accepted through tcp_v6_syn_recv_sock and inet6_getname. '
            : `${ports.length} port(s) (${ports.map((p) => p.port).join(', ')}) also listen on IPv6; IPv6 clients use ` +
              'tcp_v6_syn_recv_sock and inet6_getname (IPv4 clients use the IPv4 socket). ') +
          `${h.how}: the IPv6 paths are not hooked, so those connections keep the load balancer address and the ` +
          'syn_recv_sock_* counters do not move for them.',
        remediation:
          'Either listen on an IPv4 socket (0.0.0.0:port; Go: net.Listen("tcp4", ...); nginx: listen 80 without [::]), ' +
          'or use a module build that hooks IPv6 (Huawei: build with CONFIG_IP_VS_TOA_IPV6; UCloud >= f12336f; DPVS kmod/toa).',
        examples: [...portExamples(main), { ref: 'hooks', detail: h.how }],
        flows: main.length,
      }),
    );
    return;
  }
  out.push(
    finding('HOST_IPV6_HOOKS_UNCONFIRMED', {
      explanation:
        `${ports.length} port(s) (${ports.map((p) => p.port).join(', ')}) are served by an IPv6 socket` +
        (v4via6.length ? ', and IPv4 clients take the IPv6 path on some of them' : '') +
        `. ${h.how}, so toa-doctor cannot tell whether the module hooks that path (hook lines are rate-limited and some ` +
        'modules log nothing).',
      remediation:
        'Take two snapshots while traffic flows (`toa-doctor host --interval 10 --count 2`): if syn_recv_sock_* stay ' +
        'flat while connections arrive, the IPv6 path is not hooked.',
      examples: portExamples(ports),
      flows: ports.length,
    }),
  );
}
