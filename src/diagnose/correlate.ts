/**
 * Correlation: packet facts (CaptureStats) + host evidence → findings with source
 * 'correlation'. Host-only facts stay in diagnoseHost; these findings say what the two
 * together show, e.g. "TOA 200/8 on 120 handshake ACKs; syn_recv_sock_toa +0,
 * syn_recv_sock_no_toa +120 → the module reads another kind".
 */
import { formatEndpoint } from '../endpoint.js';
import { acceptedVariants, implementationInfo } from '../host/identify.js';
import type { HostEvidence, PortListeners } from '../host/types-host.js';
import type { CaptureStats } from './capture-stats.js';
import { type FindingCodeRow, findingBuilder, READER_MODULES, signed } from './finding.js';
import { diagnoseHost } from './host-rules.js';
import { type Finding, type FindingExample, rankFindings } from './types.js';

/** Stable codes (README table). */
export const CORRELATION_CODES = [
  { code: 'CORR_TOA_BUT_NO_MODULE', severity: 'error', title: 'Packets carry TOA but no module reads it' },
  {
    code: 'CORR_TOA_BUT_MODULE_DEAD',
    severity: 'error',
    title: 'Packets carry TOA but the module is loaded-but-dead',
  },
  {
    code: 'CORR_MODULE_READS_OTHER_KIND',
    severity: 'error',
    title: 'Packets carry TOA; the module counts them as no_toa',
  },
  {
    code: 'CORR_KIND_NOT_ACCEPTED',
    severity: 'varies',
    title: 'The TOA kind on the wire is not one the module reads',
  },
  {
    code: 'CORR_HOOK_NOT_IN_PATH',
    severity: 'error',
    title: 'Handshakes captured, hook counters did not move',
  },
  {
    code: 'CORR_HOOK_MISSES_CONNECTIONS',
    severity: 'warning',
    title: 'The hook counted far fewer connections than were captured',
  },
  {
    code: 'CORR_DUALSTACK_PORT',
    severity: 'error',
    title: 'IPv4 TOA traffic to a port served by an IPv6 socket',
  },
  {
    code: 'CORR_APP_NOT_READING',
    severity: 'warning',
    title: 'The module stored TOA but getpeername() never returned it',
  },
  { code: 'CORR_HOST_CONFIRMS_TOA', severity: 'info', title: 'The module counted the TOA connections' },
  {
    code: 'CORR_LB_NOT_INSERTING',
    severity: 'info',
    title: 'No TOA on the wire and the module counts no_toa: consistent',
  },
  {
    code: 'CORR_PORT_NOT_LISTENING',
    severity: 'info',
    title: 'Captured server ports do not listen in the snapshot',
  },
  { code: 'CORR_WINDOW_MISMATCH', severity: 'info', title: 'Counter deltas do not cover the capture time' },
] as const satisfies readonly FindingCodeRow[];

/** 'toa-200-8' → '200/8' */
export function variantLabel(id: string): string {
  const m = /^toa-(\d+)-(\d+)$/.exec(id);
  return m ? `${m[1]}/${m[2]}` : id;
}

function onWire(stats: CaptureStats): { total: number; text: string; ids: string[] } {
  const entries = Object.entries(stats.variantsOnReadPacket)
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1]);
  const total = entries.reduce((s, [, n]) => s + n, 0);
  const text = entries.map(([id, n]) => `TOA ${variantLabel(id)} on ${n}`).join(', ');
  return {
    total,
    text: text ? `${text} of ${stats.handshakes} handshake ACKs` : '',
    ids: entries.map(([id]) => id),
  };
}

function listenerFor(ev: HostEvidence, port: number): PortListeners | undefined {
  return ev.snapshot.listeners.ports.find((p) => p.port === port);
}

/** Do the before/after snapshots bracket (overlap) the capture? null: cannot tell. */
function windowOverlaps(stats: CaptureStats, ev: HostEvidence): boolean | null {
  if (!ev.before || stats.firstTs === null || stats.lastTs === null) return null;
  const a = ev.before.collectedAtMs / 1000;
  const b = ev.snapshot.collectedAtMs / 1000;
  return stats.lastTs >= a && stats.firstTs <= b;
}

