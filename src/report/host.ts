/**
 * Host report renderers: text (chalk + cli-table3), JSON ('toa-doctor/host@1'), Markdown, and
 * Prometheus node_exporter textfile-collector metrics.
 */
import type { ChalkInstance } from 'chalk';
import Table from 'cli-table3';
import { signed } from '../diagnose/finding.js';
import type { Finding, Severity } from '../diagnose/types.js';
import { implementationInfo } from '../host/identify.js';
import { counterText } from '../host/stats.js';
import type { DmesgEvent, HostDeltas, HostEvidence, PortListeners, StatsFile } from '../host/types-host.js';
import { chalkFor, severityStyle } from './chalk.js';
import {
  forMarkdown,
  forMarkdownCode,
  forPromLabel,
  forMarkdownProse as prose,
  forTerminal as term,
} from './escape.js';

export const HOST_REPORT_SCHEMA = 'toa-doctor/host@1';

/** One interval of `toa-doctor host --interval S --count N`. */
export interface HostInterval {
  from: string;
  to: string;
  deltas: HostDeltas;
}

export interface HostRenderOptions {
  /** colours (default: chalk's terminal detection) */
  color?: boolean;
  /** per-interval deltas (interval mode) */
  intervals?: HostInterval[];
  /** how many classified kernel-log lines to show (default 12) */
  dmesgLines?: number;
  toolVersion?: string;
  /** include info findings in text/markdown (default true) */
  showInfo?: boolean;
  /** include the findings section in text/markdown (default true; false when embedded in another report) */
  showFindings?: boolean;
  /** how to name the evidence's source (default ev.source); e.g. `bundle.tar.gz:host` for a bundle,
   * whose unpacked temp directory is gone once the report is read */
  sourceLabel?: string;
}

const MAX_CPU_COLUMNS = 8;
/**
 * Listener rows shown in text and Markdown (all of them are in --json). A host with 65k listening
 * ports would otherwise print 65k rows, and cli-table3's layout time grows with the square of the
 * row count; ports whose IPv4 clients take the IPv6 path are shown first, then the lowest ports.
 */
export const MAX_LISTENER_ROWS = 200;

/** The listener rows to show, in port order, and how many were left out (linear in the port count). */
function shownPorts(ports: PortListeners[]): { rows: PortListeners[]; hidden: number } {
  if (ports.length <= MAX_LISTENER_ROWS) return { rows: ports, hidden: 0 };
  const keep = new Set<PortListeners>();
  for (const p of ports) {
    if (keep.size >= MAX_LISTENER_ROWS) break;
    if (p.ipv4ClientPath === 'ipv6') keep.add(p);
  }
  for (const p of ports) {
    if (keep.size >= MAX_LISTENER_ROWS) break;
    keep.add(p);
  }
  return { rows: ports.filter((p) => keep.has(p)), hidden: ports.length - keep.size };
}

function hiddenPortsLine(ports: PortListeners[], hidden: number): string {
  return `${hidden} more listening ports not shown (${ports.length} in all; every one is in --json)`;
}

