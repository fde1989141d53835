import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readCaptureBuffer } from '../../src/capture/reader.js';
import type { CaptureSummary } from '../../src/capture/types.js';
import { diagnoseHost } from '../../src/diagnose/host-rules.js';
import { diagnose } from '../../src/diagnose/index.js';
import { Analyzer } from '../../src/flow/analyzer.js';
import type { AnalyzerOptions } from '../../src/flow/result.js';
import { loadHostDir } from '../../src/host/index.js';
import { buildReport, type FlowsMode, jsonReportChunks, type ReportInput } from '../../src/report/build.js';
import { hostToJson } from '../../src/report/host.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { renderText } from '../../src/report/text.js';
import { demoPcap, mixedCapture } from '../helpers/scenarios.js';
import { checkSchema } from './schema-check.js';

const SCHEMA = JSON.parse(readFileSync(new URL('../../schema/report.schema.json', import.meta.url), 'utf8'));

function input(buf: Buffer, opts: AnalyzerOptions = {}, flows: FlowsMode = 'problems'): ReportInput {
  const a = new Analyzer(opts);
  const summary: CaptureSummary = readCaptureBuffer(buf, (f) => a.push(f), 'mem.pcap');
  const result = a.finish();
  return {
    result,
    findings: diagnose(result, { captures: [summary] }),
    captures: [summary],
    flows,
    toolVersion: '9.9.9',
  };
}

describe('JSON report', () => {
  it('validates against schema/report.schema.json (demo, all flows)', () => {
    const doc = buildReport(input(demoPcap(), {}, 'all'));
    expect(checkSchema(SCHEMA, doc)).toEqual([]);
    expect(doc.schema).toBe('toa-doctor/report@1');
    expect(doc.tool).toEqual({ name: 'toa-doctor', version: '9.9.9' });
    expect(doc.flows).toHaveLength(doc.summary.flows.total);
  });

  it('validates with --profile, --lb and IPv6 flows', () => {
    const doc = buildReport(
      input(
        mixedCapture({ 'ok-200': 2, 'ok-v6-254-20': 2, 'kind-mismatch-254-for-tencent': 1, 'nat64-254': 1 }),
        { profile: 'tencent', lb: ['10.0.0.0/30', '2001:db8:1::/64'] },
        'all',
      ),
    );
    expect(checkSchema(SCHEMA, doc)).toEqual([]);
    const v6 = doc.flows.find((f) => f.family === 'ipv6')!;
    expect(v6.client).toBe('[2001:db8:1::3]:30002');
    expect(v6.server).toBe('[2001:db8:2::5]:443');
    expect(v6.toa?.address).toBe('2001:db8:ff::102');
  });

  it('validates with host evidence', async () => {
    const ev = await loadHostDir(new URL('../../fixtures/hosts/tencent-healthy', import.meta.url).pathname);
    const inp = input(mixedCapture({ 'ok-200': 2 }));
    inp.findings = diagnose(inp.result, { host: ev });
    inp.hostJson = hostToJson(ev, diagnoseHost(ev));
    inp.hostDir = 'fixtures/hosts/tencent-healthy';
    const doc = buildReport(inp);
    expect(checkSchema(SCHEMA, doc)).toEqual([]);
    expect(doc.host).toBeDefined();
  });

  it('the checker does catch violations', () => {
    const doc = buildReport(input(demoPcap())) as unknown as Record<string, unknown>;
    const bad = JSON.parse(JSON.stringify(doc));
    bad.flows[0].verdict = 'TOA_MAYBE';
    delete bad.summary.verdicts.TOA_OK;
    bad.extra = 1;
    const errs = checkSchema(SCHEMA, bad);
    expect(errs.join('\n')).toMatch(/TOA_MAYBE/);
    expect(errs.join('\n')).toMatch(/missing TOA_OK/);
    expect(errs.join('\n')).toMatch(/\$\.extra/);
  });

  it('one flow per the issue: client/server ip:port, verdict, toa with packets, handshake', () => {
    const doc = buildReport(input(mixedCapture({ 'ok-254': 1 }), {}, 'all'));
    const f = doc.flows[0]!;
    expect(f.client).toBe('10.0.0.1:30000');
    expect(f.verdict).toBe('TOA_OK');
    expect(f.toa).toEqual({
      kind: 254,
      length: 8,
      variant: 'toa-254-8',
      family: 'ipv4',
      address: '203.0.113.1',
      port: 40000,
      packets: ['ack', 'data'],
    });
    expect(f.handshake.readPacket).toBe('ack');
    expect(f.handshake.ack?.flags).toBe('A');
    expect(f.handshake.syn?.flags).toBe('S');
    expect(f.handshake.synAck?.flags).toBe('SA');
    const cdn = buildReport(input(mixedCapture({ 'ok-cdn-28-7': 1 }), {}, 'all')).flows[0]!;
    expect(cdn.handshake.readPacket).toBe('syn');
    expect(cdn.toa?.packets).toEqual(['syn']);
  });

  it('--flows problems lists only non-OK flows; summary counts everything', () => {
    const doc = buildReport(input(demoPcap()));
    expect(doc.flows.every((f) => f.verdict !== 'TOA_OK')).toBe(true);
    expect(doc.summary.flows.listed).toBe(doc.flows.length);
    expect(Object.values(doc.summary.verdicts).reduce((a, b) => a + b, 0)).toBe(doc.summary.flows.total);
    expect(doc.summary.exitCode).toBe(1);
  });

  it('the streamed JSON is the same text as JSON.stringify(buildReport())', () => {
    for (const flows of ['all', 'problems'] as const) {
      const inp = input(demoPcap(), {}, flows);
      const streamed = [...jsonReportChunks(inp, 3)].join('');
      expect(streamed).toBe(`${JSON.stringify(buildReport(inp), null, 2)}\n`);
    }
    const empty = input(mixedCapture({ 'ok-200': 1 }));
    expect([...jsonReportChunks(empty)].join('')).toBe(`${JSON.stringify(buildReport(empty), null, 2)}\n`);
  });
});

