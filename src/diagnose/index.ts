/**
 * Capture diagnosis: AnalysisResult (+ optional host evidence) → ranked findings with concrete
 * remediation. One finding per verdict problem, plus capture-level findings (no handshakes, one
 * direction, TOA from outside the LB list, checksum offload, decode errors, evictions...).
 * With host evidence, the host area's diagnoseHost() and correlate() findings are merged in.
 */
import type { CaptureSummary } from '../capture/types.js';
import { linkTypeName, TOA_VARIANTS } from '../decode/index.js';
import { formatEndpoint } from '../endpoint.js';
import { PROFILE_TABLE, profileInfo, profileVariantIds, variantLabel } from '../flow/profiles.js';
import type { AnalysisResult, FlowStats } from '../flow/result.js';
import type { FlowRecord, ProfileName, Verdict } from '../flow/types.js';
import type { HostEvidence } from '../host/types-host.js';
import type { ModelChoice } from '../model/choose.js';
import type { CaptureStats } from './capture-stats.js';
import { correlate } from './correlate.js';
import { findingBuilder } from './finding.js';
import { diagnoseHost } from './host-rules.js';
import { type Finding, type FindingExample, rankFindings, type Severity } from './types.js';

export interface DiagnoseOptions {
  /** LB address list (CIDRs) — defaults to the one the Analyzer was given */
  lb?: string[];
  host?: HostEvidence;
  /** defaults to the profile the Analyzer used */
  profile?: ProfileName;
  /** reader summaries (warnings such as a truncated tail become findings) */
  captures?: CaptureSummary[];
  /** the module model that judged the flows (src/model/choose.ts); remedies follow it */
  model?: ModelChoice;
  /** problems met opening a support bundle; the errors among them become BUNDLE_INCOMPLETE */
  bundleProblems?: ReadonlyArray<{ severity: string; member: string | null; message: string }>;
}

export interface FindingCodeInfo {
  code: string;
  severity: Severity | 'varies';
  title: string;
  /** the verdict it summarises, if any */
  verdict?: Verdict;
}

/** Every capture finding code (README table; a test checks each is documented). */
export const CAPTURE_FINDING_CODES = [
  {
    code: 'KIND_MISMATCH',
    severity: 'error',
    title: 'The TOA kind is not the one the module reads',
    verdict: 'TOA_KIND_MISMATCH',
  },
  {
    code: 'TOA_MISSING',
    severity: 'error',
    title: 'No TOA on the packets the module reads',
    verdict: 'TOA_MISSING',
  },
  { code: 'NO_OPTION_ROOM', severity: 'error', title: 'No room left in the TCP option area for the TOA' },
  { code: 'TOA_SYN_ONLY', severity: 'error', title: 'TOA rides on the SYN only', verdict: 'TOA_SYN_ONLY' },
  {
    code: 'TOA_LATE',
    severity: 'error',
    title: 'TOA arrives after the packet that creates the socket',
    verdict: 'TOA_LATE',
  },
  {
    code: 'TOA_MALFORMED',
    severity: 'error',
    title: "The module's option parser never reaches the TOA",
    verdict: 'TOA_MALFORMED',
  },
  {
    code: 'TOA_BAD_CHECKSUM',
    severity: 'error',
    title: 'TOA-carrying packets have a bad TCP checksum',
    verdict: 'TOA_BAD_CHECKSUM',
  },
  {
    code: 'TOA_NAT64',
    severity: 'warning',
    title: 'IPv6 clients behind NAT64: getpeername() cannot show them',
    verdict: 'TOA_NAT64',
  },
  {
    code: 'TOA_INCONSISTENT',
    severity: 'warning',
    title: 'Different client addresses within one connection',
    verdict: 'TOA_INCONSISTENT',
  },
  {
    code: 'DUPLICATE_TOA',
    severity: 'warning',
    title: 'Two TOA options on one packet (cascaded load balancers)',
  },
  {
    code: 'TOA_FROM_OUTSIDE_LB',
    severity: 'warning',
    title: 'TOA arrives from sources outside the --lb list',
  },
  { code: 'MIXED_VARIANTS', severity: 'warning', title: 'No single module reads every TOA variant seen' },
  {
    code: 'TOA_UNKNOWN_KIND',
    severity: 'error',
    title: 'An option of an unknown kind that looks like a TOA rides on most handshakes',
  },
  {
    code: 'TOA_VIP_SUSPECT',
    severity: 'warning',
    title: 'Kind 253 next to kind 254 on the same packets: possibly the VIP, not a client',
  },
  { code: 'NO_HANDSHAKES', severity: 'warning', title: 'The capture holds no complete handshakes' },
  { code: 'NO_TCP', severity: 'warning', title: 'The capture holds no TCP packets' },
  { code: 'EMPTY_CAPTURE', severity: 'warning', title: 'The capture holds no packets' },
  { code: 'DECODE_ERRORS', severity: 'varies', title: 'Packets that could not be decoded' },
  {
    code: 'UNKNOWN_LINKTYPE',
    severity: 'warning',
    title: 'Packets with a link type toa-doctor does not decode',
  },
  { code: 'FLOWS_EVICTED', severity: 'warning', title: 'The flow table was full: old flows were evicted' },
  { code: 'CAPTURE_READ_WARNING', severity: 'warning', title: 'The capture file was damaged or cut short' },
  {
    code: 'BUNDLE_INCOMPLETE',
    severity: 'warning',
    title: 'The bundle was read only in part (damaged, or over a reading limit)',
  },
  {
    code: 'INCOMPLETE_FLOWS',
    severity: 'info',
    title: 'Connections whose handshake was not captured',
    verdict: 'INCOMPLETE',
  },
  { code: 'ONE_DIRECTION', severity: 'info', title: 'Only one direction of the traffic was captured' },
  {
    code: 'CHECKSUM_OFFLOAD',
    severity: 'info',
    title: 'Bad checksums on packets the server sent (TX offload)',
  },
  { code: 'TOA_TOWARDS_CLIENT', severity: 'info', title: 'TOA options on server → client packets' },
  { code: 'TOA_OK', severity: 'info', title: 'TOA on the packet the module reads', verdict: 'TOA_OK' },
  { code: 'PROFILE_MATCH', severity: 'info', title: 'Which module profiles match the traffic' },
] as const satisfies readonly FindingCodeInfo[];

