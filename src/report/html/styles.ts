/**
 * The page's stylesheet (inline). Colours are CSS variables per tone with a light and a dark set
 * (prefers-color-scheme) and a print set; every coloured thing also carries a text label, and
 * error-tone areas are hatched so they stay distinct in greyscale.
 */
export const CSS = `
:root {
  color-scheme: light dark;
  --bg: #ffffff; --fg: #1b1f24; --muted: #5c6670; --line: #d0d7de; --panel: #f6f8fa; --link: #0a58ca;
  --ok: #1a7f37; --ok-bg: #dafbe1;
  --error: #c0262d; --error-bg: #ffe3e3;
  --warn: #9a6700; --warn-bg: #fff1c2;
  --info: #0b66b8; --info-bg: #ddeeff;
  --muted-c: #6e7781; --muted-bg: #eaeef2;
  --toa: #7c3aed; --toa-bg: #efe4ff;
  --read: #fff3b0; --read-line: #b58900;
  --opt-bg: #eef1f4; --opt-line: #9aa4ae;
  --mono: ui-monospace, "SFMono-Regular", "DejaVu Sans Mono", Menlo, Consolas, monospace;
  --sans: system-ui, -apple-system, "Segoe UI", "DejaVu Sans", Roboto, sans-serif;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0f1419; --fg: #e6edf3; --muted: #9aa5b1; --line: #30363d; --panel: #161b22; --link: #6cb6ff;
    --ok: #3fb950; --ok-bg: #12361f;
    --error: #ff6b6b; --error-bg: #3d1518;
    --warn: #e3b341; --warn-bg: #3a2e0b;
    --info: #58a6ff; --info-bg: #0f2a47;
    --muted-c: #8b949e; --muted-bg: #21262d;
    --toa: #c297ff; --toa-bg: #2e1f4d;
    --read: #3a3413; --read-line: #e3b341;
    --opt-bg: #1f252d; --opt-line: #4b5561;
  }
}
* { box-sizing: border-box; }
html { background: var(--bg); color: var(--fg); }
body { margin: 0 auto; max-width: 1200px; padding: 0 20px 40px; font: 14px/1.45 var(--sans); }
a { color: var(--link); }
code, .mono { font-family: var(--mono); font-size: 0.92em; }
h1 { font-size: 22px; margin: 0; }
h2 { font-size: 18px; margin: 28px 0 10px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
h3 { font-size: 15px; margin: 0 0 6px; }
.muted { color: var(--muted); }
nav.toc { font-size: 13px; margin: 10px 0 0; display: flex; gap: 14px; flex-wrap: wrap; }
.banner { margin: 18px 0 0; padding: 14px 18px; border-radius: 8px; border: 2px solid var(--c); background: var(--cbg); }
.banner .verdict { font-size: 20px; font-weight: 600; margin: 4px 0 0; }
.banner .meta { color: var(--muted); font-size: 13px; margin-top: 6px; }
.tone-ok { --c: var(--ok); --cbg: var(--ok-bg); }
.tone-error { --c: var(--error); --cbg: var(--error-bg); }
.tone-warn { --c: var(--warn); --cbg: var(--warn-bg); }
.tone-info { --c: var(--info); --cbg: var(--info-bg); }
.tone-muted { --c: var(--muted-c); --cbg: var(--muted-bg); }
.badge { display: inline-block; min-width: 7.5em; text-align: center; font: 600 11px/1.9 var(--mono); letter-spacing: .02em;
  padding: 0 6px; border-radius: 4px; color: var(--c); background: var(--cbg); border: 1px solid var(--c); white-space: nowrap; }
.hatch { background-image: repeating-linear-gradient(135deg, transparent 0 5px, rgba(0,0,0,.18) 5px 7px); }
@media (prefers-color-scheme: dark) { .hatch { background-image: repeating-linear-gradient(135deg, transparent 0 5px, rgba(255,255,255,.22) 5px 7px); } }
.vbar { display: flex; height: 30px; border-radius: 6px; overflow: hidden; border: 1px solid var(--line); margin: 8px 0; }
.vbar .seg { background-color: var(--c); color: #fff; font: 600 11px/30px var(--mono); white-space: nowrap; overflow: hidden;
  text-overflow: clip; padding: 0 4px; min-width: 3px; text-shadow: 0 0 3px rgba(0,0,0,.6); border-right: 2px solid var(--bg); }
.vbar .seg:last-child { border-right: 0; }
ul.legend { list-style: none; padding: 0; margin: 0; display: flex; flex-wrap: wrap; gap: 6px 16px; font-size: 13px; }
ul.legend li { display: flex; align-items: center; gap: 6px; }
.sw { display: inline-block; width: 14px; height: 14px; border-radius: 3px; background-color: var(--c); border: 1px solid var(--c); }
.grid2 { display: grid; grid-template-columns: repeat(auto-fit, minmax(330px, 1fr)); gap: 12px; margin-top: 12px; }
.panel { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 3px 14px; margin: 0; font-size: 13px; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
.finding { border: 1px solid var(--line); border-left: 5px solid var(--c); border-radius: 6px; padding: 10px 14px; margin: 10px 0; background: var(--panel); }
.finding header { display: flex; gap: 10px; align-items: baseline; flex-wrap: wrap; }
.finding .title { font-weight: 600; }
.finding p { margin: 6px 0; }
.finding .ex { font-size: 13px; margin: 4px 0 0; padding-left: 18px; }
.finding .ex li { margin: 1px 0; }
.timeline svg { width: 100%; height: auto; max-height: 220px; }
.timeline .axis { stroke: var(--line); }
.timeline text { fill: var(--muted); font: 11px var(--mono); }
.timeline .seg { fill: var(--c); }
.timeline .seg.tone-error { fill: url(#tl-hatch); }
table.t { border-collapse: collapse; font-size: 13px; width: 100%; }
table.t th, table.t td { border-bottom: 1px solid var(--line); padding: 3px 8px; text-align: left; vertical-align: top; }
table.t td.n, table.t th.n { text-align: right; font-variant-numeric: tabular-nums; }
pre.log { font: 12px/1.4 var(--mono); background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: 8px; overflow-x: auto; max-height: 320px; margin: 6px 0; white-space: pre-wrap; }
.js-only { display: none !important; }
.js .js-only { display: flex !important; }
.js .js-only[hidden] { display: none !important; }
.js .no-js { display: none; }
form.controls { flex-wrap: wrap; gap: 8px 14px; align-items: center; padding: 10px 12px; margin: 8px 0; background: var(--panel); border: 1px solid var(--line); border-radius: 8px; position: sticky; top: 0; z-index: 2; }
form.controls .chips { display: flex; flex-wrap: wrap; gap: 6px; }
.chip { display: inline-flex; align-items: center; gap: 4px; font-size: 12px; border: 1px solid var(--c); border-radius: 14px; padding: 1px 8px 1px 4px; background: var(--cbg); color: var(--fg); cursor: pointer; }
form.controls input[type=search] { min-width: 260px; padding: 4px 8px; border: 1px solid var(--line); border-radius: 6px; background: var(--bg); color: var(--fg); }
form.controls select, form.controls button, button.more { padding: 3px 8px; border: 1px solid var(--line); border-radius: 6px; background: var(--bg); color: var(--fg); cursor: pointer; }
#conn-status { font-size: 12px; color: var(--muted); }
details.conn { border: 1px solid var(--line); border-left: 5px solid var(--c); border-radius: 6px; margin: 6px 0; background: var(--bg); }
details.conn > summary { display: grid; grid-template-columns: 9em 4.5em minmax(16em, 1.2fr) minmax(12em, 1fr) 2fr 7em; gap: 8px; align-items: center;
  padding: 5px 10px; cursor: pointer; font-size: 13px; list-style-position: outside; }
details.conn > summary .ep, details.conn > summary .toa { font-family: var(--mono); font-size: 12px; overflow-wrap: anywhere; }
details.conn > summary .toa { color: var(--toa); }
details.conn > summary .reason { color: var(--muted); }
details.conn > summary .when, details.conn > summary .cid { font-family: var(--mono); font-size: 12px; color: var(--muted); text-align: right; }
details.conn[open] > summary { border-bottom: 1px solid var(--line); background: var(--panel); }
.conn-body { display: flex; flex-wrap: wrap; gap: 12px; padding: 10px; }
.ladder-wrap { flex: 0 1 820px; min-width: 0; max-width: 100%; }
aside.why { flex: 1 1 220px; font-size: 13px; }
aside.why p { margin: 4px 0 8px; }
.opt-key { display: inline-block; padding: 0 5px; border-radius: 3px; font: 11px var(--mono); border: 1px solid var(--opt-line); background: var(--opt-bg); }
.opt-key.o-t { border-color: var(--toa); background: var(--toa-bg); color: var(--toa); font-weight: 600; }
.opt-key.o-m { border-color: var(--error); background: var(--error-bg); color: var(--error); }
.opt-key.o-h { border-style: dashed; color: var(--muted); background: transparent; }
svg.ladder { font: 11px var(--mono); display: block; max-width: 100%; height: auto; }
svg.ladder text { fill: var(--fg); }
svg.ladder .lane { stroke: var(--muted); stroke-width: 2; }
svg.ladder .lane-h { font: 600 12px var(--sans); }
svg.ladder .lane-a { fill: var(--muted); }
svg.ladder .read-band { fill: var(--read); stroke: var(--read-line); stroke-width: 1.5; }
svg.ladder .arrow { stroke: var(--fg); stroke-width: 1.6; }
svg.ladder .head { fill: var(--fg); }
svg.ladder .ghost .arrow { stroke: var(--muted); stroke-dasharray: 6 4; }
svg.ladder .ghost .head { fill: var(--muted); }
svg.ladder .ghost .plabel { fill: var(--muted); font-style: italic; }
svg.ladder .arrow.end { stroke: var(--muted); stroke-dasharray: 2 3; }
svg.ladder .plabel { font-weight: 600; }
svg.ladder .time { fill: var(--muted); }
svg.ladder .read .arrow { stroke: var(--read-line); stroke-width: 3; }
svg.ladder .read .head { fill: var(--read-line); }
svg.ladder .badck .arrow { stroke: var(--error); }
svg.ladder .note { fill: var(--muted); }
svg.ladder .note.readnote { fill: var(--fg); font-weight: 600; }
svg.ladder .note.bad { fill: var(--error); font-weight: 600; }
svg.ladder .opt rect { fill: var(--opt-bg); stroke: var(--opt-line); }
svg.ladder .o-n rect { fill: transparent; stroke-dasharray: 2 2; }
svg.ladder .o-t rect { fill: var(--toa-bg); stroke: var(--toa); stroke-width: 1.6; }
svg.ladder .o-t text { fill: var(--toa); font-weight: 600; }
svg.ladder .o-e rect { fill: var(--muted-bg); stroke: var(--fg); }
svg.ladder .o-m rect { fill: var(--error-bg); stroke: var(--error); stroke-width: 1.6; }
svg.ladder .o-m text { fill: var(--error); font-weight: 600; }
svg.ladder .o-h rect { fill: transparent; stroke: var(--muted); stroke-dasharray: 4 3; }
svg.ladder .o-h text { fill: var(--muted); }
svg.ladder .o-x rect { fill: transparent; stroke: var(--warn); stroke-dasharray: 4 3; }
svg.ladder .foot { fill: var(--muted); }
.omitted { padding: 8px 12px; border: 1px dashed var(--line); border-radius: 6px; color: var(--muted); margin: 8px 0; }
footer.page { margin-top: 36px; color: var(--muted); font-size: 12px; border-top: 1px solid var(--line); padding-top: 8px; }
@media (max-width: 760px) {
  details.conn > summary { grid-template-columns: 8em 1fr; }
  details.conn > summary .reason, details.conn > summary .when, details.conn > summary .cid { display: none; }
}
@media print {
  :root { --bg: #fff; --fg: #000; --panel: #fff; --muted: #444; --line: #999; --read: #fff6c8; }
  body { max-width: none; padding: 0; font-size: 11px; }
  nav.toc, html.js form.controls, html.js button.more, #conn-status { display: none !important; }
  details.conn, .finding, .panel { break-inside: avoid; }
  details.conn > summary { grid-template-columns: 9em 4em 1.3fr 1fr 2fr; }
  details.conn > summary .when { display: none; }
  a { color: inherit; text-decoration: none; }
  .vbar .seg { print-color-adjust: exact; -webkit-print-color-adjust: exact; }
  .badge, .sw, svg { print-color-adjust: exact; -webkit-print-color-adjust: exact; }
}
`;
