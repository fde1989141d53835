/**
 * Host-evidence types. Everything here is plain JSON-serialisable data:
 * a HostSnapshot is what one look at a root directory found; HostEvidence is one snapshot, or two
 * (before/after) plus the counter deltas between them.
 */

// ---------------------------------------------------------------- stats files (stats.ts)

/** Which layout a toa_stats / vtoa_stats file had. */
export type StatsLayout =
  /** header of `CPU<n>` columns, then `name : v v v ` rows (toa_stats_show() in alibaba/LVS kernel/net/toa/toa.c) */
  | 'classic'
  /** `toa version: 3.0.1`, a column header, per-CPU rows, `total:` row, `toa_map:` line (5.3) */
  | 'ttgw'
  /** the file exists but is empty (a procfs file that went away while read, or a bad copy) */
  | 'empty'
  /** nothing we know: see firstLines */
  | 'unrecognised';

/** Known counter sets (rows of COUNTER_SETS in stats.ts). */
export type CounterSetId = 'classic' | 'dpvs' | 'alikernel' | 'tencentos-vtoa' | 'vtoa' | 'ttgw' | 'unknown';

export interface CounterValue {
  name: string;
  /** sum over the CPU columns */
  total: number;
  /** CPU label ('0', '1', '5'...) → value; labels as printed in the file */
  perCpu: Record<string, number>;
  /** false when the name is in none of the known counter sets (kept anyway) */
  known: boolean;
  /**
   * exact decimal values, present when a value is past 2^53 (64-bit kernel counters near wrap):
   * `total`/`perCpu` are then rounded doubles, and deltas are computed from these strings
   */
  exact?: { total: string; perCpu: Record<string, string> };
}

export interface StatsFile {
  /** path as seen on the host, e.g. '/proc/net/toa_stats' */
  path: string;
  layout: StatsLayout;
  /** CPU labels in column order */
  cpus: string[];
  /** in file order */
  counters: CounterValue[];
  /** counter name → sum over CPUs */
  totals: Record<string, number>;
  /** best-matching known counter set ('unknown' when none matches) */
  counterSet: CounterSetId;
  /** counter names not in any known set */
  unknownCounters: string[];
  /** TTGW: the `toa version:` value */
  version?: string;
  /** TTGW: the `total:` row as printed (compare with our own sums) */
  fileTotals?: Record<string, number>;
  /** TTGW: the `toa_map:` line as key → number */
  toaMap?: Record<string, number>;
  /** lines we could not use, with a reason ("line 7: ...") */
  problems: string[];
  /** first lines of the file (always kept for 'unrecognised' and 'empty') */
  firstLines: string[];
}

/** Counters mapped onto one vocabulary, whatever the implementation named them. */
export interface NormalizedCounters {
  /** child sockets whose creating packet carried a recognised TOA */
  synRecvToa: number | null;
  /** child sockets created without a recognised TOA */
  synRecvNoToa: number | null;
  getnameOk: number | null;
  getnameMismatch: number | null;
  getnameBypass: number | null;
  getnameEmpty: number | null;
  ip6Alloc: number | null;
  ip6Free: number | null;
}

// ---------------------------------------------------------------- other /proc files

export interface ToaTableInfo {
  path: string;
  /** false when present but not read (costly; use --toa-table) */
  read: boolean;
  /** entries counted (lines that carry an address), null when not read */
  entries: number | null;
  /** raw lines (capped) */
  lines: string[];
  truncated: boolean;
  warning: string;
}

export interface HookerEntry {
  /** e.g. 'inet_stream_ops.getname' */
  place: string;
  addr: string;
  hookers: number;
  /** which path this place serves */
  family: 'ipv4' | 'ipv6' | 'mapped' | 'unknown';
  role: 'getname' | 'syn_recv_sock' | 'other';
}

/** /proc/net/snmp Tcp: counters (host or container netns). */
export interface TcpSnmp {
  passiveOpens: number | null;
  activeOpens: number | null;
  currEstab: number | null;
}

// ---------------------------------------------------------------- modules

export type ToaModuleName = 'toa' | 'vtoa' | 'tcp_toa' | 'ip_vs_ca' | 'hookers';

export interface ProcModuleEntry {
  name: string;
  size: number;
  refcount: number;
  usedBy: string[];
  /** 'Live', 'Loading', 'Unloading' (as printed) */
  state: string;
  address: string | null;
  /** taint letters in parentheses, e.g. 'OE' (out-of-tree, unsigned) */
  taints: string;
  raw: string;
}

