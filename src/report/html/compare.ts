/**
 * renderCompareHtml(doc, opts) → one self-contained HTML page for a `toa-doctor/compare@1`
 * document (inline CSS and a tiny optional script; no network). Its only input is the compare
 * document `compare --json` prints, so a saved one renders the same. Pure: no clock, no files (the
 * time of generation comes in opts); every string from the document goes through escapeHtml.
 * It reuses the report page's stylesheet (styles.ts) and escaper (escape.ts); everything is
 * readable with JavaScript off, the script only filters the pairs table by change code.
 *
 * Sections: banner (mode and why, counts per change code as a labelled bar, problem changes
 * first), findings (ranked, with remedies), pairs table (problem pairs first, capped: the page
 * says how many it left out), per problem pair the option lists of A and B side by side per
 * packet, ambiguous candidates, connections seen on one side only.
 */
import {
  CHANGE_BY_CODE,
  type ChangeCode,
  COMPARE_CODES,
  type CompareDocument,
  type ComparePair,
} from '../../compare/types.js';
import { escapeHtml as h } from './escape.js';
import { CSS } from './styles.js';

export interface CompareHtmlOptions {
  /** ISO time the page was made (footer); omitted when not given */
  generatedAt?: string;
  /** what made the page, e.g. 'toa-doctor compare a.pcap b.pcap --html out.html' */
  command?: string;
  /** pairs listed in the table (default 2,000); the rest are counted */
  maxPairs?: number;
  /** problem pairs shown with their option lists side by side (default 50) */
  maxDetails?: number;
  /** onlyA / onlyB / ambiguous entries listed each (default 200) */
  maxOthers?: number;
}

export const COMPARE_HTML_MAX_PAIRS = 2_000;

/** the few rules only this page needs (everything else is the report page's CSS) */
const COMPARE_CSS = `
table.t tr.problem td:first-child { border-left: 4px solid var(--error); }
.optcmp { display: grid; grid-template-columns: 6em 1fr 1fr; gap: 2px 12px; font-size: 13px; }
.optcmp > div { padding: 2px 4px; }
.optcmp .hd { font-weight: 600; border-bottom: 1px solid var(--line); }
.optcmp ul { margin: 0; padding-left: 0; list-style: none; font-family: var(--mono); }
.optcmp li.added { background: var(--ok-bg); }
.optcmp li.removed { background: var(--error-bg); text-decoration: line-through; }
.optcmp li.changed { background: var(--warn-bg); }
.mark { display: inline-block; font: 600 10px/1.6 var(--sans); text-transform: uppercase; margin-right: 4px; }
`;

function num(v: unknown, d = 0): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : d;
}
function fmtInt(n: unknown): string {
  return num(n).toLocaleString('en-US');
}
function arr<T>(v: T[] | undefined | null): T[] {
  return Array.isArray(v) ? v : [];
}

/** tone and label of a change code (the text label is always shown, colour is a second signal) */
export function changeLook(code: string): {
  tone: 'ok' | 'error' | 'muted';
  label: string;
  problem: boolean;
} {
  const row = CHANGE_BY_CODE.get(code as ChangeCode);
  if (!row) return { tone: 'muted', label: code, problem: false };
  return {
    tone: row.problem ? 'error' : 'ok',
    label: `${row.problem ? 'PROBLEM' : 'OK'}: ${row.title}`,
    problem: row.problem,
  };
}

function changeBadge(code: string): string {
  const l = changeLook(code);
  return `<span class="badge tone-${l.tone}${l.problem ? ' hatch' : ''}">${h(code)}</span>`;
}

/** change codes present, problem changes first, then by count */
function changeCounts(doc: CompareDocument): Array<[string, number]> {
  const counts = doc.summary?.changes ?? ({} as Record<string, number>);
  return Object.entries(counts)
    .map(([c, n]) => [c, num(n)] as [string, number])
    .filter(([, n]) => n > 0)
    .sort((a, b) => Number(changeLook(b[0]).problem) - Number(changeLook(a[0]).problem) || b[1] - a[1]);
}

