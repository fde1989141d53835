/**
 * renderHtml(doc, opts) → one self-contained HTML page (inline CSS, SVG and script; no network).
 * Its only input is the `toa-doctor/report@1` document `read --json` prints (src/report/build.ts),
 * so a saved report or a bundle's report.json renders too. Pure: no clock, no environment, no files
 * (the time of generation comes in opts); every string from the document is escaped (escape.ts).
 *
 * Sections: banner (one-line verdict), summary (verdict bar, profile, capture facts), findings
 * (explanation, remedy, links to example connections), timeline of new connections by verdict, host
 * panel (when the report has host evidence), connections (problems first; a ladder per connection).
 * The first `staticLadders` connections (and every finding example) are drawn in the page; the
 * others ship as data and the script draws them when opened. Beyond `maxFlows` connections the page
 * says how many were left out.
 */
import { gzipSync } from 'node:zlib';
import type { Finding } from '../../diagnose/types.js';
import { formatEndpoint } from '../../endpoint.js';
import type { ReportDocument, ReportFlow } from '../build.js';
import { type ConnEntry, connBody, connCard, type LookMap } from './card.js';
import { CLIENT_SCRIPT } from './client.js';
import { escapeHtml as h, jsonForScript } from './escape.js';
import { ladderLayout, ladderSvg } from './ladder-draw.js';
import { type LadderModel, ladderModel } from './ladder-model.js';
import { CSS } from './styles.js';
import { SEVERITY_LOOK, VERDICT_LOOK, verdictLook } from './verdicts.js';

export interface HtmlOptions {
  /** ISO time the page was made (shown in the footer); omitted when not given */
  generatedAt?: string;
  /** at most this many connections in the page (default 10,000); the rest are counted */
  maxFlows?: number;
  /** connections drawn in the page itself, readable without JavaScript (default 200) */
  staticLadders?: number;
  /** connections open at load (default 3) */
  openFirst?: number;
  /** what made the page, e.g. 'toa-doctor read capture.pcap --html out.html' */
  command?: string;
}

export const HTML_MAX_FLOWS = 10_000;

function num(v: unknown, d = 0): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : d;
}

function fmtInt(n: unknown): string {
  return num(n).toLocaleString('en-US');
}

function fmtBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

