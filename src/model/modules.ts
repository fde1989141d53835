/**
 * The ONE table of backend module models: one row per real module or build, saying how it is
 * recognised on a host and how it reads a connection: which (kind, length) TOA variants, from
 * which packet, the first or the last match on one packet, and which NAT64 API it offers.
 *
 * This is a leaf: it imports nothing at run time, so both src/flow (verdicts) and src/host
 * (identification) read it and neither owns it. Variant ids follow the decode table's
 * 'toa-<kind>-<len>' naming (src/decode/toa.ts TOA_VARIANTS); a test proves every id exists there.
 * Fast per-model masks are derived from these rows once (src/flow/profiles.ts modelMasks), and a
 * test proves the masks and the rows agree.
 *
 * Every row cites where its behaviour was read (`source`: repository, file, function). Where the
 * module's own source and the older reference notes disagree, the source wins; the README's module
 * table lists the rows.
 */

/** Which packet(s) the module takes the client address from. */
export type ReadPacket =
  /** the packet that creates the child socket (tcp_v4_syn_recv_sock): normally the handshake ACK */
  | 'ack'
  /** the SYN only (ip_vs_ca's netfilter hook, the CDN kmod's conn_request hook) */
  | 'syn'
  /** the saved SYN and then the established ACK; the ACK's option overwrites the SYN's */
  | 'syn-or-ack';

/** When several accepted TOAs ride on the one packet it reads, which one the module keeps. */
export type Pick = 'first' | 'last';

/** A counter set of /proc/net/toa_stats or vtoa_stats (src/host/stats.ts COUNTER_SETS ids). */
export type ModelCounterSet =
  | 'classic'
  | 'dpvs'
  | 'alikernel'
  | 'alikernel-noipv6'
  | 'tencentos-vtoa'
  | 'vtoa'
  | 'ttgw'
  | 'ip_vs_ca';

export interface SourceRef {
  repo: string;
  file: string;
  fn: string;
}

export interface ModuleModel {
  /** model id (also accepted by --profile) */
  id: string;
  label: string;
  /** older profile names that mean this row (`--profile tencent` = tgw_toa) */
  aliases: string[];
  /** the host-identification id (src/host Implementation) this row is a build of; null: none */
  impl: string | null;
  /** loaded module name; null for eBPF */
  module: 'toa' | 'vtoa' | 'tcp_toa' | 'ip_vs_ca' | null;
  /** how it is recognised on a host (for the README and the report's "why") */
  identify: {
    banner?: string;
    counterSet?: ModelCounterSet;
    files?: string[];
    bpfPins?: string[];
    params?: string[];
  };
  /** (kind, length) variant ids it reads a client address from */
  accepts: string[];
  /** TOA-table rows it understands that are not a client address (VIP, VPC id) */
  extensions?: string[];
  /** client-address carriers outside the TCP options it reads first (TTGW IP options) */
  carriers?: Array<'ip4opt-31' | 'ip6dst-31'>;
  /** where a configurable kind is read, and the default */
  kindsParam?: { path: string; defaults: number[]; note: string };
  reads: ReadPacket;
  pick: Pick;
  /** variant ids getsockopt(IPPROTO_IP, 4096) returns on an IPv4 socket (NAT64) */
  nat64Api: string[];
  /** what the application gets for an IPv6 client on an IPv4 socket when 4096 does not work */
  nat64Else: string;
  /** ipv6 (dual-stack listener) paths hooked in a default build; null: unknown */
  ipv6Hooks: boolean | null;
  counterSet: ModelCounterSet | null;
  /** variants the module reads as something other than a client (253 = VIP in a DPVS fork) */
  notClient?: Array<{ variant: string; meaning: string }>;
  note: string;
  source: SourceRef[];
}

const NO_NAT64 = 'getpeername() returns the load balancer address and no call returns the IPv6 client';

