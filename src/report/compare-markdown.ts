/**
 * Markdown for `toa-doctor compare --markdown`: the text report's content, ready for a ticket.
 * Pure: doc in, string out.
 */

import { exampleProblems } from '../compare/index.js';
import type { CompareDocument, CompareSeverity } from '../compare/types.js';
import { forMarkdownCode, forMarkdownProse } from './escape.js';

export interface CompareMarkdownOptions {
  /** at most this many pair rows (default 50) */
  maxRows?: number;
  /** problem pairs shown with their option lists (default 3) */
  details?: number;
}

/** toa-doctor's sentences and the document's fields (escape.ts: backslashes, pipes, controls) */
const md = forMarkdownProse;

/** a code span */
function code(s: string): string {
  return `\`${forMarkdownCode(s)}\``;
}

const ICON: Record<CompareSeverity, string> = { error: '❌', warning: '⚠️', info: 'ℹ️' };

export function renderCompareMarkdown(doc: CompareDocument, opts: CompareMarkdownOptions = {}): string {
  const maxRows = opts.maxRows ?? 50;
  const s = doc.summary;
  const m = doc.matching;
  const out: string[] = [];
  const top = doc.findings.find((f) => f.severity === 'error');
  out.push('# toa-doctor compare', '');
  out.push(
    `**Verdict:** ${md(top ? top.title : s.pairs ? `no problem change on ${s.pairs} paired connections` : 'nothing paired')}`,
    '',
  );
  out.push('| | |', '|---|---|');
  const row = (k: string, v: string) => out.push(`| ${k} | ${md(v)} |`);
  row('Tool', `toa-doctor ${doc.tool.version}`);
  row(
    'A',
    `${doc.input.a.files.join(', ') || '-'} (${doc.input.a.flows} connections, ${doc.input.a.packets} packets)`,
  );
  row(
    'B',
    `${doc.input.b.files.join(', ') || '-'} (${doc.input.b.flows} connections, ${doc.input.b.packets} packets)`,
  );
  row('Mode', `${doc.mode} (${doc.modeSource === 'auto' ? 'detected' : '--mode'}): ${doc.modeReason}`);
  row(
    'Matching',
    [
      `${m.confidentPairs} pairs without timing`,
      m.clockOffsetSec === null
        ? 'no clock offset estimate'
        : `clock offset B−A ${m.clockOffsetSec.toFixed(6)} s, window ±${(m.windowSec ?? 0).toFixed(4)} s`,
      m.isnKept === null ? 'ISN kept: unknown' : m.isnKept ? 'ISN kept' : 'ISN rewritten',
      ...(m.portMap.length
        ? [
            `ports ${m.portMap
              .slice(0, 4)
              .map((x) => `${x.a}→${x.b}`)
              .join(', ')}`,
          ]
        : []),
    ].join('; '),
  );
  const counts = Object.entries(s.changes)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${k} ${n}`);
  row('Pairs', `${s.pairs}${counts.length ? ` (${counts.join(', ')})` : ''}`);
  row('One side only', `A ${s.onlyA}, B ${s.onlyB}; ambiguous ${s.ambiguous}`);
  out.push('');
  if (doc.findings.length) {
    out.push('## Findings', '');
    doc.findings.forEach((f, i) => {
      out.push(`${i + 1}. ${ICON[f.severity]} **${f.code}**: ${md(f.title)}  `);
      out.push(`   ${md(f.explanation)}  `);
      if (f.remediation) out.push(`   **Fix:** ${md(f.remediation)}  `);
      for (const e of f.examples) out.push(`   - ${code(e)}`);
    });
    out.push('');
  }
  if (doc.pairs.length) {
    const rows = [...doc.pairs.filter((p) => p.problem), ...doc.pairs.filter((p) => !p.problem)].slice(
      0,
      maxRows,
    );
    out.push('## Pairs', '');
    out.push(
      '| A client → server | B client → server | change | matched by | confidence |',
      '|---|---|---|---|---|',
    );
    for (const p of rows)
      out.push(
        `| ${md(`${p.a.client} → ${p.a.server}`)} | ${md(`${p.b.client} → ${p.b.server}`)} | ${p.change} | ${p.matchedBy.join(', ')} | ${p.confidence} (${p.confidenceLevel}) |`,
      );
    if (doc.pairs.length > rows.length)
      out.push('', `… ${doc.pairs.length - rows.length} more pairs (use --json for all)`);
    out.push('');
    const detailed = exampleProblems(doc.pairs, opts.details ?? 3);
    if (detailed.length) {
      out.push('## Option lists of problem pairs', '');
      for (const p of detailed) {
        out.push(
          `**${md(`${p.a.client} → ${p.a.server}`)} ⇒ ${md(`${p.b.client} → ${p.b.server}`)}**: ${md(p.detail)}`,
          '',
        );
        out.push('| packet | A | B | changes |', '|---|---|---|---|');
        for (const d of p.packets) {
          const notes = [
            ...(d.removed.length ? [`removed ${d.removed.join(', ')}`] : []),
            ...(d.added.length ? [`added ${d.added.join(', ')}`] : []),
            ...d.changed.map((x) => `changed ${x.a} → ${x.b}`),
            ...(d.checksumB === 'bad' && d.checksumA !== 'bad' ? ['checksum bad at B'] : []),
          ];
          const l = (x: string[] | null) => (x === null ? '(not captured)' : x.join(', ') || '(none)');
          out.push(`| ${d.packet} | ${md(l(d.a))} | ${md(l(d.b))} | ${md(notes.join('; ') || '-')} |`);
        }
        out.push('');
      }
    }
  }
  const list = (title: string, xs: Array<{ client: string; server: string }>) => {
    if (!xs.length) return;
    out.push(`## ${title}`, '');
    for (const x of xs.slice(0, 20)) out.push(`- ${code(`${x.client} → ${x.server}`)}`);
    if (xs.length > 20) out.push(`- … ${xs.length - 20} more`);
    out.push('');
  };
  list(`Only at A (${doc.onlyA.length})`, doc.onlyA);
  list(`Only at B (${doc.onlyB.length})`, doc.onlyB);
  if (doc.ambiguous.length) {
    out.push(`## Ambiguous (${doc.ambiguous.length})`, '', 'Several candidates at B; not guessed.', '');
    for (const x of doc.ambiguous.slice(0, 20))
      out.push(
        `- ${code(`${x.a.client} → ${x.a.server}`)}: ${x.candidates.map((k) => code(`${k.client} → ${k.server}`)).join(', ')}${x.more ? `, … ${x.more} more` : ''}`,
      );
    out.push('');
  }
  return `${out.join('\n')}\n`;
}
