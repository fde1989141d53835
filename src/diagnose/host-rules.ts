/**
 * Host diagnosis: HostEvidence → Finding[] (source 'host'). Every code is a row in
 * HOST_FINDING_CODES (documented in README.md). With one snapshot only what one
 * snapshot supports is said; counter movement needs two (before/after or --interval).
 */
import { implementationInfo } from '../host/identify.js';
import type {
  DmesgEvent,
  HostEvidence,
  Implementation,
  KernelInfo,
  ModuleState,
  NormalizedCounters,
  PortListeners,
} from '../host/types-host.js';
import { type Finding, type FindingExample, rankFindings, type Severity } from './types.js';

export interface HostFindingCode {
  code: string;
  severity: Severity | 'varies';
  title: string;
  /** needs two snapshots */
  needsDeltas?: boolean;
}

/** Every host finding code (README table; tests check each is documented). */
export const HOST_FINDING_CODES: HostFindingCode[] = [
  { code: 'HOST_MODULE_NOT_LOADED', severity: 'error', title: 'No TOA module is loaded' },
  { code: 'HOST_MODULE_LOAD_FAILED', severity: 'error', title: 'The TOA module failed to load' },
  { code: 'HOST_MODULE_STATE_UNKNOWN', severity: 'warning', title: 'Module state could not be read' },
  {
    code: 'HOST_MODULE_NOT_LIVE',
    severity: 'warning',
    title: 'The TOA module is still loading or unloading',
  },
  {
    code: 'HOST_MODULE_LOADED_BUT_DEAD',
    severity: 'error',
    title: 'The TOA module is loaded but its hooks are not installed',
  },
  { code: 'HOST_MODULE_CRASH', severity: 'error', title: 'The kernel crashed inside a TOA module' },
  { code: 'HOST_MULTIPLE_TOA', severity: 'error', title: 'More than one TOA implementation is active' },
  {
    code: 'HOST_TENCENTOS_FLAVOR_MIX',
    severity: 'warning',
    title: 'TencentOS built-in and generic-Linux TOA builds are mixed',
  },
  {
    code: 'HOST_CONTAINER_NO_VISIBILITY',
    severity: 'warning',
    title: 'Running in a container: TOA counters are only visible on the host',
  },
  {
    code: 'HOST_IPV6_LISTENER_IPV4_HOOKS',
    severity: 'varies',
    title: 'IPv6/dual-stack listener while the module hooks IPv4 only',
  },
  {
    code: 'HOST_IPV6_HOOKS_UNCONFIRMED',
    severity: 'info',
    title: 'IPv6/dual-stack listener; IPv6 hooks could not be confirmed',
  },
  {
    code: 'HOST_HOOK_NOT_IN_PATH',
    severity: 'error',
    title: 'Connections arrive but the TOA hook never runs',
    needsDeltas: true,
  },
  {
    code: 'HOST_NO_TOA_RISING',
    severity: 'varies',
    title: 'New connections arrive without a TOA the module recognises',
    needsDeltas: true,
  },
  {
    code: 'HOST_NO_TOA_SINCE_LOAD',
    severity: 'warning',
    title: 'No connection carried a recognised TOA since the module loaded',
  },
  { code: 'HOST_SOME_WITHOUT_TOA', severity: 'info', title: 'Some connections were created without a TOA' },
  { code: 'HOST_COUNTERS_ZERO', severity: 'info', title: 'The hook has not counted any connection yet' },
  {
    code: 'HOST_TOA_MISMATCH_RISING',
    severity: 'warning',
    title: 'getpeername() finds TOA data of an unexpected kind/length',
    needsDeltas: true,
  },
  { code: 'HOST_TOA_MISMATCH_SEEN', severity: 'info', title: 'getname_toa_mismatch is non-zero' },
  {
    code: 'HOST_TOA_BYPASS',
    severity: 'varies',
    title: "Another kernel user owns sockets' sk_user_data (sockmap, Cilium, kTLS...)",
  },
  {
    code: 'HOST_IP6_ADDRESS_LEAK',
    severity: 'warning',
    title: 'IPv6 TOA entries are allocated but not freed',
  },
  { code: 'HOST_IP6_ADDRESS_GAP', severity: 'info', title: 'IPv6 TOA entries currently held' },
  {
    code: 'HOST_GETNAME_EMPTY_NORMAL',
    severity: 'info',
    title: 'getname_toa_empty counts every getsockname(): not a problem by itself',
  },
  {
    code: 'HOST_NO_TRAFFIC_IN_INTERVAL',
    severity: 'info',
    title: 'No connection arrived between the two snapshots',
    needsDeltas: true,
  },
  {
    code: 'HOST_COUNTER_RESET',
    severity: 'warning',
    title: 'Counters went backwards: the module was reloaded between snapshots',
    needsDeltas: true,
  },
  { code: 'HOST_SINGLE_SNAPSHOT', severity: 'info', title: 'One snapshot: counters are totals since load' },
  { code: 'HOST_STATS_UNRECOGNISED', severity: 'warning', title: 'A stats file matches no known layout' },
  { code: 'HOST_STATS_PARSE_PROBLEMS', severity: 'info', title: 'Some stats lines could not be read' },
  { code: 'HOST_UNKNOWN_COUNTERS', severity: 'info', title: 'Unknown counter names (kept)' },
  { code: 'HOST_DMESG_UNAVAILABLE', severity: 'info', title: 'The kernel log could not be read' },
  {
    code: 'HOST_GETPEERNAME_DISABLED',
    severity: 'warning',
    title: 'TencentOS toa has getpeername rewriting disabled',
  },
  { code: 'HOST_TENCENTOS_VTOA_MODE', severity: 'info', title: 'TencentOS toa runs in VPC (vtoa) mode' },
  { code: 'HOST_TOA_DEBUG_ENABLED', severity: 'info', title: 'TOA debug logging is on' },
  {
    code: 'HOST_TTGW_GETSOCKNAME_VIP',
    severity: 'info',
    title: 'TTGW toa also rewrites getsockname() to the VIP',
  },
  { code: 'HOST_TOA_TABLE_PRESENT', severity: 'info', title: '/proc/net/toa_table present (costly to read)' },
  { code: 'HOST_HOOKERS_SHARED', severity: 'info', title: 'Several consumers chained on one hookers place' },
  {
    code: 'HOST_PERMISSION_DENIED',
    severity: 'warning',
    title: 'Some host files cannot be read (permission denied): run as root',
  },
  {
    code: 'HOST_MODULE_BUILTIN',
    severity: 'info',
    title: 'TOA is built into the kernel (stats file without a loadable module)',
  },
];

const READERS = ['toa', 'vtoa', 'tcp_toa', 'ip_vs_ca'] as const;