describe('text report', () => {
  it('has the header, findings with remediation, a flow table and a one-line verdict', () => {
    const doc = buildReport(input(demoPcap()));
    const t = renderText(doc, { color: false, width: 100 });
    for (const s of [
      'files',
      'link types',
      'EN10MB',
      'packets',
      'TCP flows',
      'time span',
      'decode',
      'Findings',
      '→',
      'Flows (problem flows',
      'real client (TOA) ← LB',
      'Verdict: PROBLEM',
    ])
      expect(t).toContain(s);
    expect(t).toContain('203.0.113.25:40024 ← 10.0.0.25:30024');
    expect(t).toContain('254/8 SYN');
    expect(t).not.toMatch(/\x1b\[/);
  });

  it('folds to the terminal width', () => {
    const doc = buildReport(input(demoPcap(), {}, 'all'));
    for (const width of [60, 80, 100, 140]) {
      const t = renderText(doc, { color: false, width, maxRows: Number.POSITIVE_INFINITY });
      const longest = Math.max(...t.split('\n').map((l) => [...l].length));
      expect(longest, `width ${width}`).toBeLessThanOrEqual(width);
    }
    expect(renderText(doc, { color: false, width: 140 })).toContain('reason');
  });

  it('colours verdicts when asked', () => {
    const doc = buildReport(input(demoPcap()));
    expect(renderText(doc, { color: true })).toMatch(/\x1b\[31m/);
  });

  it('caps the table and says how many more', () => {
    const doc = buildReport(input(demoPcap()));
    const t = renderText(doc, { color: false, maxRows: 3 });
    expect(t).toContain(`… ${doc.summary.flows.listed - 3} more`);
  });
});

describe('markdown report', () => {
  it('is paste-ready: verdict, findings with fixes, a flow table', () => {
    const doc = buildReport(input(demoPcap()));
    const md = renderMarkdown(doc);
    expect(md).toMatch(/^# toa-doctor report/);
    expect(md).toContain('**Verdict:** PROBLEM');
    expect(md).toContain('### ❌ `TOA_MISSING`');
    expect(md).toContain('**Fix:**');
    expect(md).toContain('| # | real client (TOA) | LB (IP client) | server | TOA on | verdict | reason |');
    expect(md).toContain('`TOA_SYN_ONLY`');
    // table rows have the same number of cells as the header
    const rows = md.split('\n').filter((l) => l.startsWith('| ') && l.includes('`10.0.'));
    for (const r of rows) expect(r.split(/(?<!\\)\|/).length).toBe(9);
  });
});