function fmtDur(s: number): string {
  if (s < 1) return `${(s * 1000).toFixed(1)} ms`;
  if (s < 120) return `${s.toFixed(2)} s`;
  if (s < 7200) return `${(s / 60).toFixed(1)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function looksMap(verdicts: Iterable<string>): LookMap {
  const m: LookMap = {};
  for (const v of verdicts) {
    const l = verdictLook(v);
    m[v] = { label: l.label, tone: l.tone, meaning: l.meaning };
  }
  return m;
}

function toaText(f: ReportFlow): string {
  const t = f.toa;
  if (!t?.address) return '';
  return formatEndpoint(t.address, t.port ?? null);
}

/** the flows the page lists, problems first (rank of the verdict, then connection number) */
export function orderFlows(flows: ReportFlow[]): ReportFlow[] {
  return flows
    .map((f, i) => ({ f, i, r: verdictLook(String(f.verdict)).rank }))
    .sort((a, b) => a.r - b.r || num(a.f.id) - num(b.f.id) || a.i - b.i)
    .map((x) => x.f);
}

function dl(rows: Array<[string, string]>): string {
  return `<dl class="facts">${rows.map(([k, v]) => `<dt>${h(k)}</dt><dd>${v}</dd>`).join('')}</dl>`;
}

// ------------------------------------------------------------------ summary

function verdictBar(counts: Record<string, number>, total: number): string {
  const rows = Object.entries(counts)
    .filter(([, n]) => num(n) > 0)
    .sort((a, b) => verdictLook(a[0]).rank - verdictLook(b[0]).rank);
  if (total <= 0 || rows.length === 0) return '<p class="muted">No connections were analysed.</p>';
  const segs = rows
    .map(([v, n]) => {
      const l = verdictLook(v);
      const pct = (num(n) / total) * 100;
      const text = `${l.label} ${fmtInt(n)}`;
      return `<div class="seg tone-${l.tone}${l.tone === 'error' ? ' hatch' : ''}" style="flex:${num(n)} 1 0" title="${h(`${v}: ${fmtInt(n)} (${pct.toFixed(1)} %)`)}">${pct >= 9 ? h(text) : ''}</div>`;
    })
    .join('');
  const legend = rows
    .map(([v, n]) => {
      const l = verdictLook(v);
      const pct = (num(n) / total) * 100;
      return `<li class="tone-${l.tone}"><span class="sw${l.tone === 'error' ? ' hatch' : ''}"></span><b>${h(l.label)}</b> <span class="mono">${h(v)}</span> ${fmtInt(n)} (${pct < 0.1 && pct > 0 ? '<0.1' : pct.toFixed(1)} %)</li>`;
    })
    .join('');
  return `<div class="vbar" role="img" aria-label="${h(rows.map(([v, n]) => `${v} ${n}`).join(', '))}">${segs}</div><ul class="legend">${legend}</ul>`;
}

function summarySection(doc: ReportDocument): string {
  const s = doc.summary;
  const input = doc.input ?? ({} as ReportDocument['input']);
  const fl = s.flows ?? ({} as ReportDocument['summary']['flows']);
  const total = Object.values(s.verdicts ?? {}).reduce((a, b) => a + num(b), 0);
  const prof = s.profile ?? ({} as ReportDocument['summary']['profile']);
  const profileRows: Array<[string, string]> = [
    ['profile', `<code>${h(prof.selected ?? input.profile ?? 'auto')}</code>`],
    ['module reads', h((prof.reads ?? []).join(', ') || '—')],
    ['profiles matching the traffic', h((prof.matching ?? []).join(', ') || 'none')],
  ];
  if (Array.isArray(input.lb) && input.lb.length)
    profileRows.push(['LB networks (--lb)', h(input.lb.join(', '))]);
  const variants = Array.isArray(s.variants) ? s.variants : [];
  if (variants.length)
    profileRows.push([
      'TOA variants seen',
      variants
        .map((v) => {
          const r = v as unknown as Record<string, unknown>;
          return `<code>${h(r.variant)}</code> ${fmtInt(r.flows ?? r.packets ?? 0)}`;
        })
        .join(', '),
    ]);
  const files = Array.isArray(input.files) ? input.files : [];
  const capRows: Array<[string, string]> = [];
  for (const f of files)
    capRows.push([
      'file',
      `<code>${h(f.path)}</code> · ${h(f.format)}${f.gzip ? ' (gzip)' : ''} · ${fmtInt(f.packets)} packets · ${fmtBytes(num(f.bytes))}`,
    ]);
  if (input.bundle)
    capRows.push(['bundle', `<code>${h(input.bundle.path)}</code> ${h(input.bundle.description)}`]);
  capRows.push(
    ['time', s.start ? `${h(s.start)} → ${h(s.end ?? '?')} (${fmtDur(num(s.durationSec))})` : '—'],
    ['packets', `${fmtInt(s.packets)} (${fmtInt(s.tcpPackets)} TCP)`],
    [
      'connections',
      `${fmtInt(fl.total)} (${fmtInt(fl.ipv4)} IPv4, ${fmtInt(fl.ipv6)} IPv6), ${fmtInt(fl.handshakes)} full handshakes`,
    ],
  );
  if (num(fl.evicted) > 0)
    capRows.push([
      'flow table',
      `${fmtInt(fl.evicted)} connections evicted at the cap of ${fmtInt(input.maxFlows)} (still counted)`,
    ]);
  const dec = isObj(s.decode) ? (s.decode as Record<string, unknown>) : {};
  const bad = Object.entries(dec).filter(([k, v]) => k !== 'ok' && num(v) > 0);
  if (bad.length) capRows.push(['decode', h(bad.map(([k, v]) => `${k} ${fmtInt(v)}`).join(', '))]);
  if (Array.isArray(s.linkTypes) && s.linkTypes.length)
    capRows.push(['link types', h(s.linkTypes.map((l) => `${l.name} ${fmtInt(l.packets)}`).join(', '))]);
  for (const f of files)
    for (const w of Array.isArray(f.warnings) ? f.warnings : [])
      capRows.push(['warning', h(isObj(w) ? (w.message ?? JSON.stringify(w)) : w)]);
  return `<section id="summary"><h2>Summary</h2>
<h3>Connections by verdict</h3>${verdictBar(s.verdicts ?? {}, total)}
<div class="grid2"><div class="panel"><h3>Module profile</h3>${dl(profileRows)}</div>
<div class="panel"><h3>Capture</h3>${dl(capRows)}</div></div></section>`;
}

// ------------------------------------------------------------------ findings

function findingsSection(findings: Finding[], exampleIds: Map<Finding, Array<number | null>>): string {
  if (!findings.length)
    return '<section id="findings"><h2>Findings</h2><p class="muted">No findings.</p></section>';
  const items = findings.map((f) => {
    const sl = SEVERITY_LOOK[f.severity] ?? { label: String(f.severity).toUpperCase(), tone: 'muted' };
    const ids = exampleIds.get(f) ?? [];
    const ex = (Array.isArray(f.examples) ? f.examples : [])
      .map((e, i) => {
        const id = ids[i];
        const ref =
          id !== null && id !== undefined ? `<a href="#c-${id}">${h(e.ref)}</a> (#${id})` : h(e.ref);
        return `<li>${ref}${e.detail ? ` <span class="muted">— ${h(e.detail)}</span>` : ''}</li>`;
      })
      .join('');
    const count =
      num(f.flows) > 0
        ? `<span class="muted">${fmtInt(f.flows)} connection${f.flows === 1 ? '' : 's'} (${num(f.share)} %)</span>`
        : '';
    return `<article class="finding tone-${sl.tone}" id="f-${h(f.code)}"><header><span class="badge tone-${sl.tone}">${h(sl.label)}</span><code>${h(f.code)}</code><span class="title">${h(f.title)}</span>${count}</header>
<p>${h(f.explanation)}</p>${f.remediation ? `<p><b>Remedy:</b> ${h(f.remediation)}</p>` : ''}${ex ? `<p class="muted">Examples:</p><ul class="ex">${ex}</ul>` : ''}</article>`;
  });
  return `<section id="findings"><h2>Findings</h2>${items.join('\n')}</section>`;
}

