/**
 * One connection in the page: a <details> whose summary is the list row (verdict label, endpoints,
 * TOA, reason, time) and whose body is the ladder with the verdict beside it. SELF-CONTAINED like
 * ladder-draw.ts (only arguments and built-ins): the browser builds the cards the page does not
 * carry up front with the same source (CARD_SOURCE). The HTML escaper is an argument, so the page's
 * one escaper (escape.ts escapeHtml, shipped as ESCAPE_SOURCE) serves both sides.
 */
import type { LadderModel } from './ladder-model.js';

/** one listed connection as the page's data carries it (short keys: 10,000 of them ship) */
export interface ConnEntry {
  id: number;
  /** verdict code */
  v: string;
  /** client endpoint (the IP-level client: the LB behind a full-NAT LB) */
  c: string;
  s: string;
  /** the real client as the TOA says, or '' */
  a: string;
  /** reason */
  r: string;
  /** first packet time, seconds since the capture's first packet */
  t: number;
  /** display rank (problems first) */
  k: number;
}

export interface LookMap {
  [verdict: string]: { label: string; tone: string; meaning: string };
}

/** the page's HTML escaper, passed in: escapeHtml (./escape.ts) here and in the browser (ESCAPE_SOURCE) */
export type Escape = (v: unknown) => string;

export function connSummary(e: ConnEntry, looks: LookMap, esc: Escape): string {
  const lk = looks[e.v] ?? { label: e.v, tone: 'muted', meaning: '' };
  const t = e.t < 1 ? `+${(e.t * 1000).toFixed(1)} ms` : `+${e.t.toFixed(3)} s`;
  return (
    `<summary><span class="badge tone-${esc(lk.tone)}">${esc(lk.label)}</span>` +
    `<span class="cid">#${esc(e.id)}</span>` +
    `<span class="ep">${esc(e.c)} → ${esc(e.s)}</span>` +
    `<span class="toa">${e.a ? `TOA ${esc(e.a)}` : 'no TOA'}</span>` +
    `<span class="reason">${esc(e.r)}</span>` +
    `<span class="when">${esc(t)}</span></summary>`
  );
}

export function connBody(m: LadderModel, svg: string, looks: LookMap, esc: Escape): string {
  const lk = looks[m.verdict] ?? { label: m.verdict, tone: 'muted', meaning: '' };
  return (
    `<div class="conn-body"><div class="ladder-wrap">${svg}</div>` +
    `<aside class="why"><p><span class="badge tone-${esc(lk.tone)}">${esc(lk.label)}</span> <code>${esc(m.verdict)}</code></p>` +
    `<p class="meaning">${esc(lk.meaning)}</p>` +
    `<p><b>Why:</b> ${esc(m.reason)}</p>` +
    `<p><b>Read packet:</b> ${esc(m.readText)}</p>` +
    `<p class="legend-mini"><span class="opt-key o-t">TOA</span> <span class="opt-key o-o">option</span> <span class="opt-key o-m">break</span> <span class="opt-key o-h">never read</span></p>` +
    '</aside></div>'
  );
}

export function connCard(e: ConnEntry, looks: LookMap, body: string, open: boolean, esc: Escape): string {
  const lk = looks[e.v] ?? { label: e.v, tone: 'muted', meaning: '' };
  return (
    `<details class="conn tone-${esc(lk.tone)}" id="c-${esc(e.id)}" data-id="${esc(e.id)}" data-v="${esc(e.v)}"${open ? ' open' : ''}>` +
    connSummary(e, looks, esc) +
    body +
    '</details>'
  );
}

export const CARD_SOURCE = `${connSummary.toString()}\n${connBody.toString()}\n${connCard.toString()}`;