export function flowRef(f: FlowRecord): string {
  return `${formatEndpoint(f.client.address, f.client.port)} -> ${formatEndpoint(f.server.address, f.server.port)}`;
}

function examplesOf(flows: FlowRecord[], max = 5): FindingExample[] {
  return flows.slice(0, max).map((f) => ({ ref: flowRef(f), detail: f.reason }));
}

function variantById(id: string) {
  return TOA_VARIANTS.find((v) => v.id === id);
}

/** profiles whose module reads a variant */
function readersOf(id: string): ProfileName[] {
  return PROFILE_TABLE.filter((p) => p.name !== 'auto' && profileVariantIds(p.name).includes(id)).map(
    (p) => p.name,
  );
}

function vendorsOf(id: string): string {
  return variantById(id)?.vendors.join(', ') ?? 'unknown';
}

function topEntries(rec: Record<string, number>): Array<[string, number]> {
  return Object.entries(rec)
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1]);
}

/** the host area's correlation input, derived from the flow statistics */
export function toCaptureStats(s: FlowStats): CaptureStats {
  const onRead: Record<string, number> = {};
  for (const v of s.variants) {
    const tv = variantById(v.variant);
    if (tv?.carriesClient && v.onReadPacket > 0) onRead[v.variant] = v.onReadPacket;
  }
  const ports: Record<number, number> = {};
  for (const p of s.serverPorts) if (p.family === 'ipv4') ports[p.port] = (ports[p.port] ?? 0) + p.flows;
  for (const p of s.serverPorts) if (p.family === 'ipv6' && ports[p.port] === undefined) ports[p.port] = 0;
  return {
    flows: s.flows,
    handshakes: s.handshakes,
    verdicts: { ...s.verdicts },
    variantsOnReadPacket: onRead,
    ipv4Flows: s.ipv4Flows,
    ipv6Flows: s.ipv6Flows,
    serverPorts: ports,
    firstTs: s.firstTs,
    lastTs: s.lastTs,
  };
}