function finding(
  code: string,
  severity: Severity,
  title: string,
  explanation: string,
  remediation: string,
  examples: FindingExample[] = [],
  flows = 0,
): Finding {
  return { code, severity, flows, share: 0, examples, title, explanation, remediation, source: 'host' };
}

function dmesgRef(ev: DmesgEvent): FindingExample {
  return { ref: `dmesg:${ev.line}${ev.ts ? ` [${ev.ts}]` : ''}`, detail: ev.message.slice(0, 200) };
}

function n(v: number | null): string {
  return v === null ? '?' : String(v);
}

function signed(v: number | null): string {
  return v === null ? '?' : v >= 0 ? `+${v}` : String(v);
}

const LOAD_HELP =
  'Load the module that matches your load balancer, then open NEW connections (existing ones keep the LB ' +
  'address): Tencent CLB/Anti-DDoS/GAAP: install tgw_toa (TencentOS: `modprobe toa` for the built-in, ' +
  'or the tgw_toa_tlinux build; other distros: the tgw_toa_linux build) and `insmod toa.ko`; Alibaba Cloud ' +
  'Linux 3: `systemctl start vtoa` (`modprobe vtoa`); DPVS/Huawei/UCloud: build the vendor toa.ko for this ' +
  'kernel and `insmod`/`modprobe toa`; Alibaba CDN: `modprobe tcp_toa` or the eBPF loader. Check with ' +
  '`lsmod | grep toa`, `dmesg | grep -i toa` and `cat /proc/net/toa_stats`.';

function loadedReaders(ev: HostEvidence): ModuleState[] {
  return ev.snapshot.modules.filter(
    (m) => (READERS as readonly string[]).includes(m.name) && (m.loaded || m.builtin),
  );
}

function implLabel(impls: Implementation[]): string {
  if (impls.length === 0) return 'an unidentified implementation';
  return impls.map((i) => implementationInfo(i)?.label ?? i).join(' or ');
}

/** Ports an IPv4 client reaches through the IPv6 path, plus IPv6-only ports. */
function ipv6PathPorts(ev: HostEvidence): PortListeners[] {
  return ev.snapshot.listeners.ports
    .map((p) => ({ ...p, listeners: p.listeners.filter((l) => !isLocalOnly(l.address)) }))
    .filter(
      (p) =>
        p.listeners.length > 0 &&
        (p.ipv4ClientPath === 'ipv6' || p.listeners.some((l) => l.family === 'ipv6' && !l.v4Mapped)),
    );
}

/** Loopback / link-local listeners never see load-balancer traffic. */
function isLocalOnly(address: string): boolean {
  return (
    address === '::1' ||
    address.startsWith('127.') ||
    address.startsWith('::ffff:127.') ||
    /^fe[89ab][0-9a-f]:/i.test(address)
  );
}

function portExamples(ports: PortListeners[]): FindingExample[] {
  return ports.slice(0, 8).map((p) => ({
    ref: `listen ${p.listeners.map((l) => (l.family === 'ipv6' ? `[${l.address}]:${p.port}` : `${l.address}:${p.port}`)).join(', ')}`,
    detail:
      p.ipv4ClientPath === 'ipv6'
        ? `IPv4 clients go through the IPv6 path (tcp_v6_syn_recv_sock, inet6_getname)${p.uncertain ? ' unless the socket is IPV6_V6ONLY' : ''}`
        : p.ipv4ClientPath === 'ipv4'
          ? 'IPv4 clients use the IPv4 listener; IPv6 clients use the IPv6 path'
          : 'IPv6 only',
  }));
}

/** What the evidence says about IPv6 hooks: true/false, or null when nothing tells. */
function ipv6Hooks(ev: HostEvidence): { hooked: boolean | null; how: string; strong: boolean } {
  const d = ev.dmesgSummary;
  if (d.hooked.length > 0) {
    return {
      hooked: d.ipv6Hooked,
      how: `dmesg since the last load shows hooks on ${d.hooked.join(', ')}`,
      strong: true,
    };
  }
  const hk = ev.snapshot.hookers;
  if (hk && hk.length > 0) {
    const v4 = hk.some((h) => h.family === 'ipv4' && h.hookers > 0);
    const v6 = hk.some((h) => (h.family === 'ipv6' || h.family === 'mapped') && h.hookers > 0);
    if (v4 || v6)
      return {
        hooked: v6,
        how: `/proc/hookers: ${hk.map((h) => `${h.place}=${h.hookers}`).join(', ')}`,
        strong: true,
      };
  }
  if (ev.snapshot.stats.some((f) => f.layout === 'ttgw')) {
    return { hooked: true, how: 'TTGW toa hooks IPv4 and IPv6', strong: false };
  }
  const infos = ev.implementations.map((i) => implementationInfo(i)?.ipv6Hooks ?? null);
  if (infos.length > 0 && infos.every((x) => x === false))
    return {
      hooked: false,
      how: `${implLabel(ev.implementations)} does not hook IPv6 in its default build`,
      strong: false,
    };
  if (infos.length > 0 && infos.every((x) => x === true))
    return { hooked: true, how: `${implLabel(ev.implementations)} hooks IPv6`, strong: false };
  return { hooked: null, how: 'no hook lines in the kernel log and no /proc/hookers', strong: false };
}