export interface SysModuleInfo {
  name: string;
  /** /sys/module/<name>/initstate: 'live' | 'coming' | 'going' (absent for built-ins) */
  initstate: string | null;
  version: string | null;
  srcversion: string | null;
  /** /sys/module/<name>/taint, e.g. 'OE' */
  taint: string | null;
  refcnt: number | null;
  /** parameters/<p> → value (trimmed) */
  parameters: Record<string, string>;
  /** directory exists but no initstate: built into the kernel (or only parameters exported) */
  builtin: boolean;
  /** files here that exist but could not be read (permission denied): nothing is concluded from them */
  unreadable?: string[];
}

export interface ModuleState {
  name: ToaModuleName;
  /** in /proc/modules */
  loaded: boolean;
  state: string | null;
  /** /sys/module/<name>/ exists */
  sysfs: boolean;
  builtin: boolean;
  taints: string;
  outOfTree: boolean;
  parameters: Record<string, string>;
  version: string | null;
}

export interface EbpfToaInfo {
  /** /sys/fs/bpf/toa exists */
  present: boolean;
  /** names pinned under it (programs / maps) */
  entries: string[];
}

// ---------------------------------------------------------------- kernel

export type KernelFlavor = 'tencentos' | 'alinux' | 'anolis' | 'other' | 'unknown';

export interface KernelInfo {
  release: string | null;
  version: string | null;
  /** [major, minor, patch] from the release, or null */
  numeric: [number, number, number] | null;
  flavor: KernelFlavor;
  /** what made us say so, e.g. 'release contains "tl3"' */
  flavorReason: string | null;
  /** PRETTY_NAME from /etc/os-release when present */
  osPrettyName: string | null;
}

// ---------------------------------------------------------------- dmesg (dmesg.ts)

export type DmesgKind =
  | 'banner'
  | 'load'
  | 'unload'
  | 'hook'
  | 'unhook'
  | 'failure'
  | 'dead'
  | 'crash'
  | 'taint'
  | 'runtime'
  | 'debug'
  /** a TOA-prefixed line no row describes */
  | 'other';

export type Implementation =
  | 'alibaba-lvs'
  | 'alikernel'
  | 'vtoa'
  | 'tcp_toa'
  | 'dpvs'
  | 'huawei'
  | 'huawei-elb'
  | 'ucloud'
  | 'tencentos'
  | 'tgw_toa'
  | 'ttgw'
  | 'ip_vs_ca'
  | 'ebpf-cdn'
  | 'generic'
  | 'kernel';

export interface DmesgEvent {
  /** 1-based line number in the dmesg text */
  line: number;
  /** the timestamp as printed ('12.345678', 'Mon Jan  1 10:00:00 2024', 'Jan 01 10:00:00'), or null */
  ts: string | null;
  /** seconds since boot when the timestamp is monotonic, else null */
  seconds: number | null;
  /** the message without the timestamp */
  message: string;
  kind: DmesgKind;
  /** which implementation prints this line ('generic' when several do) */
  impl: Implementation;
  /** when a line is printed by several implementations: all of them */
  candidates?: Implementation[];
  /** id of the pattern row that matched */
  pattern: string;
  /** module named by the line, when it names one */
  module?: string;
  /** for hook/unhook: the kernel function ('inet_getname', 'tcp_v6_syn_recv_sock', ...) */
  fn?: string;
  /** for hook/unhook: which family's path */
  family?: 'ipv4' | 'ipv6';
  /** for debug lines: a decoded client address */
  address?: string;
}

export interface DmesgInfo {
  /** where the text came from: 'dmesg', 'journalctl -k', a file path, or null when unavailable */
  source: string | null;
  /** why it is unavailable (permission, no command...) */
  error: string | null;
  /** total lines read */
  lines: number;
  /**
   * classified TOA-related lines, in order: every line of a short log; of a long one the first and
   * last EXAMPLES_PER_PATTERN lines of each pattern (`counts` and `summary` still cover every line)
   */
  events: DmesgEvent[];
  /** TOA-related lines per pattern id, all of them */
  counts?: Record<string, number>;
  /** classified lines not kept in `events` */
  omitted?: number;
  /** the replay of every classified line (summarizeDmesg over all of them) */
  summary?: DmesgSummary;
}

/** What the dmesg events say, looking at the events after the last load. */
export interface DmesgSummary {
  lastLoad: DmesgEvent | null;
  lastUnload: DmesgEvent | null;
  /** the last load/unload event says the module is currently unloaded */
  unloadedAfterLoad: boolean;
  /** implementations named by banners/load lines (most recent last) */
  implementations: Implementation[];
  /** functions hooked since the last load */
  hooked: string[];
  ipv4Hooked: boolean;
  ipv6Hooked: boolean;
  /** 'suspiciously returned 1' after the last load attempt */
  dead: DmesgEvent[];
  failures: DmesgEvent[];
  crashes: DmesgEvent[];
  /** out-of-tree / unsigned taint lines naming a TOA module */
  outOfTree: string[];
  debugLines: number;
}