export function correlate(stats: CaptureStats, ev: HostEvidence): Finding[] {
  const out: Finding[] = [];
  const finding = findingBuilder(CORRELATION_CODES, 'correlation', stats.flows);
  const s = ev.snapshot;
  const host = diagnoseHost(ev);
  const has = (code: string) => host.some((f) => f.code === code);
  const wire = onWire(stats);
  const readers = s.modules.filter((m) => READER_MODULES.includes(m.name) && (m.loaded || m.builtin));
  const moduleActive = readers.length > 0 || s.stats.length > 0 || s.ebpf.present;
  const visibleInContainer = s.modules.some((m) => READER_MODULES.includes(m.name) && m.sysfs);
  const impl = ev.implementations;
  const implText = impl.length
    ? impl.map((i) => implementationInfo(i)?.label ?? i).join(' or ')
    : 'the module';
  const hostRef: FindingExample = { ref: `host ${s.hostname ?? ev.source}`, detail: s.collectedAt };

  // ---- TOA on the wire, nothing to read it
  if (wire.total > 0 && !moduleActive && !visibleInContainer && s.procModules !== null) {
    out.push(
      finding('CORR_TOA_BUT_NO_MODULE', {
        title: 'Packets carry TOA but no module on the host reads it',
        explanation:
          `${wire.text}, but no TOA module is loaded on ${s.hostname ?? 'the host'}: the load balancer does its part and ` +
          'the application still sees the load balancer address.',
        remediation:
          'Load the TOA module that matches the kind on the wire (see HOST_MODULE_NOT_LOADED), then reconnect.',
        examples: [{ ref: 'capture', detail: wire.text }, hostRef],
        flows: wire.total,
      }),
    );
    return rankFindings(out);
  }
  if (wire.total > 0 && has('HOST_MODULE_LOADED_BUT_DEAD')) {
    out.push(
      finding('CORR_TOA_BUT_MODULE_DEAD', {
        explanation: `${wire.text}, but the module on the host is loaded without hooks (init returned 1): nothing reads the option.`,
        remediation:
          'Fix the load failure shown in the kernel log, rmmod and load the module again (see HOST_MODULE_LOADED_BUT_DEAD).',
        examples: [{ ref: 'capture', detail: wire.text }, hostRef],
        flows: wire.total,
      }),
    );
    return rankFindings(out);
  }

  // ---- deltas that describe the capture window
  const overlap = windowOverlaps(stats, ev);
  const dl = ev.deltas && !ev.deltas.reset && overlap !== false ? ev.deltas : null;
  if (ev.deltas && overlap === false)
    out.push(
      finding('CORR_WINDOW_MISMATCH', {
        title: 'The host snapshots were not taken while the capture ran',
        explanation:
          `Capture ${iso(stats.firstTs)} – ${iso(stats.lastTs)}; snapshots ${ev.before?.collectedAt} – ${s.collectedAt}. ` +
          'The counter deltas describe other connections, so they are not compared with the packets.',
        remediation: 'Take the before/after snapshots around the capture (toa-doctor bundle does).',
        examples: [hostRef],
      }),
    );

  const accepted = readers.length + (s.ebpf.present ? 1 : 0) > 1 ? null : acceptedVariants(impl, s);
  const notAccepted = accepted ? wire.ids.filter((id) => !accepted.includes(id)) : [];
  const notAcceptedFlows = notAccepted.reduce((sum, id) => sum + (stats.variantsOnReadPacket[id] ?? 0), 0);
  const acceptedText = accepted ? accepted.map(variantLabel).join(', ') : '';

  if (dl && stats.handshakes > 0) {
    const d = dl.normalized;
    const toaD = d.synRecvToa;
    const noToaD = d.synRecvNoToa;
    const counters = `syn_recv_sock_toa ${signed(toaD)}, syn_recv_sock_no_toa ${signed(noToaD)}`;
    if (toaD !== null && noToaD !== null) {
      if (wire.total > 0 && toaD === 0 && noToaD > 0) {
        out.push(
          finding('CORR_MODULE_READS_OTHER_KIND', {
            explanation:
              `${wire.text}; ${counters} → the module runs but does not recognise this option: it reads another kind/length` +
              (accepted ? ` (${implText} reads ${acceptedText})` : '') +
              '.',
            remediation:
              accepted && notAccepted.length
                ? `Make the LB and the module agree: the LB sends ${notAccepted.map(variantLabel).join(', ')}; ` +
                  `install the module for that LB (200 = Tencent/UCloud/TencentOS, 254 = LVS/DPVS/Huawei, 28 = Alibaba CDN) or ` +
                  'change the kind where it is configurable (ip_vs_ca tcpopt_addr, CDN eBPF set-toa-optcode.sh).'
                : 'Install the module that matches the LB (200 = Tencent/UCloud/TencentOS, 254 = LVS/DPVS/Huawei, 28 = Alibaba CDN).',
            examples: [
              { ref: 'capture', detail: wire.text },
              { ref: 'host counters', detail: `${counters} in ${dl.seconds.toFixed(1)} s` },
            ],
            flows: wire.total,
          }),
        );
      } else if (toaD === 0 && noToaD === 0) {
        const ports = dualStackPorts(stats, ev);
        out.push(
          finding('CORR_HOOK_NOT_IN_PATH', {
            title: `${stats.handshakes} handshakes captured, hook counters did not move`,
            explanation:
              `${stats.handshakes} handshakes reached the server during the snapshots, but ${counters}: the module's hook is ` +
              'not on the path these connections took' +
              (ports.length
                ? ` — port(s) ${ports.map((p) => p.port).join(', ')} listen only on \`::\`, so IPv4 clients go through the IPv6 path`
                : ' (IPv6/dual-stack listener, a second TOA module that replaced the pointer, or loaded-but-dead)') +
              '.',
            remediation: ports.length
              ? 'Listen on 0.0.0.0 (IPv4) or use a module build that hooks IPv6.'
              : 'Check lsmod for a second TOA module / eBPF hook; rmmod and re-load the module.',
            examples: [
              { ref: 'host counters', detail: counters },
              ...ports.map((p) => ({ ref: `listen ${formatEndpoint('::', p.port)}` })),
            ],
            flows: stats.handshakes,
          }),
        );
      } else {
        if (stats.handshakes >= 10 && toaD + noToaD < stats.handshakes * 0.5)
          out.push(
            finding('CORR_HOOK_MISSES_CONNECTIONS', {
              explanation:
                `${stats.handshakes} handshakes captured, but the module counted ${toaD + noToaD} new connections (${counters}). ` +
                'Part of the connections take a path the module does not hook (e.g. an IPv6/dual-stack listener), or the ' +
                'capture saw traffic for another host.',
              remediation:
                'Compare the server ports with the listeners (toa-doctor host) and make them listen on IPv4, or hook IPv6.',
              examples: [{ ref: 'host counters', detail: counters }],
              flows: stats.handshakes - (toaD + noToaD),
            }),
          );
        if (wire.total > 0 && toaD > 0) {
          out.push(
            finding('CORR_HOST_CONFIRMS_TOA', {
              explanation: `${wire.text}; ${counters}: the module recognised the option on new connections.`,
              remediation:
                'If the application still logs the LB address, check how it reads the peer (getpeername/accept) and whether a proxy sits in between.',
              examples: [{ ref: 'host counters', detail: counters }],
              flows: wire.total,
            }),
          );
          if (d.getnameOk !== null && d.getnameOk === 0)
            out.push(
              finding('CORR_APP_NOT_READING', {
                explanation:
                  `syn_recv_sock_toa ${signed(toaD)} but getname_toa_ok ${signed(d.getnameOk)}: the application never asked ` +
                  'for the peer address of those sockets through getpeername()/accept(). It reads the address elsewhere ' +
                  '(recvfrom/recvmsg, /proc, ss, conntrack), or an L7 proxy/sidecar accepts the connections and forwards ' +
                  'them from its own address.',
                remediation:
                  'Make the application (or the proxy in front of it) take the client address from accept()/getpeername(); NAT64 clients need getsockopt(IPPROTO_IP, 4096).',
                examples: [
                  { ref: 'host counters', detail: `${counters}, getname_toa_ok ${signed(d.getnameOk)}` },
                ],
                flows: wire.total,
              }),
            );
        }
        if (wire.total === 0 && noToaD > 0 && stats.verdicts.TOA_MISSING > 0)
          out.push(
            finding('CORR_LB_NOT_INSERTING', {
              title: 'No TOA on the wire, and the module counts no_toa: consistent',
              explanation:
                `${stats.verdicts.TOA_MISSING} flows without TOA in the capture and ${counters}: the module is in the path ` +
                'and working; the option is missing before it reaches this host.',
              remediation:
                'Look upstream: LB TOA setting, a middlebox stripping unknown TCP options (Cisco ASA normalizer), option space.',
              examples: [{ ref: 'host counters', detail: counters }],
              flows: stats.verdicts.TOA_MISSING,
            }),
          );
      }
    }
  }

  // ---- kind acceptance from the identified implementation (works with one snapshot)
  const readsOtherAlready = out.some((f) => f.code === 'CORR_MODULE_READS_OTHER_KIND');
  if (accepted && notAccepted.length && !readsOtherAlready) {
    const all = notAcceptedFlows === wire.total;
    out.push(
      finding('CORR_KIND_NOT_ACCEPTED', {
        severity: all ? 'error' : 'warning',
        title: `TOA ${notAccepted.map(variantLabel).join(', ')} on the wire; ${implText} reads ${acceptedText}`,
        explanation:
          `${wire.text}. The host evidence identifies ${implText}, which understands ${acceptedText}; ` +
          `${notAcceptedFlows} flow(s) carry a kind/length it ignores, so those connections keep the LB address` +
          (ev.deltas
            ? '.'
            : ' (one snapshot: take before/after snapshots to see syn_recv_sock_no_toa rise).'),
        remediation:
          'Install the module for the LB that sends this kind (200 = Tencent/UCloud/TencentOS, 254 = LVS/DPVS/Huawei, 28 = Alibaba CDN, 253/20 or 254/20 = IPv6/NAT64), or change the kind where it is configurable.',
        examples: [{ ref: 'capture', detail: wire.text }, hostRef],
        flows: notAcceptedFlows,
      }),
    );
  }

  // ---- listener shape vs captured ports
  const dual = dualStackPorts(stats, ev);
  if (
    dual.length &&
    has('HOST_IPV6_LISTENER_IPV4_HOOKS') &&
    !out.some((f) => f.code === 'CORR_HOOK_NOT_IN_PATH')
  ) {
    const flows = dual.reduce((sum, p) => sum + (stats.serverPorts[p.port] ?? 0), 0);
    out.push(
      finding('CORR_DUALSTACK_PORT', {
        title: `IPv4 TOA traffic to port(s) ${dual.map((p) => p.port).join(', ')}, served by an IPv6 socket`,
        explanation:
          `${flows} captured flow(s) go to port(s) that listen only on \`::\`: IPv4 clients are accepted through ` +
          'tcp_v6_syn_recv_sock/inet6_getname, which this module does not hook, so they keep the LB address.',
        remediation:
          'Listen on 0.0.0.0 for these ports (Go: "tcp4"; nginx: `listen 80;`), or use a module build that hooks IPv6.',
        examples: dual.map((p) => ({
          ref: `listen ${formatEndpoint('::', p.port)}`,
          detail: `${stats.serverPorts[p.port] ?? 0} flows`,
        })),
        flows,
      }),
    );
  }

  if (s.listeners.tcp || s.listeners.tcp6) {
    const missing = Object.entries(stats.serverPorts)
      .filter(([port, n]) => n > 0 && !listenerFor(ev, Number(port)))
      .map(([port, n]) => ({ port: Number(port), n }));
    if (missing.length && s.listeners.listeners.length > 0) {
      const flows = missing.reduce((sum, m) => sum + m.n, 0);
      out.push(
        finding('CORR_PORT_NOT_LISTENING', {
          title: `Captured server port(s) ${missing
            .slice(0, 5)
            .map((m) => m.port)
            .join(', ')} do not listen in the host snapshot`,
          explanation:
            'The capture shows connections to ports that have no listening socket in this snapshot: the snapshot may come ' +
            'from another host (or network namespace) than the capture, or the service was down.',
          remediation:
            'Take the capture and the host snapshot on the same backend (toa-doctor bundle does both).',
          examples: missing.slice(0, 5).map((m) => ({ ref: `port ${m.port}`, detail: `${m.n} flows` })),
          flows,
        }),
      );
    }
  }
  return rankFindings(out);
}

/** Captured server ports (IPv4 traffic) that listen only through an IPv6 socket. */
function dualStackPorts(stats: CaptureStats, ev: HostEvidence): PortListeners[] {
  if (stats.ipv4Flows === 0) return [];
  return Object.entries(stats.serverPorts)
    .filter(([, n]) => n > 0)
    .map(([port]) => listenerFor(ev, Number(port)))
    .filter((p): p is PortListeners => !!p && p.ipv4ClientPath === 'ipv6');
}

function iso(ts: number | null): string {
  return ts === null ? '?' : new Date(ts * 1000).toISOString();
}