function moduleRules(ev: HostEvidence, out: Finding[]): { active: boolean } {
  const s = ev.snapshot;
  const d = ev.dmesgSummary;
  const readers = loadedReaders(ev);
  const statsPresent = s.stats.length > 0;
  const active = readers.length > 0 || statsPresent || s.ebpf.present;
  // files that exist but could not be read are missing evidence, not evidence of absence
  const denied = s.unreadable ?? [];
  if (denied.length) {
    out.push(
      finding(
        'HOST_PERMISSION_DENIED',
        'warning',
        'Some host files cannot be read (permission denied): run as root',
        `${denied.length} file${denied.length === 1 ? '' : 's'} could not be read as this user (${denied.slice(0, 4).join(', ')}${denied.length > 4 ? ', ...' : ''}). ` +
          'Nothing is concluded from them: a module, counter or log line may be there.',
        'Run `sudo toa-doctor host` (or make the snapshot as root) to see them.',
        denied.slice(0, 6).map((f) => ({ ref: f, detail: 'cannot read (permission denied)' })),
      ),
    );
    const key = (f: string) =>
      f === '/proc/modules' || /^\/proc\/net\/v?toa_stats$/.test(f) || f.startsWith('/sys/module/');
    // the module state rests on what could not be read: say only that
    if (!active && denied.some(key)) return { active: false };
  }

  for (const m of readers) {
    if (m.state && !/^live$/i.test(m.state))
      out.push(
        finding(
          'HOST_MODULE_NOT_LIVE',
          'warning',
          `Module ${m.name} is in state ${m.state}`,
          `/proc/modules shows ${m.name} as ${m.state}: its init (or exit) has not finished, so hooks may be half-installed.`,
          'Wait a few seconds and look again; if it stays there, check `dmesg` for a hang in the module init and reboot if rmmod hangs.',
          [{ ref: '/proc/modules', detail: s.procModules?.find((p) => p.name === m.name)?.raw }],
        ),
      );
  }

  if (d.crashes.length > 0)
    out.push(
      finding(
        'HOST_MODULE_CRASH',
        'error',
        'The kernel crashed inside a TOA module',
        'The kernel log shows an oops in TOA code. A common cause is an old module writing to write-protected ' +
          'kernel data (CentOS 7.6 3.10.0-957 "unable to handle kernel paging request ... toa_init", DPVS #483/#484) or ' +
          'a module built for another kernel. The hooks are not trustworthy after this.',
        'Reboot, then install a module version that supports this kernel (DPVS fixes 1d7ce44d/87ddeda0; vendor ' +
          'packages for this exact kernel release), and load it again.',
        d.crashes.slice(0, 5).map(dmesgRef),
      ),
    );

  if (!active) {
    if (s.procModules === null) {
      out.push(
        finding(
          'HOST_MODULE_STATE_UNKNOWN',
          'warning',
          'Module state could not be read',
          '/proc/modules could not be read (no loadable-module support, or not copied into the snapshot) and no TOA ' +
            'stats file, /sys/module entry or eBPF pin was found, so toa-doctor cannot tell whether TOA is active.' +
            (s.container.inContainer ? ' This is a container: the module, if any, lives on the host.' : ''),
          'Run `toa-doctor host` as root on the host itself (not in a container), or copy /proc/modules into the snapshot.',
          [{ ref: '/proc/modules', detail: 'unreadable' }],
        ),
      );
    } else if (d.failures.length > 0 || d.dead.length > 0) {
      out.push(
        finding(
          'HOST_MODULE_LOAD_FAILED',
          'error',
          'The TOA module failed to load',
          `No TOA module is loaded now, and the kernel log shows the last load attempt failing: ${d.failures
            .concat(d.dead)
            .slice(0, 2)
            .map((e) => `"${e.message}"`)
            .join(', ')}.`,
          `${failureAdvice([...d.failures, ...d.dead], s.kernel)} ${LOAD_HELP}`,
          [...d.failures, ...d.dead].slice(0, 6).map(dmesgRef),
        ),
      );
    } else {
      const ex: FindingExample[] = [
        {
          ref: '/proc/modules',
          detail: s.procModules ? 'no toa, vtoa, tcp_toa or ip_vs_ca' : 'unreadable',
        },
        { ref: '/proc/net/toa_stats', detail: 'absent' },
        { ref: '/sys/fs/bpf/toa', detail: 'absent (no eBPF TOA)' },
      ];
      if (d.lastUnload) ex.push(dmesgRef(d.lastUnload));
      out.push(
        finding(
          'HOST_MODULE_NOT_LOADED',
          'error',
          'No TOA module is loaded',
          'Nothing on this host reads the TOA option: no toa/vtoa/tcp_toa/ip_vs_ca module, no stats file, no eBPF TOA. ' +
            'The application will see the load balancer address even when every packet carries a correct TOA.' +
            (d.unloadedAfterLoad
              ? ' The kernel log shows the module was unloaded after it had been loaded.'
              : '') +
            (s.container.inContainer
              ? " (This is a container: the module has to be loaded on the host, and /proc/modules here shows the host kernel's modules.)"
              : ''),
          LOAD_HELP,
          ex,
        ),
      );
    }
    return { active };
  }

  // ---- loaded but dead
  const deadEvents = d.dead.filter((e) => !e.module || READERS.some((r) => r === e.module));
  for (const m of readers) {
    if (m.name === 'ip_vs_ca') continue;
    const statsName = m.name === 'vtoa' ? '/proc/net/vtoa_stats' : '/proc/net/toa_stats';
    const hasStats = s.stats.some((f) => f.path === statsName);
    const dead = deadEvents.filter((e) => !e.module || e.module === m.name);
    const noStats = !hasStats && m.loaded && !s.container.inContainer && !s.ebpf.present;
    if (dead.length > 0 || noStats) {
      const ex: FindingExample[] = [
        {
          ref: '/proc/modules',
          detail: s.procModules?.find((p) => p.name === m.name)?.raw ?? `${m.name} present`,
        },
      ];
      if (!hasStats) ex.push({ ref: statsName, detail: 'absent' });
      ex.push(...dead.slice(0, 3).map(dmesgRef), ...d.failures.slice(0, 3).map(dmesgRef));
      out.push(
        finding(
          'HOST_MODULE_LOADED_BUT_DEAD',
          'error',
          `Module ${m.name} is loaded but its hooks are not installed`,
          `lsmod shows ${m.name}, but ${
            dead.length > 0
              ? 'the kernel log says its init "suspiciously returned 1"'
              : `${statsName} does not exist`
          }. Most TOA modules return 1 (not a negative errno) when init fails; the kernel then keeps the module ` +
            'loaded, but the hooks were never installed and the stats file was removed again. Nothing is rewritten.' +
            (d.failures.length
              ? ` The failure logged: "${d.failures[d.failures.length - 1]!.message}".`
              : ''),
          `${failureAdvice(d.failures, s.kernel)} Then \`rmmod ${m.name}\` and load it again; confirm \`dmesg | grep -i toa\` shows the load line and ${statsName} exists.`,
          ex,
        ),
      );
    }
  }

  // ---- built-in (stats file without a module)
  if (
    statsPresent &&
    readers.length === 0 &&
    !s.ebpf.present &&
    s.procModules !== null &&
    !denied.some((f) => f.startsWith('/sys/module/'))
  )
    out.push(
      finding(
        'HOST_MODULE_BUILTIN',
        'info',
        'TOA is built into the kernel',
        'A TOA stats file exists but /proc/modules lists no TOA module: the code is compiled into the kernel (CONFIG_TOA=y) or the module has another name.',
        'Nothing to do; it cannot be unloaded, and an out-of-tree toa.ko must not be loaded on top of it.',
        s.stats.map((f) => ({ ref: f.path })),
      ),
    );

  // ---- two implementations
  const activeReaders = readers.filter((m) => m.loaded || m.builtin).map((m) => m.name);
  const parts: string[] = [...activeReaders];
  if (s.ebpf.present) parts.push('eBPF TOA (/sys/fs/bpf/toa)');
  if (parts.length > 1) {
    out.push(
      finding(
        'HOST_MULTIPLE_TOA',
        'error',
        `More than one TOA implementation is active: ${parts.join(' + ')}`,
        'Pointer-swapping TOA modules each save the kernel function as "original": the last one loaded wins, the ' +
          'first is bypassed, and unloading either restores the kernel function and silently disables the other. ' +
          'An eBPF getpeername hook (Alibaba CDN eBPF, Cilium socket-LB) and a module hook override each other ' +
          'depending on order. Vendors (Tencent, Alibaba vtoa) state their TOA is incompatible with other TOA modules.',
        `Keep exactly one: the one whose option kind your load balancer sends. Unload the others (\`rmmod ${activeReaders
          .filter((x) => x !== activeReaders[0])
          .join(
            ' ',
          )}\`${s.ebpf.present ? '; eBPF: run the vendor unload.sh / remove /sys/fs/bpf/toa' : ''}), then \`rmmod\` and re-load the remaining module so its hooks are installed over the kernel's functions.`,
        [
          ...readers.map((m) => ({
            ref: '/proc/modules',
            detail: s.procModules?.find((p) => p.name === m.name)?.raw ?? m.name,
          })),
          ...(s.ebpf.present
            ? [{ ref: '/sys/fs/bpf/toa', detail: s.ebpf.entries.join(', ') || 'present' }]
            : []),
        ],
      ),
    );
  }
  return { active };
}