/** Diagnose an analysis result: ranked findings (capture, host, correlation). */
export function diagnose(result: AnalysisResult, opts: DiagnoseOptions = {}): Finding[] {
  const s = result.stats;
  const profile = opts.profile ?? s.profile;
  const total = s.flows;
  const out: Finding[] = [];
  const finding = findingBuilder(CAPTURE_FINDING_CODES, 'capture', total);
  const ex = (v: Verdict) => examplesOf(result.examples[v] ?? []);
  const n = s.verdicts;
  const pinfo = profileInfo(profile);
  const profileText =
    profile === 'auto'
      ? ''
      : `the ${profile} profile (${pinfo.modules}) reads ${profileVariantIds(profile).map(variantLabel).join(', ')}`;
  const readPkt = 'the handshake-completing ACK (the packet the RS module reads when it creates the socket)';

  // ---------------------------------------------------------------- verdict findings
  if (n.TOA_KIND_MISMATCH > 0) {
    const mm = topEntries(s.mismatchVariants);
    const seen = mm.map(([id, c]) => `${variantLabel(id)} on ${c} flow${c === 1 ? '' : 's'}`).join(', ');
    const main = mm[0]?.[0] ?? '';
    const readers = main ? readersOf(main) : [];
    out.push(
      finding('KIND_MISMATCH', {
        title: `LB inserts TOA ${mm.map(([id]) => variantLabel(id)).join(', ')} but the module reads ${profileVariantIds(profile).map(variantLabel).join(', ')}`,
        explanation:
          `A TOA option is on the wire (${seen}) but ${profileText || 'the selected module'}. Modules match the ` +
          '(kind, length) pair exactly and skip anything else silently, so these connections show the LB address. ' +
          (main ? `${variantLabel(main)} is what ${vendorsOf(main)} insert.` : ''),
        remediation: main
          ? `LB inserts ${variantLabel(main)} but the module reads ${profileVariantIds(profile).map(variantLabel).join('/')}: ` +
            `load the module built for this LB (${readers.length ? `profile${readers.length > 1 ? 's' : ''} ${readers.join(', ')}: ${readers.map((r) => profileInfo(r).modules).join('; ')}` : 'one that reads this kind'}) ` +
            `or change the LB's TOA kind to ${profileVariantIds(profile).map(variantLabel).join('/')}. ` +
            `If the capture is right and the profile is wrong, re-run with --profile ${readers[0] ?? 'auto'}.`
          : 'Load the TOA module that matches the load balancer, or change the LB TOA kind.',
        examples: ex('TOA_KIND_MISMATCH'),
        flows: n.TOA_KIND_MISMATCH,
      }),
    );
  }

  // an unregistered kind with a TOA's length on most client handshakes: a module rebuilt with it
  const shaped = (s.unknownToaShaped ?? []).filter((x) => x.flows >= Math.max(1, s.handshakes / 2));
  for (const u of shaped) {
    const [kind, len] = u.kindLength.split('/');
    out.push(
      finding('TOA_UNKNOWN_KIND', {
        title: `Option ${u.kindLength} on ${u.flows} of ${s.handshakes} handshakes looks like a TOA (${u.candidate})`,
        explanation:
          `No module table knows kind ${kind} with length ${len}, yet it rides on most handshakes without another TOA, and ` +
          `read as a TOA (port, then the ${len === '8' ? 'IPv4' : 'IPv6'} address) it names ${u.candidate}. That is the ` +
          'pattern of a load balancer and module rebuilt with another option kind (some UCloud builds used 252, iqiyi/dpvs#70), ' +
          'not of a missing TOA: the LB is in the right mode and nothing strips the option.',
        remediation:
          `Make the module read kind ${kind}: a module rebuilt with TCPOPT_TOA ${kind} (the one that came with this LB), ` +
          `ip_vs_ca: echo ${kind} > /proc/sys/net/ca/tcpopt_addr, Alibaba CDN eBPF: set-toa-optcode.sh -c2 ${kind}; ` +
          `or configure the LB to send a kind the installed module reads. Check the candidate: is ${u.candidate} a real client?`,
        examples: [{ ref: `option ${u.kindLength}`, detail: `read as a TOA: ${u.candidate}` }],
        flows: u.flows,
      }),
    );
  }
  if (s.vipNextToClient && s.vipNextToClient.flows > 0) {
    out.push(
      finding('TOA_VIP_SUSPECT', {
        title: 'Kind 253 rides next to kind 254 on the same packets: possibly the VIP, not a second client',
        explanation:
          `${s.vipNextToClient.flows} connection${s.vipNextToClient.flows === 1 ? '' : 's'} carry a 253 option next to a 254 TOA on ` +
          `the packet the module reads (${s.vipNextToClient.example}). A DPVS fork (zhzhzh-maker/toa, toa.h TCPOPT_TOA_VIP 253) ` +
          'puts the virtual IP and port in kind 253 and the client in 254; read as a client, 253 makes the connection look ' +
          'inconsistent or names the VIP as the client.',
        remediation:
          'If the 253 address is your VIP, judge with --profile dpvs-vip (253 is then the VIP, read with getsockopt 4097); ' +
          'otherwise two devices insert TOA (see DUPLICATE_TOA).',
        examples: [{ ref: 'read packet', detail: s.vipNextToClient.example }],
        flows: s.vipNextToClient.flows,
      }),
    );
  }

  if (n.TOA_MISSING > 0) {
    const noRoom = s.missingNoRoom;
    const unknownKind = shaped.length ? shaped.map((x) => x.kindLength).join(', ') : '';
    out.push(
      finding('TOA_MISSING', {
        title: 'No TOA on any packet of these connections',
        explanation:
          `${n.TOA_MISSING} connection${n.TOA_MISSING === 1 ? '' : 's'} carried no TOA option at all: not on the SYN, not on ` +
          `${readPkt}, not on the data. The backend can only see the load balancer address for them.` +
          (noRoom ? ` ${noRoom} of them had less than 8 option bytes free on the handshake ACK.` : ''),
        remediation: unknownKind
          ? `An option ${unknownKind} that looks like a TOA rides on these handshakes: see TOA_UNKNOWN_KIND: install a module that reads that kind; the LB mode and the path are fine.`
          : 'Check that the listener is behind a layer-4 LB in FULLNAT/SNAT mode with TOA enabled (Tencent CLB: "obtain ' +
            'client IP via TOA"; Alibaba LVS: sysctl net.ipv4.vs.fullnat_toa_entry=1; DPVS: fullnat with toa), that the ' +
            'capture is taken on the backend behind the LB (not on the LB or the client side), and that no firewall or ' +
            'normaliser strips unknown TCP options on the way (Cisco ASA clears kinds 9-255 by default: ' +
            '"tcp-options range 9 255 allow"; Firepower inline normalization). If clients connect to the backend ' +
            'directly (not through the LB), they will never carry TOA.',
        examples: ex('TOA_MISSING'),
        flows: n.TOA_MISSING,
      }),
    );
    if (noRoom > 0) {
      out.push(
        finding('NO_OPTION_ROOM', {
          title: 'The handshake ACK had no room for the TOA option',
          explanation:
            `${noRoom} handshake ACK${noRoom === 1 ? '' : 's'} without TOA already used more than 32 of the 40 TCP option ` +
            'bytes (timestamps, MD5/TCP-AO, MPTCP, SACK): the LB cannot insert an 8-byte TOA (20 bytes for IPv6). DPVS logs ' +
            '"add toa: no TCP header room"; Alibaba LVS counts fullnat_add_toa_head_full in /proc/net/ip_vs_ext_stats.',
          remediation:
            'Reduce the client-side options on these connections (disable TCP MD5/TCP-AO signatures towards the VIP, ' +
            'MPTCP on the client, or timestamps: net.ipv4.tcp_timestamps=0 on the client), or upgrade the LB: DPVS ≥ 1.9.6 ' +
            'compacts options (drops NOPs) before giving up.',
          examples: ex('TOA_MISSING').filter((e) => /option bytes free/.test(e.detail ?? '')),
          flows: noRoom,
        }),
      );
    }
  }

  if (n.TOA_SYN_ONLY > 0) {
    const vs = topEntries(s.synOnlyVariants);
    out.push(
      finding('TOA_SYN_ONLY', {
        title:
          `TOA ${vs.map(([id]) => variantLabel(id)).join(', ') || ''} rides on the SYN only, not on the handshake ACK`.replace(
            '  ',
            ' ',
          ),
        explanation:
          'The client address arrives on the SYN, but every RS module except Alibaba CDN tcp_toa reads it from ' +
          `${readPkt}, which carries none. Alibaba LVS and DPVS ≤ 1.9.5 put TOA on the SYN as well as on the ACK; a ` +
          'SYN-only TOA means the LB/module pair does not match, or the ACK lost its option on the way.' +
          (s.lateServerFirst
            ? ` ${s.lateServerFirst} of these flows are server-speaks-first protocols.`
            : ''),
        remediation:
          'Either use the module that reads the SYN (Alibaba Cloud CDN tcp_toa, kind 28) or make the LB insert the TOA on ' +
          'the handshake ACK and the first data segments (LVS/DPVS FULLNAT behaviour). If TCP Fast Open is enabled on the ' +
          'server (net.ipv4.tcp_fastopen with the server bit, or TCP_FASTOPEN on the listener), the SYN creates the ' +
          'socket: check that a middlebox does not strip options from the ACK (firewall TCP normalisation).',
        examples: ex('TOA_SYN_ONLY'),
        flows: n.TOA_SYN_ONLY,
      }),
    );
  }

  const named = opts.model && opts.model.by !== 'default' ? opts.model.model : null;
  if (n.TOA_LATE > 0 && named?.reads === 'syn') {
    out.push(
      finding('TOA_LATE', {
        title: `TOA rides on the ACK or later packets, but ${named.label} reads the SYN only`,
        explanation:
          `${named.label} takes the client address from the SYN (${named.source.map((x) => `${x.repo} ${x.file} ${x.fn}`).join('; ')}). ` +
          'The load balancer puts the TOA on the handshake ACK / data, which this module never parses, so the application ' +
          'sees the load balancer address.',
        remediation:
          named.id === 'ip_vs_ca'
            ? 'Use a module that reads the handshake ACK for this LB (Tencent tgw_toa for 200/8, DPVS/Huawei toa for 254/8), or an LB that puts the TOA on the SYN.'
            : 'Use the module that matches this LB (it reads the handshake ACK), or configure the LB to send the TOA on the SYN.',
        examples: ex('TOA_LATE'),
        flows: n.TOA_LATE,
      }),
    );
  } else if (n.TOA_LATE > 0) {
    const tfo = s.lateTfo;
    out.push(
      finding('TOA_LATE', {
        title: 'TOA arrives only after the packet that creates the socket',
        explanation:
          (tfo
            ? `${tfo} of these connections use TCP Fast Open: the SYN creates the socket, so a TOA on the ACK or data ` +
              'comes too late. '
            : '') +
          `The handshake ACK carries no TOA; a later data segment does. The module reads the packet that creates the ` +
          'socket: the data segment only under TCP_DEFER_ACCEPT (nginx "listen ... deferred"), otherwise the ACK.',
        remediation:
          (tfo
            ? 'Disable TCP Fast Open on the server (sysctl net.ipv4.tcp_fastopen=1, i.e. without the server bit 0x2, and no ' +
              'TCP_FASTOPEN socket option on the listener), or use an LB that puts the TOA on the SYN. '
            : '') +
          'Enable TCP_DEFER_ACCEPT on the listener (nginx: "listen 80 deferred;", or setsockopt TCP_DEFER_ACCEPT) so the ' +
          'first data segment creates the socket, or fix the LB so it tags the handshake ACK (Tencent CLB, DPVS and LVS ' +
          'do by default).',
        examples: ex('TOA_LATE'),
        flows: n.TOA_LATE,
      }),
    );
  }

  if (n.TOA_MALFORMED > 0) {
    const why = topEntries(s.malformedReasons)
      .map(([r, c]) => `${r === 'after-eol' ? 'TOA after EOL' : `list broke (${r})`}: ${c}`)
      .join(', ');
    out.push(
      finding('TOA_MALFORMED', {
        explanation:
          `On ${readPkt} the TCP option list breaks (length 0 or 1, an option running past the header) or ends (EOL) ` +
          `before the TOA (${why}). The module walks options like the kernel: it stops at EOL and gives up on a bad ` +
          'length, so the TOA behind it is never read.',
        remediation:
          'Find the device that writes the broken option or the EOL: capture on the LB egress and on the backend ' +
          'ingress and compare (toa-doctor print FILE --toa-only -v). Middleboxes that rewrite options (WAN ' +
          'optimisers, firewall normalisers) are the usual suspects; LBs must insert TOA at the start of the option area.',
        examples: ex('TOA_MALFORMED'),
        flows: n.TOA_MALFORMED,
      }),
    );
  }

  if (n.TOA_BAD_CHECKSUM > 0) {
    out.push(
      finding('TOA_BAD_CHECKSUM', {
        title: 'TOA-carrying handshake ACKs have a bad TCP checksum',
        explanation:
          `The packet that carries the TOA and that the module reads has an incorrect TCP checksum on the receive path: ` +
          'the kernel drops it, the connection is completed by a later segment (often without TOA). A load balancer ' +
          'must recompute the checksum after inserting the option (Alibaba LVS does unless sysctl_ip_vs_csum_offload).' +
          (s.decode.checksums.badToClient > 0
            ? ' Note: this capture also shows bad checksums on server-sent packets, a sign of checksum offload on the ' +
              'capturing host; if the capture was taken on the sending side, these may be false alarms.'
            : ''),
        remediation:
          'Check the LB checksum handling after TOA insertion (LVS: csum_offload sysctl; DPVS: NIC checksum offload ' +
          'flags), and any device between LB and RS that rewrites packets. Verify with a capture on the backend NIC ' +
          '(not a veth/virtio device, where received checksums may be left unverified): ethtool -K <if> rx off.',
        examples: ex('TOA_BAD_CHECKSUM'),
        flows: n.TOA_BAD_CHECKSUM,
      }),
    );
  }

  const nat64Unsupported = named
    ? topEntries(s.nat64Variants).filter(([id]) => !named.nat64Api.includes(id))
    : [];
  if (n.TOA_NAT64 > 0 && named && nat64Unsupported.length > 0) {
    const v = nat64Unsupported.map(([id]) => variantLabel(id)).join(', ');
    out.push(
      finding('TOA_NAT64', {
        // the table's warning assumes the app can ask getsockopt 4096; this model offers no such call
        severity: 'error',
        title: `IPv6 clients (TOA ${v}) on IPv4 connections, and ${named.label} offers no way to read them`,
        explanation:
          `These IPv4 connections carry an IPv6 client address in TOA ${v}. ${named.label}: ${named.nat64Else}` +
          (named.nat64Api.length
            ? ` (its getsockopt(IPPROTO_IP, 4096) works for ${named.nat64Api.map(variantLabel).join(', ')} only).`
            : '.'),
        remediation: named.nat64Api.length
          ? `Have the load balancer send the IPv6 client as ${named.nat64Api.map(variantLabel).join(' or ')} (then getsockopt 4096 returns it), or install a module whose getsockopt 4096 reads ${v} (Tencent tgw_toa NAT64 for 253/20).`
          : `Install a module with a NAT64 API for ${v} (Tencent tgw_toa NAT64 for 253/20, DPVS kmod/toa for 254/20) and call getsockopt(fd, IPPROTO_IP, 4096), or serve the IPv6 clients on an IPv6 backend.`,
        examples: ex('TOA_NAT64'),
        flows: n.TOA_NAT64,
      }),
    );
  } else if (n.TOA_NAT64 > 0) {
    const vs = topEntries(s.nat64Variants);
    const v = vs.map(([id]) => variantLabel(id)).join(', ');
    out.push(
      finding('TOA_NAT64', {
        title: `IPv6 clients (TOA ${v}) on IPv4 connections: getpeername() cannot return them`,
        explanation:
          `These IPv4 connections carry an IPv6 client address (TOA ${v}: Tencent CLB NAT64 uses 253/20, DPVS/Huawei ` +
          '254/20). An IPv4 socket cannot report an IPv6 peer: getpeername()/accept() show the LB address (DPVS marks ' +
          'the socket NAT64 and does not rewrite it; Alibaba vtoa returns an AF_INET6 sockaddr into a sockaddr_in buffer).',
        remediation:
          'The application must ask the module: getsockopt(fd, IPPROTO_IP, 4096 /* TOA_SO_GET_LOOKUP */, &peer, &len) ' +
          'with struct toa_nat64_peer { struct in6_addr saddr; uint16_t sport; } (sport in network order), falling back ' +
          'to getpeername() when it fails (DPVS kmod/toa example_nat64, Tencent "CLB TOA for NAT64"; nginx patches in ' +
          'DPVS patch/nginx). Use a module built with NAT64 support (DPVS: -DTOA_NAT64_ENABLE; Tencent tgw_toa NAT64; ' +
          'profile tencent-nat64 or dpvs).',
        examples: ex('TOA_NAT64'),
        flows: n.TOA_NAT64,
      }),
    );
  }

  if (n.TOA_INCONSISTENT > 0) {
    out.push(
      finding('TOA_INCONSISTENT', {
        explanation:
          'Packets of the same connection carry TOA options with different client addresses. Either two devices insert ' +
          'TOA (cascaded FULLNAT LBs: the module reads the first option only, DPVS does not support cascading) or a ' +
          'client supplies its own option that the LB passes through (spoofing; fixed in DPVS by PR #925).',
        remediation:
          'Make sure only one device on the path inserts TOA, and that the LB overwrites or strips client-supplied TOA ' +
          'options (DPVS ≥ 1.9.6). Treat the address the module reads (the first TOA on the handshake ACK) as the ' +
          'client only if the RS is reachable exclusively through the LB.',
        examples: ex('TOA_INCONSISTENT'),
        flows: n.TOA_INCONSISTENT,
      }),
    );
  }

  if (s.duplicateToa > 0) {
    out.push(
      finding('DUPLICATE_TOA', {
        title: 'Two TOA options on one packet',
        explanation:
          `${s.duplicateToa} connection${s.duplicateToa === 1 ? '' : 's'} had a packet with two TOA options. The modules ` +
          'read the first (kind, length) match and ignore the rest: with cascaded LBs that is the address the nearest LB ' +
          'inserted, i.e. possibly the previous LB, not the client.',
        remediation:
          'Disable TOA on the inner LB, or make the outer device pass the client address via another mechanism. ' +
          'Tencent and DPVS document that cascaded TOA is not supported.',
        flows: s.duplicateToa,
      }),
    );
  }

  if (s.outsideLb > 0) {
    const src = s.outsideLbSources.map((x) => ({ ref: x.address, detail: `${x.flows} flows with TOA` }));
    out.push(
      finding('TOA_FROM_OUTSIDE_LB', {
        title: 'TOA options arrive from sources outside the --lb list',
        explanation:
          `${s.outsideLb} connection${s.outsideLb === 1 ? '' : 's'} carrying TOA came from addresses that are not the load ` +
          `balancer's (${result.lb.join(', ')}). Any client that can reach the backend directly can put any address ` +
          'into a TOA option and the module will believe it.',
        remediation:
          'Make the real servers reachable only through the LB (security group / iptables: accept the service port only ' +
          `from ${result.lb.join(', ')}), and make the LB strip client-supplied TOA options. If these sources are in ` +
          'fact LB addresses, add them to --lb.',
        examples: src,
        flows: s.outsideLb,
      }),
    );
  }

  // which profiles match (auto), and mixtures no single module reads
  const clientVariants = s.variants.filter((v) => variantById(v.variant)?.carriesClient);
  if (clientVariants.length > 0) {
    const seen = clientVariants.map((v) => `${variantLabel(v.variant)} (${v.flows} flows)`).join(', ');
    if (s.matchingProfiles.length === 0 && clientVariants.length > 1) {
      const readers = clientVariants.map(
        (v) => `${variantLabel(v.variant)}: ${readersOf(v.variant).join(', ') || 'no profile'}`,
      );
      out.push(
        finding('MIXED_VARIANTS', {
          title: 'No single TOA module reads every variant on the wire',
          explanation:
            `The capture carries ${seen}. No known module reads all of them (${readers.join('; ')}), so under any one ` +
            'module some of these connections lose the client address.',
          remediation:
            'Check which LBs send traffic to this backend and which module is loaded (toa-doctor host), then re-run with ' +
            '--profile <module> to see exactly which connections that module misses.',
        }),
      );
    }
    if (profile === 'auto') {
      out.push(
        finding('PROFILE_MATCH', {
          title: s.matchingProfiles.length
            ? `Traffic matches profile${s.matchingProfiles.length > 1 ? 's' : ''}: ${s.matchingProfiles.join(', ')}`
            : 'No single profile matches the traffic',
          explanation:
            `TOA variants seen: ${seen}. ` +
            (s.matchingProfiles.length
              ? `Modules that read all of them: ${s.matchingProfiles.map((p) => `${p} (${profileInfo(p).modules})`).join('; ')}.`
              : 'No module reads all of them.'),
          remediation:
            'Re-run with --profile <name> for the module actually loaded on the backend to get KIND_MISMATCH verdicts ' +
            'for what it cannot read.',
        }),
      );
    }
  }

  if (n.TOA_OK > 0) {
    const onRead = s.variants
      .filter((v) => v.onReadPacket > 0 && variantById(v.variant)?.carriesClient)
      .map((v) => `${variantLabel(v.variant)} on ${v.onReadPacket}`)
      .join(', ');
    out.push(
      finding('TOA_OK', {
        title: `TOA on the packet the module reads for ${n.TOA_OK} connection${n.TOA_OK === 1 ? '' : 's'}`,
        explanation:
          `These connections carry a TOA the ${profile === 'auto' ? 'matching' : profile} module reads on the packet it ` +
          `reads (${onRead || 'TOA'}). If the application still sees the LB address for them, the problem is on the ` +
          'host: module not loaded or loaded-but-dead, an IPv6/dual-stack listener the module does not hook, a ' +
          'container without the host module, connections older than the module, or an app that takes the address ' +
          'from somewhere TOA does not patch.',
        remediation:
          'Run `toa-doctor host` on the backend (or pass a host snapshot with --host-dir DIR) to check the module, its ' +
          'counters and the listeners.',
        examples: ex('TOA_OK'),
        flows: n.TOA_OK,
      }),
    );
  }

  // ---------------------------------------------------------------- capture-level findings
  const noCapture = opts.captures !== undefined && opts.captures.length === 0; // e.g. a host-only bundle
  if (s.packets === 0 && !noCapture) {
    out.push(
      finding('EMPTY_CAPTURE', {
        explanation: 'Nothing was captured.',
        remediation:
          'Capture on the backend interface that receives the LB traffic, e.g. `tcpdump -i any -w cap.pcap tcp port 80`, ' +
          'while opening new connections through the LB.',
      }),
    );
  } else if (s.tcpPackets === 0 && !noCapture) {
    out.push(
      finding('NO_TCP', {
        explanation: `${s.packets} packets, none decoded to TCP.`,
        remediation: 'Check the capture filter (it must include tcp) and the interface.',
      }),
    );
  } else if (total > 0 && s.handshakes === 0) {
    out.push(
      finding('NO_HANDSHAKES', {
        title: 'No complete handshake in the capture: nothing can be judged',
        explanation:
          'TOA rides on the handshake, and none of the connections in this capture has its handshake-completing ACK ' +
          `captured (SYNs seen: ${s.withSyn}, SYN-ACKs: ${s.withSynAck}). The capture started after the connections were ` +
          'opened, runs on the wrong interface, or its filter drops handshake packets.',
        remediation:
          'Start the capture first, then open NEW connections through the LB (long-lived connections never show ' +
          'their handshake). Capture on the backend: `tcpdump -i any -w cap.pcap "tcp port <service port>"` (no ' +
          '"tcp[tcpflags]" filter that drops ACKs).',
        examples: ex('INCOMPLETE'),
        flows: total,
      }),
    );
  }
  if (n.INCOMPLETE > 0 && s.handshakes > 0) {
    out.push(
      finding('INCOMPLETE_FLOWS', {
        title: `${n.INCOMPLETE} connection${n.INCOMPLETE === 1 ? '' : 's'} without a captured handshake`,
        explanation:
          'Their handshake-completing ACK is not in the capture (connections opened before the capture started, or ' +
          'packets lost by the capture): nothing can be said about their TOA.',
        remediation: 'Ignore them, or capture longer and open new connections.',
        examples: ex('INCOMPLETE'),
        flows: n.INCOMPLETE,
      }),
    );
  }
  if (total >= 1 && s.oneDirection >= Math.max(1, total * 0.9)) {
    out.push(
      finding('ONE_DIRECTION', {
        explanation:
          `${s.oneDirection} of ${total} connections show packets in one direction only (tcpdump -Q in, a one-way mirror ` +
          'port, or asymmetric routing). The handshake ACK is then recognised as the first client ACK after the SYN' +
          (s.inferredAcks ? ` (${s.inferredAcks} inferred this way)` : '') +
          '; server-side facts (SYN-ACK, who speaks first) are unknown.',
        remediation: 'For complete facts capture both directions on the backend (`tcpdump -i any`).',
        flows: s.oneDirection,
      }),
    );
  }
  const ck = s.decode.checksums;
  if (ck.badToClient > 0) {
    out.push(
      finding('CHECKSUM_OFFLOAD', {
        title: `${ck.badToClient} packet${ck.badToClient === 1 ? '' : 's'} sent by the server had a bad TCP checksum`,
        explanation:
          'Packets sent by the capturing host are captured before the NIC fills in the checksum (TX checksum offload): ' +
          'tcpdump shows them as "incorrect". That is normal and not a TOA problem.',
        remediation:
          'Nothing to do. To see real checksums, capture on another host or disable offload for the test: ' +
          'ethtool -K <if> tx off.',
      }),
    );
  }
  if (s.toaToClient > 0) {
    out.push(
      finding('TOA_TOWARDS_CLIENT', {
        explanation:
          `${s.toaToClient} connection${s.toaToClient === 1 ? '' : 's'} had TOA options on packets towards the client. ` +
          'LBs insert TOA towards the real server only; this suggests the capture was taken on the client side, the ' +
          'roles are swapped (the client could not be decided from a SYN), or the traffic is relayed by another TOA device.',
        remediation: 'Capture on the real server behind the LB.',
        flows: s.toaToClient,
      }),
    );
  }
  const d = s.decode;
  const bad = d.truncated + d.badIp + d.badTcp;
  if (bad > 0) {
    const parts = [
      d.truncated ? `${d.truncated} truncated (snaplen or corrupt length)` : '',
      d.badIp ? `${d.badIp} bad IP headers` : '',
      d.badTcp ? `${d.badTcp} bad TCP headers` : '',
    ].filter(Boolean);
    out.push(
      finding('DECODE_ERRORS', {
        severity: bad > s.packets * 0.01 ? 'warning' : 'info',
        title: `${bad} packet${bad === 1 ? '' : 's'} could not be decoded`,
        explanation: `${parts.join(', ')} out of ${s.packets}. Truncated TCP headers hide TCP options, and with them the TOA.`,
        remediation:
          'Capture with the full snap length (tcpdump -s 0, the default since 4.0) and check the capture file is ' +
          'complete (toa-doctor print FILE -v shows the bad packets).',
      }),
    );
  }
  if (d.unknownLinkType > 0) {
    const lts = Object.entries(d.unknownLinkTypes)
      .map(([lt, c]) => `${linkTypeName(Number(lt))} (${lt}): ${c}`)
      .join(', ');
    out.push(
      finding('UNKNOWN_LINKTYPE', {
        explanation: `${d.unknownLinkType} packets use link types toa-doctor does not decode: ${lts}.`,
        remediation:
          'Capture with a supported link type: Ethernet, Linux cooked (tcpdump -i any: SLL/SLL2), raw IP, or loopback.',
      }),
    );
  }
  if (result.evicted > 0) {
    out.push(
      finding('FLOWS_EVICTED', {
        title: `${result.evicted} flow${result.evicted === 1 ? '' : 's'} evicted from the flow table`,
        explanation:
          `More than ${result.maxFlows} connections were open at once. The oldest finished (then the most idle) ` +
          'connections were judged early and dropped from memory: their verdicts are counted, but packets that came ' +
          'after eviction start a new, incomplete flow (unless they carry no SYN, payload or TOA: ' +
          `${s.untrackedPackets} such packets were not tracked) and they are not listed individually.`,
        remediation: `Re-run with a larger --max-flows (memory: about 400 bytes per flow), or capture a shorter window.`,
        flows: result.evicted,
      }),
    );
  }
  for (const c of opts.captures ?? []) {
    for (const w of c.warnings) {
      out.push(
        finding('CAPTURE_READ_WARNING', {
          title: w.message.startsWith(`${c.source}: `) ? w.message : `${c.source}: ${w.message}`,
          explanation: `The reader kept every packet before the problem (${w.code}).`,
          remediation:
            'If the capture was still being written, wait for tcpdump to finish (Ctrl-C flushes the file), or copy the ' +
            'file again.',
        }),
      );
    }
  }

  const bundleErrors = (opts.bundleProblems ?? []).filter((p) => p.severity === 'error');
  if (bundleErrors.length)
    out.push(
      finding('BUNDLE_INCOMPLETE', {
        explanation:
          `${bundleErrors.length} problem${bundleErrors.length === 1 ? '' : 's'} opening the bundle: ${bundleErrors[0]!.message.slice(0, 300)}. ` +
          'The findings cover only what could be read.',
        remediation:
          'Ask for the bundle again (a complete copy, or one made with a smaller --max-bytes); ' +
          'the bundle problems above name each member concerned.',
        examples: bundleErrors
          .slice(0, 5)
          .map((p) => ({ ref: p.member ?? 'bundle', detail: p.message.slice(0, 300) })),
      }),
    );

  // ---------------------------------------------------------------- host evidence
  if (opts.host) {
    out.push(...diagnoseHost(opts.host));
    out.push(...correlate(toCaptureStats(s), opts.host));
  }
  return rankFindings(out);
}

