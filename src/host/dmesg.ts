/**
 * Kernel log classification: ONE table of patterns (the `TOA: ` lines the modules print through
 * TOA_INFO/TOA_DBG in alibaba/LVS kernel/net/toa/toa.h and its forks, and the kernel's own module
 * loader and oops lines), applied to every
 * line in order; timestamps and order are kept. Also: getting the text (dmesg, journalctl -k).
 */
import { execFile } from 'node:child_process';
import type { DmesgEvent, DmesgInfo, DmesgKind, DmesgSummary, Implementation } from './types-host.js';

export interface DmesgPattern {
  id: string;
  kind: DmesgKind;
  impl: Implementation;
  /** implementations printing the same line */
  candidates?: Implementation[];
  /** tested against the message (timestamp removed) */
  re: RegExp;
  /** capture group holding the module name */
  moduleGroup?: number;
  /** capture group holding the hooked function */
  fnGroup?: number;
  /** fixed module name for the line */
  module?: string;
}

const V4_FNS = new Set(['inet_getname', 'tcp_v4_syn_recv_sock', 'tcp_v4_conn_request']);
const V6_FNS = new Set(['inet6_getname', 'tcp_v6_syn_recv_sock']);

/** TOA-ish module names for kernel-generated lines that name a module. */
const TOA_MODULE_NAME = /^(toa|vtoa|tcp_toa|ip_vs_ca|hookers|[\w-]*toa[\w-]*)$/i;

/**
 * The ONE table. First matching row wins, so specific rows precede generic ones.
 * `TOA: ` lines may carry a `[DEBUG] ` prefix (handled by the debug rows first).
 */
