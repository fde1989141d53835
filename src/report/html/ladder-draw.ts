/**
 * Steps 2 and 3 of a ladder: ladderLayout(model) → plain numbers (lanes, rows, arrows, option
 * blocks), then ladderSvg(layout) → an SVG string. Both are pure and SELF-CONTAINED: they use only
 * their argument and built-ins (no imports, no module constants), because the page also ships their
 * source text (DRAW_SOURCE) to draw, in the browser, the ladders it does not draw up front. A unit
 * test checks that the shipped source draws exactly what the functions draw here.
 *
 * Picture: client/LB lane on the left, server lane on the right, time downwards; one row per packet
 * (arrow, its name and flags above, its TCP options as blocks below); the packet the module reads
 * has a tinted band and the words "module reads this"; notes (bad checksum, TFO) at the right.
 */
import type { LadderModel } from './ladder-model.js';

export interface LadderBlockBox {
  x: number;
  y: number;
  w: number;
  text: string;
  cls: string;
  title: string;
}

export interface LadderRow {
  /** top of the row band */
  top: number;
  height: number;
  /** y of the arrow */
  y: number;
  x1: number;
  x2: number;
  dir: number;
  label: string;
  time: string;
  role: string;
  read: boolean;
  ghost: boolean;
  badChecksum: boolean;
  blocks: LadderBlockBox[];
  notes: string[];
}

export interface LadderLayout {
  id: number;
  width: number;
  height: number;
  left: number;
  right: number;
  laneTop: number;
  client: string;
  server: string;
  rows: LadderRow[];
  footer: Array<{ y: number; text: string }>;
  title: string;
}

export function ladderLayout(m: LadderModel): LadderLayout {
  const W = 820;
  const L = 118;
  const R = 560;
  const CH = 6.6; // px per character, 11px monospace
  const BH = 16; // block height
  const rows: LadderRow[] = [];
  const time = (t: number | null): string => {
    if (t === null || t === undefined) return '';
    if (t === 0) return '+0';
    if (t < 1) return `+${(t * 1000).toFixed(3)} ms`;
    return `+${t.toFixed(3)} s`;
  };
  let y = 52;
  for (const p of m.packets) {
    const top = y;
    const arrowY = top + 24;
    const blocks: LadderBlockBox[] = [];
    let bx = L + 12;
    let by = arrowY + 8;
    const maxX = R - 12;
    for (const b of p.blocks) {
      const text = String(b[0]);
      const w = Math.ceil(text.length * CH + 10);
      if (bx + w > maxX && bx > L + 12) {
        bx = L + 12;
        by += BH + 4;
      }
      blocks.push({
        x: bx,
        y: by,
        w,
        text,
        cls: String(b[1]),
        title: b[2] === undefined ? '' : String(b[2]),
      });
      bx += w + 4;
    }
    const blockBottom = blocks.length ? by + BH : arrowY;
    const notes: string[] = [];
    if (p.read) notes.push('◀ module reads this');
    if (p.ck === 'bad') notes.push('✗ bad TCP checksum');
    for (const n of p.notes) notes.push(n);
    const noteBottom = arrowY - 8 + notes.length * 15;
    const bottom = Math.max(blockBottom, noteBottom) + 10;
    let label = p.name;
    if (p.flags && !p.ghost) label += ` [${p.flags}]`;
    if (p.len > 0) label += ` ${p.len} B data`;
    const dir = p.dir;
    rows.push({
      top,
      height: bottom - top,
      y: arrowY,
      x1: dir < 0 ? R : L,
      x2: dir < 0 ? L : R,
      dir,
      label,
      time: time(p.t),
      role: p.role,
      read: p.read,
      ghost: p.ghost,
      badChecksum: p.ck === 'bad',
      blocks,
      notes,
    });
    y = bottom + 4;
  }
  const footer: Array<{ y: number; text: string }> = [];
  for (const f of m.footer) {
    y += 16;
    footer.push({ y, text: f });
  }
  return {
    id: m.id,
    width: W,
    height: y + 12,
    left: L,
    right: R,
    laneTop: 40,
    client: m.client,
    server: m.server,
    rows,
    footer,
    title: `connection ${m.id}: ${m.client} → ${m.server}, ${m.verdict}: ${m.reason}; ${m.readText}`,
  };
}

