/**
 * Text report for `toa-doctor compare`: what was compared and how the captures were matched,
 * ranked findings with remedies, a table of pairs, the option lists side by side for the problem
 * pairs, then the connections seen on one side only and the ambiguous ones. Pure: doc in, string out.
 */
import type { ChalkInstance } from 'chalk';
import Table from 'cli-table3';
import { exampleProblems } from '../compare/index.js';
import {
  CHANGE_BY_CODE,
  type ChangeCode,
  type CompareDocument,
  type ComparePair,
  type PacketDiff,
} from '../compare/types.js';
import { chalkFor, severityStyle, toneStyle } from './chalk.js';
import { wrap } from './text.js';

export interface CompareTextOptions {
  color?: boolean;
  /** terminal width (default 100) */
  width?: number;
  /** at most this many pair rows (default 50) */
  maxRows?: number;
  /** problem pairs shown with their option lists (default 3) */
  details?: number;
}

/** a change's colour: the code table's `problem` says whether it is one (src/compare/types.ts CHANGE_BY_CODE) */
function changeStyle(c: ChalkInstance, code: ChangeCode): (s: string) => string {
  return toneStyle(c, CHANGE_BY_CODE.get(code)?.problem ? 'bad' : 'ok');
}

/** `prefix` then `text` folded to `width`, later lines indented by `indent` */
function para(prefix: string, text: string, width: number, indent: string): string {
  return prefix + wrap(text, width, indent, prefix.length);
}

const PACKET_NAME: Record<PacketDiff['packet'], string> = { syn: 'SYN', ack: 'ACK', data: 'data' };

function sec(x: number): string {
  return `${x >= 0 ? '+' : ''}${x.toFixed(Math.abs(x) >= 1 ? 3 : 6)} s`;
}

/** the clues that tell connections apart; port-map and timing only when they are all there is */
export function shortClues(clues: readonly string[]): string {
  const strong = clues.filter((c) => c !== 'port-map' && c !== 'timing');
  return (strong.length ? [...strong, ...(clues.includes('timing') ? ['+t'] : [])] : clues).join(' ');
}

/** the option lists of one pair side by side, with what changed */
export function optionLines(p: ComparePair, width: number): string[] {
  const out: string[] = [];
  const col = Math.max(24, Math.floor((width - 12) / 2));
  const cut = (s: string) => (s.length > col ? `${s.slice(0, col - 1)}…` : s.padEnd(col));
  for (const d of p.packets) {
    const a = d.a === null ? '(not captured)' : d.a.join(',') || '(no options)';
    const b = d.b === null ? '(not captured)' : d.b.join(',') || '(no options)';
    out.push(
      `    ${PACKET_NAME[d.packet].padEnd(5)} A ${cut(a)} B ${b.length > col ? `${b.slice(0, col - 1)}…` : b}`,
    );
    const notes: string[] = [];
    if (d.removed.length) notes.push(`removed: ${d.removed.join(', ')}`);
    if (d.added.length) notes.push(`added: ${d.added.join(', ')}`);
    for (const c of d.changed) notes.push(`changed: ${c.a} → ${c.b}`);
    if (d.checksumB === 'bad' && d.checksumA !== 'bad') notes.push('checksum bad at B');
    if (notes.length) out.push(para('          ', `${notes.join('; ')}`, width, '          '));
  }
  return out;
}