// ---------------------------------------------------------------- listeners

export interface Listener {
  family: 'ipv4' | 'ipv6';
  address: string;
  port: number;
  uid: number | null;
  inode: string | null;
  /** an IPv6 wildcard listener (`::`): accepts IPv4 clients too unless IPV6_V6ONLY */
  dualStack: boolean;
  /** bound to a v4-mapped address (::ffff:a.b.c.d) */
  v4Mapped: boolean;
}

export interface PortListeners {
  port: number;
  listeners: Listener[];
  /**
   * which path an IPv4 client takes: 'ipv4' when an IPv4 socket listens on the port,
   * 'ipv6' when only a `::` (or v4-mapped) socket does, 'none' when IPv4 clients cannot connect
   */
  ipv4ClientPath: 'ipv4' | 'ipv6' | 'none';
  /** the `::` listener may be IPV6_V6ONLY (bindv6only=1 or unknown): path is a guess */
  uncertain: boolean;
}

export interface ListenerInfo {
  /** /proc/net/tcp and tcp6 were readable */
  tcp: boolean;
  tcp6: boolean;
  listeners: Listener[];
  ports: PortListeners[];
  /** non-listening sockets seen (ESTABLISHED etc.), by family */
  otherSockets: { ipv4: number; ipv6: number };
  /** /proc/sys/net/ipv6/bindv6only */
  bindv6only: number | null;
  /** 'le' unless the snapshot says otherwise */
  endianness: 'le' | 'be';
  /** a tcp file was cut at the read limit: listeners are complete (printed first), socket counts are not */
  truncated?: boolean;
}

// ---------------------------------------------------------------- containers

export interface ContainerHints {
  dockerenv: boolean;
  containerenv: boolean;
  /** container runtime names seen in /proc/1/cgroup (docker, kubepods, containerd, libpod, lxc...) */
  cgroupHints: string[];
  /** overall guess */
  inContainer: boolean;
  reasons: string[];
}

// ---------------------------------------------------------------- snapshot / evidence

export interface HostSnapshot {
  schema: 'toa-doctor/host-snapshot@1';
  /** the root directory read ('/' on a live host) */
  root: string;
  /** ISO time of collection (from meta.json for a saved snapshot) */
  collectedAt: string;
  /** ms since the epoch */
  collectedAtMs: number;
  hostname: string | null;
  kernel: KernelInfo;
  /** toa_stats / vtoa_stats files found */
  stats: StatsFile[];
  toaTable: ToaTableInfo | null;
  /** null when /proc/hookers is absent */
  hookers: HookerEntry[] | null;
  /** null when /proc/modules could not be read */
  procModules: ProcModuleEntry[] | null;
  /** the five TOA-related module names, always present */
  modules: ModuleState[];
  sysModules: SysModuleInfo[];
  ebpf: EbpfToaInfo;
  dmesg: DmesgInfo;
  listeners: ListenerInfo;
  container: ContainerHints;
  snmp: TcpSnmp | null;
  /** interesting sysctls read: path → value */
  sysctl: Record<string, string>;
  /** copies of the files read, relative path (no leading '/') → content; dmesg in 'dmesg.txt' */
  raw: Record<string, string>;
  /** problems while collecting */
  notes: string[];
  /**
   * host paths that exist but could not be read (permission denied, as a non-root user): evidence
   * that is missing, not evidence of absence; diagnosis concludes nothing from them
   */
  unreadable?: string[];
}

export interface CounterDelta {
  file: string;
  counter: string;
  before: number;
  after: number;
  delta: number;
  /** per CPU deltas */
  perCpu: Record<string, number>;
}

export interface HostDeltas {
  /** seconds between the two snapshots */
  seconds: number;
  counters: CounterDelta[];
  /** normalized counters' deltas (same vocabulary for every implementation) */
  normalized: NormalizedCounters;
  /** /proc/net/snmp PassiveOpens delta (connections accepted), null when unknown */
  passiveOpens: number | null;
  /** a counter went backwards: module reloaded between snapshots */
  reset: boolean;
}

/** What diagnosis gets: one snapshot (`after` only) or a before/after pair. */
export interface HostEvidence {
  /** directory read (or '/' for a live host) */
  source: string;
  /** the newest snapshot: everything "current" is read from here */
  snapshot: HostSnapshot;
  /** the earlier snapshot when two were taken */
  before: HostSnapshot | null;
  /** null with one snapshot */
  deltas: HostDeltas | null;
  /** normalized totals of the newest snapshot */
  normalized: NormalizedCounters;
  /** dmesg digest of the newest snapshot */
  dmesgSummary: DmesgSummary;
  /** who is probably installed, best first (from banners, counter sets, kernel, modules) */
  implementations: Implementation[];
}