/**
 * The one-line verdict at the end of a report. `hostOnly`: there was no capture at all (a bundle of
 * host evidence only), so the verdict speaks of the host findings and claims nothing about packets.
 */
export function oneLineVerdict(findings: Finding[], stats: FlowStats, hostOnly = false): string {
  const errors = findings.filter((f) => f.severity === 'error');
  const warnings = findings.filter((f) => f.severity === 'warning');
  const ok = stats.verdicts.TOA_OK;
  const judged = stats.flows - stats.verdicts.INCOMPLETE;
  if (hostOnly) {
    const codes = (list: Finding[]) =>
      `${list
        .slice(0, 3)
        .map((f) => f.code)
        .join(', ')}${list.length > 3 ? ` +${list.length - 3} more` : ''}`;
    const tail = 'host evidence only (no capture, so no connection was judged)';
    if (errors.length) return `PROBLEM: ${codes(errors)} — ${tail}`;
    if (warnings.length) return `OK WITH WARNINGS: ${codes(warnings)} — ${tail}`;
    return `OK: no problem in the host evidence — ${tail}`;
  }
  if (stats.flows === 0) return 'NO DATA: no TCP connections in the capture';
  if (errors.length) {
    const top = errors
      .slice(0, 3)
      .map((f) => `${f.code}${f.flows ? ` (${f.flows})` : ''}`)
      .join(', ');
    return `PROBLEM: ${top}${errors.length > 3 ? ` +${errors.length - 3} more` : ''} — ${ok} of ${judged} judged connections carry a readable TOA`;
  }
  if (judged === 0) return 'UNDECIDED: no handshake captured, nothing can be judged';
  if (warnings.length)
    return `OK WITH WARNINGS: ${warnings
      .slice(0, 3)
      .map((f) => f.code)
      .join(', ')} — ${ok} of ${judged} judged connections carry a readable TOA`;
  return `OK: ${ok} of ${judged} judged connections carry a readable TOA on the packet the module reads`;
}
