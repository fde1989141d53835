/**
 * Checks that a parsed JSON value is a toa-doctor report document (schema 'toa-doctor/report@1',
 * schema/report.schema.json) before the page renderer sees it: the parts the page reads must have
 * the right types. Returns null when it is usable, else one line saying what is wrong.
 * (A saved report may come from another machine or another version: extra fields are fine.)
 */
import { REPORT_SCHEMA } from '../build.js';

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function checkReportDocument(v: unknown): string | null {
  if (!isObj(v)) return 'not a JSON object';
  if (v.schema !== REPORT_SCHEMA) {
    if (typeof v.schema === 'string' && v.schema.startsWith('toa-doctor/'))
      return `schema is "${v.schema}", expected "${REPORT_SCHEMA}" (a \`read --json\` report)`;
    return `no "schema": "${REPORT_SCHEMA}" member: not a \`toa-doctor read --json\` report`;
  }
  const s = v.summary;
  if (!isObj(s)) return '"summary" is missing or not an object';
  if (typeof s.verdict !== 'string') return '"summary.verdict" is not a string';
  if (!isObj(s.verdicts)) return '"summary.verdicts" is not an object';
  for (const [k, n] of Object.entries(s.verdicts))
    if (typeof n !== 'number' || !Number.isFinite(n) || n < 0)
      return `"summary.verdicts.${k}" is not a count`;
  if (!isObj(s.flows)) return '"summary.flows" is not an object';
  if (!isObj(v.input)) return '"input" is missing or not an object';
  if (!Array.isArray(v.flows)) return '"flows" is not an array';
  if (!Array.isArray(v.findings)) return '"findings" is not an array';
  for (let i = 0; i < v.findings.length; i++) {
    const f = v.findings[i];
    if (
      !isObj(f) ||
      typeof f.code !== 'string' ||
      typeof f.severity !== 'string' ||
      typeof f.title !== 'string'
    )
      return `"findings[${i}]" is not a finding (code, severity, title)`;
  }
  for (let i = 0; i < v.flows.length; i++) {
    const f = v.flows[i];
    if (!isObj(f)) return `"flows[${i}]" is not an object`;
    if (typeof f.id !== 'number') return `"flows[${i}].id" is not a number`;
    if (typeof f.verdict !== 'string') return `"flows[${i}].verdict" is not a string`;
    if (typeof f.client !== 'string' || typeof f.server !== 'string')
      return `"flows[${i}]" has no client/server`;
    if (typeof f.firstTs !== 'number') return `"flows[${i}].firstTs" is not a number`;
    if (!isObj(f.handshake)) return `"flows[${i}].handshake" is not an object`;
    for (const r of ['syn', 'synAck', 'ack', 'data']) {
      const p = f.handshake[r];
      if (p === null || p === undefined) continue;
      if (!isObj(p) || typeof p.ts !== 'number') return `"flows[${i}].handshake.${r}" is not a packet`;
      if (p.toa !== undefined && !Array.isArray(p.toa))
        return `"flows[${i}].handshake.${r}.toa" is not an array`;
      if (p.options !== undefined && !isObj(p.options))
        return `"flows[${i}].handshake.${r}.options" is not an object`;
    }
  }
  if (v.host !== undefined && v.host !== null && !isObj(v.host)) return '"host" is not an object';
  return null;
}
