/**
 * Text report for `toa-doctor read`: header, findings with remediation, a cli-table3 flow table
 * (real client via TOA ← LB address, server, where TOA rode, verdict in colour), one-line verdict.
 * Everything folds to the terminal width.
 */
import type { ChalkInstance } from 'chalk';
import Table from 'cli-table3';
import type { Finding, Severity } from '../diagnose/types.js';
import { formatEndpoint } from '../endpoint.js';
import type { Verdict } from '../flow/types.js';
import { VERDICT_INFO } from '../flow/verdict-info.js';
import type { ReportDocument, ReportFlow } from './build.js';
import { chalkFor, severityStyle, toneStyle } from './chalk.js';
import { forTerminal as term } from './escape.js';

export interface TextOptions {
  /** colours (default: chalk's own terminal detection) */
  color?: boolean;
  /** terminal width (default 100) */
  width?: number;
  /** at most this many flow rows (default 50; Infinity for all) */
  maxRows?: number;
  /** show info findings (default true) */
  showInfo?: boolean;
  /** extra section (host evidence text) printed after the findings */
  hostText?: string;
  /** the command named in the heading (default 'read'; live reports say 'live') */
  command?: string;
}

function verdictColor(v: Verdict, c: ChalkInstance): (s: string) => string {
  return toneStyle(c, VERDICT_INFO[v].tone);
}