function changeBar(rows: Array<[string, number]>): string {
  const total = rows.reduce((a, [, n]) => a + n, 0);
  if (total <= 0) return '<p class="muted">No pairs were matched.</p>';
  const segs = rows
    .map(([c, n]) => {
      const l = changeLook(c);
      const pct = (n / total) * 100;
      return `<div class="seg tone-${l.tone}${l.problem ? ' hatch' : ''}" style="flex:${n} 1 0" title="${h(`${c}: ${fmtInt(n)} (${pct.toFixed(1)} %)`)}">${pct >= 12 ? h(`${c} ${fmtInt(n)}`) : ''}</div>`;
    })
    .join('');
  const legend = rows
    .map(([c, n]) => {
      const l = changeLook(c);
      return `<li class="tone-${l.tone}"><span class="sw${l.problem ? ' hatch' : ''}"></span><b class="mono">${h(c)}</b> ${fmtInt(n)} <span class="muted">${h(l.label)}</span></li>`;
    })
    .join('');
  return `<div class="vbar" role="img" aria-label="${h(rows.map(([c, n]) => `${c} ${n}`).join(', '))}">${segs}</div><ul class="legend">${legend}</ul>`;
}

const SEV_TONE: Record<string, string> = { error: 'error', warning: 'warn', info: 'info' };

function findingsSection(doc: CompareDocument): string {
  const fs = arr(doc.findings);
  if (!fs.length)
    return '<section id="findings"><h2>Findings</h2><p class="muted">No findings.</p></section>';
  const items = fs.map((f) => {
    const tone = SEV_TONE[String(f.severity)] ?? 'muted';
    const ex = arr(f.examples)
      .map((e) => `<li class="mono">${h(e)}</li>`)
      .join('');
    return `<article class="finding tone-${tone}"><header><span class="badge tone-${tone}">${h(String(f.severity).toUpperCase())}</span><code>${h(f.code)}</code><span class="title">${h(f.title)}</span><span class="muted">${fmtInt(f.count)} of ${fmtInt(f.of)}</span></header>
<p>${h(f.explanation)}</p>${f.remediation ? `<p><b>Remedy:</b> ${h(f.remediation)}</p>` : ''}${ex ? `<p class="muted">Examples:</p><ul class="ex">${ex}</ul>` : ''}</article>`;
  });
  return `<section id="findings"><h2>Findings</h2>${items.join('\n')}</section>`;
}

/** problem pairs first, then by A's start */
function orderPairs(pairs: ComparePair[]): ComparePair[] {
  return pairs
    .map((p, i) => ({ p, i }))
    .sort(
      (x, y) =>
        Number(!!y.p.problem) - Number(!!x.p.problem) || num(x.p.a?.start) - num(y.p.a?.start) || x.i - y.i,
    )
    .map((x) => x.p);
}