// ------------------------------------------------------------------ timeline

export function timelineSvg(entries: ConnEntry[], looks: LookMap, bins = 60): string {
  if (!entries.length) return '<p class="muted">No connections listed.</p>';
  const maxT = Math.max(...entries.map((e) => e.t), 0);
  const span = maxT > 0 ? maxT : 1;
  const order = Object.keys(looks).sort((a, b) => verdictLook(a).rank - verdictLook(b).rank);
  const counts: Array<Record<string, number>> = Array.from({ length: bins }, () => ({}));
  for (const e of entries) {
    const b = Math.min(bins - 1, Math.floor((e.t / span) * bins));
    const c = counts[b]!;
    c[e.v] = (c[e.v] ?? 0) + 1;
  }
  const maxN = Math.max(1, ...counts.map((c) => Object.values(c).reduce((a, b) => a + b, 0)));
  const W = 960;
  const H = 170;
  const x0 = 48;
  const y0 = 10;
  const ph = H - 40;
  const bw = (W - x0 - 10) / bins;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" role="img" aria-label="new connections over time, by verdict">`,
    '<defs><pattern id="tl-hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="var(--error)"/><line x1="0" y1="0" x2="0" y2="6" stroke="var(--bg)" stroke-width="2"/></pattern></defs>',
    `<line class="axis" x1="${x0}" y1="${y0 + ph}" x2="${W - 10}" y2="${y0 + ph}"/>`,
    `<line class="axis" x1="${x0}" y1="${y0}" x2="${x0}" y2="${y0 + ph}"/>`,
    `<text x="${x0 - 6}" y="${y0 + 10}" text-anchor="end">${maxN}</text>`,
    `<text x="${x0 - 6}" y="${y0 + ph}" text-anchor="end">0</text>`,
  ];
  counts.forEach((c, i) => {
    let y = y0 + ph;
    const x = x0 + i * bw + 1;
    for (const v of order) {
      const n = c[v];
      if (!n) continue;
      const hgt = (n / maxN) * ph;
      y -= hgt;
      const l = looks[v]!;
      const t0 = (i / bins) * span;
      out.push(
        `<rect class="seg tone-${h(l.tone)}" x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${Math.max(1, bw - 2).toFixed(1)}" height="${hgt.toFixed(1)}"><title>${h(`${l.label}: ${n} new at +${fmtDur(t0)}`)}</title></rect>`,
      );
    }
  });
  for (const f of [0, 0.5, 1])
    out.push(
      `<text x="${(x0 + f * (W - x0 - 10)).toFixed(1)}" y="${H - 14}" text-anchor="${f === 0 ? 'start' : f === 1 ? 'end' : 'middle'}">+${h(fmtDur(f * maxT))}</text>`,
    );
  out.push('</svg>');
  return out.join('');
}

