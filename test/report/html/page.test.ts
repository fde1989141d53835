/**
 * renderHtml as a pure function of the report document: one self-contained file (no URL that
 * could load anything), problems first, a ladder per listed connection (drawn, or shipped as data),
 * the cap said in words, host panel only with host evidence, every report string escaped.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeInputs } from '../../../src/cli/read.js';
import type { ReportDocument } from '../../../src/report/build.js';
import { htmlReportDocument } from '../../../src/report/html/document.js';
import { escapeHtml, jsonForScript } from '../../../src/report/html/escape.js';
import { renderHtml } from '../../../src/report/html/page.js';
import { checkReportDocument } from '../../../src/report/html/validate.js';
import { demoPcap, mixedCapture } from '../../helpers/scenarios.js';
import { checkSchema } from '../schema-check.js';
import { pageOf, TMP } from './pages.js';

const ROOT = new URL('../../..', import.meta.url).pathname;
const SCHEMA = JSON.parse(readFileSync(join(ROOT, 'schema/report.schema.json'), 'utf8'));
let demo: ReportDocument;
let demoHtml: string;

beforeAll(async () => {
  const m = await pageOf('p-demo', demoPcap());
  demo = m.doc;
  demoHtml = m.html;
});
afterAll(() => rmSync(TMP, { recursive: true, force: true }));

/** the page's data: the list entries and the ladder models shipped packed */
const data = (html: string) => {
  const d = JSON.parse(
    /<script type="application\/json" id="toa-data">([^<]*)<\/script>/.exec(html)![1]!,
  ) as {
    entries: Array<{ id: number; v: string }>;
  };
  const b64 = /<script type="application\/octet-stream" id="toa-ladders"[^>]*>([^<]*)<\/script>/.exec(
    html,
  )![1]!;
  const models = (b64 ? JSON.parse(gunzipSync(Buffer.from(b64, 'base64')).toString()) : {}) as Record<
    string,
    unknown
  >;
  return { ...d, models };
};

