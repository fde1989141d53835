/**
 * Probe observations (+ optional host identification and the variants the LB sends) → findings
 * and the toa-doctor/probe@1 document. Pure: no I/O.
 *
 * Codes, registered once (severity and title live here, call sites add detail):
 */

import { formatEndpoint } from '../decode/toa.js';
import { IMPLEMENTATIONS } from '../host/identify.js';
import type { Implementation } from '../host/types-host.js';
import type { ProbeObservation, ProbeResult } from './run.js';

export type Severity = 'error' | 'warning' | 'info';

export const PROBE_CODES = {
  PROBE_NOTHING_REWRITTEN: { severity: 'error', title: 'no TOA variant is rewritten on this host' },
  PROBE_LB_VARIANT_NOT_READ: { severity: 'error', title: 'the variant the LB sends is not read here' },
  PROBE_WRONG_ADDRESS: {
    severity: 'error',
    title: 'getpeername() changed, but not to the address in the option',
  },
  PROBE_REWRITES: { severity: 'info', title: 'variants and packets the TOA reader of this host rewrites' },
  PROBE_READS_SYN: { severity: 'info', title: 'the reader takes the address from the SYN' },
  PROBE_HOST_MISMATCH: { severity: 'warning', title: 'host evidence and the measurement disagree' },
  PROBE_NOT_SENT: { severity: 'info', title: 'some variants could not be sent' },
  PROBE_NAT64_NOT_TESTED: {
    severity: 'info',
    title: 'NAT64 (IPv6 client on an IPv4 socket): getsockopt(IPPROTO_IP, 4096) not tested',
  },
  PROBE_NAT64_ANSWERS: {
    severity: 'info',
    title: 'getsockopt(IPPROTO_IP, 4096) returns IPv6 clients on IPv4 sockets (NAT64)',
  },
  PROBE_NAT64_NO_API: {
    severity: 'info',
    title: 'nothing answers getsockopt(IPPROTO_IP, 4096): no NAT64 API on this host',
  },
  PROBE_CONNECT_FAILED: { severity: 'warning', title: 'some probe connections failed' },
} as const satisfies Record<string, { severity: Severity; title: string }>;

export type ProbeCode = keyof typeof PROBE_CODES;

export interface ProbeFinding {
  code: ProbeCode;
  severity: Severity;
  title: string;
  detail: string;
  remedy: string | null;
}

export interface ProbeDocument {
  schema: 'toa-doctor/probe@1';
  results: ProbeResult[];
  findings: ProbeFinding[];
}

export interface ProbeContext {
  /** implementations `host` identified (empty: none) */
  implementations?: Implementation[];
  /** variant labels the LB sends ("200/8"), from --lb or a capture */
  lbVariants?: string[];
  ipv6Listener?: boolean;
}

function finding(code: ProbeCode, detail: string, remedy: string | null = null): ProbeFinding {
  const c = PROBE_CODES[code];
  return { code, severity: c.severity, title: c.title, detail, remedy };
}

const label = (id: string) => id.replace(/^toa-(\d+)-(\d+)$/, '$1/$2');

/** "254/8 (ack, syn), 28/7 (syn)" */
export function describeRewrites(obs: ProbeObservation[]): string {
  const by = new Map<string, string[]>();
  for (const o of obs) {
    if (!o.rewritten) continue;
    const l = by.get(o.variant) ?? [];
    l.push(o.packet);
    by.set(o.variant, l);
  }
  return [...by].map(([v, p]) => `${v} (${p.join(', ')})`).join(', ');
}