function timelineSection(entries: ConnEntry[], looks: LookMap, listedAll: boolean): string {
  const legend = Object.keys(looks)
    .sort((a, b) => verdictLook(a).rank - verdictLook(b).rank)
    .map((v) => {
      const l = looks[v]!;
      const n = entries.filter((e) => e.v === v).length;
      if (n === 0) return '';
      return `<li class="tone-${h(l.tone)}"><span class="sw${l.tone === 'error' ? ' hatch' : ''}"></span>${h(l.label)} ${fmtInt(n)}</li>`;
    })
    .join('');
  return `<section id="timeline" class="timeline"><h2>New connections over time</h2>
<p class="muted">Each bar counts the ${listedAll ? '' : 'listed (problem) '}connections that started in its time slice, stacked by verdict; error verdicts are hatched.</p>
${timelineSvg(entries, looks)}<ul class="legend">${legend}</ul></section>`;
}

// ------------------------------------------------------------------ host

function hostSection(host: unknown): string {
  if (!isObj(host)) return '';
  const rows: Array<[string, string]> = [];
  rows.push(['host', h(host.hostname ?? '?')]);
  if (host.source) rows.push(['evidence from', `<code>${h(host.source)}</code>`]);
  const k = isObj(host.kernel) ? host.kernel : {};
  if (k.release) rows.push(['kernel', `${h(k.release)}${k.flavor ? ` (${h(k.flavor)})` : ''}`]);
  rows.push([
    'collected',
    host.beforeCollectedAt
      ? `${h(host.beforeCollectedAt)} → ${h(host.collectedAt)}`
      : h(host.collectedAt ?? '?'),
  ]);
  const impl = Array.isArray(host.implementations) ? host.implementations : [];
  rows.push([
    'module / model',
    impl.length
      ? impl
          .map((i) =>
            isObj(i)
              ? `${h(i.label ?? i.id)} <span class="muted">(reads ${h((Array.isArray(i.accepts) ? i.accepts : []).join(', ') || '?')})</span>`
              : h(i),
          )
          .join('; ')
      : 'no TOA module identified',
  ]);
  const mods = Array.isArray(host.modules) ? host.modules : [];
  if (mods.length)
    rows.push([
      'modules',
      mods
        .map((m) =>
          isObj(m) ? `<code>${h(m.name)}</code>${m.loaded === false ? ' (not loaded)' : ''}` : h(m),
        )
        .join(', '),
    ]);
  // counters: stats = [{ path, counters: [{ name, total }] }], deltas = { seconds, counters: [{ file, counter, delta }] }
  let counters = '';
  const stats = Array.isArray(host.stats) ? host.stats.filter(isObj) : [];
  const deltas =
    isObj(host.deltas) && Array.isArray(host.deltas.counters) ? host.deltas.counters.filter(isObj) : [];
  const dsec = isObj(host.deltas) ? num(host.deltas.seconds) : 0;
  const trs: string[] = [];
  for (const file of stats)
    for (const c of Array.isArray(file.counters) ? file.counters.filter(isObj) : []) {
      const d = deltas.find((x) => x.counter === c.name && (x.file === undefined || x.file === file.path));
      const dv = d ? num(d.delta) : null;
      trs.push(
        `<tr><td><code>${h(c.name)}</code></td><td class="n">${fmtInt(c.total)}</td><td class="n">${dv === null ? '' : dv > 0 ? `+${fmtInt(dv)}` : fmtInt(dv)}</td><td class="muted">${h(file.path)}</td></tr>`,
      );
    }
  if (trs.length)
    counters = `<h3>Counters</h3><table class="t"><thead><tr><th>counter</th><th class="n">value</th><th class="n">change${dsec ? ` in ${h(dsec)} s` : ''}</th><th>file</th></tr></thead><tbody>${trs.slice(0, 60).join('')}</tbody></table>`;
  // listeners: { listeners: [{ family, address, port, dualStack, v4Mapped }], ports: [...] }
  let listeners = '';
  const lsrc = isObj(host.listeners) ? host.listeners : {};
  const ls = Array.isArray(lsrc.listeners) ? lsrc.listeners.filter(isObj) : [];
  if (ls.length) {
    const rowsL = ls
      .slice(0, 50)
      .map((l) => {
        const addr = String(l.address ?? '?');
        const ep = formatEndpoint(addr, num(l.port));
        const how = [
          l.dualStack ? 'dual-stack (IPv4 clients arrive on the IPv6 socket)' : '',
          l.v4Mapped ? 'v4-mapped' : '',
        ]
          .filter(Boolean)
          .join(', ');
        return `<tr><td><code>${h(ep)}</code></td><td>${h(l.family)}</td><td>${h(how)}</td><td class="n">${h(l.inode ?? '')}</td></tr>`;
      })
      .join('');
    listeners = `<h3>Listeners</h3><table class="t"><thead><tr><th>address</th><th>family</th><th>note</th><th class="n">inode</th></tr></thead><tbody>${rowsL}</tbody></table>${ls.length > 50 ? `<p class="muted">and ${ls.length - 50} more</p>` : ''}`;
  }
  // kernel log: dmesg.events [{ ts, message }]
  let dmesg = '';
  const dm = isObj(host.dmesg) ? host.dmesg : {};
  const events = Array.isArray(dm.events) ? dm.events.filter(isObj) : [];
  if (events.length) {
    const text = events
      .slice(-60)
      .map(
        (e) => `${e.ts !== undefined && e.ts !== null ? `[${String(e.ts)}] ` : ''}${String(e.message ?? '')}`,
      )
      .join('\n');
    dmesg = `<h3>Kernel log: TOA lines${events.length > 60 ? ` (last 60 of ${events.length})` : ''}${dm.source ? ` <span class="muted">from ${h(dm.source)}</span>` : ''}</h3><pre class="log">${h(text)}</pre>`;
  } else if (dm.error) dmesg = `<p class="muted">kernel log: ${h(dm.error)}</p>`;
  else dmesg = '<p class="muted">No TOA lines in the kernel log.</p>';
  const notes =
    Array.isArray(host.notes) && host.notes.length
      ? `<p class="muted">${host.notes.map((n) => h(n)).join('<br>')}</p>`
      : '';
  return `<section id="host"><h2>Host evidence</h2><div class="grid2"><div class="panel">${dl(rows)}${notes}</div><div class="panel">${counters || '<p class="muted">No TOA counters.</p>'}</div></div>
${listeners ? `<div class="panel" style="margin-top:12px">${listeners}</div>` : ''}${dmesg ? `<div class="panel" style="margin-top:12px">${dmesg}</div>` : ''}</section>`;
}