describe('renderHtml', () => {
  it('renders the document read --json prints (which validates against the schema, option bytes included)', () => {
    expect(checkSchema(SCHEMA, demo)).toEqual([]);
    expect(checkReportDocument(demo)).toBeNull();
    expect(renderHtml(demo, { generatedAt: 'T' })).toBe(renderHtml(demo, { generatedAt: 'T' }));
  });

  it('is one file: no external URL, stylesheet, script src, font or image to fetch', () => {
    const html = renderHtml(demo);
    expect(html).not.toMatch(/\b(src|href)="(?!#)/);
    expect(html).not.toMatch(/url\((?!#)/);
    expect(html).not.toMatch(/@import|@font-face/);
    // the only URL-looking strings: the SVG namespace
    const urls = [...html.matchAll(/https?:\/\/[^\s"'<)]+/g)].map((m) => m[0]);
    expect(new Set(urls)).toEqual(new Set(['http://www.w3.org/2000/svg']));
    expect(html).toContain("default-src 'none'");
  });

  it('lists problems first and gives every listed connection a ladder (drawn or as data)', () => {
    const html = renderHtml(demo, { staticLadders: 5 });
    const d = data(html);
    expect(d.entries).toHaveLength(demo.flows.length);
    const firstOk = d.entries.findIndex((e) => e.v === 'TOA_OK');
    expect(d.entries.slice(firstOk).every((e) => e.v === 'TOA_OK')).toBe(true);
    for (const e of d.entries) {
      const drawn = html.includes(`id="c-${e.id}"`);
      const shipped = d.models[String(e.id)] !== undefined;
      expect(drawn !== shipped, `connection ${e.id}: drawn ${drawn}, shipped ${shipped}`).toBe(true);
    }
    // finding examples are always drawn, so their links work without JavaScript
    for (const m of html.matchAll(/href="#c-(\d+)"/g)) expect(html).toContain(`id="c-${m[1]}"`);
  });

  it('says how many connections it left out beyond the cap', () => {
    const html = renderHtml(demo, { maxFlows: 10 });
    expect(data(html).entries).toHaveLength(10);
    expect(html).toContain(`${demo.flows.length - 10} more connections are not in this page`);
    const fewer = {
      ...demo,
      flows: demo.flows.slice(0, 4),
      summary: { ...demo.summary, flows: { ...demo.summary.flows, listed: 1234 } },
    };
    expect(renderHtml(fewer)).toContain('1,230 more connections are not in this page');
  });

  it('keeps the problems when the cap cuts the list (problems first, then the others)', async () => {
    const file = join(TMP, 'cap.pcap');
    writeFileSync(file, mixedCapture({ 'ok-200': 30, missing: 3, late: 2 }));
    const a = await analyzeInputs([file]);
    try {
      const input = {
        result: a.result,
        findings: a.findings,
        captures: a.captures,
        flows: 'all' as const,
        toolVersion: '9.9.9',
      };
      const doc = htmlReportDocument(input, 8);
      expect(
        doc.flows
          .map((f) => f.verdict)
          .slice(0, 5)
          .sort(),
      ).toEqual(['TOA_LATE', 'TOA_LATE', 'TOA_MISSING', 'TOA_MISSING', 'TOA_MISSING']);
      expect(doc.flows.slice(5).every((f) => f.verdict === 'TOA_OK')).toBe(true);
      expect(doc.flows).toHaveLength(8);
      expect(doc.summary.flows.listed).toBe(35);
      expect(renderHtml(doc)).toContain('27 more connections are not in this page');
      // problems only: no OK connection at all
      expect(htmlReportDocument({ ...input, flows: 'problems' }, 8).flows).toHaveLength(5);
    } finally {
      await a.close();
    }
  });

  it('has a host panel only when the report has host evidence', () => {
    expect(demoHtml).not.toContain('id="host"');
    const withHost = {
      ...demo,
      host: {
        hostname: 'rs-1',
        stats: [{ path: '/proc/net/toa_stats', counters: [{ name: 'syn_recv_sock_toa', total: 7 }] }],
        deltas: {
          seconds: 60,
          counters: [{ file: '/proc/net/toa_stats', counter: 'syn_recv_sock_toa', delta: 3 }],
        },
        dmesg: { events: [{ ts: '1.5', message: 'TOA: toa loaded' }] },
        listeners: { listeners: [{ family: 'ipv6', address: '::', port: 80, dualStack: true }] },
      },
    };
    const html = renderHtml(withHost);
    expect(html).toContain('id="host"');
    expect(html).toMatch(/syn_recv_sock_toa<\/code><\/td><td class="n">7<\/td><td class="n">\+3</);
    expect(html).toContain('[1.5] TOA: toa loaded');
    expect(html).toContain('[::]:80');
  });

  it('escapes every string from the report, also inside the embedded data', () => {
    const evil = '</script><script>alert(1)</script><img src=x onerror=alert(2)>"\'&';
    const doc = structuredClone(demo);
    doc.summary.verdict = evil;
    doc.input.files[0]!.path = evil;
    doc.findings[0]!.title = evil;
    doc.findings[0]!.examples[0]!.detail = evil;
    for (const f of doc.flows) {
      f.reason = evil;
      f.client = evil;
    }
    (doc as { host?: unknown }).host = {
      hostname: evil,
      notes: [evil],
      dmesg: { events: [{ message: evil }] },
    };
    const html = renderHtml(doc, { staticLadders: 3, command: evil });
    expect(html).not.toContain('<script><script>');
    expect(html).not.toContain('<img');
    expect(html).not.toContain('alert(1)</script>');
    expect(html.match(/<script/g)).toHaveLength(3); // the list data, the ladder data, the page script
    expect(html).toContain(escapeHtml(evil));
    expect(JSON.parse(jsonForScript(evil))).toBe(evil);
    expect(data(html).entries.length).toBe(doc.flows.length);
  });
});

describe('checkReportDocument', () => {
  it.each([
    [null, 'not a JSON object'],
    [[], 'not a JSON object'],
    [{ schema: 'toa-doctor/host@1' }, 'expected "toa-doctor/report@1"'],
    [{}, 'no "schema"'],
  ])('%j → %s', (v, msg) => {
    expect(checkReportDocument(v)).toContain(msg);
  });
  it('names the member that is wrong', () => {
    const d = structuredClone(demo) as unknown as Record<string, unknown> & {
      flows: Array<Record<string, unknown>>;
    };
    d.flows[2]!.handshake = 'x';
    expect(checkReportDocument(d)).toBe('"flows[2].handshake" is not an object');
    const e = structuredClone(demo) as unknown as Record<string, unknown>;
    e.findings = [{ code: 1 }];
    expect(checkReportDocument(e)).toContain('"findings[0]"');
  });
});