function pairsSection(
  doc: CompareDocument,
  pairs: ComparePair[],
  total: number,
  detailIds: Set<number>,
): string {
  const present = changeCounts(doc);
  const chips = present
    .map(([c, n]) => {
      const l = changeLook(c);
      return `<label class="chip tone-${l.tone}"><input type="checkbox" data-change="${h(c)}" checked> ${h(c)} (${fmtInt(n)})</label>`;
    })
    .join('');
  const rows = pairs
    .map((p, i) => {
      const conf = `${Math.round(num(p.confidence) * 100)} % (${h(p.confidenceLevel)})`;
      const code = detailIds.has(i)
        ? `<a href="#p-${i}">${changeBadge(p.change)}</a>`
        : changeBadge(p.change);
      return `<tr data-change="${h(p.change)}"${p.problem ? ' class="problem"' : ''}><td>${code}</td><td class="mono">${h(p.a?.client)}</td><td class="mono">${h(p.a?.server)}</td><td class="mono">${h(p.b?.client)}</td><td class="mono">${h(p.b?.server)}</td><td>${h(arr(p.matchedBy).join(', '))}</td><td class="n">${conf}</td><td>${h(p.detail)}</td></tr>`;
    })
    .join('\n');
  const left = total - pairs.length;
  const leftNote =
    left > 0
      ? `<p class="omitted" id="pairs-left-out"><b>${fmtInt(left)} more pair${left === 1 ? ' is' : 's are'} not listed</b>: this page lists ${fmtInt(pairs.length)} of ${fmtInt(total)} (problems first); the counts above include them all. <code>toa-doctor compare A B --json</code> lists every pair.</p>`
      : '';
  const table = pairs.length
    ? `<table class="t" id="pairs-table"><thead><tr><th>change</th><th>A client</th><th>A server</th><th>B client</th><th>B server</th><th>matched by</th><th class="n">confidence</th><th>detail</th></tr></thead><tbody>
${rows}
</tbody></table>`
    : '<p class="muted">No pairs.</p>';
  return `<section id="pairs"><h2>Pairs (${fmtInt(pairs.length)}${left > 0 ? ` of ${fmtInt(total)}` : ''})</h2>
<p class="muted">Problem pairs first. The change code is written in each row; a problem change is also hatched and marked on the left.</p>
<form class="controls js-only" id="pair-controls"><div class="chips" aria-label="filter by change code">${chips}</div><span id="pair-status"></span></form>
${leftNote}${table}</section>`;
}

function optList(
  items: string[] | null,
  marks: { mine: string[]; changed: string[] },
  side: 'a' | 'b',
): string {
  if (items === null) return '<span class="muted">packet not captured</span>';
  if (!items.length) return '<span class="muted">no options</span>';
  const li = items.map((t) => {
    const kind = marks.mine.includes(t)
      ? side === 'a'
        ? 'removed'
        : 'added'
      : marks.changed.includes(t)
        ? 'changed'
        : '';
    return `<li${kind ? ` class="${kind}"` : ''}>${kind ? `<span class="mark">${kind}</span>` : ''}${h(t)}</li>`;
  });
  return `<ul>${li.join('')}</ul>`;
}

function detailSection(pairs: ComparePair[], ids: number[], problems: number): string {
  if (!ids.length) return '';
  const cards = ids.map((i) => {
    const p = pairs[i]!;
    const rows = arr(p.packets)
      .map((d) => {
        const changedA = arr(d.changed).map((c) => c.a);
        const changedB = arr(d.changed).map((c) => c.b);
        const ck = (c: string | null) =>
          c && c !== 'ok' && c !== 'not-checked'
            ? ` <span class="badge tone-error hatch">checksum ${h(c)}</span>`
            : '';
        return `<div class="mono">${h(d.packet)}</div><div>${optList(d.a, { mine: arr(d.removed), changed: changedA }, 'a')}${ck(d.checksumA)}</div><div>${optList(d.b, { mine: arr(d.added), changed: changedB }, 'b')}${ck(d.checksumB)}</div>`;
      })
      .join('');
    return `<article class="finding tone-${changeLook(p.change).tone}" id="p-${i}"><header>${changeBadge(p.change)}<span class="title">${h(changeLook(p.change).label)}</span></header>
<p class="mono">A ${h(p.a?.client)} → ${h(p.a?.server)} ⇒ B ${h(p.b?.client)} → ${h(p.b?.server)}</p><p>${h(p.detail)}</p>
<div class="optcmp"><div class="hd">packet</div><div class="hd">A options</div><div class="hd">B options</div>${rows}</div></article>`;
  });
  const left = problems - ids.length;
  return `<section id="details"><h2>Problem pairs: options side by side</h2>
<p class="muted">Each packet's TCP options at A and at B, in wire order. Marked <b>removed</b> (at A, gone at B), <b>added</b> (only at B), <b>changed</b>.</p>
${left > 0 ? `<p class="omitted">${fmtInt(left)} more problem pair${left === 1 ? '' : 's'} not shown side by side.</p>` : ''}${cards.join('\n')}</section>`;
}

