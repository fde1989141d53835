/**
 * Report documents and pages for the HTML tests, made the way the CLI makes them: a capture built
 * with test/helpers (exact bytes) → runRead (JSON report + HTML page in one run).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runRead } from '../../../src/cli/read.js';
import type { ProfileName } from '../../../src/flow/types.js';
import type { ReportDocument } from '../../../src/report/build.js';
import { captureOf, type ScenarioName, scenarioConns } from '../../helpers/scenarios.js';

export const TMP = mkdtempSync(join(tmpdir(), 'toa-html-test-'));

export interface Made {
  /** the `read --json --flows all` document */
  doc: ReportDocument;
  /** the page `read --html` writes */
  html: string;
  /** where the page was written */
  path: string;
}

/** JSON report and HTML page of a capture (bytes), like `read FILE --json --flows all --html OUT` */
export async function pageOf(name: string, pcap: Buffer, profile?: ProfileName): Promise<Made> {
  const file = join(TMP, `${name}.pcap`);
  writeFileSync(file, pcap);
  const json: string[] = [];
  let html = '';
  await runRead([file], {
    format: 'json',
    flows: 'all',
    profile,
    write: (c) => json.push(c),
    html: (p) => {
      html = p;
    },
  });
  const path = join(TMP, `${name}.html`);
  writeFileSync(path, html);
  return { doc: JSON.parse(json.join('')) as ReportDocument, html, path };
}

/** one connection of a scenario */
export function scenarioPcap(name: ScenarioName, count = 1): Buffer {
  return captureOf(scenarioConns(name, count));
}

/**
 * One capture per verdict: the scenario, the profile it needs, and where the ladder must show the
 * TOA (role of the packet; 'h' = present but never read) and what the module reads.
 */
export const VERDICT_CASES: Array<{
  verdict: string;
  scenario: ScenarioName;
  profile?: ProfileName;
  toaOn: Array<{ role: string; cls: 't' | 'h' }>;
  noToaOn: string[];
  read: string[];
}> = [
  {
    verdict: 'TOA_OK',
    scenario: 'ok-200',
    toaOn: [{ role: 'ack', cls: 't' }],
    noToaOn: ['syn', 'synAck'],
    read: ['ack'],
  },
  {
    verdict: 'TOA_MISSING',
    scenario: 'missing',
    toaOn: [],
    noToaOn: ['syn', 'synAck', 'ack', 'data'],
    read: ['ack'],
  },
  {
    verdict: 'TOA_SYN_ONLY',
    scenario: 'syn-only',
    toaOn: [{ role: 'syn', cls: 't' }],
    noToaOn: ['ack'],
    read: ['ack'],
  },
  {
    verdict: 'TOA_LATE',
    scenario: 'late',
    toaOn: [{ role: 'data', cls: 't' }],
    noToaOn: ['syn', 'ack'],
    read: ['ack'],
  },
  {
    verdict: 'TOA_MALFORMED',
    scenario: 'malformed-break',
    toaOn: [{ role: 'ack', cls: 'h' }],
    noToaOn: ['syn'],
    read: ['ack'],
  },
  {
    verdict: 'TOA_KIND_MISMATCH',
    scenario: 'kind-mismatch-254-for-tencent',
    profile: 'tencent',
    toaOn: [{ role: 'ack', cls: 't' }],
    noToaOn: ['syn'],
    read: ['ack'],
  },
  {
    verdict: 'TOA_INCONSISTENT',
    scenario: 'inconsistent',
    toaOn: [{ role: 'ack', cls: 't' }],
    noToaOn: ['syn'],
    read: ['ack'],
  },
  {
    verdict: 'TOA_NAT64',
    scenario: 'nat64-253',
    toaOn: [{ role: 'ack', cls: 't' }],
    noToaOn: ['syn'],
    read: ['ack'],
  },
  {
    verdict: 'TOA_BAD_CHECKSUM',
    scenario: 'bad-checksum',
    toaOn: [{ role: 'ack', cls: 't' }],
    noToaOn: ['syn'],
    read: ['ack'],
  },
  { verdict: 'INCOMPLETE', scenario: 'incomplete', toaOn: [], noToaOn: [], read: [] },
];