function failureAdvice(events: DmesgEvent[], kernel?: KernelInfo): string {
  const text = events.map((e) => e.message).join('\n');
  if (/toa_init: cann?n?ot find sock_def_readable/.test(text))
    // TTGW toa.c toa_init: kallsyms_lookup_name("sock_def_readable") returned 0
    return "TTGW's toa_init could not find sock_def_readable through kallsyms_lookup_name: the kernel has no kallsyms for it (built without CONFIG_KALLSYMS) or the compiler renamed the function (LTO/clang builds show `sock_def_readable.llvm.*`; check `grep sock_def_readable /proc/kallsyms`). The module then refuses to load: use a TTGW build for this kernel.";
  if (/kallsyms_lookup_name/i.test(text)) {
    const n = kernel?.numeric;
    const release = kernel?.release ?? 'this kernel';
    if (n && (n[0] > 5 || (n[0] === 5 && n[1] >= 7)))
      return `The module needs kallsyms_lookup_name, which kernels >= 5.7 no longer export it (${release}): use a version that finds it through a kprobe (UCloud, DPVS d44707a3, Alibaba CDN).`;
    if (n)
      // Huawei/TCP_option_address#14: `toa: Unknown symbol kallsyms_lookup_name` on 2.6.32
      return `The module needs kallsyms_lookup_name, but ${release} is older than 5.7, so the export was not removed upstream: this kernel build does not export it (some 2.6.32 vendor kernels; Alibaba LVS shipped lvs-toa-rs-export-symbols.patch for that), or the module was built against other headers. Rebuild against exactly this kernel's headers, or use a module that looks the symbol up without the export (Alibaba CDN tcp_toa walks kallsyms_on_each_symbol below 2.6.33).`;
    return 'The module needs kallsyms_lookup_name: kernels >= 5.7 no longer export it (use a version that finds it through a kprobe: UCloud, DPVS d44707a3, Alibaba CDN); on older kernels the vendor kernel does not export it or the module was built for other headers (the snapshot does not show the kernel version).';
  }
  if (/Unknown symbol/i.test(text))
    return "The module was built for another kernel or needs symbols this kernel does not export: rebuild it against this kernel's headers (kernel-devel of exactly `uname -r`).";
  if (/sock_def_readable|cannot find symbols/i.test(text))
    return 'The module could not resolve kernel symbols (sock_def_readable): the kernel hides kallsyms or the module is too old for it; use a build that supports this kernel.';
  if (/hook/i.test(text))
    return 'The module could not patch the kernel function tables (write-protected rodata): use a version that handles write protection on this kernel.';
  if (/procfs|create proc/i.test(text))
    return 'The module could not create its /proc file (a stale entry from a previous instance, or another module of the same name).';
  if (/ip6|ipv6/i.test(text))
    return 'The IPv6 part of the module failed to initialise (lock or symbol lookup).';
  return 'Read the failure line(s) in the kernel log and install a module version that supports this kernel.';
}

/** A module parameter as a number: decimal, 0x-hex, or Y/N. */
function paramInt(v: string): number {
  const t = v.trim();
  if (/^y$/i.test(t)) return 1;
  if (/^n$/i.test(t)) return 0;
  const x = /^0x([0-9a-f]+)$/i.exec(t);
  const num = x ? Number.parseInt(x[1]!, 16) : Number.parseInt(t, 10);
  return Number.isFinite(num) ? num : 0;
}