/** cli-table3 without separators between body rows. */
const COMPACT = { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' };
const TABLE_STYLE = { head: [] as string[], border: [] as string[] };

function count(findings: Finding[]): Record<Severity, number> {
  const out: Record<Severity, number> = { error: 0, warning: 0, info: 0 };
  for (const f of findings) out[f.severity]++;
  return out;
}

function implText(ev: HostEvidence): string {
  if (ev.implementations.length === 0) return 'none identified';
  return ev.implementations
    .map((i) => {
      const info = implementationInfo(i);
      return info
        ? `${info.label} (reads ${info.accepts.map((a) => a.replace(/^toa-(\d+)-(\d+)$/, '$1/$2')).join(', ')})`
        : i;
    })
    .join('; or ');
}

function deltaFor(ev: HostEvidence, file: string, counter: string): number | null {
  const d = ev.deltas?.counters.find((c) => c.file === file && c.counter === counter);
  return d ? d.delta : null;
}

function eventLine(e: DmesgEvent): string {
  return `${e.ts ? `[${e.ts}] ` : ''}${e.message}`;
}

/** key=value pairs from input (module parameters, toa_map), escaped for the terminal */
function pairs(o: Record<string, string | number>): string {
  return Object.entries(o)
    .map(([p, v]) => `${p}=${v}`)
    .join(' ');
}

// ------------------------------------------------------------------ text

function statsTable(ev: HostEvidence, f: StatsFile, c: ChalkInstance): string {
  const showCpus = f.cpus.length <= MAX_CPU_COLUMNS ? f.cpus : [];
  const head = ['counter', 'total'];
  if (ev.deltas) head.push(`Δ ${ev.deltas.seconds.toFixed(0)}s`);
  head.push(...showCpus.map((x) => `CPU${x}`));
  if (showCpus.length === 0 && f.cpus.length) head.push(`per CPU (${f.cpus.length})`);
  const t = new Table({ head: head.map((h) => c.bold(h)), chars: COMPACT, style: TABLE_STYLE });
  for (const ctr of f.counters) {
    const row: string[] = [
      ctr.known ? ctr.name : `${term(ctr.name)} ${c.dim('(unknown)')}`,
      counterText(ctr),
    ];
    if (ev.deltas) {
      const d = deltaFor(ev, f.path, ctr.name);
      row.push(d === null ? '' : d === 0 ? c.dim('+0') : c.bold(signed(d)));
    }
    if (showCpus.length)
      row.push(...showCpus.map((x) => String(ctr.exact?.perCpu[x] ?? ctr.perCpu[x] ?? '')));
    else if (f.cpus.length) {
      const vals = Object.values(ctr.perCpu);
      row.push(`min ${Math.min(...vals)} max ${Math.max(...vals)}`);
    }
    t.push(row);
  }
  return t.toString();
}

export function renderHostText(ev: HostEvidence, findings: Finding[], opts: HostRenderOptions = {}): string {
  const c = chalkFor(opts.color);
  const s = ev.snapshot;
  const lines: string[] = [];
  const k = s.kernel;
  lines.push(
    c.bold(`Host ${term(s.hostname ?? '?')}`) +
      ` · kernel ${term(k.release ?? '?')}${k.flavor !== 'other' && k.flavor !== 'unknown' ? ` (${k.flavor})` : ''}` +
      ` · ${ev.before ? `${ev.before.collectedAt} → ${s.collectedAt}` : s.collectedAt}`,
  );
  if (s.root !== '/') lines.push(c.dim(`snapshot: ${term(opts.sourceLabel ?? ev.source)}`));
  lines.push(`Implementation: ${implText(ev)}`);
  lines.push('');

  // modules
  const mods = s.modules.filter((m) => m.loaded || m.sysfs);
  if (mods.length || s.ebpf.present) {
    const t = new Table({
      head: ['module', 'state', 'taint', 'parameters'].map((h) => c.bold(h)),
      chars: COMPACT,
      style: TABLE_STYLE,
    });
    for (const m of mods)
      t.push([
        m.name,
        term(m.loaded ? (m.state ?? '?') : m.builtin ? 'built-in' : 'sysfs only'),
        term(m.taints || ''),
        term(pairs(m.parameters)),
      ]);
    if (s.ebpf.present) t.push(['eBPF /sys/fs/bpf/toa', 'pinned', '', term(s.ebpf.entries.join(' '))]);
    lines.push(c.bold('Modules'), t.toString());
  } else {
    lines.push(
      c.bold('Modules'),
      s.procModules === null
        ? '  /proc/modules unreadable'
        : '  no TOA module (toa, vtoa, tcp_toa, ip_vs_ca) loaded',
    );
  }
  lines.push('');

  // stats
  const deniedStats = (s.unreadable ?? []).filter((f) => /^\/proc\/net\/v?toa_stats$/.test(f));
  for (const f of deniedStats)
    lines.push(c.bold(`Counters ${f}`), c.yellow('  cannot read (permission denied): run as root'), '');
  if (s.stats.length === 0 && deniedStats.length === 0)
    lines.push(c.bold('Counters'), '  no /proc/net/toa_stats or vtoa_stats', '');
  for (const f of s.stats) {
    lines.push(
      c.bold(`Counters ${f.path}`) +
        c.dim(
          ` (${f.layout}${f.counterSet !== 'unknown' ? `, ${f.counterSet} set` : ''}${f.version ? `, version ${term(f.version)}` : ''})`,
        ),
    );
    if (f.layout === 'classic' || f.layout === 'ttgw') lines.push(statsTable(ev, f, c));
    else lines.push(...f.firstLines.slice(0, 5).map((l) => `  ${term(l)}`));
    if (f.toaMap) lines.push(`  toa_map: ${term(pairs(f.toaMap))}`);
    lines.push('');
  }
  if (ev.deltas?.passiveOpens !== null && ev.deltas?.passiveOpens !== undefined)
    lines.push(
      `New connections (PassiveOpens) in ${ev.deltas.seconds.toFixed(1)} s: ${signed(ev.deltas.passiveOpens)}`,
      '',
    );

  if (opts.intervals?.length) {
    lines.push(c.bold('Intervals'));
    for (const iv of opts.intervals) lines.push(`  ${renderIntervalLine(iv)}`);
    lines.push('');
  }

  // kernel log
  const d = s.dmesg;
  lines.push(
    c.bold('Kernel log') +
      c.dim(
        d.source
          ? ` (${term(d.source)}, ${d.lines} lines, ${d.events.length + (d.omitted ?? 0)} TOA-related${d.omitted ? `; ${d.omitted} repeats of the same patterns not kept` : ''})`
          : ` (unavailable: ${term(d.error ?? 'not read')})`,
      ),
  );
  const max = opts.dmesgLines ?? 12;
  const evs = d.events.filter((e) => e.kind !== 'debug');
  for (const e of evs.slice(-max)) {
    const tag = e.kind.padEnd(7);
    const col =
      e.kind === 'failure' || e.kind === 'dead' || e.kind === 'crash'
        ? c.red
        : e.kind === 'load' || e.kind === 'hook'
          ? c.green
          : e.kind === 'unload' || e.kind === 'unhook'
            ? c.yellow
            : (x: string) => x;
    lines.push(`  ${col(tag)} ${term(eventLine(e))}`);
  }
  if (evs.length > max) lines.push(c.dim(`  (${evs.length - max} earlier lines not shown)`));
  const dbg = d.events.length - evs.length;
  if (dbg > 0) lines.push(c.dim(`  + ${dbg} [DEBUG] line(s)`));
  if (ev.dmesgSummary.hooked.length) lines.push(`  hooked now: ${term(ev.dmesgSummary.hooked.join(', '))}`);
  lines.push('');

  // listeners
  const ports = s.listeners.ports;
  if (ports.length) {
    const t = new Table({
      head: ['port', 'listening on', 'IPv4 clients via'].map((h) => c.bold(h)),
      chars: COMPACT,
      style: TABLE_STYLE,
    });
    const shown = shownPorts(ports);
    for (const p of shown.rows)
      t.push([
        String(p.port),
        p.listeners.map((l) => (l.family === 'ipv6' ? `[${l.address}]` : l.address)).join(' '),
        p.ipv4ClientPath === 'ipv6'
          ? c.yellow(`IPv6 path${p.uncertain ? ' (unless V6ONLY)' : ''}`)
          : p.ipv4ClientPath === 'ipv4'
            ? 'IPv4'
            : c.dim('—'),
      ]);
    lines.push(c.bold('Listeners'), t.toString());
    if (shown.hidden) lines.push(c.dim(`  ${hiddenPortsLine(ports, shown.hidden)}`));
    lines.push('');
  }
  if (s.container.inContainer) lines.push(c.bold('Container: ') + term(s.container.reasons.join('; ')), '');
  if (s.toaTable)
    lines.push(
      c.bold('toa_table: ') +
        (s.toaTable.read ? `${s.toaTable.entries} entries` : 'present, not read (--toa-table)'),
      '',
    );

  if (opts.showFindings !== false) lines.push(renderFindingsText(findings, c, opts.showInfo ?? true));
  return `${lines.join('\n').replace(/\n+$/, '')}\n`;
}

function renderFindingsText(findings: Finding[], c: ChalkInstance, showInfo: boolean): string {
  const n = count(findings);
  const out: string[] = [`${c.bold('Findings')} (${n.error} error, ${n.warning} warning, ${n.info} info)`];
  for (const f of findings) {
    if (!showInfo && f.severity === 'info') continue;
    const col = severityStyle(c, f.severity);
    out.push(`${col(f.severity.toUpperCase().padEnd(7))} ${c.bold(f.code)}  ${term(f.title)}`);
    out.push(`        ${term(f.explanation)}`);
    out.push(`        ${c.green('→')} ${term(f.remediation)}`);
    for (const e of f.examples.slice(0, 4))
      out.push(c.dim(`          ${term(e.ref)}${e.detail ? `: ${term(e.detail)}` : ''}`));
  }
  if (findings.length === 0) out.push('  none');
  return out.join('\n');
}

/** One line per interval: counter deltas that moved, plus PassiveOpens. */
export function renderIntervalLine(iv: HostInterval): string {
  const d = iv.deltas;
  const moved = d.counters.filter((x) => x.delta !== 0).map((x) => `${x.counter} ${signed(x.delta)}`);
  const parts = [
    `${iv.from.slice(11, 19)} → ${iv.to.slice(11, 19)} (${d.seconds.toFixed(1)} s)`,
    moved.length ? moved.join(', ') : 'no counter moved',
  ];
  if (d.passiveOpens !== null) parts.push(`PassiveOpens ${signed(d.passiveOpens)}`);
  if (d.reset) parts.push('RESET (module reloaded?)');
  return parts.join('  ');
}

// ------------------------------------------------------------------ JSON

export function hostToJson(
  ev: HostEvidence,
  findings: Finding[],
  opts: HostRenderOptions = {},
): Record<string, unknown> {
  const s = ev.snapshot;
  return {
    schema: HOST_REPORT_SCHEMA,
    tool: { name: 'toa-doctor', version: opts.toolVersion ?? null },
    source: opts.sourceLabel ?? ev.source,
    hostname: s.hostname,
    collectedAt: s.collectedAt,
    beforeCollectedAt: ev.before?.collectedAt ?? null,
    kernel: s.kernel,
    implementations: ev.implementations.map((i) => ({
      id: i,
      label: implementationInfo(i)?.label ?? i,
      accepts: implementationInfo(i)?.accepts ?? [],
    })),
    modules: s.modules,
    procModules: s.procModules?.filter((m) => s.modules.some((x) => x.name === m.name)) ?? null,
    ebpf: s.ebpf,
    stats: s.stats,
    normalized: ev.normalized,
    deltas: ev.deltas,
    intervals: opts.intervals ?? null,
    snmp: s.snmp,
    toaTable: s.toaTable,
    hookers: s.hookers,
    dmesg: {
      source: s.dmesg.source,
      error: s.dmesg.error,
      lines: s.dmesg.lines,
      events: s.dmesg.events,
      ...(s.dmesg.counts ? { counts: s.dmesg.counts } : {}),
      ...(s.dmesg.omitted ? { omitted: s.dmesg.omitted } : {}),
    },
    dmesgSummary: {
      lastLoad: ev.dmesgSummary.lastLoad?.message ?? null,
      lastUnload: ev.dmesgSummary.lastUnload?.message ?? null,
      unloadedAfterLoad: ev.dmesgSummary.unloadedAfterLoad,
      implementations: ev.dmesgSummary.implementations,
      hooked: ev.dmesgSummary.hooked,
      ipv4Hooked: ev.dmesgSummary.ipv4Hooked,
      ipv6Hooked: ev.dmesgSummary.ipv6Hooked,
      dead: ev.dmesgSummary.dead.length,
      failures: ev.dmesgSummary.failures.length,
      crashes: ev.dmesgSummary.crashes.length,
      debugLines: ev.dmesgSummary.debugLines,
    },
    listeners: s.listeners,
    container: s.container,
    sysctl: s.sysctl,
    notes: s.notes,
    summary: count(findings),
    findings,
  };
}

// ------------------------------------------------------------------ Markdown

const md = forMarkdown;
const code = (x: string) => `\`${forMarkdownCode(x)}\``;

function mdTable(head: string[], rows: string[][]): string {
  return [
    `| ${head.map(md).join(' | ')} |`,
    `|${head.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.map(md).join(' | ')} |`),
  ].join('\n');
}

