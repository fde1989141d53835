/**
 * The ladder builder as pure functions: report flow → model → layout numbers → SVG string. The
 * page ships the drawing functions' source to the browser, so one test checks that the shipped
 * source draws byte for byte what the module draws; a property checks that no string from a
 * report can open a tag.
 */

import { rmSync } from 'node:fs';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReportDocument, ReportFlow } from '../../../src/report/build.js';
import { CARD_SOURCE, type ConnEntry, connBody, connCard } from '../../../src/report/html/card.js';
import { ESCAPE_SOURCE, escapeHtml } from '../../../src/report/html/escape.js';
import { DRAW_SOURCE, ladderLayout, ladderSvg } from '../../../src/report/html/ladder-draw.js';
import { ladderModel, readRoles } from '../../../src/report/html/ladder-model.js';
import { demoPcap, SCENARIOS } from '../../helpers/scenarios.js';
import { pageOf, scenarioPcap, TMP, VERDICT_CASES } from './pages.js';

const docs = new Map<string, ReportDocument>();
let demo: ReportDocument;

beforeAll(async () => {
  for (const c of VERDICT_CASES)
    docs.set(c.verdict, (await pageOf(`l-${c.scenario}`, scenarioPcap(c.scenario), c.profile)).doc);
  demo = (await pageOf('l-demo', demoPcap())).doc;
});
afterAll(() => rmSync(TMP, { recursive: true, force: true }));

function only(verdict: string): ReportFlow {
  const d = docs.get(verdict)!;
  expect(d.flows).toHaveLength(1);
  return d.flows[0]!;
}

/** the <g> of one packet row in an SVG string */
function rowOf(svg: string, role: string): string {
  const at = svg.indexOf(`data-role="${role}"`);
  if (at < 0) return '';
  return svg.slice(at, svg.indexOf('</g><g class="pkt', at) + 1 || undefined);
}

describe('ladder model', () => {
  it('keeps the handshake option bytes in the JSON report (options.bytes)', () => {
    const f = only('TOA_OK');
    // ack: NOP NOP TS (12 bytes) + TOA 200/8 as the scenario wrote it
    expect(f.handshake.ack!.options.bytes).toMatch(/^([0-9a-f]{2})+$/);
    expect(f.handshake.ack!.options.bytes!.length / 2).toBe(f.handshake.ack!.options.areaLength);
    expect(f.handshake.syn!.options.bytes).toBe('020405b4');
  });

  it.each(VERDICT_CASES)('$verdict: TOA blocks on the right packets, read packet marked', (c) => {
    const m = ladderModel(only(c.verdict));
    expect(m.verdict).toBe(c.verdict);
    for (const { role, cls } of c.toaOn) {
      const p = m.packets.find((x) => x.role === role)!;
      expect(p.blocks.some((b) => b[1] === cls && b[0].startsWith('TOA '))).toBe(true);
    }
    for (const role of c.noToaOn) {
      const p = m.packets.find((x) => x.role === role);
      expect(p?.blocks.some((b) => b[1] === 't') ?? false).toBe(false);
    }
    expect(m.packets.filter((p) => p.read).map((p) => p.role)).toEqual(c.read);
  });

  it('shows where the list breaks, and the TOA behind the break with its address', () => {
    const ack = ladderModel(only('TOA_MALFORMED')).packets.find((p) => p.role === 'ack')!;
    const kinds = ack.blocks.map((b) => b[1]);
    const brk = kinds.indexOf('m');
    expect(brk).toBeGreaterThan(-1);
    const hidden = ack.blocks.findIndex((b) => b[1] === 'h' && b[0].startsWith('TOA 203.0.113.1:40000'));
    expect(hidden).toBeGreaterThan(brk);
  });

  it('draws what was not captured as ghost rows (INCOMPLETE)', () => {
    const m = ladderModel(only('INCOMPLETE'));
    expect(m.packets.filter((p) => p.ghost).map((p) => p.role)).toEqual(['syn', 'synAck', 'ack']);
    expect(m.readText).toMatch(/not captured/);
  });

  it('reads the handshake.readPacket values it knows and says the others in words', () => {
    expect(readRoles('ack').roles).toEqual(['ack']);
    expect(readRoles('syn').roles).toEqual(['syn']);
    expect(readRoles('syn-or-ack').roles).toEqual(['syn', 'ack']);
    expect(readRoles('first-data')).toEqual({ roles: [], text: 'the module reads: first-data' });
    const f = structuredClone(only('TOA_OK'));
    (f.handshake as { readPacket: unknown }).readPacket = 'syn-or-ack';
    expect(
      ladderModel(f)
        .packets.filter((p) => p.read)
        .map((p) => p.role),
    ).toEqual(['syn', 'ack']);
    (f.handshake as { readPacket: unknown }).readPacket = 'something-new';
    const m = ladderModel(f);
    expect(m.packets.some((p) => p.read)).toBe(false);
    expect(ladderSvg(ladderLayout(m), escapeHtml)).toContain('the module reads: something-new');
  });

  it('works from a report without option bytes (older JSON): TOA from the sightings', () => {
    const f = structuredClone(only('TOA_OK'));
    for (const p of [f.handshake.syn, f.handshake.synAck, f.handshake.ack]) delete p!.options.bytes;
    const ack = ladderModel(f).packets.find((p) => p.role === 'ack')!;
    expect(ack.blocks[0]![1]).toBe('t');
    expect(ack.blocks[0]![0]).toContain('203.0.113.1:40000');
    expect(ack.blocks.some((b) => /12 option bytes/.test(b[0]))).toBe(true);
  });
});