function flavorRules(ev: HostEvidence, out: Finding[]): void {
  const s = ev.snapshot;
  const toa = s.modules.find((m) => m.name === 'toa');
  if (!toa || !(toa.loaded || toa.sysfs)) return;
  const tencentParams = ['vtoa', 'disable_getpeername', 'dbg'].filter((p) => p in toa.parameters);
  const outOfTree = toa.outOfTree || ev.dmesgSummary.outOfTree.includes('toa');
  const tencentKernel = s.kernel.flavor === 'tencentos';
  if (tencentKernel && outOfTree && tencentParams.length === 0) {
    out.push(
      finding(
        'HOST_TENCENTOS_FLAVOR_MIX',
        'warning',
        'Out-of-tree toa on a TencentOS kernel',
        `The kernel is TencentOS (${s.kernel.flavorReason ?? s.kernel.release}), which ships its own built-in toa ` +
          '(`modprobe toa`, parameters vtoa/dbg/disable_getpeername), but the loaded toa is an out-of-tree module ' +
          '(taint O) without those parameters. Tencent documents that the TencentOS TOA and the generic-Linux tgw_toa ' +
          'are two different TOAs that must not be mixed; the generic-Linux build (tgw_toa_linux_ver) on a TencentOS ' +
          'kernel is the classic mistake.',
        'Use either the built-in module (`rmmod toa; modprobe toa`) or the TencentOS build of tgw_toa ' +
          '(tgw_toa_tlinux_ver.tar.gz) — not the generic-Linux build. Re-open connections afterwards.',
        [
          { ref: '/proc/sys/kernel/osrelease', detail: s.kernel.release ?? undefined },
          {
            ref: '/proc/modules',
            detail: s.procModules?.find((p) => p.name === 'toa')?.raw ?? `taint ${toa.taints}`,
          },
        ],
      ),
    );
  }
  if (!tencentKernel && s.kernel.flavor !== 'unknown' && tencentParams.length > 0) {
    out.push(
      finding(
        'HOST_TENCENTOS_FLAVOR_MIX',
        'warning',
        'TencentOS-flavoured toa on a non-TencentOS kernel',
        `/sys/module/toa/parameters has ${tencentParams.join(', ')} (the TencentOS toa), but the kernel ` +
          `(${s.kernel.release ?? 'unknown'}) is not TencentOS. The TencentOS and generic-Linux TOA builds are ` +
          'different modules and must not be mixed.',
        'Install the generic-Linux tgw_toa build (tgw_toa_linux_ver.tar.gz) for this kernel instead.',
        tencentParams.map((p) => ({ ref: `/sys/module/toa/parameters/${p}`, detail: toa.parameters[p] })),
      ),
    );
  }
  // TencentOS parameters
  const dis = toa.parameters.disable_getpeername;
  if (dis !== undefined && paramInt(dis) > 0) {
    const v = paramInt(dis);
    const which = [v & 1 ? 'IPv4' : null, v & 2 ? 'IPv6' : null].filter(Boolean).join(' and ');
    out.push(
      finding(
        'HOST_GETPEERNAME_DISABLED',
        'warning',
        `TencentOS toa does not rewrite getpeername() for ${which || 'some'} sockets`,
        `/sys/module/toa/parameters/disable_getpeername = ${dis} (bit 1 = IPv4, bit 2 = IPv6): the module still reads ` +
          `the option, but getpeername()/accept() on ${which || 'those'} sockets return the load balancer address.`,
        'Set it to 0 unless the application reads the address another way (VPC netlink): ' +
          '`echo 0 > /sys/module/toa/parameters/disable_getpeername` (or the modprobe option), then re-open connections.',
        [{ ref: '/sys/module/toa/parameters/disable_getpeername', detail: dis }],
      ),
    );
  }
  const vtoa = toa.parameters.vtoa;
  if (vtoa !== undefined && vtoa !== '0' && vtoa !== 'N')
    out.push(
      finding(
        'HOST_TENCENTOS_VTOA_MODE',
        'info',
        'TencentOS toa runs in VPC (vtoa) mode',
        `/sys/module/toa/parameters/vtoa = ${vtoa}: the module fills sk_tvpc_info from kinds 200/201/202 (client, VPC id, ` +
          'VIP) and answers the VPC_VTOA generic-netlink family. Connections without a TOA are counted as ' +
          'syn_recv_sock_no_toa at getname time.',
        'Nothing to do if your application uses the VPC netlink API; for plain hybrid-cloud TOA (kind 200) vtoa=0 is the classic mode.',
        [{ ref: '/sys/module/toa/parameters/vtoa', detail: vtoa }],
      ),
    );
  const dbg = toa.parameters.dbg;
  const debugOn = (dbg !== undefined && paramInt(dbg) > 0) || ev.dmesgSummary.debugLines > 0;
  if (debugOn)
    out.push(
      finding(
        'HOST_TOA_DEBUG_ENABLED',
        'info',
        'TOA debug logging is on',
        `${dbg !== undefined && paramInt(dbg) > 0 ? `/sys/module/toa/parameters/dbg = ${dbg}. ` : ''}` +
          `${ev.dmesgSummary.debugLines} [DEBUG] TOA line(s) in the kernel log. Debug lines are printed per connection ` +
          '(Alibaba LVS prints them unconditionally); they are useful to see decoded client addresses but cost CPU and flood the log.',
        'Turn it off after troubleshooting (TencentOS: `echo 0 > /sys/module/toa/parameters/dbg`; others: load a non-debug build).',
        ev.snapshot.dmesg.events
          .filter((e) => e.kind === 'debug')
          .slice(0, 3)
          .map(dmesgRef),
      ),
    );
  if (toa.parameters.vip_enable !== undefined && /^(1|Y)$/i.test(toa.parameters.vip_enable))
    out.push(
      finding(
        'HOST_TTGW_GETSOCKNAME_VIP',
        'info',
        'TTGW toa also rewrites getsockname() to the VIP',
        'vip_enable=1: besides getpeername() (client address), getsockname() returns the load balancer VIP:vport ' +
          'instead of the local address. Applications that log or bind by local address will see the VIP.',
        'Expected with TTGW; set vip_enable=0 at load time if the application needs the real local address.',
        [{ ref: '/sys/module/toa/parameters/vip_enable', detail: toa.parameters.vip_enable }],
      ),
    );
}

function containerRules(ev: HostEvidence, out: Finding[]): void {
  const s = ev.snapshot;
  if (!s.container.inContainer || s.stats.length > 0) return;
  const visible = s.modules.filter(
    (m) => (READERS as readonly string[]).includes(m.name) && (m.loaded || m.sysfs),
  );
  out.push(
    finding(
      'HOST_CONTAINER_NO_VISIBILITY',
      'warning',
      'Running in a container: TOA counters are only visible on the host',
      `This looks like a container (${s.container.reasons.join('; ')}). TOA modules create /proc/net/toa_stats only ` +
        'in the host network namespace, so its absence here says nothing about the module. ' +
        (visible.length
          ? `${visible.map((m) => m.name).join(', ')} is visible in /proc/modules or /sys/module, i.e. loaded on the host; its hooks are global, so sockets in this container are rewritten too.`
          : 'No TOA module is visible through /proc/modules or /sys/module either: it has to be loaded on the host (vendors require that).'),
      'Run `toa-doctor host` on the host (or in a privileged pod with hostNetwork and /proc from the host) to read ' +
        'the counters. If a sidecar/L7 proxy sits in front of the app, it must read and forward the client address itself.',
      s.container.reasons.map((r) => ({ ref: r })),
    ),
  );
}

function listenerRules(ev: HostEvidence, out: Finding[], active: boolean): void {
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
      finding(
        'HOST_IPV6_LISTENER_IPV4_HOOKS',
        severity,
        'IPv6/dual-stack listener while the module hooks IPv4 only',
        (v4via6.length
          ? `${v4via6.length} port(s) (${v4via6.map((p) => p.port).join(', ')}) are served only by an IPv6 socket (\`::\`, ` +
            'the default of Go and Java), so IPv4 clients are accepted through tcp_v6_syn_recv_sock and inet6_getname. '
          : `${ports.length} port(s) (${ports.map((p) => p.port).join(', ')}) also listen on IPv6; IPv6 clients use ` +
            'tcp_v6_syn_recv_sock and inet6_getname (IPv4 clients use the IPv4 socket). ') +
          `${h.how}: the IPv6 paths are not hooked, so those connections keep the load balancer address and the ` +
          'syn_recv_sock_* counters do not move for them.',
        'Either listen on an IPv4 socket (0.0.0.0:port; Go: net.Listen("tcp4", ...); nginx: listen 80 without [::]), ' +
          'or use a module build that hooks IPv6 (Huawei: build with CONFIG_IP_VS_TOA_IPV6; UCloud >= f12336f; DPVS kmod/toa).',
        [...portExamples(main), { ref: 'hooks', detail: h.how }],
        main.length,
      ),
    );
    return;
  }
  out.push(
    finding(
      'HOST_IPV6_HOOKS_UNCONFIRMED',
      'info',
      'IPv6/dual-stack listener; IPv6 hooks could not be confirmed',
      `${ports.length} port(s) (${ports.map((p) => p.port).join(', ')}) are served by an IPv6 socket` +
        (v4via6.length ? ', and IPv4 clients take the IPv6 path on some of them' : '') +
        `. ${h.how}, so toa-doctor cannot tell whether the module hooks that path (hook lines are rate-limited and some ` +
        'modules log nothing).',
      'Take two snapshots while traffic flows (`toa-doctor host --interval 10 --count 2`): if syn_recv_sock_* stay ' +
        'flat while connections arrive, the IPv6 path is not hooked.',
      portExamples(ports),
      ports.length,
    ),
  );
}