export function renderHostMarkdown(
  ev: HostEvidence,
  findings: Finding[],
  opts: HostRenderOptions = {},
): string {
  const s = ev.snapshot;
  const out: string[] = [];
  const n = count(findings);
  out.push(`# toa-doctor host report: ${md(s.hostname ?? '?')}`, '');
  out.push(`- Kernel: ${code(s.kernel.release ?? '?')} (${s.kernel.flavor})`);
  out.push(`- Collected: ${ev.before ? `${ev.before.collectedAt} → ${s.collectedAt}` : s.collectedAt}`);
  out.push(`- Implementation: ${implText(ev)}`);
  if (opts.showFindings !== false)
    out.push(`- Findings: ${n.error} error, ${n.warning} warning, ${n.info} info`);
  out.push('');
  if (opts.showFindings !== false) {
    out.push('## Findings', '');
    if (findings.length === 0) out.push('None.', '');
    for (const f of findings) {
      if (opts.showInfo === false && f.severity === 'info') continue;
      out.push(
        `### ${f.severity.toUpperCase()} \`${f.code}\`: ${prose(f.title)}`,
        '',
        prose(f.explanation),
        '',
        `**Fix:** ${prose(f.remediation)}`,
        '',
      );
      for (const e of f.examples.slice(0, 6))
        out.push(`- ${code(e.ref)}${e.detail ? `: ${prose(e.detail)}` : ''}`);
      if (f.examples.length) out.push('');
    }
  }
  out.push('## Modules', '');
  const mods = s.modules.filter((m) => m.loaded || m.sysfs);
  if (mods.length || s.ebpf.present)
    out.push(
      mdTable(
        ['module', 'state', 'taint', 'parameters'],
        [
          ...mods.map((m) => [
            m.name,
            m.loaded ? (m.state ?? '?') : m.builtin ? 'built-in' : 'sysfs only',
            m.taints,
            pairs(m.parameters),
          ]),
          ...(s.ebpf.present ? [['eBPF /sys/fs/bpf/toa', 'pinned', '', s.ebpf.entries.join(' ')]] : []),
        ],
      ),
      '',
    );
  else out.push('No TOA module loaded.', '');
  for (const f of s.stats) {
    out.push(`## Counters ${code(f.path)} (${f.layout}, ${f.counterSet})`, '');
    if (f.layout === 'classic' || f.layout === 'ttgw') {
      const head = [
        'counter',
        'total',
        ...(ev.deltas ? ['delta'] : []),
        ...f.cpus.slice(0, MAX_CPU_COLUMNS).map((x) => `CPU${x}`),
      ];
      out.push(
        mdTable(
          head,
          f.counters.map((ctr) => [
            ctr.name,
            counterText(ctr),
            ...(ev.deltas ? [signed(deltaFor(ev, f.path, ctr.name))] : []),
            ...f.cpus
              .slice(0, MAX_CPU_COLUMNS)
              .map((x) => String(ctr.exact?.perCpu[x] ?? ctr.perCpu[x] ?? '')),
          ]),
        ),
        '',
      );
    } else out.push('```', ...f.firstLines.map((l) => forMarkdownCode(l)), '```', '');
  }
  if (opts.intervals?.length) {
    out.push('## Intervals', '', ...opts.intervals.map((iv) => `- ${renderIntervalLine(iv)}`), '');
  }
  out.push('## Kernel log', '');
  if (s.dmesg.source === null) out.push(`Unavailable: ${md(s.dmesg.error ?? 'not read')}`, '');
  else if (s.dmesg.events.length === 0)
    out.push(`No TOA-related lines in ${s.dmesg.lines} lines (${md(s.dmesg.source)}).`, '');
  else
    out.push(
      '```',
      ...s.dmesg.events.slice(-(opts.dmesgLines ?? 20)).map((e) => forMarkdownCode(eventLine(e))),
      '```',
      '',
    );
  if (s.listeners.ports.length) {
    const shown = shownPorts(s.listeners.ports);
    out.push('## Listeners', '');
    out.push(
      mdTable(
        ['port', 'listening on', 'IPv4 clients via'],
        shown.rows.map((p) => [
          String(p.port),
          p.listeners.map((l) => (l.family === 'ipv6' ? `[${l.address}]` : l.address)).join(' '),
          p.ipv4ClientPath + (p.uncertain ? ' (unless V6ONLY)' : ''),
        ]),
      ),
      '',
    );
    if (shown.hidden) out.push(`${hiddenPortsLine(s.listeners.ports, shown.hidden)}.`, '');
  }
  if (s.container.inContainer) out.push(`**Container:** ${md(s.container.reasons.join('; '))}`, '');
  return `${out.join('\n')}\n`;
}