// ------------------------------------------------------------------ connections

function exampleIdMap(findings: Finding[], flows: ReportFlow[]): Map<Finding, Array<number | null>> {
  const byRef = new Map<string, ReportFlow[]>();
  for (const f of flows) {
    const ref = `${f.client} -> ${f.server}`;
    const l = byRef.get(ref);
    if (l) l.push(f);
    else byRef.set(ref, [f]);
  }
  const out = new Map<Finding, Array<number | null>>();
  for (const fd of findings) {
    const ids = (Array.isArray(fd.examples) ? fd.examples : []).map((e) => {
      const cands = byRef.get(String(e.ref)) ?? [];
      // a reused 5-tuple: prefer the connection whose reason the example quotes
      const hit = cands.find((c) => e.detail && c.reason === e.detail) ?? cands[0];
      return hit ? num(hit.id) : null;
    });
    out.set(fd, ids);
  }
  return out;
}

export function renderHtml(doc: ReportDocument, opts: HtmlOptions = {}): string {
  const maxFlows = Math.max(0, opts.maxFlows ?? HTML_MAX_FLOWS);
  const staticN = Math.max(0, opts.staticLadders ?? 200);
  const openN = Math.max(0, opts.openFirst ?? 3);
  const allFlows = Array.isArray(doc.flows) ? doc.flows.filter(isObj) : [];
  const ordered = orderFlows(allFlows as ReportFlow[]);
  const flows = ordered.slice(0, maxFlows);
  const findings = Array.isArray(doc.findings) ? doc.findings.filter(isObj) : [];
  const s = doc.summary;
  const listed = Math.max(num(s?.flows?.listed, allFlows.length), allFlows.length);
  const omitted = listed - flows.length;
  const exIds = exampleIdMap(findings, flows);
  const mustDraw = new Set<number>();
  for (const ids of exIds.values()) for (const id of ids) if (id !== null) mustDraw.add(id);
  const t0 = flows.length ? Math.min(...flows.map((f) => num(f.firstTs, Number.POSITIVE_INFINITY))) : 0;
  const base = Number.isFinite(t0) ? t0 : 0;
  const vset = new Set<string>(Object.keys(VERDICT_LOOK));
  for (const f of flows) vset.add(String(f.verdict));
  const looks = looksMap(vset);
  const entries: ConnEntry[] = flows.map((f, i) => ({
    id: num(f.id),
    v: String(f.verdict),
    c: String(f.client ?? '?'),
    s: String(f.server ?? '?'),
    a: toaText(f),
    r: String(f.reason ?? ''),
    t: Math.max(0, Math.round((num(f.firstTs, base) - base) * 1e6) / 1e6),
    k: i,
  }));
  const models: Record<string, LadderModel> = {};
  const cards: string[] = [];
  flows.forEach((f, i) => {
    const e = entries[i]!;
    const m = ladderModel(f);
    if (i < staticN || mustDraw.has(e.id)) {
      cards.push(connCard(e, looks, connBody(m, ladderSvg(ladderLayout(m), h), looks, h), i < openN, h));
    } else models[String(e.id)] = m;
  });
  const lazyN = Object.keys(models).length;
  const presentVerdicts = [...new Set(entries.map((e) => e.v))].sort(
    (a, b) => verdictLook(a).rank - verdictLook(b).rank,
  );
  const chips = presentVerdicts
    .map((v) => {
      const l = looks[v]!;
      const n = entries.filter((e) => e.v === v).length;
      return `<label class="chip tone-${h(l.tone)}"><input type="checkbox" data-verdict="${h(v)}" checked> ${h(l.label)} (${fmtInt(n)})</label>`;
    })
    .join('');
  const errors = num(s?.findings?.error);
  const warnings = num(s?.findings?.warning);
  const tone = errors > 0 ? 'error' : warnings > 0 ? 'warn' : 'ok';
  const toneWord = errors > 0 ? 'PROBLEM FOUND' : warnings > 0 ? 'WARNINGS' : 'NO ERROR FOUND';
  const mode = doc.input?.flows === 'all' ? 'all' : 'problems';
  const title = `toa-doctor report: ${String(s?.verdict ?? '')}`;
  const version = h(doc.tool?.version ?? '?');
  const omittedNote =
    omitted > 0
      ? `<p class="omitted"><b>${fmtInt(omitted)} more connection${omitted === 1 ? ' is' : 's are'} not in this page</b>: it shows ${fmtInt(flows.length)} of ${fmtInt(listed)} (problems first; at most ${fmtInt(maxFlows)}); the counts above include them all. <code>toa-doctor read --json --flows all</code> lists every connection.</p>`
      : '';
  const modeNote =
    mode === 'problems'
      ? '<p class="muted">This page lists problem connections only (<code>--flows problems</code>); connections with verdict OK are counted above but not listed.</p>'
      : '';
  const body = `<header>
<nav class="toc"><a href="#summary">Summary</a><a href="#findings">Findings</a><a href="#timeline">Timeline</a>${isObj(doc.host) ? '<a href="#host">Host</a>' : ''}<a href="#connections">Connections</a></nav>
<div class="banner tone-${tone}" id="banner"><span class="badge tone-${tone}">${toneWord}</span>
<p class="verdict">${h(s?.verdict ?? '')}</p>
<p class="meta">${fmtInt(errors)} error, ${fmtInt(warnings)} warning, ${fmtInt(s?.findings?.info)} info finding(s) · profile <code>${h(s?.profile?.selected ?? doc.input?.profile ?? 'auto')}</code> · ${fmtInt(s?.flows?.total)} connections, ${fmtInt(s?.packets)} packets</p></div>
</header>
<main>
${summarySection(doc)}
${findingsSection(findings as Finding[], exIds)}
${timelineSection(entries, looks, mode === 'all')}
${hostSection(doc.host)}
<section id="connections"><h2>Connections (${fmtInt(flows.length)}${omitted > 0 ? ` of ${fmtInt(listed)}` : ''})</h2>
<p class="muted">Problems first. Open a connection to see its handshake ladder: the client/LB lane on the left, the server on the right, time downwards; each packet's TCP options are the blocks under its arrow (<span class="opt-key o-t">TOA</span> in its own colour with the address it carries), and the packet the module reads is highlighted.</p>
${modeNote}${omittedNote}
<form class="controls js-only" id="conn-controls" role="search"><div class="chips" aria-label="filter by verdict">${chips}</div>
<button type="button" id="f-problems">problems only</button><button type="button" id="f-all">all</button>
<input type="search" id="f-search" placeholder="search address, port, reason…" aria-label="search connections">
<label>sort <select id="f-sort"><option value="rank">problems first</option><option value="time">time</option><option value="id">connection #</option><option value="client">client</option><option value="verdict">verdict code</option></select></label>
<span id="conn-status"></span></form>
<div id="conn-list">${cards.join('\n')}</div>
<button type="button" class="more js-only" id="conn-more" hidden>show more</button>
${lazyN > 0 ? `<p class="omitted no-js">${fmtInt(lazyN)} more connection${lazyN === 1 ? '' : 's'} are in this page's data and are listed and drawn when JavaScript is on.</p>` : ''}
</section>
</main>
<footer class="page">toa-doctor ${version} · report schema <code>${h(doc.schema)}</code>${opts.generatedAt ? ` · page made ${h(opts.generatedAt)}` : ''}${opts.command ? ` · <code>${h(opts.command)}</code>` : ''} · this page is self-contained and loads nothing from the network</footer>`;
  const data = { looks, entries };
  // the ladders not drawn up front, gzip + base64: 10,000 of them are ~13 MB of JSON, ~0.5 MB packed
  const packed =
    lazyN > 0 ? gzipSync(Buffer.from(JSON.stringify(models)), { level: 9 }).toString('base64') : '';
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<meta name="generator" content="toa-doctor ${version}">
<title>${h(title)}</title>
<style>${CSS}</style></head>
<body>
${body}
<script type="application/json" id="toa-data">${jsonForScript(data)}</script>
<script type="application/octet-stream" id="toa-ladders" data-encoding="gzip+base64">${packed}</script>
<script>${CLIENT_SCRIPT}</script>
</body></html>
`;
}