function othersSection(doc: CompareDocument, max: number): string {
  const amb = arr(doc.ambiguous);
  const ambHtml = amb.length
    ? `<ul>${amb
        .slice(0, max)
        .map(
          (m) =>
            `<li><span class="mono">A ${h(m.a?.client)} → ${h(m.a?.server)}</span>: ${arr(m.candidates)
              .map(
                (c) =>
                  `<span class="mono">B ${h(c.client)} → ${h(c.server)}</span> (${h(arr(c.matchedBy).join(', '))})`,
              )
              .join('; ')}${num(m.more) > 0 ? ` and ${fmtInt(m.more)} more` : ''}</li>`,
        )
        .join(
          '',
        )}</ul>${amb.length > max ? `<p class="omitted">${fmtInt(amb.length - max)} more not listed.</p>` : ''}`
    : '<p class="muted">None.</p>';
  const side = (name: string, list: CompareDocument['onlyA']) =>
    list.length
      ? `<table class="t"><thead><tr><th>client</th><th>server</th><th>verdict</th></tr></thead><tbody>${list
          .slice(0, max)
          .map(
            (o) =>
              `<tr><td class="mono">${h(o.client)}</td><td class="mono">${h(o.server)}</td><td class="mono">${h(o.verdict)}</td></tr>`,
          )
          .join(
            '',
          )}</tbody></table>${list.length > max ? `<p class="omitted">${fmtInt(list.length - max)} more seen only at ${name} not listed.</p>` : ''}`
      : '<p class="muted">None.</p>';
  return `<section id="ambiguous"><h2>Ambiguous matches (${fmtInt(amb.length)})</h2><p class="muted">Connections at A with more than one equally good candidate at B: reported, not guessed.</p>${ambHtml}</section>
<section id="only"><h2>Seen on one side only</h2><div class="grid2"><div class="panel" id="only-a"><h3>only at A (${fmtInt(arr(doc.onlyA).length)})</h3>${side('A', arr(doc.onlyA))}</div><div class="panel" id="only-b"><h3>only at B (${fmtInt(arr(doc.onlyB).length)})</h3>${side('B', arr(doc.onlyB))}</div></div></section>`;
}

/** progressive enhancement only: hide table rows whose change code is unticked */
const SCRIPT = `(function () {
  document.documentElement.classList.add('js');
  var boxes = document.querySelectorAll('#pair-controls input[data-change]');
  var rows = document.querySelectorAll('#pairs-table tbody tr');
  var status = document.getElementById('pair-status');
  function apply() {
    var on = {};
    boxes.forEach(function (b) { on[b.getAttribute('data-change')] = b.checked; });
    var shown = 0;
    rows.forEach(function (r) { var v = on[r.getAttribute('data-change')] !== false; r.hidden = !v; if (v) shown++; });
    if (status) status.textContent = shown + ' of ' + rows.length + ' rows shown';
  }
  boxes.forEach(function (b) { b.addEventListener('change', apply); });
  apply();
})();`;