export const DMESG_PATTERNS: DmesgPattern[] = [
  // ---- kernel-generated (module loader, oops)
  {
    id: 'kernel-init-returned-1',
    kind: 'dead',
    impl: 'kernel',
    re: /do_init_module: '([\w-]+)'->init suspiciously returned 1/i,
    moduleGroup: 1,
  },
  {
    id: 'kernel-init-returned-1-new',
    kind: 'dead',
    impl: 'kernel',
    re: /^([\w-]+): init suspiciously returned 1/i,
    moduleGroup: 1,
  },
  {
    id: 'kernel-paging-crash',
    kind: 'crash',
    impl: 'kernel',
    re: /unable to handle kernel paging request.*toa/i,
  },
  {
    id: 'kernel-oops-ip-in-toa',
    kind: 'crash',
    impl: 'kernel',
    re: /^(?:IP|RIP|PC is at|pc)\b.*\[(v?toa|tcp_toa)\]/,
    moduleGroup: 1,
  },
  {
    id: 'kernel-out-of-tree',
    kind: 'taint',
    impl: 'kernel',
    re: /^([\w-]+): loading out-of-tree module taints kernel/i,
    moduleGroup: 1,
  },
  {
    id: 'kernel-unsigned',
    kind: 'taint',
    impl: 'kernel',
    re: /^([\w-]+): module verification failed/i,
    moduleGroup: 1,
  },
  {
    id: 'kernel-unknown-symbol',
    kind: 'failure',
    impl: 'kernel',
    re: /^([\w-]+): Unknown symbol (\S+)/i,
    moduleGroup: 1,
  },
  // ---- debug lines (6.1, 6.2, 6.5): before everything else with a TOA: prefix
  {
    id: 'debug-tencentos',
    kind: 'debug',
    impl: 'tencentos',
    re: /^\[DEBUG\] TOA: comm:/,
    module: 'toa',
  },
  { id: 'debug-toa', kind: 'debug', impl: 'generic', re: /^\[DEBUG\] TOA: /, module: 'toa' },
  // ---- banners (6.1 - 6.8)
  {
    id: 'banner-dpvs',
    kind: 'banner',
    impl: 'dpvs',
    re: /^TOA: TOA [\d.]+ by qlb of iqiyi/i,
    module: 'toa',
  },
  {
    id: 'banner-pukong-1',
    kind: 'banner',
    impl: 'alibaba-lvs',
    candidates: ['alibaba-lvs', 'ucloud', 'tencentos'],
    re: /^TOA: TOA 1\.[\d.]+ by pukong\.wjm/i,
    module: 'toa',
  },
  {
    id: 'banner-pukong-2',
    kind: 'banner',
    impl: 'generic',
    candidates: ['ucloud', 'tencentos'],
    re: /^TOA: TOA 2\.[\d.]+ by pukong\.wjm/i,
    module: 'toa',
  },
  {
    id: 'banner-huawei-elb',
    kind: 'banner',
    impl: 'huawei-elb',
    re: /^TOA: TOA 2\.[12]\.\d+\.?\s*$/i,
    module: 'toa',
  },
  {
    id: 'banner-tcp_toa',
    kind: 'banner',
    impl: 'tcp_toa',
    re: /^TOA: tcp_toa [\d.]+ insmod/i,
    module: 'tcp_toa',
  },
  {
    id: 'banner-ttgw',
    kind: 'banner',
    impl: 'ttgw',
    re: /^toa: toa_init begin, version (\S+)/,
    module: 'toa',
  },
  {
    id: 'banner-ttgw-params',
    kind: 'banner',
    impl: 'ttgw',
    re: /^toa: toa init with toa_map_table_bits/,
    module: 'toa',
  },
  {
    id: 'init-ttgw-symbol',
    kind: 'banner',
    impl: 'ttgw',
    re: /^toa: toa_init: CPU\[\d+\]: sk_data_ready_addr/,
    module: 'toa',
  },
  {
    id: 'init-ucloud-symbols',
    kind: 'banner',
    impl: 'ucloud',
    re: /^TOA: CPU \[\d+\] (sk_data_ready_fn|inet6_stream_ops_p|ipv6_specific_p) = kallsyms_lookup_name/,
    module: 'toa',
  },
  {
    id: 'init-sk-data-ready',
    kind: 'banner',
    impl: 'generic',
    re: /^TOA: CPU \[\d+\] sk_data_ready_addr = kallsyms_lookup_name/,
    module: 'toa',
  },
  // ---- hook / unhook (6.1 - 6.7)
  {
    id: 'hooked',
    kind: 'hook',
    impl: 'generic',
    re: /^TOA: CPU \[\d+\] hooked (\w+)/,
    fnGroup: 1,
    module: 'toa',
  },
  {
    id: 'unhooked',
    kind: 'unhook',
    impl: 'generic',
    re: /^TOA: CPU \[\d+\] unhooked (\w+)/,
    fnGroup: 1,
    module: 'toa',
  },
  // ---- load success (6.x; 3.9 says match `toa load` case-insensitively)
  { id: 'load-tcp_toa', kind: 'load', impl: 'tcp_toa', re: /^TOA: tcp_toa loaded/i, module: 'tcp_toa' },
  { id: 'load-vtoa', kind: 'load', impl: 'vtoa', re: /^VTOA: vtoa init finish/i, module: 'vtoa' },
  {
    id: 'load-ttgw',
    kind: 'load',
    impl: 'ttgw',
    re: /^toa: toa_init end, inserted/,
    module: 'toa',
  },
  {
    id: 'load-tgw-doc',
    kind: 'load',
    impl: 'tgw_toa',
    re: /\btoa load success\b/i,
    module: 'toa',
  },
  { id: 'load-toa', kind: 'load', impl: 'generic', re: /\btoa( |_)?loaded\b/i, module: 'toa' },
  // ---- unload
  {
    id: 'unload-tcp_toa',
    kind: 'unload',
    impl: 'tcp_toa',
    re: /^TOA: tcp_toa (unloaded|[\d.]+ rmmod)/i,
    module: 'tcp_toa',
  },
  {
    id: 'unload-ttgw',
    kind: 'unload',
    impl: 'ttgw',
    re: /^toa: toa_exit (begin|end)/,
    module: 'toa',
  },
  { id: 'unload-toa', kind: 'unload', impl: 'generic', re: /\btoa( |_)?unload(ed)?\b/i, module: 'toa' },
  // ---- load failures
  {
    id: 'fail-ttgw',
    kind: 'failure',
    impl: 'ttgw',
    // TTGW toa.c toa_init: `pr_warn("%s: cannnot find sock_def_readable.\n", __func__)` (three n's, as printed)
    re: /^toa: (toa_init end\s*, failed|toa_init: cann?n?ot find sock_def_readable|toa_stats_init error|toa_map_init error|toa_hook_init error|not found ipv4_specific|bad v6_to_v4_prefix_str)/,
    module: 'toa',
  },
  {
    id: 'fail-vtoa',
    kind: 'failure',
    impl: 'vtoa',
    re: /^VTOA: (cannot register (ipv6 )?vtoa_sockopts|can't register to sysctl|TOA: cannot create procfs|TOA: vtoa_ctl_init\(\) failed)/i,
    module: 'vtoa',
  },
  {
    id: 'fail-tcp_toa',
    kind: 'failure',
    impl: 'tcp_toa',
    re: /^(ptr_kallsyms_lookup_name is NULL|tcp_toa: symbol \S+ not found|TOA: cannot create proc\.)/,
    module: 'tcp_toa',
  },
  {
    id: 'fail-tencentos-genl',
    kind: 'failure',
    impl: 'tencentos',
    re: /^TOA: vtoa_genl_family register fail/,
    module: 'toa',
  },
  {
    id: 'fail-toa',
    kind: 'failure',
    impl: 'generic',
    re: /^TOA: (cannot find sock_def_readable|cannot find symbols|cannot hook toa functions|fail to hook toa functions|fail to alloc per cpu|init toa ip6 fail|CPU \[\d+\] kallsyms_lookup_name cannot find symbol|get ipv6 struct from kernel fail|fail to register sockopt|register_kprobe failed|cannot create procfs|exit toa ip6 fail)/i,
    module: 'toa',
  },
  {
    id: 'fail-ip_vs_ca',
    kind: 'failure',
    impl: 'ip_vs_ca',
    re: /^\[ERR\] IP_VS_CA: /,
    module: 'ip_vs_ca',
  },
  // ---- runtime
  {
    id: 'runtime-dpvs-nat64',
    kind: 'runtime',
    impl: 'dpvs',
    re: /^TOA: inet64_getname_toa: bad (cmd|param len)/,
    module: 'toa',
  },
  {
    id: 'runtime-tencentos-vtoa',
    kind: 'runtime',
    impl: 'tencentos',
    re: /^TOA: (vmip or sport can not 0|inet_lookup fail|socket listen fail|nlmsg_new fail|genlmsg_put fail|genlmsg_unicast fail|attrs null|attrs len\(|get netns)/,
    module: 'toa',
  },
  { id: 'runtime-vtoa', kind: 'runtime', impl: 'vtoa', re: /^VTOA: /, module: 'vtoa' },
  {
    id: 'runtime-tcp_toa',
    kind: 'runtime',
    impl: 'tcp_toa',
    re: /^TOA: There is not destination route entry/,
    module: 'tcp_toa',
  },
  {
    id: 'runtime-ttgw',
    kind: 'runtime',
    impl: 'ttgw',
    re: /^toa: (get toa option with illegal length|can not alloc entry|toa_map_flush)/,
    module: 'toa',
  },
  { id: 'info-ip_vs_ca', kind: 'runtime', impl: 'ip_vs_ca', re: /^\[INFO\] IP_VS_CA: /, module: 'ip_vs_ca' },
  // ---- anything else with the family prefix
  { id: 'other-toa', kind: 'other', impl: 'generic', re: /^TOA: /, module: 'toa' },
];

/** Cheap pre-filter: lines that cannot match any row are skipped without running the table. */
const PREFILTER = /toa|ip_vs_ca|suspiciously returned|unable to handle kernel paging|ptr_kallsyms/i;

const MONO_TS = /^\s*\[\s*(\d+\.\d+)\]\s?/;
const CTIME_TS = /^\s*\[([A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \d{4})\]\s?/;
const ISO_TS = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:[.,]\d+)?(?:[+-]\d\d:?\d\d|Z)?)\s+/;
const JOURNAL_TS = /^([A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d)\s+\S+\s+kernel:\s?/;
const JOURNAL_HOST = /^[\w.-]+ kernel: ?/;
const FACILITY = /^\s*(kern|user|daemon|syslog)\s*:\s*[a-z]+\s*:\s*/;
const PRIO = /^<\d+>/;

/** Split a dmesg / journal line into (timestamp, seconds, message). */
export function splitTimestamp(line: string): { ts: string | null; seconds: number | null; message: string } {
  let rest = line.replace(PRIO, '').replace(FACILITY, '');
  let m = MONO_TS.exec(rest);
  if (m) {
    // journalctl -o short-monotonic: `[  12.345678] host kernel: message`
    const msg = rest.slice(m[0].length).replace(JOURNAL_HOST, '');
    return { ts: m[1]!, seconds: Number(m[1]), message: msg };
  }
  m = CTIME_TS.exec(rest);
  if (m) return { ts: m[1]!, seconds: null, message: rest.slice(m[0].length) };
  m = ISO_TS.exec(rest);
  if (m) return { ts: m[1]!, seconds: null, message: rest.slice(m[0].length) };
  m = JOURNAL_TS.exec(rest);
  if (m) {
    rest = rest.slice(m[0].length);
    // journalctl may also keep the monotonic stamp
    const mono = MONO_TS.exec(rest);
    if (mono) return { ts: m[1]!, seconds: Number(mono[1]), message: rest.slice(mono[0].length) };
    return { ts: m[1]!, seconds: null, message: rest };
  }
  return { ts: null, seconds: null, message: rest.trimStart() };
}

function familyOf(fn: string): 'ipv4' | 'ipv6' | undefined {
  if (V4_FNS.has(fn)) return 'ipv4';
  if (V6_FNS.has(fn)) return 'ipv6';
  return undefined;
}

const DEBUG_ADDR_NEW = /set new sockaddr, ip (\S+?),? -> ([0-9a-fA-F:.]+)/;
const DEBUG_ADDR = /\bip = ([0-9a-fA-F:.]+[0-9a-fA-F])/;

/** Classify one line; null when it is not TOA-related. Never throws. */
export function classifyLine(line: string, lineNo = 0): DmesgEvent | null {
  const s = String(line);
  if (!PREFILTER.test(s)) return null;
  const { ts, seconds, message } = splitTimestamp(s);
  for (const p of DMESG_PATTERNS) {
    const m = p.re.exec(message);
    if (!m) continue;
    const module = p.moduleGroup ? m[p.moduleGroup] : p.module;
    if (p.impl === 'kernel' && p.moduleGroup && module && !TOA_MODULE_NAME.test(module)) return null;
    const ev: DmesgEvent = { line: lineNo, ts, seconds, message, kind: p.kind, impl: p.impl, pattern: p.id };
    if (p.candidates) ev.candidates = [...p.candidates];
    if (module) ev.module = module;
    if (p.kind === 'crash' && !ev.module)
      ev.module = /tcp_toa/i.test(message) ? 'tcp_toa' : /vtoa/i.test(message) ? 'vtoa' : 'toa';
    if (p.fnGroup) {
      const fn = m[p.fnGroup]!;
      ev.fn = fn;
      const fam = familyOf(fn);
      if (fam) ev.family = fam;
    }
    if (p.kind === 'debug') {
      const a = DEBUG_ADDR_NEW.exec(message) ?? null;
      const b = a ? null : DEBUG_ADDR.exec(message);
      const addr = a ? a[2] : b ? b[1] : undefined;
      if (addr) ev.address = addr;
    }
    return ev;
  }
  return null;
}

/**
 * Bounded examples: a kernel log can hold a million TOA lines (a debug build logs one per
 * connection). Every line is classified and counted, and the replay (DmesgReplay) sees every event,
 * but only the first and last EXAMPLES_PER_PATTERN events of each pattern are kept as examples.
 */
export const EXAMPLES_PER_PATTERN = 20;
/** longest message kept per event; longer ones are cut (the count is exact either way) */
export const MAX_MESSAGE = 1024;

/** Classify a whole dmesg / journal text, keeping order; `events` holds bounded examples. */
export function classifyDmesg(text: string): {
  lines: number;
  events: DmesgEvent[];
  counts: Record<string, number>;
  omitted: number;
  summary: DmesgSummary;
} {
  const t = String(text);
  const replay = new DmesgReplay();
  const first = new Map<string, DmesgEvent[]>();
  const last = new Map<string, DmesgEvent[]>();
  const counts: Record<string, number> = {};
  let lines = 0;
  let omitted = 0;
  let at = 0;
  while (at < t.length) {
    let nl = t.indexOf('\n', at);
    if (nl < 0) nl = t.length;
    let end = nl;
    if (end > at && t.charCodeAt(end - 1) === 13) end--;
    lines++;
    const line = end - at > 4 * MAX_MESSAGE ? t.slice(at, at + 4 * MAX_MESSAGE) : t.slice(at, end);
    at = nl + 1;
    const ev = classifyLine(line, lines);
    if (!ev) continue;
    if (ev.message.length > MAX_MESSAGE) ev.message = `${ev.message.slice(0, MAX_MESSAGE)}…`;
    replay.add(ev);
    counts[ev.pattern] = (counts[ev.pattern] ?? 0) + 1;
    const f = first.get(ev.pattern) ?? [];
    if (f.length < EXAMPLES_PER_PATTERN) {
      f.push(ev);
      first.set(ev.pattern, f);
      continue;
    }
    const l = last.get(ev.pattern) ?? [];
    l.push(ev);
    if (l.length > EXAMPLES_PER_PATTERN) {
      l.shift();
      omitted++;
    }
    last.set(ev.pattern, l);
  }
  const events = [...first.values(), ...last.values()].flat().sort((a, b) => a.line - b.line);
  return { lines, events, counts, omitted, summary: replay.result() };
}

/** Lists in a summary keep at most this many events (the newest). */
const SUMMARY_KEEP = 50;

/**
 * Replay the events to know what holds now (after the last load / unload), one event at a time,
 * so a log of any length is replayed without keeping it.
 */
export class DmesgReplay {
  private lastLoad: DmesgEvent | null = null;
  private lastUnload: DmesgEvent | null = null;
  private lastLoadOrUnload: DmesgEvent | null = null;
  private readonly hooked = new Set<string>();
  private dead: DmesgEvent[] = [];
  private failures: DmesgEvent[] = [];
  private readonly crashes: DmesgEvent[] = [];
  private readonly outOfTree = new Set<string>();
  private readonly implementations: Implementation[] = [];
  private debugLines = 0;
  // a `toa` load episode: hook lines and "toa loaded" without any banner is the Huawei module (6.3)
  private bannerInEpisode = false;
  private hooksInEpisode = false;

  private noteImpl(i: Implementation): void {
    if (i === 'generic' || i === 'kernel') return;
    const at = this.implementations.indexOf(i);
    if (at >= 0) this.implementations.splice(at, 1);
    this.implementations.push(i);
  }

  private static keep(list: DmesgEvent[], ev: DmesgEvent): void {
    list.push(ev);
    if (list.length > SUMMARY_KEEP) list.shift();
  }

  add(ev: DmesgEvent): void {
    switch (ev.kind) {
      case 'banner':
        if (ev.impl !== 'generic') this.noteImpl(ev.impl);
        else for (const c of ev.candidates ?? []) this.noteImpl(c);
        // a new load attempt starts: forget the previous attempt's failures
        if (ev.pattern.startsWith('banner-')) {
          this.bannerInEpisode = true;
          this.dead = [];
          this.failures = [];
        }
        break;
      case 'load':
        this.lastLoad = ev;
        this.lastLoadOrUnload = ev;
        if (ev.pattern === 'load-toa' && !this.bannerInEpisode && this.hooksInEpisode)
          this.noteImpl('huawei');
        else this.noteImpl(ev.impl);
        this.bannerInEpisode = false;
        this.hooksInEpisode = false;
        this.dead = [];
        this.failures = [];
        break;
      case 'unload':
        this.lastUnload = ev;
        this.lastLoadOrUnload = ev;
        this.hooked.clear();
        this.bannerInEpisode = false;
        this.hooksInEpisode = false;
        this.dead = [];
        this.failures = [];
        break;
      case 'hook':
        if (ev.fn && (this.hooked.size < 64 || this.hooked.has(ev.fn))) this.hooked.add(ev.fn);
        if (ev.module === 'toa') this.hooksInEpisode = true;
        break;
      case 'unhook':
        if (ev.fn) this.hooked.delete(ev.fn);
        break;
      case 'dead':
        DmesgReplay.keep(this.dead, ev);
        break;
      case 'failure':
        DmesgReplay.keep(this.failures, ev);
        break;
      case 'crash':
        DmesgReplay.keep(this.crashes, ev);
        break;
      case 'taint':
        if (ev.module && this.outOfTree.size < 64 && /out-of-tree|verification failed/i.test(ev.message))
          this.outOfTree.add(ev.module);
        break;
      case 'debug':
        this.debugLines++;
        if (ev.impl !== 'generic') this.noteImpl(ev.impl);
        break;
      case 'runtime':
        if (ev.impl !== 'generic') this.noteImpl(ev.impl);
        break;
      default:
        break;
    }
  }

  result(): DmesgSummary {
    const fns = [...this.hooked];
    return {
      lastLoad: this.lastLoad,
      lastUnload: this.lastUnload,
      unloadedAfterLoad: this.lastLoadOrUnload !== null && this.lastLoadOrUnload.kind === 'unload',
      implementations: [...this.implementations],
      hooked: fns,
      ipv4Hooked: fns.some((f) => V4_FNS.has(f)),
      ipv6Hooked: fns.some((f) => V6_FNS.has(f)),
      dead: [...this.dead],
      failures: [...this.failures],
      crashes: [...this.crashes],
      outOfTree: [...this.outOfTree],
      debugLines: this.debugLines,
    };
  }
}

/** Replay a list of events (see DmesgReplay). */
export function summarizeDmesg(events: DmesgEvent[]): DmesgSummary {
  const r = new DmesgReplay();
  for (const ev of events) r.add(ev);
  return r.result();
}

// ---------------------------------------------------------------- reading the kernel log

export type ExecFn = (
  cmd: string,
  args: string[],
  timeoutMs: number,
) => Promise<{ stdout: string; code: number | null; error: string | null }>;

const MAX_LOG = 32 * 1024 * 1024;

export const defaultExec: ExecFn = (cmd, args, timeoutMs) =>
  new Promise((resolve) => {
    execFile(
      cmd,
      args,
      { timeout: timeoutMs, maxBuffer: MAX_LOG, encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } },
      (err, stdout, stderr) => {
        if (err) {
          const e = err as NodeJS.ErrnoException & { code?: string | number };
          const reason =
            e.code === 'ENOENT'
              ? `${cmd}: command not found`
              : (String(stderr).trim().split('\n')[0] ?? '') || e.message;
          resolve({
            stdout: String(stdout ?? ''),
            code: typeof e.code === 'number' ? e.code : 1,
            error: reason,
          });
          return;
        }
        resolve({ stdout: String(stdout), code: 0, error: null });
      },
    );
  });

export interface KernelLogText {
  text: string | null;
  source: string | null;
  error: string | null;
}

/**
 * Run `dmesg` (with a timeout); when it fails or prints nothing, `journalctl -k --no-pager`.
 * Returns the text and which command produced it.
 */
export async function readKernelLog(exec: ExecFn = defaultExec, timeoutMs = 5000): Promise<KernelLogText> {
  const errors: string[] = [];
  const d = await exec('dmesg', [], timeoutMs);
  if (d.error === null && d.stdout.trim() !== '') return { text: d.stdout, source: 'dmesg', error: null };
  errors.push(d.error ?? 'dmesg printed nothing');
  const j = await exec('journalctl', ['-k', '--no-pager', '-o', 'short-monotonic'], timeoutMs);
  const out = j.stdout.trim();
  if (j.error === null && out !== '' && !/^-- No entries --$/m.test(out))
    return { text: j.stdout, source: 'journalctl -k', error: null };
  errors.push(j.error ?? 'journalctl -k has no entries');
  return { text: null, source: null, error: errors.join('; ') };
}

export function dmesgInfo(text: string | null, source: string | null, error: string | null): DmesgInfo {
  if (text === null) return { source, error, lines: 0, events: [] };
  const { lines, events, counts, omitted, summary } = classifyDmesg(text);
  return { source, error, lines, events, counts, omitted, summary };
}