describe('ladder layout', () => {
  it('puts rows in time order, client lane left, arrows in the direction of the packet', () => {
    const l = ladderLayout(ladderModel(only('TOA_LATE')));
    expect(l.rows.map((r) => r.role)).toEqual(['syn', 'synAck', 'ack', 'data', 'end']);
    for (let i = 1; i < l.rows.length; i++)
      expect(l.rows[i]!.top).toBeGreaterThanOrEqual(l.rows[i - 1]!.top + l.rows[i - 1]!.height);
    const [syn, synAck] = l.rows;
    expect(l.left).toBeLessThan(l.right);
    expect([syn!.x1, syn!.x2]).toEqual([l.left, l.right]);
    expect([synAck!.x1, synAck!.x2]).toEqual([l.right, l.left]);
    expect(l.rows.find((r) => r.role === 'end')!.dir).toBe(0);
    expect(l.height).toBeGreaterThan(l.rows.at(-1)!.top + l.rows.at(-1)!.height);
  });

  it('keeps option blocks between the lanes, wrapping to new lines', () => {
    const f = demo.flows.find(
      (x) => x.verdict === 'TOA_MISSING' && (x.handshake.ack?.options.areaLength ?? 0) > 30,
    )!;
    const l = ladderLayout(ladderModel(f));
    const ack = l.rows.find((r) => r.role === 'ack')!;
    expect(ack.blocks.length).toBeGreaterThan(5);
    for (const b of ack.blocks) {
      expect(b.x).toBeGreaterThan(l.left);
      expect(b.x + b.w).toBeLessThanOrEqual(l.right);
      expect(b.y).toBeGreaterThan(ack.y);
      expect(b.y + 16).toBeLessThanOrEqual(ack.top + ack.height);
    }
    // no two blocks overlap
    for (const a of ack.blocks)
      for (const b of ack.blocks)
        if (a !== b) expect(a.y !== b.y || a.x + a.w <= b.x || b.x + b.w <= a.x).toBe(true);
  });

  it('notes the packet the module reads and a bad checksum in words beside the arrow', () => {
    const l = ladderLayout(ladderModel(only('TOA_BAD_CHECKSUM')));
    const ack = l.rows.find((r) => r.role === 'ack')!;
    expect(ack.read).toBe(true);
    expect(ack.badChecksum).toBe(true);
    expect(ack.notes).toEqual(expect.arrayContaining(['◀ module reads this', '✗ bad TCP checksum']));
  });
});