function vtoaOnly(ev: HostEvidence): boolean {
  return ev.snapshot.stats.length > 0 && ev.snapshot.stats.every((f) => f.counterSet === 'vtoa');
}

function cdnOnly(ev: HostEvidence): boolean {
  return ev.implementations.length === 1 && ev.implementations[0] === 'tcp_toa';
}

function statsFileRules(ev: HostEvidence, out: Finding[]): void {
  for (const f of ev.snapshot.stats) {
    if (f.layout === 'unrecognised' || f.layout === 'empty')
      out.push(
        finding(
          'HOST_STATS_UNRECOGNISED',
          'warning',
          `${f.path} matches no known layout`,
          `${f.path} is ${f.layout === 'empty' ? 'empty' : 'in a format toa-doctor does not know'}, so its counters cannot be used.`,
          'Attach the file to the report (toa-doctor bundle does); if it comes from a TOA module not listed in the README, please report it.',
          f.firstLines.slice(0, 5).map((l, i) => ({ ref: `${f.path}:${i + 1}`, detail: l })),
        ),
      );
    else if (f.problems.length)
      out.push(
        finding(
          'HOST_STATS_PARSE_PROBLEMS',
          'info',
          `${f.path}: ${f.problems.length} line(s) not understood`,
          'The file was read, but some lines did not fit its layout (values per CPU, non-numeric values, repeated names).',
          'Usually harmless (a file copied while changing); check the lines listed.',
          f.problems.slice(0, 5).map((p) => ({ ref: f.path, detail: p })),
        ),
      );
    if (f.unknownCounters.length)
      out.push(
        finding(
          'HOST_UNKNOWN_COUNTERS',
          'info',
          `${f.path}: counters toa-doctor does not know`,
          `Kept and shown, not interpreted: ${f.unknownCounters.join(', ')}.`,
          'Nothing to do; report the module version if you want them interpreted.',
          f.unknownCounters.slice(0, 10).map((c) => ({ ref: f.path, detail: `${c} = ${f.totals[c]}` })),
        ),
      );
  }
}

function countersSingle(ev: HostEvidence, out: Finding[]): void {
  const c = ev.normalized;
  const s = ev.snapshot;
  const files = s.stats.filter((f) => f.layout === 'classic' || f.layout === 'ttgw');
  if (files.length === 0) return;
  const ref = files.map((f) => f.path).join(', ');
  if (c.synRecvToa !== null && c.synRecvNoToa !== null && !ev.deltas) {
    if (c.synRecvToa === 0 && c.synRecvNoToa > 0)
      out.push(
        finding(
          'HOST_NO_TOA_SINCE_LOAD',
          'warning',
          'No connection carried a recognised TOA since the module loaded',
          `syn_recv_sock_toa = 0 and syn_recv_sock_no_toa = ${c.synRecvNoToa} (totals since load): every connection the ` +
            `hook saw arrived without a TOA that ${implLabel(ev.implementations)} recognises. Either the load balancer ` +
            'does not insert it (or a middlebox strips it), or it uses another option kind.',
          'Capture on this host (`toa-doctor live` or `tcpdump -w`), then `toa-doctor read capture.pcap --host-dir <snapshot>` ' +
            'to see which kind arrives; match the module to the LB (200 = Tencent/UCloud, 254 = LVS/DPVS/Huawei, 28 = Alibaba CDN).',
          [{ ref, detail: `syn_recv_sock_toa=${c.synRecvToa} syn_recv_sock_no_toa=${c.synRecvNoToa}` }],
        ),
      );
    else if (c.synRecvToa === 0 && c.synRecvNoToa === 0)
      out.push(
        finding(
          'HOST_COUNTERS_ZERO',
          'info',
          'The hook has not counted any connection yet',
          'syn_recv_sock_toa and syn_recv_sock_no_toa are both 0: no connection has been created through the hooked path ' +
            'since the module loaded. Either no connection arrived yet, or the hook is not in the path (IPv6 listener, ' +
            'another module took over the pointer).',
          'Take two snapshots while clients connect (`toa-doctor host --interval 10 --count 2`).',
          [{ ref }],
        ),
      );
    else if (c.synRecvNoToa > 0)
      out.push(
        finding(
          'HOST_SOME_WITHOUT_TOA',
          'info',
          `${pct(c.synRecvNoToa, c.synRecvToa + c.synRecvNoToa)} of connections since load had no TOA`,
          `syn_recv_sock_toa = ${c.synRecvToa}, syn_recv_sock_no_toa = ${c.synRecvNoToa}. Connections that do not come ` +
            'through the load balancer (health checks from other sources, direct clients, loopback) have no TOA; that is normal.',
          'If real clients are among them, compare with a capture (toa-doctor read --host).',
          [{ ref, detail: `syn_recv_sock_toa=${c.synRecvToa} syn_recv_sock_no_toa=${c.synRecvNoToa}` }],
        ),
      );
  }
  if (c.getnameMismatch !== null && c.getnameMismatch > 0 && !ev.deltas)
    out.push(
      finding(
        'HOST_TOA_MISMATCH_SEEN',
        'info',
        `getname_toa_mismatch = ${c.getnameMismatch} since load`,
        'Sockets carried TOA bytes that were not a (kind, length) the getname path expects — e.g. an IPv6 TOA read through an ' +
          'IPv4 socket (NAT64), or a NAT64 getsockopt on the wrong socket type. One snapshot cannot tell whether it still happens.',
        'Take two snapshots (--interval) to see whether it rises; NAT64 clients need getsockopt(IPPROTO_IP, 4096).',
        [{ ref, detail: `getname_toa_mismatch=${c.getnameMismatch}` }],
      ),
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
        finding(
          'HOST_IP6_ADDRESS_LEAK',
          'warning',
          'More IPv6 TOA entries are held than there are TCP sockets',
          `ip6_address_alloc − ip6_address_free = ${gap}, but /proc/net/tcp and tcp6 list only ${sockets} non-listening ` +
            'sockets. Entries are freed when their socket is destroyed, so entries without sockets are leaked memory.',
          'Take two snapshots with no traffic (--interval) to confirm it keeps growing; upgrade the module (DPVS/Huawei ELB/tgw_toa) and reload it in a maintenance window.',
          [{ ref, detail: `ip6_address_alloc=${c.ip6Alloc} ip6_address_free=${c.ip6Free}` }],
        ),
      );
    else if (gap !== 0)
      out.push(
        finding(
          'HOST_IP6_ADDRESS_GAP',
          'info',
          `${gap} IPv6 TOA entries currently held`,
          `ip6_address_alloc − ip6_address_free = ${gap}: heap entries for IPv6/NAT64/v4-mapped TOA of sockets that still ` +
            `exist${socketsKnown ? ` (${sockets} non-listening TCP sockets now)` : ''}. With no live connections the two ` +
            'should be equal; a gap that keeps growing without connections is a leak.',
          'Compare two snapshots taken with little traffic (--interval).',
          [{ ref, detail: `ip6_address_alloc=${c.ip6Alloc} ip6_address_free=${c.ip6Free}` }],
        ),
      );
  }
  if (!ev.deltas)
    out.push(
      finding(
        'HOST_SINGLE_SNAPSHOT',
        'info',
        'One snapshot: counters are totals since load',
        'Counters only show what happened since the module loaded; whether they move now needs two snapshots.',
        '`toa-doctor host --interval 10 --count 2` (or a snapshot dir with before/ and after/) while clients connect.',
        [{ ref, detail: summarize(c) }],
      ),
    );
}