/** `esc` is the page's HTML escaper: escape.ts escapeHtml, or its shipped source in the browser */
export function ladderSvg(l: LadderLayout, esc: (v: unknown) => string): string {
  const o: string[] = [];
  const bottom = l.rows.length
    ? l.rows[l.rows.length - 1]!.top + l.rows[l.rows.length - 1]!.height
    : l.laneTop + 20;
  o.push(
    `<svg xmlns="http://www.w3.org/2000/svg" class="ladder" viewBox="0 0 ${l.width} ${l.height}" width="${l.width}" height="${l.height}" role="img" aria-label="${esc(l.title)}">`,
    `<title>${esc(l.title)}</title>`,
    `<text class="lane-h" x="${l.left}" y="16" text-anchor="middle">client / LB</text>`,
    `<text class="lane-a" x="${l.left}" y="31" text-anchor="middle">${esc(l.client)}</text>`,
    `<text class="lane-h" x="${l.right}" y="16" text-anchor="middle">server</text>`,
    `<text class="lane-a" x="${l.right}" y="31" text-anchor="middle">${esc(l.server)}</text>`,
  );
  for (const r of l.rows)
    if (r.read)
      o.push(
        `<rect class="read-band" x="2" y="${r.top}" width="${l.width - 4}" height="${r.height}" rx="4"/>`,
      );
  o.push(
    `<line class="lane" x1="${l.left}" y1="${l.laneTop}" x2="${l.left}" y2="${bottom}"/>`,
    `<line class="lane" x1="${l.right}" y1="${l.laneTop}" x2="${l.right}" y2="${bottom}"/>`,
  );
  for (const r of l.rows) {
    const cls = `pkt role-${esc(r.role)}${r.read ? ' read' : ''}${r.ghost ? ' ghost' : ''}${r.badChecksum ? ' badck' : ''}`;
    o.push(`<g class="${cls}" data-role="${esc(r.role)}">`);
    if (r.time)
      o.push(`<text class="time" x="${l.left - 10}" y="${r.y + 4}" text-anchor="end">${esc(r.time)}</text>`);
    if (r.dir === 0) {
      o.push(`<line class="arrow end" x1="${l.left}" y1="${r.y}" x2="${l.right}" y2="${r.y}"/>`);
    } else {
      const head = r.dir > 0 ? r.x2 - 9 : r.x2 + 9;
      o.push(
        `<line class="arrow" x1="${r.x1}" y1="${r.y}" x2="${head}" y2="${r.y}"/>`,
        `<polygon class="head" points="${r.x2},${r.y} ${head},${r.y - 5} ${head},${r.y + 5}"/>`,
      );
    }
    o.push(
      `<text class="plabel" x="${(l.left + l.right) / 2}" y="${r.y - 6}" text-anchor="middle">${esc(r.label)}</text>`,
    );
    for (const b of r.blocks) {
      o.push(
        `<g class="opt o-${esc(b.cls)}">${b.title ? `<title>${esc(b.title)}</title>` : ''}<rect x="${b.x}" y="${b.y}" width="${b.w}" height="16" rx="3"/><text x="${b.x + 5}" y="${b.y + 12}">${esc(b.text)}</text></g>`,
      );
    }
    let ny = r.y - 8;
    for (const n of r.notes) {
      const nc = n.charAt(0) === '◀' ? 'note readnote' : n.charAt(0) === '✗' ? 'note bad' : 'note';
      o.push(`<text class="${nc}" x="${l.right + 14}" y="${ny + 4}">${esc(n)}</text>`);
      ny += 15;
    }
    o.push('</g>');
  }
  for (const f of l.footer) o.push(`<text class="foot" x="8" y="${f.y}">${esc(f.text)}</text>`);
  o.push('</svg>');
  return o.join('');
}

/** the drawing functions as source text, for the page's script (they are self-contained) */
export const DRAW_SOURCE = `${ladderLayout.toString()}\n${ladderSvg.toString()}`;