const ANSI = /\x1b\[[0-9;]*m/g;

/** printed width (ANSI colour codes take no room) */
export function visibleLength(s: string): number {
  return [...s.replace(ANSI, '')].length;
}

/**
 * Greedy word wrap to `width` columns (ANSI-aware); lines after the first get `indent`, which
 * counts towards the width. The first line is assumed to start at column `first` (default 0).
 */
export function wrap(text: string, width: number, indent = '', first = 0): string {
  const w = Math.max(20, width);
  const lines: string[] = [];
  for (const para of text.split('\n')) {
    let line = '';
    let len = 0;
    for (const word of para.split(/ +/)) {
      if (!word) continue;
      const wl = visibleLength(word);
      const start = lines.length === 0 ? first : indent.length;
      if (line && start + len + 1 + wl > w) {
        lines.push(line);
        line = word;
        len = wl;
      } else {
        line = line ? `${line} ${word}` : word;
        len = line === word ? wl : len + 1 + wl;
      }
    }
    lines.push(line);
  }
  return lines.map((l, i) => (i ? indent + l : l)).join('\n');
}

function sevLabel(c: ChalkInstance, s: Severity): string {
  return severityStyle(c, s)(s === 'error' ? '✗ ERROR' : s === 'warning' ? '! WARN ' : 'i INFO ');
}

function fmtTs(ts: number | null): string {
  return ts === null
    ? '-'
    : new Date(Math.round(ts * 1000)).toISOString().replace('T', ' ').replace('Z', ' UTC');
}

function fmtDuration(s: number): string {
  if (s < 1) return `${(s * 1000).toFixed(1)} ms`;
  if (s < 120) return `${s.toFixed(2)} s`;
  if (s < 7200) return `${(s / 60).toFixed(1)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}

function plural(n: number, w: string): string {
  return `${n} ${w}${n === 1 ? '' : 's'}`;
}

/** a report of host evidence alone (no capture file): no packet or flow sections */
function hostOnly(doc: ReportDocument): boolean {
  return doc.input.files.length === 0 && doc.input.host !== null;
}

function header(doc: ReportDocument, c: ChalkInstance, width: number, command: string): string[] {
  const s = doc.summary;
  const lines: string[] = [];
  lines.push(c.bold(`toa-doctor ${doc.tool.version} — ${command}`));
  const files = doc.input.files
    .map((f) => `${term(f.path)} (${f.format}${f.gzip ? '.gz' : ''}, ${plural(f.packets, 'packet')})`)
    .join(', ');
  const kv = (k: string, v: string) => `  ${c.dim(k.padEnd(11))} ${wrap(v, width, ' '.repeat(14), 14)}`;
  if (doc.input.bundle) lines.push(kv('bundle', term(doc.input.bundle.description)));
  if (hostOnly(doc)) {
    // nothing was captured: no packet lines that would read like an empty capture
    lines.push(kv('capture', 'none (host evidence only)'));
    if (doc.input.host) lines.push(kv('host', term(doc.input.host)));
    return lines;
  }
  lines.push(kv('files', files || '-'));
  lines.push(kv('link types', s.linkTypes.map((l) => `${l.name} (${l.packets})`).join(', ') || '-'));
  lines.push(kv('packets', `${s.packets} (${s.tcpPackets} TCP)`));
  lines.push(
    kv(
      'TCP flows',
      `${s.flows.total} (${s.flows.handshakes} with the handshake ACK captured` +
        `${s.flows.ipv6 ? `, ${s.flows.ipv6} IPv6` : ''}${s.flows.evicted ? `, ${s.flows.evicted} evicted` : ''})`,
    ),
  );
  lines.push(
    kv('time span', s.firstTs === null ? '-' : `${fmtTs(s.firstTs)} + ${fmtDuration(s.durationSec)}`),
  );
  const d = s.decode;
  const errs = d.unknownLinkType + d.truncated + d.badIp + d.badTcp;
  const other = d.notIp + d.notTcp + d.ipFragment;
  lines.push(
    kv(
      'decode',
      errs
        ? c.yellow(
            [
              d.truncated && `${d.truncated} truncated`,
              d.badIp && `${d.badIp} bad IP`,
              d.badTcp && `${d.badTcp} bad TCP`,
              d.unknownLinkType && `${d.unknownLinkType} unknown link type`,
            ]
              .filter(Boolean)
              .join(', '),
          ) + (other ? `; ${other} not TCP` : '')
        : `no errors${other ? ` (${other} packets not TCP or later fragments)` : ''}`,
    ),
  );
  const prof = s.profile;
  lines.push(
    kv(
      'profile',
      prof.selected === 'auto'
        ? `auto (any known TOA)${prof.matching.length ? `; traffic matches ${prof.matching.join(', ')}` : ''}`
        : `${prof.selected} (reads ${prof.reads.join(', ')})`,
    ),
  );
  if (s.model)
    lines.push(
      kv('model', `${s.model.label}: reads ${s.model.reads}, ${s.model.pick} TOA wins (${s.model.why})`),
    );
  if (doc.input.lb.length) lines.push(kv('LB', doc.input.lb.join(', ')));
  if (doc.input.host) lines.push(kv('host', term(doc.input.host)));
  const vc = (Object.entries(s.verdicts) as Array<[Verdict, number]>)
    .filter(([, n]) => n > 0)
    .map(([v, n]) => `${verdictColor(v, c)(v)} ${n}`)
    .join('  ');
  lines.push(kv('verdicts', vc || '-'));
  return lines;
}

function findingsText(findings: Finding[], c: ChalkInstance, width: number, showInfo: boolean): string[] {
  const shown = findings.filter((f) => showInfo || f.severity !== 'info');
  const lines: string[] = [];
  lines.push(c.bold(`Findings (${shown.length})`));
  if (shown.length === 0) lines.push('  none');
  for (const f of shown) {
    const count = f.flows ? c.dim(` (${plural(f.flows, 'flow')}${f.share ? `, ${f.share}%` : ''})`) : '';
    const src = f.source === 'capture' ? '' : c.dim(` [${f.source}]`);
    const pad = ' '.repeat(9);
    lines.push(
      ` ${wrap(`${sevLabel(c, f.severity)} ${c.bold(f.code)}${src} ${term(f.title)}${count}`, width, pad, 1)}`,
    );
    // info findings stay one line (the JSON and Markdown reports carry their full text)
    if (f.severity === 'info') continue;
    lines.push(`${pad}${wrap(term(f.explanation), width, pad, 9)}`);
    lines.push(`${pad}${c.green('→')} ${wrap(term(f.remediation), width, `${pad}  `, 11)}`);
    for (const e of f.examples.slice(0, 2)) {
      lines.push(
        `${pad}${c.dim(wrap(`e.g. ${term(e.ref)}${e.detail ? `: ${term(e.detail)}` : ''}`, width, `${pad}     `, 9))}`,
      );
    }
  }
  return lines;
}

function toaCell(f: ReportFlow): string {
  if (!f.toa) return '-';
  return `${f.toa.kind}/${f.toa.length} ${f.toa.packets.map((p) => p.toUpperCase()).join(' ')}`.trim();
}

function realClient(f: ReportFlow): string {
  if (!f.toa || f.toa.address === null) return '?';
  return formatEndpoint(f.toa.address, f.toa.port);
}

function flowTable(doc: ReportDocument, c: ChalkInstance, width: number, maxRows: number): string[] {
  const flows = doc.flows;
  const lines: string[] = [];
  const mode = doc.input.flows === 'all' ? 'all flows' : 'problem flows';
  lines.push(c.bold(`Flows (${mode}: ${doc.summary.flows.listed} of ${doc.summary.flows.kept})`));
  if (flows.length === 0) {
    lines.push(
      doc.input.flows === 'problems' && doc.summary.flows.kept > 0
        ? '  no problem flows (--flows all lists every flow)'
        : '  none',
    );
    return lines;
  }
  const showReason = width >= 110;
  const narrow = width < 90;
  let head: string[];
  let colWidths: number[];
  if (narrow) {
    // real client ← LB (+ where TOA rode) | server | verdict
    const wVerdict = 19;
    const avail = Math.max(34, width - 4 - wVerdict);
    const wServer = Math.max(12, Math.floor(avail * 0.38));
    head = ['real client (TOA) ← LB, TOA on', 'server', 'verdict'];
    colWidths = [avail - wServer, wServer, wVerdict];
  } else {
    const wId = 6;
    const wToa = 16;
    const wVerdict = 19;
    const borders = showReason ? 7 : 6;
    let rest = Math.max(30, width - borders - wId - wToa - wVerdict);
    const wServer = Math.min(26, Math.max(12, Math.floor(rest * 0.3)));
    rest -= wServer;
    let wClient = rest;
    let wReason = 0;
    if (showReason) {
      wClient = Math.min(46, Math.max(22, Math.floor(rest * 0.45)));
      wReason = Math.max(12, rest - wClient);
    }
    head = ['#', 'real client (TOA) ← LB', 'server', 'TOA on', 'verdict'];
    colWidths = [wId, wClient, wServer, wToa, wVerdict];
    if (showReason) {
      head.push('reason');
      colWidths.push(wReason);
    }
  }
  const t = new Table({
    head: head.map((h) => c.bold(h)),
    colWidths,
    wordWrap: true,
    wrapOnWordBoundary: true,
    chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
    style: { head: [], border: [] },
  });
  for (const f of flows.slice(0, maxRows)) {
    const verdict = verdictColor(f.verdict, c)(f.verdict);
    const server: Table.Cell = { content: f.server, wordWrap: true, wrapOnWordBoundary: false };
    if (narrow) {
      t.push([`${realClient(f)} ← ${f.client}${f.toa ? ` (${toaCell(f)})` : ''}`, server, verdict]);
      continue;
    }
    const row: Table.Cell[] = [String(f.id), `${realClient(f)} ← ${f.client}`, server, toaCell(f), verdict];
    if (showReason) row.push(f.reason);
    t.push(row);
  }
  lines.push(t.toString());
  const listed = Math.max(flows.length, doc.summary.flows.listed);
  if (listed > maxRows) lines.push(c.dim(`  … ${listed - maxRows} more (--json lists them all)`));
  return lines;
}

export function renderText(doc: ReportDocument, opts: TextOptions = {}): string {
  const c = chalkFor(opts.color);
  const width = Math.max(60, opts.width ?? 100);
  const out: string[] = [];
  out.push(...header(doc, c, width, opts.command ?? 'read'), '');
  if (doc.input.bundle?.problems.length) {
    out.push(c.bold('Bundle problems'));
    for (const p of doc.input.bundle.problems)
      out.push(
        `  ${p.severity === 'error' ? c.red('✗') : p.severity === 'warning' ? c.yellow('!') : c.cyan('i')} ${wrap(term(p.message), width - 4, '    ')}`,
      );
    out.push('');
  }
  out.push(...findingsText(doc.findings, c, width, opts.showInfo ?? true), '');
  if (opts.hostText) out.push(opts.hostText.trimEnd(), '');
  if (!hostOnly(doc)) out.push(...flowTable(doc, c, width, opts.maxRows ?? 50), '');
  const v = doc.summary.verdict;
  const color = doc.summary.exitCode
    ? c.red.bold
    : v.startsWith('OK WITH')
      ? c.yellow.bold
      : v.startsWith('OK')
        ? c.green.bold
        : c.yellow.bold;
  out.push(color(wrap(`Verdict: ${v}`, width, '  ')));
  return `${out.join('\n')}\n`;
}