export function renderCompareHtml(doc: CompareDocument, opts: CompareHtmlOptions = {}): string {
  const maxPairs = Math.max(0, opts.maxPairs ?? COMPARE_HTML_MAX_PAIRS);
  const maxDetails = Math.max(0, opts.maxDetails ?? 50);
  const maxOthers = Math.max(0, opts.maxOthers ?? 200);
  const all = orderPairs(arr(doc.pairs));
  const pairs = all.slice(0, maxPairs);
  const problemIdx = pairs.map((p, i) => (p.problem ? i : -1)).filter((i) => i >= 0);
  const detailIds = problemIdx.slice(0, maxDetails);
  const s = doc.summary ?? ({} as CompareDocument['summary']);
  const problems = num(s.problemPairs);
  const tone = problems > 0 ? 'error' : 'ok';
  const word = problems > 0 ? 'PROBLEM FOUND' : 'NO PROBLEM CHANGE';
  const rows = changeCounts(doc);
  const top = rows.find(([c]) => changeLook(c).problem);
  const headline =
    problems > 0 && top
      ? `${fmtInt(problems)} of ${fmtInt(s.pairs)} pair(s) show a problem; most: ${top[0]} (${changeLook(top[0]).label})`
      : `${fmtInt(s.pairs)} pair(s), no problem change`;
  const version = h(doc.tool?.version ?? '?');
  const m = doc.matching ?? ({} as CompareDocument['matching']);
  const files = (x: { files?: string[] } | undefined) => h(arr(x?.files).join(', ') || '?');
  const legendCodes = COMPARE_CODES.filter((r) => r.mode === doc.mode)
    .map((r) => `<li>${changeBadge(r.code)} ${h(r.title)}</li>`)
    .join('');
  const body = `<header>
<nav class="toc"><a href="#summary">Summary</a><a href="#findings">Findings</a><a href="#pairs">Pairs</a>${detailIds.length ? '<a href="#details">Options</a>' : ''}<a href="#ambiguous">Ambiguous</a><a href="#only">One side only</a></nav>
<div class="banner tone-${tone}" id="banner"><span class="badge tone-${tone}">${word}</span>
<p class="verdict">${h(headline)}</p>
<p class="meta">mode <b>${h(doc.mode)}</b> (${doc.modeSource === 'option' ? 'set with --mode' : 'detected'}): ${h(doc.modeReason)} · ${fmtInt(s.pairs)} pairs, ${fmtInt(s.onlyA)} only at A, ${fmtInt(s.onlyB)} only at B, ${fmtInt(s.ambiguous)} ambiguous</p></div>
</header>
<main>
<section id="summary"><h2>Summary</h2>${changeBar(rows)}
<div class="grid2"><div class="panel"><h3>Inputs</h3><dl class="facts"><dt>A</dt><dd><span class="mono">${files(doc.input?.a)}</span><br>${fmtInt(doc.input?.a?.flows)} connections, ${fmtInt(doc.input?.a?.packets)} packets</dd><dt>B</dt><dd><span class="mono">${files(doc.input?.b)}</span><br>${fmtInt(doc.input?.b?.flows)} connections, ${fmtInt(doc.input?.b?.packets)} packets</dd></dl></div>
<div class="panel"><h3>Matching</h3><dl class="facts"><dt>clock offset B−A</dt><dd>${m.clockOffsetSec === null || m.clockOffsetSec === undefined ? 'unknown' : `${h(num(m.clockOffsetSec).toFixed(3))} s`}</dd><dt>timing window</dt><dd>${m.windowSec === null || m.windowSec === undefined ? 'none' : `${h(num(m.windowSec).toFixed(3))} s`}</dd><dt>confident pairs</dt><dd>${fmtInt(m.confidentPairs)}</dd><dt>ISN kept by the LB</dt><dd>${m.isnKept === null || m.isnKept === undefined ? 'unknown' : m.isnKept ? 'yes' : 'no (rewritten)'}</dd></dl></div>
<div class="panel"><h3>Change codes in ${h(doc.mode)} mode</h3><ul class="legend">${legendCodes}</ul></div></div></section>
${findingsSection(doc)}
${pairsSection(doc, pairs, all.length, new Set(detailIds))}
${detailSection(pairs, detailIds, problemIdx.length)}
${othersSection(doc, maxOthers)}
</main>
<footer class="page">toa-doctor ${version} · compare schema <code>${h(doc.schema)}</code>${opts.generatedAt ? ` · page made ${h(opts.generatedAt)}` : ''}${opts.command ? ` · <code>${h(opts.command)}</code>` : ''} · this page is self-contained and loads nothing from the network</footer>`;
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<meta name="generator" content="toa-doctor ${version}">
<title>${h(`toa-doctor compare: ${headline}`)}</title>
<style>${CSS}${COMPARE_CSS}</style></head>
<body>
${body}
<script>${SCRIPT}</script>
</body></html>
`;
}
