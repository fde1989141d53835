/**
 * Markdown report: the same content as the text report, ready to paste into a support ticket.
 */
import type { Severity } from '../diagnose/types.js';
import { formatEndpoint } from '../endpoint.js';
import type { ReportDocument, ReportFlow } from './build.js';
import { forMarkdown, forMarkdownCode, forMarkdownProse as prose } from './escape.js';

export interface MarkdownOptions {
  /** at most this many flow rows (default 50) */
  maxRows?: number;
  /** host evidence section (renderHostMarkdown output), appended */
  hostMarkdown?: string;
}

/** inline text or a table cell (input strings: escaped by the one escaper, escape.ts) */
const md = forMarkdown;
/** the inside of a code span in a table cell ('|' still ends a GFM cell there) */
function cell(s: string): string {
  return forMarkdownCode(s).replace(/\|/g, '\\|');
}

const ICON: Record<Severity, string> = { error: '❌', warning: '⚠️', info: 'ℹ️' };

function realClient(f: ReportFlow): string {
  if (!f.toa || f.toa.address === null) return '?';
  return formatEndpoint(f.toa.address, f.toa.port);
}

/** The capture rows of the summary table. */
function packetRows(
  doc: ReportDocument,
  row: (k: string, v: string, esc?: (s: string) => string) => void,
): void {
  const s = doc.summary;
  row('Files', doc.input.files.map((f) => `${f.path} (${f.format}, ${f.packets} packets)`).join(', ') || '-');
  // link-type names are toa-doctor's own table (LINUX_SLL): prose, not input
  row('Link types', s.linkTypes.map((l) => `${l.name} (${l.packets})`).join(', ') || '-', prose);
  row('Packets', `${s.packets} (${s.tcpPackets} TCP)`);
  row(
    'TCP flows',
    `${s.flows.total} (${s.flows.handshakes} with handshake ACK, ${s.flows.ipv6} IPv6${s.flows.evicted ? `, ${s.flows.evicted} evicted` : ''})`,
  );
  row('Time span', s.start ? `${s.start} + ${s.durationSec.toFixed(3)} s` : '-');
  const d = s.decode;
  row(
    'Decode errors',
    String(d.truncated + d.badIp + d.badTcp + d.unknownLinkType) +
      (d.checksums.badToServer + d.checksums.badToClient
        ? `; bad TCP checksums: ${d.checksums.badToServer} to server, ${d.checksums.badToClient} from server`
        : ''),
  );
  row(
    'Profile',
    s.profile.selected === 'auto'
      ? `auto${s.profile.matching.length ? ` (traffic matches ${s.profile.matching.join(', ')})` : ''}`
      : `${s.profile.selected} (reads ${s.profile.reads.join(', ')})`,
  );
}

export function renderMarkdown(doc: ReportDocument, opts: MarkdownOptions = {}): string {
  const s = doc.summary;
  const out: string[] = [];
  out.push('# toa-doctor report', '');
  out.push(`**Verdict:** ${prose(s.verdict)}`, '');
  out.push('| | |', '|---|---|');
  const row = (k: string, v: string, esc: (s: string) => string = md) => out.push(`| ${k} | ${esc(v)} |`);
  row('Tool', `toa-doctor ${doc.tool.version}`);
  if (doc.input.bundle) row('Bundle', doc.input.bundle.description);
  // host evidence alone (no capture file): no packet rows, verdict table or flow list
  const hostOnly = doc.input.files.length === 0 && doc.input.host !== null;
  if (hostOnly) row('Capture', 'none (host evidence only)');
  else packetRows(doc, row);
  if (s.model)
    row(
      'Module model',
      `${s.model.label}: reads ${s.model.reads}, ${s.model.pick} TOA wins (${s.model.why})`,
      prose,
    );
  if (doc.input.lb.length) row('LB addresses', doc.input.lb.join(', '));
  if (doc.input.host) row('Host snapshot', doc.input.host);
  out.push('');

  if (!hostOnly) {
    out.push('## Verdicts', '', '| verdict | flows |', '|---|---:|');
    for (const [v, n] of Object.entries(s.verdicts)) if (n > 0) out.push(`| \`${v}\` | ${n} |`);
    out.push('');
  }
  if (doc.input.bundle?.problems.length) {
    out.push('## Bundle problems', '');
    for (const p of doc.input.bundle.problems)
      out.push(`- ${ICON[p.severity as Severity] ?? ''} ${md(p.message)}`);
    out.push('');
  }

  out.push(`## Findings (${doc.findings.length})`, '');
  if (doc.findings.length === 0) out.push('None.', '');
  for (const f of doc.findings) {
    const count = f.flows
      ? ` — ${f.flows} flow${f.flows === 1 ? '' : 's'}${f.share ? ` (${f.share}%)` : ''}`
      : '';
    out.push(`### ${ICON[f.severity]} \`${f.code}\` ${prose(f.title)}${count}`, '');
    out.push(prose(f.explanation), '');
    out.push(`**Fix:** ${prose(f.remediation)}`, '');
    if (f.examples.length) {
      out.push('Examples:', '');
      for (const e of f.examples)
        out.push(`- \`${forMarkdownCode(e.ref)}\`${e.detail ? ` — ${prose(e.detail)}` : ''}`);
      out.push('');
    }
  }

  const maxRows = opts.maxRows ?? 50;
  const mode = doc.input.flows === 'all' ? 'all flows' : 'problem flows';
  if (!hostOnly) out.push(`## Flows (${mode}: ${s.flows.listed} of ${s.flows.kept})`, '');
  if (hostOnly) {
    // no capture: no flow section
  } else if (doc.flows.length === 0) out.push('None.', '');
  else {
    out.push('| # | real client (TOA) | LB (IP client) | server | TOA on | verdict | reason |');
    out.push('|---:|---|---|---|---|---|---|');
    for (const f of doc.flows.slice(0, maxRows)) {
      const toa = f.toa ? `${f.toa.kind}/${f.toa.length} ${f.toa.packets.join(',')}` : '-';
      out.push(
        `| ${f.id} | \`${cell(realClient(f))}\` | \`${cell(f.client)}\` | \`${cell(f.server)}\` | ${md(toa)} | \`${f.verdict}\` | ${prose(f.reason)} |`,
      );
    }
    const listed = Math.max(doc.flows.length, s.flows.listed);
    if (listed > maxRows) out.push('', `…and ${listed - maxRows} more (see the JSON report).`);
    out.push('');
  }
  if (opts.hostMarkdown) {
    // demote the host report's headings one level so it nests under this report
    out.push(opts.hostMarkdown.replace(/^(#+) /gm, '#$1 ').trimEnd(), '');
  }
  out.push(
    `_Generated by toa-doctor ${doc.tool.version} (\`toa-doctor read\`), schema \`${doc.schema}\`._`,
    '',
  );
  return out.join('\n');
}