export function renderCompareText(doc: CompareDocument, opts: CompareTextOptions = {}): string {
  const c = chalkFor(opts.color === true);
  const width = Math.max(60, opts.width ?? 100);
  const maxRows = opts.maxRows ?? 50;
  const s = doc.summary;
  const m = doc.matching;
  const out: string[] = [];
  out.push(c.bold(`toa-doctor compare (${doc.mode} mode)`));
  out.push(
    `  A: ${doc.input.a.files.join(', ') || '-'}  (${doc.input.a.flows} connections, ${doc.input.a.packets} packets)`,
  );
  out.push(
    `  B: ${doc.input.b.files.join(', ') || '-'}  (${doc.input.b.flows} connections, ${doc.input.b.packets} packets)`,
  );
  out.push(
    para(
      '  ',
      `mode: ${doc.mode} (${doc.modeSource === 'auto' ? 'detected' : '--mode'}): ${doc.modeReason}`,
      width,
      '    ',
    ),
  );
  const how: string[] = [];
  how.push(`${m.confidentPairs} pairs matched without timing`);
  if (m.clockOffsetSec !== null)
    how.push(`clock offset B−A ${sec(m.clockOffsetSec)}, window ±${(m.windowSec ?? 0).toFixed(4)} s`);
  how.push(m.isnKept === null ? 'ISN kept: unknown' : m.isnKept ? 'ISN kept' : 'ISN rewritten');
  if (m.portMap.length)
    how.push(
      `ports ${m.portMap
        .slice(0, 4)
        .map((x) => `${x.a}→${x.b}`)
        .join(', ')}`,
    );
  out.push(para('  ', `matching: ${how.join('; ')}`, width, '    '));
  out.push('');
  const counts = Object.entries(s.changes)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => changeStyle(c, k as ChangeCode)(`${k} ${n}`));
  out.push(
    `${c.bold('Pairs')}: ${s.pairs}${counts.length ? ` (${counts.join(', ')})` : ''}; only at A: ${s.onlyA}; only at B: ${s.onlyB}; ambiguous: ${s.ambiguous}`,
  );
  out.push('');
  if (doc.findings.length) {
    out.push(c.bold('Findings'));
    doc.findings.forEach((f, i) => {
      out.push(
        para(
          '',
          `${i + 1}. ${severityStyle(c, f.severity)(f.severity.toUpperCase())} ${f.code}: ${f.title}`,
          width,
          '   ',
        ),
      );
      out.push(para('   ', `${f.explanation}`, width, '   '));
      if (f.remediation) out.push(para('   ', `fix: ${f.remediation}`, width, '        '));
      for (const e of f.examples) out.push(para('   ', `e.g. ${e}`, width, '        '));
    });
    out.push('');
  }
  if (doc.pairs.length) {
    // problem pairs first, then the others, each in time order
    const rows = [...doc.pairs.filter((p) => p.problem), ...doc.pairs.filter((p) => !p.problem)].slice(
      0,
      maxRows,
    );
    // one column holds the connection at A over the one at B, so the table fits 80 columns
    const w = Math.max(30, width - 1 - 4 - 19 - 22);
    const t = new Table({
      head: ['connection at A / at B', 'change', 'matched by'],
      style: { head: [], border: [] },
      colWidths: [w, 19, 22],
      wordWrap: true,
    });
    for (const p of rows)
      t.push([
        `A ${p.a.client} → ${p.a.server}\nB ${p.b.client} → ${p.b.server}`,
        changeStyle(c, p.change)(p.change),
        `${shortClues(p.matchedBy)} (${p.confidenceLevel})`,
      ]);
    out.push(c.bold('Pairs'));
    out.push(t.toString());
    if (doc.pairs.length > rows.length)
      out.push(`  … ${doc.pairs.length - rows.length} more pairs (--rows N, or --json for all)`);
    out.push('');
    const detailed = exampleProblems(doc.pairs, opts.details ?? 3);
    const shown = detailed.length ? detailed : doc.pairs.slice(0, 1);
    out.push(
      c.bold(
        detailed.length ? 'Option lists of problem pairs (A | B)' : 'Option lists of the first pair (A | B)',
      ),
    );
    for (const p of shown) {
      out.push(
        para(
          '  ',
          `${p.a.client} → ${p.a.server}  ⇒  ${p.b.client} → ${p.b.server}: ${p.detail}`,
          width,
          '    ',
        ),
      );
      out.push(...optionLines(p, width));
    }
    out.push('');
  }
  const list = (title: string, xs: Array<{ client: string; server: string }>) => {
    if (!xs.length) return;
    out.push(c.bold(title));
    for (const x of xs.slice(0, 10)) out.push(`  ${x.client} → ${x.server}`);
    if (xs.length > 10) out.push(`  … ${xs.length - 10} more`);
    out.push('');
  };
  list(`Only at A (${doc.onlyA.length})`, doc.onlyA);
  list(`Only at B (${doc.onlyB.length})`, doc.onlyB);
  if (doc.ambiguous.length) {
    out.push(c.bold(`Ambiguous (${doc.ambiguous.length}): several candidates at B, not guessed`));
    for (const x of doc.ambiguous.slice(0, 10))
      out.push(
        para(
          '  ',
          `${x.a.client} → ${x.a.server}: ${x.candidates.map((k) => `${k.client} → ${k.server}`).join(' | ')}${x.more ? ` | … ${x.more} more` : ''}`,
          width,
          '    ',
        ),
      );
    if (doc.ambiguous.length > 10) out.push(`  … ${doc.ambiguous.length - 10} more`);
    out.push('');
  }
  const top = doc.findings.find((f) => f.severity === 'error');
  out.push(
    top
      ? c.red.bold(`Verdict: ${top.title}`)
      : s.pairs
        ? c.green(`Verdict: no problem change on ${s.pairs} paired connections`)
        : c.yellow('Verdict: nothing paired'),
  );
  return `${out.join('\n')}\n`;
}