// ------------------------------------------------------------------ Prometheus

export interface PrometheusOptions {
  /** one series per CPU (default) or cpu="all" sums */
  perCpu?: boolean;
  /** scrape time (default: the snapshot's collection time) */
  nowMs?: number;
}

function labels(l: Record<string, string>): string {
  const parts = Object.entries(l).map(([k, v]) => `${k}="${forPromLabel(v)}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
}

/**
 * node_exporter textfile-collector format (no sample timestamps: the collector rejects them).
 * Write it to a temp file and mv it over /var/lib/node_exporter/textfile_collector/toa.prom.
 */
export function renderHostPrometheus(
  ev: HostEvidence,
  findings: Finding[],
  opts: PrometheusOptions = {},
): string {
  const s = ev.snapshot;
  const out: string[] = [];
  const metric = (name: string, type: string, help: string, samples: [Record<string, string>, number][]) => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [l, v] of samples) out.push(`${name}${labels(l)} ${Number.isFinite(v) ? v : 0}`);
  };
  const counterSamples: [Record<string, string>, number][] = [];
  for (const f of s.stats) {
    if (f.layout !== 'classic' && f.layout !== 'ttgw') continue;
    const file = f.path.split('/').pop() ?? f.path;
    for (const c of f.counters) {
      if (opts.perCpu === false) counterSamples.push([{ file, counter: c.name, cpu: 'all' }, c.total]);
      else
        for (const [cpu, v] of Object.entries(c.perCpu))
          counterSamples.push([{ file, counter: c.name, cpu }, v]);
    }
  }
  metric(
    'toa_doctor_counter_total',
    'counter',
    'TOA module counter from /proc/net/toa_stats or vtoa_stats, per CPU (sum by (counter) for the host total).',
    counterSamples,
  );
  metric(
    'toa_doctor_stats_file_present',
    'gauge',
    '1 when the stats file exists (absent with a loaded module = loaded-but-dead, or a container).',
    ['toa_stats', 'vtoa_stats'].map((f) => [{ file: f }, s.stats.some((x) => x.path.endsWith(f)) ? 1 : 0]),
  );
  metric(
    'toa_doctor_module_loaded',
    'gauge',
    '1 when the module is in /proc/modules (or built in); absent when /proc/modules could not be read.',
    s.modules
      .filter((m) => s.procModules !== null || m.sysfs)
      .map((m) => [{ module: m.name }, m.loaded || m.builtin ? 1 : 0]),
  );
  metric(
    'toa_doctor_module_state',
    'gauge',
    'State of each loaded TOA-related module (1 for the current state).',
    s.modules.filter((m) => m.loaded).map((m) => [{ module: m.name, state: m.state ?? 'unknown' }, 1]),
  );
  metric(
    'toa_doctor_module_out_of_tree',
    'gauge',
    '1 when the loaded module is out-of-tree (taint O).',
    s.modules.filter((m) => m.loaded).map((m) => [{ module: m.name }, m.outOfTree ? 1 : 0]),
  );
  metric('toa_doctor_ebpf_toa_present', 'gauge', '1 when /sys/fs/bpf/toa (eBPF TOA) exists.', [
    [{}, s.ebpf.present ? 1 : 0],
  ]);
  if (ev.dmesgSummary.hooked.length)
    metric('toa_doctor_hooked', 'gauge', 'Hooks seen in the kernel log since the last load, by family.', [
      [{ family: 'ipv4' }, ev.dmesgSummary.ipv4Hooked ? 1 : 0],
      [{ family: 'ipv6' }, ev.dmesgSummary.ipv6Hooked ? 1 : 0],
    ]);
  if (s.snmp?.passiveOpens !== null && s.snmp?.passiveOpens !== undefined)
    metric(
      'toa_doctor_passive_opens_total',
      'counter',
      'Tcp PassiveOpens from /proc/net/snmp (connections accepted).',
      [[{}, s.snmp.passiveOpens]],
    );
  metric(
    'toa_doctor_ipv6_path_ports',
    'gauge',
    'Listening ports where IPv4 clients are accepted through an IPv6 (::) socket.',
    [[{}, s.listeners.ports.filter((p) => p.ipv4ClientPath === 'ipv6').length]],
  );
  metric('toa_doctor_in_container', 'gauge', '1 when toa-doctor ran inside a container.', [
    [{}, s.container.inContainer ? 1 : 0],
  ]);
  metric('toa_doctor_kernel_log_readable', 'gauge', '1 when dmesg/journal could be read.', [
    [{}, s.dmesg.source !== null ? 1 : 0],
  ]);
  const byCode = new Map<string, { severity: Severity; n: number }>();
  for (const f of findings) {
    const cur = byCode.get(f.code);
    if (cur) cur.n++;
    else byCode.set(f.code, { severity: f.severity, n: 1 });
  }
  metric(
    'toa_doctor_findings',
    'gauge',
    'Findings of the last run, by code and severity.',
    [...byCode.entries()].map(([code, v]) => [{ code, severity: v.severity }, v.n]),
  );
  const n = count(findings);
  metric(
    'toa_doctor_findings_by_severity',
    'gauge',
    'Number of findings of the last run per severity.',
    (['error', 'warning', 'info'] as Severity[]).map((sev) => [{ severity: sev }, n[sev]]),
  );
  metric('toa_doctor_info', 'gauge', 'Host identity of the last run.', [
    [
      {
        hostname: s.hostname ?? '',
        kernel: s.kernel.release ?? '',
        flavor: s.kernel.flavor,
        implementation: ev.implementations.join(','),
      },
      1,
    ],
  ]);
  metric('toa_doctor_scrape_timestamp_seconds', 'gauge', 'Unix time when toa-doctor collected this data.', [
    [{}, Math.round((opts.nowMs ?? s.collectedAtMs) / 1000)],
  ]);
  return `${out.join('\n')}\n`;
}