function bypassFinding(ev: HostEvidence, value: number, rising: boolean, ref: string): Finding {
  const cdn = cdnOnly(ev);
  return finding(
    'HOST_TOA_BYPASS',
    cdn ? 'info' : 'warning',
    rising ? `getname_toa_bypass rising (${signed(value)})` : `getname_toa_bypass = ${value}`,
    cdn
      ? 'For the Alibaba CDN tcp_toa module this counter means getname was called on a socket that is not an AF_INET TCP socket; harmless.'
      : 'The socket had sk_user_data set, but its sk_data_ready is no longer the kernel default, so another kernel user ' +
          '(sockmap/psock from Cilium or a service-mesh socket accelerator, kTLS, sunrpc, strparser/KCM) owns it and TOA ' +
          'refuses to interpret it: those connections show the load balancer address.',
    cdn
      ? 'Nothing to do.'
      : 'Find who attaches to the sockets (Cilium socket-LB / sockops acceleration, kTLS offload): disable it for the TOA ports, or use a TOA design that does not use sk_user_data (eBPF-based or field-based).',
    [{ ref, detail: `getname_toa_bypass ${rising ? signed(value) : `= ${value}`}` }],
  );
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

function countersDelta(ev: HostEvidence, out: Finding[]): void {
  const dl = ev.deltas;
  if (!dl) return;
  const files = ev.snapshot.stats.filter((f) => f.layout === 'classic' || f.layout === 'ttgw');
  if (files.length === 0) return;
  const ref = `${files.map((f) => f.path).join(', ')} over ${dl.seconds.toFixed(1)} s`;
  if (dl.reset) {
    out.push(
      finding(
        'HOST_COUNTER_RESET',
        'warning',
        'Counters went backwards between the snapshots',
        'At least one counter is lower in the second snapshot: the module was unloaded and loaded again (or the host rebooted) in between, so the deltas mean nothing.',
        'Take the two snapshots again.',
        dl.counters
          .filter((c) => c.delta < 0)
          .slice(0, 5)
          .map((c) => ({ ref: c.file, detail: `${c.counter}: ${c.before} → ${c.after}` })),
      ),
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
      finding(
        'HOST_HOOK_NOT_IN_PATH',
        'error',
        `${passive} connections arrived but the TOA hook never ran`,
        `The kernel accepted ${passive} connections (/proc/net/snmp PassiveOpens) in ${dl.seconds.toFixed(1)} s, but ` +
          "neither syn_recv_sock_toa nor syn_recv_sock_no_toa moved: the module's syn_recv_sock hook is not on the path " +
          'those connections took. Causes: an IPv6/dual-stack listener with IPv4-only hooks' +
          (ports.length ? ` (this host has ${ports.length} such port(s))` : '') +
          ', another module overwrote the function pointer (two TOA modules), or the module is loaded-but-dead.',
        ports.length
          ? 'Listen on IPv4 (0.0.0.0) or use a build that hooks IPv6; then re-check with --interval.'
          : 'Check for a second TOA module or eBPF hook (lsmod, /sys/fs/bpf/toa), rmmod and re-load the module, and re-check with --interval.',
        [{ ref, detail }, ...portExamples(ports)],
        passive,
      ),
    );
  }
  if (noToaD > 0) {
    const all = toaD === 0;
    out.push(
      finding(
        'HOST_NO_TOA_RISING',
        all ? 'error' : 'warning',
        all
          ? `All ${noToaD} new connections arrived without a recognised TOA`
          : `${pct(noToaD, toaD + noToaD)} of new connections arrived without a recognised TOA`,
        `In ${dl.seconds.toFixed(1)} s syn_recv_sock_no_toa rose by ${noToaD} and syn_recv_sock_toa by ${toaD}. ` +
          (all
            ? `The hook runs, but no packet that created a socket carried a TOA ${implLabel(ev.implementations)} accepts: the load balancer does not insert it, a middlebox strips it, it rides only on a packet the module does not read (SYN only), or the LB uses another kind.`
            : 'Connections not coming through the load balancer (health checks, direct clients) have no TOA, which is normal; if real clients are among them, the LB or a middlebox drops the option for some flows.'),
        'Capture during the same interval and run `toa-doctor read capture.pcap --host-dir <before/after dir>` to see which kind (if any) arrives on the handshake ACK.',
        [{ ref, detail }],
        noToaD,
      ),
    );
  }
  if (d.getnameMismatch !== null && d.getnameMismatch > 0)
    out.push(
      finding(
        'HOST_TOA_MISMATCH_RISING',
        'warning',
        `getname_toa_mismatch rising (${signed(d.getnameMismatch)})`,
        'getpeername()/accept() found TOA bytes of a (kind, length) the getname path does not accept: typically an IPv6 ' +
          'TOA (NAT64 client) on an IPv4 socket, which needs getsockopt(IPPROTO_IP, 4096), or a NAT64 getsockopt on a socket ' +
          'without NAT64 TOA.',
        'For NAT64 (IPv6 clients, IPv4 backend) read the address with getsockopt(fd, IPPROTO_IP, 4096, struct toa_nat64_peer) ' +
          'and fall back to getpeername; otherwise check that the LB sends the kind/length this module expects.',
        [{ ref, detail: `getname_toa_mismatch ${signed(d.getnameMismatch)}` }],
        d.getnameMismatch,
      ),
    );
  if (d.getnameBypass !== null && d.getnameBypass > 0 && !vtoaOnly(ev))
    out.push(bypassFinding(ev, d.getnameBypass, true, ref));
  if (d.ip6Alloc !== null && d.ip6Free !== null) {
    const grow = d.ip6Alloc - d.ip6Free;
    const quiet = passive !== null ? passive === 0 : toaD + noToaD === 0;
    if (grow > 0 && quiet)
      out.push(
        finding(
          'HOST_IP6_ADDRESS_LEAK',
          'warning',
          `IPv6 TOA entries grew by ${grow} with no new connections`,
          `ip6_address_alloc ${signed(d.ip6Alloc)}, ip6_address_free ${signed(d.ip6Free)} in ${dl.seconds.toFixed(1)} s while ` +
            'no connection was accepted: entries are allocated without sockets to free them — a leak in the module.',
          'Upgrade the module (DPVS kmod/toa, Huawei ELB toa, tgw_toa) and reload it in a maintenance window; watch the gap with --interval.',
          [
            {
              ref,
              detail: `ip6_address_alloc ${signed(d.ip6Alloc)} ip6_address_free ${signed(d.ip6Free)} PassiveOpens ${signed(passive)}`,
            },
          ],
        ),
      );
    else if (grow !== 0 || (ev.normalized.ip6Alloc ?? 0) !== (ev.normalized.ip6Free ?? 0))
      out.push(
        finding(
          'HOST_IP6_ADDRESS_GAP',
          'info',
          `IPv6 TOA entries held: ${(ev.normalized.ip6Alloc ?? 0) - (ev.normalized.ip6Free ?? 0)} (${signed(grow)} in the interval)`,
          'ip6_address_alloc − ip6_address_free counts live IPv6/NAT64/v4-mapped TOA entries; it moves with connections.',
          'Nothing to do unless it grows while no connections arrive.',
          [{ ref, detail: `ip6_address_alloc ${signed(d.ip6Alloc)} ip6_address_free ${signed(d.ip6Free)}` }],
        ),
      );
  }
  const noNewConnections = passive !== null ? passive === 0 : toaD + noToaD === 0;
  if (noNewConnections)
    out.push(
      finding(
        'HOST_NO_TRAFFIC_IN_INTERVAL',
        'info',
        'No connection arrived between the two snapshots',
        `In ${dl.seconds.toFixed(1)} s ${passive === 0 ? 'PassiveOpens did not move' : 'syn_recv_sock_* did not move'}: ` +
          'no new connection was accepted, so nothing can be concluded about the hook from this interval.',
        'Take the snapshots while clients connect through the load balancer, or lengthen --interval.',
        [{ ref }],
      ),
    );
}

function emptyRule(ev: HostEvidence, out: Finding[]): void {
  const total = ev.normalized.getnameEmpty;
  if (total === null || total === 0) return;
  const d = ev.deltas?.normalized.getnameEmpty ?? null;
  out.push(
    finding(
      'HOST_GETNAME_EMPTY_NORMAL',
      'info',
      `getname_toa_empty = ${total}${d !== null ? ` (${signed(d)})` : ''}: not a problem by itself`,
      'getname_toa_empty counts every getname call the module did not rewrite: every getsockname() (local address), ' +
        'every getpeername() on a socket without TOA, and failed calls. Servers call getsockname() a lot, so a large, ' +
        'fast-growing value is normal.',
      'Look at syn_recv_sock_toa / syn_recv_sock_no_toa and getname_toa_ok instead.',
      [{ ref: ev.snapshot.stats.map((f) => f.path).join(', '), detail: `getname_toa_empty=${total}` }],
    ),
  );
}

function miscRules(ev: HostEvidence, out: Finding[], active: boolean): void {
  const s = ev.snapshot;
  if (s.dmesg.source === null && s.dmesg.error !== 'not read')
    out.push(
      finding(
        'HOST_DMESG_UNAVAILABLE',
        'info',
        'The kernel log could not be read',
        `No kernel log: ${s.dmesg.error ?? 'unknown reason'}. Load/hook/failure lines (and the loaded-but-dead message) cannot be checked.`,
        'Run as root (dmesg_restrict=1 needs CAP_SYSLOG), or pass --dmesg-file with `dmesg -T` output saved on the host.',
      ),
    );
  if (s.toaTable)
    out.push(
      finding(
        'HOST_TOA_TABLE_PRESENT',
        'info',
        s.toaTable.read
          ? `/proc/net/toa_table: ${s.toaTable.entries} entries`
          : '/proc/net/toa_table present (not read)',
        `${s.toaTable.warning} The format is not public; toa-doctor counts lines with an address.`,
        s.toaTable.read ? 'Nothing to do.' : 'Use --toa-table to read it when the server is not busy.',
        s.toaTable.lines.slice(0, 3).map((l) => ({ ref: s.toaTable!.path, detail: l })),
        s.toaTable.entries ?? 0,
      ),
    );
  if (active && s.hookers) {
    const shared = s.hookers.filter((h) => h.hookers > 1);
    if (shared.length)
      out.push(
        finding(
          'HOST_HOOKERS_SHARED',
          'info',
          'Several consumers chained on one hookers place',
          'The hookers framework chains consumers properly, but more than one consumer on getname/syn_recv_sock means ' +
            'another module (besides vtoa/toa) rewrites addresses too; the order decides who wins.',
          'Check `lsmod` for other consumers of hookers.',
          shared.map((h) => ({ ref: '/proc/hookers', detail: `${h.place} hookers:${h.hookers}` })),
        ),
      );
  }
}

/** All host findings, ranked. */
export function diagnoseHost(ev: HostEvidence): Finding[] {
  const out: Finding[] = [];
  const { active } = moduleRules(ev, out);
  flavorRules(ev, out);
  containerRules(ev, out);
  listenerRules(ev, out, active);
  statsFileRules(ev, out);
  countersSingle(ev, out);
  countersDelta(ev, out);
  emptyRule(ev, out);
  miscRules(ev, out, active);
  const hookMissing = out.some((f) => f.code === 'HOST_HOOK_NOT_IN_PATH');
  return rankFindings(out.filter((f) => !(hookMissing && f.code === 'HOST_IPV6_HOOKS_UNCONFIRMED')));
}