export const MODULE_MODELS: ModuleModel[] = [
  {
    id: 'auto',
    label: 'any known TOA module',
    aliases: [],
    impl: null,
    module: null,
    identify: {},
    accepts: [],
    reads: 'ack',
    pick: 'first',
    nat64Api: ['toa-253-20', 'toa-254-20'],
    nat64Else: NO_NAT64,
    ipv6Hooks: null,
    counterSet: null,
    note: 'no module known: every client-address variant, read from the handshake ACK (the SYN for kind 28)',
    source: [],
  },
  {
    id: 'tgw_toa',
    label: 'Tencent Cloud tgw_toa (CLB, Anti-DDoS, GAAP, EdgeOne)',
    aliases: ['tencent'],
    impl: 'tgw_toa',
    module: 'toa',
    identify: { files: ['/proc/net/toa_stats', '/proc/net/toa_table'], counterSet: 'dpvs' },
    accepts: ['toa-200-8'],
    reads: 'ack',
    pick: 'first',
    nat64Api: [],
    nat64Else: NO_NAT64,
    ipv6Hooks: null,
    counterSet: 'dpvs',
    note: 'IPv4 client in 200/8 on the handshake ACK (source not public: Tencent documentation)',
    source: [
      {
        repo: 'Tencent documentation 214/45530',
        file: '(no public source)',
        fn: 'tcp_v4_syn_recv_sock hook',
      },
    ],
  },
  {
    id: 'tgw_toa-nat64',
    label: 'Tencent Cloud tgw_toa with NAT64',
    aliases: ['tencent-nat64'],
    impl: 'tgw_toa',
    module: 'toa',
    identify: { files: ['/proc/net/toa_stats', '/proc/net/toa_table'], counterSet: 'dpvs' },
    accepts: ['toa-200-8', 'toa-253-20'],
    reads: 'ack',
    pick: 'first',
    nat64Api: ['toa-253-20'],
    nat64Else: NO_NAT64,
    ipv6Hooks: null,
    counterSet: 'dpvs',
    note: 'IPv6 clients in 253/20: the app calls getsockopt(IPPROTO_IP, 4096)',
    source: [
      { repo: 'Tencent documentation 214/45530', file: '(no public source)', fn: 'TOA_SO_GET_LOOKUP' },
    ],
  },
  {
    id: 'alibaba-lvs',
    label: 'Alibaba LVS FULLNAT RS toa',
    aliases: [],
    impl: 'alibaba-lvs',
    module: 'toa',
    identify: { banner: 'TOA: TOA 1.0.0.0 by pukong.wjm', counterSet: 'classic' },
    accepts: ['toa-254-8'],
    reads: 'ack',
    pick: 'first',
    nat64Api: [],
    nat64Else: NO_NAT64,
    ipv6Hooks: null,
    counterSet: 'classic',
    note: 'reads 254/8 only (the LB also sends 253/20 for IPv6 clients)',
    source: [{ repo: 'alibaba/LVS', file: 'kernel/net/toa/toa.c', fn: 'get_toa_data' }],
  },
  {
    id: 'alikernel',
    label: 'AliKernel in-tree toa (hookers)',
    aliases: [],
    impl: 'alikernel',
    module: 'toa',
    identify: { files: ['/proc/hookers'], counterSet: 'alikernel' },
    accepts: ['toa-254-8', 'toa-253-20'],
    reads: 'ack',
    pick: 'first',
    nat64Api: [],
    nat64Else: 'AliKernel net/toa has no getsockopt 4096: an IPv6 client on an IPv4 socket cannot be read',
    ipv6Hooks: true,
    counterSet: 'alikernel',
    note: 'no getsockopt 4096; built without IPv6 it prints 6 counters and reads 254/8 only',
    source: [{ repo: 'ymaxgit/aliker', file: 'net/toa/toa.h, net/toa/toa.c', fn: 'get_toa_data' }],
  },
  {
    id: 'vtoa',
    label: 'Alibaba Cloud Linux vtoa (with TOA_V6_EX)',
    aliases: [],
    impl: 'vtoa',
    module: 'vtoa',
    identify: {
      files: ['/proc/net/vtoa_stats', '/proc/hookers', '/proc/sys/net/ipv4/slb_vtoa'],
      counterSet: 'vtoa',
    },
    accepts: ['toa-254-8', 'toa-252-20', 'toa-249-40', 'toa-254-20', 'toa-253-20'],
    extensions: ['toa-250-8'],
    reads: 'ack',
    pick: 'first',
    nat64Api: [],
    nat64Else:
      'getpeername() returns an AF_INET6 sockaddr (length 28) on the IPv4 socket: the app must pass a sockaddr_in6 buffer',
    ipv6Hooks: true,
    counterSet: 'vtoa',
    note: '250/8 is the VIP only (alone it counts a getname mismatch); 249/40 fills the option area',
    source: [
      {
        repo: 'jackYoung0915/anolis-cloud-kernel',
        file: 'net/vtoa/vtoa.h, net/vtoa/vtoa_main.c',
        fn: 'get_vtoa_data (TCPOPT_TOA_V6_EX)',
      },
    ],
  },
  {
    id: 'vtoa-anolis',
    label: 'Anolis vtoa without TOA_V6_EX (no 254/20)',
    aliases: [],
    impl: 'vtoa',
    module: 'vtoa',
    identify: { files: ['/proc/net/vtoa_stats', '/proc/hookers'], counterSet: 'vtoa' },
    accepts: ['toa-254-8', 'toa-252-20', 'toa-249-40', 'toa-253-20'],
    extensions: ['toa-250-8'],
    reads: 'ack',
    pick: 'first',
    nat64Api: [],
    nat64Else:
      'getpeername() returns an AF_INET6 sockaddr (length 28) on the IPv4 socket: the app must pass a sockaddr_in6 buffer',
    ipv6Hooks: true,
    counterSet: 'vtoa',
    note: 'Anolis net/vtoa/vtoa_main.c: 254/8, 250/8, 252/20, 249/40, 253/20 (issue #11; not re-read here)',
    source: [{ repo: 'Anolis cloud-kernel', file: 'net/vtoa/vtoa_main.c', fn: 'get_vtoa_data' }],
  },
  {
    id: 'tcp_toa',
    label: 'Alibaba Cloud CDN tcp_toa kernel module',
    aliases: [],
    impl: 'tcp_toa',
    module: 'tcp_toa',
    identify: { banner: 'TOA: tcp_toa 2.0.0 insmod', counterSet: 'classic' },
    accepts: ['toa-28-7'],
    reads: 'syn',
    pick: 'first',
    nat64Api: [],
    nat64Else: NO_NAT64,
    ipv6Hooks: false,
    counterSet: 'classic',
    note: 'parses the SYN in its conn_request hook and never the ACK; address only, no port',
    source: [
      {
        repo: 'aliyun/alibabacloud-cdn-tool-toa',
        file: 'toa-kmod/toa.c',
        fn: 'tcp_v4_conn_request_toa, get_toa_data',
      },
      {
        repo: 'aliyun/alibabacloud-cdn-tool-toa',
        file: 'toa-kmod/toa.c',
        fn: 'tcp_v4_syn_recv_sock_toa (uses the SYN result)',
      },
    ],
  },
  {
    id: 'ebpf-cdn',
    label: 'Alibaba Cloud CDN eBPF TOA (sock_ops toa_parse)',
    aliases: ['aliyun-cdn'],
    impl: 'ebpf-cdn',
    module: null,
    identify: {
      bpfPins: [
        '/sys/fs/bpf/toa/toa_parse',
        '/sys/fs/bpf/toa/toa_peername4',
        '/sys/fs/bpf/toa/toa_peername6',
      ],
    },
    accepts: ['toa-28-7', 'toa-28-19', 'toa-254-8', 'toa-254-20'],
    kindsParam: {
      path: 'toa_opcode_map (keys 0 and 1; bpftool map dump name toa_opcode_map)',
      defaults: [28, 254],
      note: 'set-toa-optcode.sh -c1 <address-only kind> -c2 <kind with port>',
    },
    reads: 'syn-or-ack',
    pick: 'first',
    nat64Api: [],
    nat64Else: NO_NAT64,
    ipv6Hooks: true,
    counterSet: null,
    note: 'TCP_SAVE_SYN: parses the saved SYN, then the established ACK (whose TOA overwrites); either packet works',
    source: [
      {
        repo: 'aliyun/alibabacloud-cdn-tool-toa',
        file: 'toa-ebpf/toa-kern.c',
        fn: 'toa_parse, search_toa_option',
      },
    ],
  },
  {
    id: 'dpvs',
    label: 'iQIYI DPVS kmod/toa',
    aliases: [],
    impl: 'dpvs',
    module: 'toa',
    identify: { banner: 'TOA: TOA 2.0.0.0 by qlb of iqiyi.', counterSet: 'dpvs' },
    accepts: ['toa-254-8', 'toa-254-20'],
    reads: 'ack',
    pick: 'first',
    nat64Api: ['toa-254-20'],
    nat64Else: NO_NAT64,
    ipv6Hooks: true,
    counterSet: 'dpvs',
    note: '254/20 on an IPv4 socket = NAT64: getsockopt(IPPROTO_IP, 4096)',
    source: [{ repo: 'iqiyi/dpvs', file: 'kmod/toa/toa.c', fn: 'get_toa_data, inet64_getname_toa' }],
  },
  {
    id: 'dpvs-vip',
    label: 'DPVS toa fork with VIP option (zhzhzh-maker/toa 1.9.9)',
    aliases: [],
    impl: null,
    module: 'toa',
    identify: { counterSet: 'dpvs' },
    accepts: ['toa-254-8', 'toa-254-20'],
    reads: 'ack',
    pick: 'first',
    nat64Api: ['toa-254-20'],
    nat64Else: NO_NAT64,
    ipv6Hooks: true,
    counterSet: 'dpvs',
    notClient: [
      { variant: 'toa-253-8', meaning: 'the VIP (getsockopt 4097)' },
      { variant: 'toa-253-20', meaning: 'the VIP (getsockopt 4097)' },
    ],
    note: 'kind 253 carries the VIP, not a client (TCPOPT_TOA_VIP 253)',
    source: [{ repo: 'zhzhzh-maker/toa', file: 'toa.h', fn: 'TCPOPT_TOA_VIP, TOA_VIP_SO_GET_LOOKUP' }],
  },
  {
    id: 'huawei-toa',
    label: 'Huawei TCP_option_address toa',
    aliases: [],
    impl: 'huawei',
    module: 'toa',
    identify: { counterSet: 'classic' },
    accepts: ['toa-254-8'],
    reads: 'ack',
    pick: 'first',
    nat64Api: [],
    nat64Else: NO_NAT64,
    ipv6Hooks: false,
    counterSet: 'classic',
    note: 'default build has no IPv6 hooks (dual-stack listeners are not covered)',
    source: [{ repo: 'Huawei/TCP_option_address', file: 'src/toa.c', fn: 'get_toa_data' }],
  },
  {
    id: 'huawei-elb',
    label: 'Huawei ELB toa 2.1 (huaweicloud/elb-toa)',
    aliases: ['huawei'],
    impl: 'huawei-elb',
    module: 'toa',
    identify: { banner: 'TOA: TOA 2.1.0.', counterSet: 'dpvs' },
    accepts: ['toa-254-8', 'toa-253-20', 'toa-254-20'],
    reads: 'ack',
    pick: 'last',
    nat64Api: ['toa-254-20'],
    nat64Else:
      'elb-toa marks the socket NAT64 but its getsockopt 4096 accepts only kind 254: a 253/20 client cannot be read',
    ipv6Hooks: true,
    counterSet: 'dpvs',
    note: 'keeps scanning: a later 254/8 or 20-byte TOA on the same packet overwrites the earlier one (last wins)',
    source: [{ repo: 'huaweicloud/elb-toa', file: 'src/toa.c', fn: 'get_toa_data, inet64_getname_toa' }],
  },
  {
    id: 'lvs_toa',
    label: 'userid/lvs_toa (Huawei-style, also kind 200)',
    aliases: [],
    impl: 'huawei',
    module: 'toa',
    identify: { counterSet: 'classic' },
    accepts: ['toa-254-8', 'toa-200-8'],
    reads: 'ack',
    pick: 'first',
    nat64Api: [],
    nat64Else: NO_NAT64,
    ipv6Hooks: false,
    counterSet: 'classic',
    note: 'prints the Huawei log lines but also accepts 200/8 (TCPOPT_TOA_TENCENT)',
    source: [
      { repo: 'userid/lvs_toa', file: 'src/toa.h, src/toa.c', fn: 'TCPOPT_TOA_TENCENT, get_toa_data' },
    ],
  },
  {
    id: 'ucloud',
    label: 'UCloud ucloud-toa',
    aliases: [],
    impl: 'ucloud',
    module: 'toa',
    identify: { banner: 'TOA: TOA 2.0.0.0 by pukong.wjm', counterSet: 'classic' },
    accepts: ['toa-200-8', 'toa-254-8', 'toa-253-8'],
    reads: 'ack',
    pick: 'first',
    nat64Api: [],
    nat64Else: NO_NAT64,
    ipv6Hooks: true,
    counterSet: 'classic',
    note: 'IPv4 only; 253/8 is the "Akamai" compat form; some UCloud tarballs used kind 252 (iqiyi/dpvs#70)',
    source: [{ repo: 'ucloud/ucloud-toa', file: 'toa.c', fn: 'get_toa_data' }],
  },
  {
    id: 'tencentos',
    label: 'TencentOS / TLinux in-tree toa',
    aliases: [],
    impl: 'tencentos',
    module: 'toa',
    identify: { params: ['vtoa', 'disable_getpeername', 'dbg'], counterSet: 'classic' },
    accepts: ['toa-200-8'],
    extensions: ['toa-201-6', 'toa-202-8'],
    reads: 'ack',
    pick: 'first',
    nat64Api: [],
    nat64Else: NO_NAT64,
    ipv6Hooks: true,
    counterSet: 'classic',
    note: '201/6 (VPC id) and 202/8 (VIP) are extensions, not client addresses',
    source: [{ repo: 'Tencent/TencentOS-kernel (refs/pull/221)', file: 'net/toa/toa.c', fn: 'get_toa_data' }],
  },
  {
    id: 'ttgw',
    label: 'TTGW-style toa 3.0.1',
    aliases: [],
    impl: 'ttgw',
    module: 'toa',
    identify: {
      banner: 'toa: toa_init begin, version 3.0.1',
      counterSet: 'ttgw',
      params: ['toa_map_table_bits', 'vip_enable', 'v6_to_v4_enable', 'v6_to_v4_prefix_str'],
    },
    // the IP-header carriers first (they win when present), then the first kind-254 TCP option
    accepts: [
      'ip4opt-31-16',
      'ip4opt-31-40',
      'ip6dst-31-16',
      'ip6dst-31-40',
      'toa-254-8',
      'toa-254-16',
      'toa-254-20',
    ],
    carriers: ['ip4opt-31', 'ip6dst-31'],
    reads: 'ack',
    pick: 'first',
    nat64Api: [],
    nat64Else:
      'getpeername() returns an AF_INET6 sockaddr unless v6_to_v4_enable maps the 64:ff9b::/96 prefix to IPv4',
    ipv6Hooks: true,
    counterSet: 'ttgw',
    note: 'IPv4 option 31/30 (first IP option) or IPv6 destination option 31/30 first, then the first kind-254 TCP option of any length',
    source: [
      {
        repo: 'TTGW toa 3.0.1 (repository not identifiable)',
        file: 'toa.c',
        fn: 'toa_process_v4, toa_process_v6, toa_parse_tcp_option',
      },
    ],
  },
  {
    id: 'ip_vs_ca',
    label: 'yubo/ip_vs_ca',
    aliases: [],
    impl: 'ip_vs_ca',
    module: 'ip_vs_ca',
    identify: { files: ['/proc/net/ip_vs_ca_stats', '/proc/sys/net/ca/tcpopt_addr'], counterSet: 'ip_vs_ca' },
    accepts: ['toa-200-8'],
    kindsParam: { path: '/proc/sys/net/ca/tcpopt_addr', defaults: [200], note: 'one kind, length 8' },
    reads: 'syn',
    pick: 'first',
    nat64Api: [],
    nat64Else: NO_NAT64,
    ipv6Hooks: null,
    counterSet: 'ip_vs_ca',
    note: 'netfilter hook: reads the SYN only (`if (!th->syn) goto out`), one kind from tcpopt_addr (default 200)',
    source: [
      { repo: 'yubo/ip_vs_ca', file: 'src/ca_proto.c', fn: 'tcp_skb_process, get_ip_vs_ca_data' },
      { repo: 'yubo/ip_vs_ca', file: 'src/ca_core.c', fn: 'tcpopt_addr = 200; vs_vars' },
    ],
  },
];

/** the row of a model id or an alias (profile name), or undefined */
export function findModel(name: string): ModuleModel | undefined {
  return MODULE_MODELS.find((m) => m.id === name) ?? MODULE_MODELS.find((m) => m.aliases.includes(name));
}

/** every name --profile accepts: model ids and their aliases */
export function modelNames(): string[] {
  const out: string[] = [];
  for (const m of MODULE_MODELS) out.push(m.id, ...m.aliases);
  return out;
}

/** A model with its configured kinds applied (ip_vs_ca tcpopt_addr, the CDN eBPF opcode map). */
export function withKinds(m: ModuleModel, kinds: number[]): ModuleModel {
  if (!m.kindsParam || kinds.length === 0) return m;
  if (m.id === 'ip_vs_ca') return { ...m, accepts: [`toa-${kinds[0]}-8`] };
  if (m.id === 'ebpf-cdn') {
    const [addrOnly = 28, withPort = 254] = kinds;
    return {
      ...m,
      accepts: [`toa-${addrOnly}-7`, `toa-${addrOnly}-19`, `toa-${withPort}-8`, `toa-${withPort}-20`],
    };
  }
  return m;
}
