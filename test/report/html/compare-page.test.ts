/** The compare page renderer on generated compare@1 documents: labels, escaping, caps. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { COMPARE_CODES } from '../../../src/compare/types.js';
import { renderCompareHtml } from '../../../src/report/html/compare.js';
import { compareDoc } from './compare-doc.js';

/** the page's text outside <script> and <style> elements (what a reader sees) */
function markup(html: string): string {
  return html.replace(/<script[\s\S]*?<\/script>/g, '').replace(/<style>[\s\S]*?<\/style>/g, '');
}

describe('renderCompareHtml', () => {
  it('every change code appears as a text label in the table, with its title; problems first', () => {
    const html = renderCompareHtml(compareDoc());
    const rows = [...html.matchAll(/<tr data-change="([A-Z_]+)"/g)].map((m) => m[1]);
    expect(rows.sort()).toEqual(COMPARE_CODES.map((r) => r.code).sort());
    for (const r of COMPARE_CODES) {
      expect(html).toContain(`<span class="badge tone-${r.problem ? 'error hatch' : 'ok'}">${r.code}</span>`);
      expect(html, r.code).toContain(`${r.problem ? 'PROBLEM' : 'OK'}: ${r.title.replace(/'/g, '&#39;')}`);
    }
    const ordered = [...html.matchAll(/<tr data-change="([A-Z_]+)"(?: class="(problem)")?/g)].map(
      (m) => !!m[2],
    );
    expect(ordered.indexOf(false)).toBeGreaterThan(ordered.lastIndexOf(true));
  });

  it('shows the mode and its reason, the counts bar, findings with remedies, one-side and ambiguous lists', () => {
    const html = renderCompareHtml(compareDoc());
    expect(html).toContain('mode <b>path</b> (detected): modeReason-0');
    expect(html).toMatch(/<div class="vbar" role="img" aria-label="[^"]*TOA_STRIPPED 1/);
    expect(html).toContain('<b>Remedy:</b> finding.remediation-0');
    expect(html).toContain('onlyA.client-0');
    expect(html).toContain('onlyB.server-0');
    expect(html).toContain('amb.c2-0');
    expect(html).toContain('and 3 more');
  });

  it('marks added, removed and changed options side by side and a bad checksum', () => {
    const html = renderCompareHtml(compareDoc());
    expect(html).toContain('<li class="removed"><span class="mark">removed</span>opt.removed-');
    expect(html).toContain('<li class="added"><span class="mark">added</span>opt.added-');
    expect(html).toContain('<li class="changed"><span class="mark">changed</span>opt.changedB-');
    expect(html).toContain('checksum bad');
    expect(html).toContain('packet not captured');
  });

  it('caps the listed pairs and says how many were left out', () => {
    const doc = compareDoc({ pairsPerCode: 5 });
    const html = renderCompareHtml(doc, { maxPairs: 7 });
    expect([...html.matchAll(/<tr data-change=/g)].length).toBe(7);
    expect(html).toContain(`<b>${doc.pairs.length - 7} more pairs are not listed</b>`);
    expect(html).toContain(`Pairs (7 of ${doc.pairs.length})`);
    expect(renderCompareHtml(doc)).not.toContain('pairs-left-out');
  });

  it('escapes every string of the document (hostile strings)', () => {
    const hostile = (slot: string, i: number) => `<img src=x onerror=alert(1)>"'&${slot}${i}</script>`;
    const html = renderCompareHtml(compareDoc({ text: hostile }), { command: '<b>cmd</b>' });
    expect(html).not.toContain('<img');
    expect(html).not.toContain('<b>cmd</b>');
    expect(markup(html)).toContain(
      '&lt;img src=x onerror=alert(1)&gt;&quot;&#39;&amp;detail0&lt;/script&gt;',
    );
    expect(html.match(/<\/script>/g)!.length).toBe(1);
  });

  it('property: no generated string opens a tag or an attribute in the page', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 12 }), (s) => {
        const mark = `Q${s}Q`;
        const html = markup(renderCompareHtml(compareDoc({ text: () => mark })));
        const escaped = mark
          .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/g, '')
          .replace(/&/g, '&amp;')
          .replace(/</g, '&lt;')
          .replace(/>/g, '&gt;')
          .replace(/"/g, '&quot;')
          .replace(/'/g, '&#39;');
        expect(html).toContain(escaped);
        if (/[<>"']/.test(s)) expect(html).not.toContain(mark);
      }),
      { numRuns: 60 },
    );
  });
});