describe('ladder SVG', () => {
  it.each(VERDICT_CASES)(
    '$verdict: the TOA block sits in the right packet row; the read row is highlighted',
    (c) => {
      const svg = ladderSvg(ladderLayout(ladderModel(only(c.verdict))), escapeHtml);
      expect(svg.startsWith('<svg')).toBe(true);
      expect(svg.endsWith('</svg>')).toBe(true);
      for (const { role, cls } of c.toaOn) expect(rowOf(svg, role)).toContain(`class="opt o-${cls}"`);
      for (const role of c.noToaOn) expect(rowOf(svg, role)).not.toContain('class="opt o-t"');
      for (const role of c.read)
        expect(svg).toMatch(new RegExp(`class="pkt role-${role} read[^"]*" data-role="${role}"`));
      expect((svg.match(/class="read-band"/g) ?? []).length).toBe(c.read.length);
    },
  );

  it('is deterministic, and the source shipped to the browser draws the same bytes', () => {
    const shipped = new Function(
      `${ESCAPE_SOURCE}\n${DRAW_SOURCE}\n${CARD_SOURCE}\nreturn { escapeHtml, ladderLayout, ladderSvg, connCard, connBody };`,
    )();
    const looks = { TOA_OK: { label: 'OK', tone: 'ok', meaning: 'm' } };
    for (const f of demo.flows) {
      const m = ladderModel(f);
      const svg = ladderSvg(ladderLayout(m), escapeHtml);
      expect(svg).toBe(ladderSvg(ladderLayout(ladderModel(f)), escapeHtml));
      expect(shipped.ladderSvg(shipped.ladderLayout(JSON.parse(JSON.stringify(m))), shipped.escapeHtml)).toBe(
        svg,
      );
      const e: ConnEntry = {
        id: m.id,
        v: m.verdict,
        c: m.client,
        s: m.server,
        a: '',
        r: m.reason,
        t: 0.5,
        k: 0,
      };
      expect(
        shipped.connCard(
          e,
          looks,
          shipped.connBody(m, svg, looks, shipped.escapeHtml),
          false,
          shipped.escapeHtml,
        ),
      ).toBe(connCard(e, looks, connBody(m, svg, looks, escapeHtml), false, escapeHtml));
    }
    // a hostile reason (markup, quotes, C0/C1 controls): the browser's card drops and escapes the
    // same characters as the server's, because both run escape.ts escapeHtml
    const m = ladderModel(demo.flows[0]!);
    const hostile = { ...m, reason: 'x<b onmouseover="1">\u0007\u009b\'&y', client: '\u001b[31m10.0.0.1:1' };
    const e: ConnEntry = {
      id: 1,
      v: 'TOA_OK',
      c: hostile.client,
      s: m.server,
      a: '',
      r: hostile.reason,
      t: 2,
      k: 0,
    };
    const server = connCard(e, looks, connBody(hostile, '', looks, escapeHtml), true, escapeHtml);
    expect(server).toContain('x&lt;b onmouseover=&quot;1&quot;&gt;&#39;&amp;y');
    expect(server).not.toMatch(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/);
    expect(
      shipped.connCard(
        e,
        looks,
        shipped.connBody(hostile, '', looks, shipped.escapeHtml),
        true,
        shipped.escapeHtml,
      ),
    ).toBe(server);
  });

  it('never lets a string from the report open a tag or an attribute', () => {
    const base = structuredClone(only('TOA_OK'));
    const count = (s: string, ch: string) => s.split(ch).length - 1;
    const render = (x: string) => {
      const f = structuredClone(base);
      f.client = x;
      f.server = x;
      f.reason = x;
      f.verdict = x as never;
      f.handshake.ack!.toa = [{ ...f.handshake.ack!.toa[0]!, address: x }];
      delete f.handshake.ack!.options.bytes; // TOA text from the sighting
      f.laterToa = [{ ...f.handshake.ack!.toa[0]! }];
      const m = ladderModel(f);
      const e: ConnEntry = { id: m.id, v: x, c: x, s: x, a: x, r: x, t: 1, k: 0 };
      const looks = { [x]: { label: x, tone: x, meaning: x } };
      return connCard(
        e,
        looks,
        connBody(m, ladderSvg(ladderLayout(m), escapeHtml), looks, escapeHtml),
        true,
        escapeHtml,
      );
    };
    const ref = render('x');
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (x) => {
        const out = render(x);
        expect(count(out, '<')).toBe(count(ref, '<'));
        expect(count(out, '"')).toBe(count(ref, '"'));
        expect(count(out, '>')).toBe(count(ref, '>'));
      }),
      { numRuns: 300 },
    );
  });
});

describe('every scenario draws', () => {
  it.each(SCENARIOS.map((s) => s.name))('%s', async (name) => {
    const s = SCENARIOS.find((x) => x.name === name)!;
    const { doc } = await pageOf(`s-${name}`, scenarioPcap(name), s.profile as never);
    for (const f of doc.flows) {
      const svg = ladderSvg(ladderLayout(ladderModel(f)), escapeHtml);
      expect(svg).toContain(`<title>connection ${f.id}:`);
      expect(svg).not.toContain('undefined');
      expect(svg).not.toContain('NaN');
    }
  });
});
