/**
 * Host rules, module group: is a TOA reader loaded and alive (/proc/modules, /sys/module, the
 * stats files, eBPF), did it fail to load or crash (kernel log), is more than one active.
 */
import type { DmesgEvent, HostEvidence, KernelInfo } from '../../host/types-host.js';
import { READER_MODULES } from '../finding.js';
import type { Finding, FindingExample } from '../types.js';
import { dmesgRef, finding, LOAD_HELP, loadedReaders } from './common.js';

export function moduleRules(ev: HostEvidence, out: Finding[]): { active: boolean } {
  const s = ev.snapshot;
  const d = ev.dmesgSummary;
  const readers = loadedReaders(ev);
  const statsPresent = s.stats.length > 0;
  const active = readers.length > 0 || statsPresent || s.ebpf.present;
  // files that exist but could not be read are missing evidence, not evidence of absence
  const denied = s.unreadable ?? [];
  if (denied.length) {
    out.push(
      finding('HOST_PERMISSION_DENIED', {
        explanation:
          `${denied.length} file${denied.length === 1 ? '' : 's'} could not be read as this user (${denied.slice(0, 4).join(', ')}${denied.length > 4 ? ', ...' : ''}). ` +
          'Nothing is concluded from them: a module, counter or log line may be there.',
        remediation: 'Run `sudo toa-doctor host` (or make the snapshot as root) to see them.',
        examples: denied.slice(0, 6).map((f) => ({ ref: f, detail: 'cannot read (permission denied)' })),
      }),
    );
    const key = (f: string) =>
      f === '/proc/modules' || /^\/proc\/net\/v?toa_stats$/.test(f) || f.startsWith('/sys/module/');
    // the module state rests on what could not be read: say only that
    if (!active && denied.some(key)) return { active: false };
  }

  for (const m of readers) {
    if (m.state && !/^live$/i.test(m.state))
      out.push(
        finding('HOST_MODULE_NOT_LIVE', {
          title: `Module ${m.name} is in state ${m.state}`,
          explanation: `/proc/modules shows ${m.name} as ${m.state}: its init (or exit) has not finished, so hooks may be half-installed.`,
          remediation:
            'Wait a few seconds and look again; if it stays there, check `dmesg` for a hang in the module init and reboot if rmmod hangs.',
          examples: [{ ref: '/proc/modules', detail: s.procModules?.find((p) => p.name === m.name)?.raw }],
        }),
      );
  }

  if (d.crashes.length > 0)
    out.push(
      finding('HOST_MODULE_CRASH', {
        explanation:
          'The kernel log shows an oops in TOA code. A common cause is an old module writing to write-protected ' +
          'kernel data (CentOS 7.6 3.10.0-957 "unable to handle kernel paging request ... toa_init", DPVS #483/#484) or ' +
          'a module built for another kernel. The hooks are not trustworthy after this.',
        remediation:
          'Reboot, then install a module version that supports this kernel (DPVS fixes 1d7ce44d/87ddeda0; vendor ' +
          'packages for this exact kernel release), and load it again.',
        examples: d.crashes.slice(0, 5).map(dmesgRef),
      }),
    );

  if (!active) {
    if (s.procModules === null) {
      out.push(
        finding('HOST_MODULE_STATE_UNKNOWN', {
          explanation:
            '/proc/modules could not be read (no loadable-module support, or not copied into the snapshot) and no TOA ' +
            'stats file, /sys/module entry or eBPF pin was found, so toa-doctor cannot tell whether TOA is active.' +
            (s.container.inContainer ? ' This is a container: the module, if any, lives on the host.' : ''),
          remediation:
            'Run `toa-doctor host` as root on the host itself (not in a container), or copy /proc/modules into the snapshot.',
          examples: [{ ref: '/proc/modules', detail: 'unreadable' }],
        }),
      );
    } else if (d.failures.length > 0 || d.dead.length > 0) {
      out.push(
        finding('HOST_MODULE_LOAD_FAILED', {
          explanation: `No TOA module is loaded now, and the kernel log shows the last load attempt failing: ${d.failures
            .concat(d.dead)
            .slice(0, 2)
            .map((e) => `"${e.message}"`)
            .join(', ')}.`,
          remediation: `${failureAdvice([...d.failures, ...d.dead], s.kernel)} ${LOAD_HELP}`,
          examples: [...d.failures, ...d.dead].slice(0, 6).map(dmesgRef),
        }),
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
        finding('HOST_MODULE_NOT_LOADED', {
          explanation:
            'Nothing on this host reads the TOA option: no toa/vtoa/tcp_toa/ip_vs_ca module, no stats file, no eBPF TOA. ' +
            'The application will see the load balancer address even when every packet carries a correct TOA.' +
            (d.unloadedAfterLoad
              ? ' The kernel log shows the module was unloaded after it had been loaded.'
              : '') +
            (s.container.inContainer
              ? " (This is a container: the module has to be loaded on the host, and /proc/modules here shows the host kernel's modules.)"
              : ''),
          remediation: LOAD_HELP,
          examples: ex,
        }),
      );
    }
    return { active };
  }

  // ---- loaded but dead
  const deadEvents = d.dead.filter((e) => !e.module || READER_MODULES.some((r) => r === e.module));
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
        finding('HOST_MODULE_LOADED_BUT_DEAD', {
          title: `Module ${m.name} is loaded but its hooks are not installed`,
          explanation:
            `lsmod shows ${m.name}, but ${
              dead.length > 0
                ? 'the kernel log says its init "suspiciously returned 1"'
                : `${statsName} does not exist`
            }. Most TOA modules return 1 (not a negative errno) when init fails; the kernel then keeps the module ` +
            'loaded, but the hooks were never installed and the stats file was removed again. Nothing is rewritten.' +
            (d.failures.length
              ? ` The failure logged: "${d.failures[d.failures.length - 1]!.message}".`
              : ''),
          remediation: `${failureAdvice(d.failures, s.kernel)} Then \`rmmod ${m.name}\` and load it again; confirm \`dmesg | grep -i toa\` shows the load line and ${statsName} exists.`,
          examples: ex,
        }),
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
      finding('HOST_MODULE_BUILTIN', {
        title: 'TOA is built into the kernel',
        explanation:
          'A TOA stats file exists but /proc/modules lists no TOA module: the code is compiled into the kernel (CONFIG_TOA=y) or the module has another name.',
        remediation:
          'Nothing to do; it cannot be unloaded, and an out-of-tree toa.ko must not be loaded on top of it.',
        examples: s.stats.map((f) => ({ ref: f.path })),
      }),
    );

  // ---- two implementations
  const activeReaders = readers.filter((m) => m.loaded || m.builtin).map((m) => m.name);
  const parts: string[] = [...activeReaders];
  if (s.ebpf.present) parts.push('eBPF TOA (/sys/fs/bpf/toa)');
  if (parts.length > 1) {
    out.push(
      finding('HOST_MULTIPLE_TOA', {
        title: `More than one TOA implementation is active: ${parts.join(' + ')}`,
        explanation:
          'Pointer-swapping TOA modules each save the kernel function as "original": the last one loaded wins, the ' +
          'first is bypassed, and unloading either restores the kernel function and silently disables the other. ' +
          'An eBPF getpeername hook (Alibaba CDN eBPF, Cilium socket-LB) and a module hook override each other ' +
          'depending on order. Vendors (Tencent, Alibaba vtoa) state their TOA is incompatible with other TOA modules.',
        remediation: `Keep exactly one: the one whose option kind your load balancer sends. Unload the others (\`rmmod ${activeReaders
          .filter((x) => x !== activeReaders[0])
          .join(
            ' ',
          )}\`${s.ebpf.present ? '; eBPF: run the vendor unload.sh / remove /sys/fs/bpf/toa' : ''}), then \`rmmod\` and re-load the remaining module so its hooks are installed over the kernel's functions.`,
        examples: [
          ...readers.map((m) => ({
            ref: '/proc/modules',
            detail: s.procModules?.find((p) => p.name === m.name)?.raw ?? m.name,
          })),
          ...(s.ebpf.present
            ? [{ ref: '/sys/fs/bpf/toa', detail: s.ebpf.entries.join(', ') || 'present' }]
            : []),
        ],
      }),
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