export function buildProbeDocument(obs: ProbeObservation[], ctx: ProbeContext = {}): ProbeDocument {
  const findings: ProbeFinding[] = [];
  const rewritten = [...new Set(obs.filter((o) => o.rewritten).map((o) => o.variant))];
  const impls = ctx.implementations ?? [];
  const implLabels = impls.map((i) => IMPLEMENTATIONS.find((x) => x.id === i)?.label ?? i);

  const failed = obs.filter((o) => o.error);
  if (failed.length)
    findings.push(
      finding(
        'PROBE_CONNECT_FAILED',
        `${failed.length} of ${obs.length} connections failed (${failed[0]!.variant} ${failed[0]!.packet}: ${failed[0]!.error})`,
        'a firewall rule on loopback or a middlebox in the local stack may drop packets with unknown options',
      ),
    );

  const wrong = obs.filter((o) => o.changed && !o.rewritten);
  if (wrong.length)
    findings.push(
      finding(
        'PROBE_WRONG_ADDRESS',
        wrong
          .map((o) => `${o.variant} on the ${o.packet}: got ${o.peer}, the option carried ${o.expected}`)
          .join('; '),
        'the reader decodes this variant with another layout (or keeps a stale address): compare its source with the LB documentation',
      ),
    );

  if (rewritten.length === 0) {
    const remedy = impls.length
      ? `host evidence points at ${implLabels.join(' / ')}, yet nothing was rewritten: the module may be loaded but dead (see \`toa-doctor host\`: counters, dmesg), or hooks only another socket family`
      : 'no TOA module or eBPF reader is active: load the one that matches your LB (`toa-doctor host` lists what it finds)';
    findings.push(
      finding(
        'PROBE_NOTHING_REWRITTEN',
        `${obs.length} connections with ${new Set(obs.map((o) => o.variant)).size} variants: getpeername() returned the real loopback peer every time`,
        remedy,
      ),
    );
  } else {
    findings.push(finding('PROBE_REWRITES', `rewritten: ${describeRewrites(obs)}`));
    const synOnly = obs.filter((o) => o.rewritten && o.packet === 'syn').map((o) => o.variant);
    if (synOnly.length)
      findings.push(
        finding(
          'PROBE_READS_SYN',
          `a TOA on the SYN alone is enough for ${[...new Set(synOnly)].join(', ')} (a SYN-or-ACK reader, like the Alibaba CDN eBPF TOA; classic modules read only the packet that completes the handshake)`,
        ),
      );
  }

  for (const lb of ctx.lbVariants ?? []) {
    const tested = obs.some((o) => o.variant === lb);
    if (!tested || rewritten.includes(lb)) continue;
    const readers = IMPLEMENTATIONS.filter((i) => i.accepts.includes(`toa-${lb.replace('/', '-')}`)).map(
      (i) => i.label,
    );
    const head = rewritten.length
      ? `the module rewrites ${rewritten.join(', ')} only`
      : 'nothing is rewritten';
    findings.push(
      finding(
        'PROBE_LB_VARIANT_NOT_READ',
        `${head}: the LB sends ${lb}`,
        `${readers.length ? `load a reader for ${lb} (${readers.join(' / ')})` : `load a reader for ${lb}`}${rewritten.length ? ` or change the LB's TOA kind to ${rewritten.join(' / ')}` : ''}`,
      ),
    );
  }

  if (impls.length) {
    const expect = new Set<string>();
    for (const i of impls)
      for (const v of IMPLEMENTATIONS.find((x) => x.id === i)?.accepts ?? []) expect.add(label(v));
    const testedVariants = new Set(obs.map((o) => o.variant));
    const missing = [...expect].filter(
      (v) =>
        testedVariants.has(v) &&
        !rewritten.includes(v) &&
        obs.some((o) => o.variant === v && o.sent && o.family === 'ipv4'),
    );
    const extra = rewritten.filter((v) => !expect.has(v));
    if (missing.length || extra.length)
      findings.push(
        finding(
          'PROBE_HOST_MISMATCH',
          `host evidence points at ${implLabels.join(' / ')}${missing.length ? `, which should read ${missing.join(', ')} (not rewritten here)` : ''}${extra.length ? `; rewritten although not expected: ${extra.join(', ')}` : ''}`,
          'another TOA reader may be active too (an eBPF program on the root cgroup: `bpftool cgroup tree`), or a different build of the module is loaded',
        ),
      );
  }

  const unsent = obs.filter((o) => !o.sent && !o.error);
  if (unsent.length)
    findings.push(
      finding(
        'PROBE_NOT_SENT',
        `${[...new Set(unsent.map((o) => o.variant))].join(', ')}: no room in the TCP header beside the connection's own options (an LB has the same limit)`,
      ),
    );

  const asked = obs.filter((o) => o.nat64 && o.sent);
  const answered = asked.filter((o) => o.nat64!.kind === 'peer');
  const untested = asked.find((o) => o.nat64!.kind === 'untested');
  if (answered.length) {
    const parts = answered.map((o) => {
      const a = o.nat64 as { address: string; port: number };
      const got = formatEndpoint(a.address, a.port);
      return `${o.variant} (${o.packet}): ${got}${got === o.expected ? '' : ` (the option carried ${o.expected})`}`;
    });
    findings.push(
      finding(
        'PROBE_NAT64_ANSWERS',
        parts.join('; '),
        'applications behind NAT64 must call it (getpeername() shows the LB)',
      ),
    );
  } else if (untested) {
    const reason = (untested.nat64 as { reason: string }).reason;
    findings.push(
      finding(
        'PROBE_NAT64_NOT_TESTED',
        `IPv6 client variants on an IPv4 socket cannot show in getpeername(); modules that support NAT64 answer getsockopt(IPPROTO_IP, 4096): ${reason}`,
        'install python3 and run probe again, or test it from the application on a connection from a NAT64 client',
      ),
    );
  } else if (asked.length) {
    const e = asked[0]!.nat64 as { errno: number; name: string };
    findings.push(
      finding(
        'PROBE_NAT64_NO_API',
        `${asked.length} IPv6-client connection${asked.length === 1 ? '' : 's'} on an IPv4 socket: getsockopt(IPPROTO_IP, 4096) failed (errno ${e.errno}, ${e.name})`,
        'IPv6 clients behind a NAT64 LB cannot be identified on IPv4 sockets here: load a module with the NAT64 API (DPVS toa, Tencent NAT64 build), or listen on IPv6',
      ),
    );
  }

  return {
    schema: 'toa-doctor/probe@1',
    results: obs.map(({ variant, packet, peer, expected, rewritten }) => ({
      variant,
      packet,
      peer,
      expected,
      rewritten,
    })),
    findings,
  };
}
