/**
 * `toa-doctor compare A B [--mode front|path] [--json|--markdown] [--html OUT] [--max-flows N] [--no-color]`
 *
 * A and B are captures (or support bundles) of the same traffic taken at two points. Each is
 * analysed exactly as `read` does (analyzeInputs, with the flow table keeping option bytes and a
 * first-payload digest), the flow records become CompareFlows, and compareResults() pairs and
 * judges them. --html OUT also writes the page (src/report/html/compare.ts); stdout is unchanged.
 * Exit codes as `read`: 0 no problem change, 1 a pair shows one, 2 usage/input.
 */
import type { Command } from 'commander';
import {
  type CompareDocument,
  type CompareFlow,
  type CompareMode,
  type CompareSideInput,
  compareResults,
  MODES,
  toCompareFlow,
} from '../compare/index.js';
import type { ProfileName } from '../flow/types.js';
import { toolVersion } from '../version.js';
import { EXIT, UserError } from './errors.js';
import { lbList, positiveInt, profileName } from './options.js';
import { analyzeInputs, FdWriter, progressLine } from './read.js';

export type CompareFormat = 'text' | 'json' | 'markdown';

/**
 * Flow table cap per side. Lower than read's: compare keeps a compact copy of every connection of
 * both sides until they are paired (~1-2 KB each with its option bytes), so the cap is what bounds
 * its memory; connections beyond it are evicted, counted and reported (finding EVICTED).
 */
export const COMPARE_MAX_FLOWS = 200_000;

export interface RunCompareOptions {
  mode?: CompareMode;
  format?: CompareFormat;
  maxFlows?: number;
  profile?: ProfileName;
  lb?: string[];
  color?: boolean;
  width?: number;
  /** pairs listed in text/Markdown (default 50; JSON lists all) */
  maxRows?: number;
  toolVersion?: string;
  /** also write the HTML page here (checked writable by the caller before analysing) */
  html?: string;
  /** the command shown in the page's footer */
  htmlCommand?: string;
  write?: (s: string) => void;
  onProgress?: (label: string, done: number, total: number | null) => void;
}

/** analyse one side (a capture file, '-', or a bundle) into compact flows */
export async function analyzeSide(
  input: string,
  label: 'A' | 'B',
  opts: RunCompareOptions,
): Promise<CompareSideInput> {
  const out = await analyzeInputs([input], {
    compareFacts: true,
    maxFlows: opts.maxFlows ?? COMPARE_MAX_FLOWS,
    profile: opts.profile,
    lb: opts.lb,
    onProgress: opts.onProgress ? (f, d, t) => opts.onProgress?.(`${label} ${f}`, d, t) : undefined,
  });
  try {
    const flows: CompareFlow[] = [];
    for (const r of out.result.flows) flows.push(toCompareFlow(r));
    return {
      files: out.captures.map((c) => c.source),
      flows,
      packets: out.result.stats.packets,
      evicted: out.result.evicted,
    };
  } finally {
    await out.close();
  }
}

export async function runCompare(
  a: string,
  b: string,
  opts: RunCompareOptions = {},
): Promise<{ doc: CompareDocument; exitCode: 0 | 1 }> {
  if (a === '-' && b === '-')
    throw new UserError("standard input ('-') can be read only once", 'give at least one side as a file');
  const sideA = await analyzeSide(a, 'A', opts);
  const sideB = await analyzeSide(b, 'B', opts);
  const version = opts.toolVersion ?? toolVersion();
  const doc = compareResults(sideA, sideB, { mode: opts.mode, toolVersion: version });
  const writer = opts.write ? null : new FdWriter(1);
  const write = opts.write ?? ((s: string) => writer?.write(s));
  const format = opts.format ?? 'text';
  if (format === 'json') {
    const { compareJsonChunks } = await import('../report/compare-json.js');
    for (const chunk of compareJsonChunks(doc)) write(chunk);
  } else if (format === 'markdown') {
    const { renderCompareMarkdown } = await import('../report/compare-markdown.js');
    write(renderCompareMarkdown(doc, { maxRows: opts.maxRows ?? 50 }));
  } else {
    const { renderCompareText } = await import('../report/compare-text.js');
    write(
      renderCompareText(doc, { color: !!opts.color, width: opts.width ?? 100, maxRows: opts.maxRows ?? 50 }),
    );
  }
  writer?.flush();
  if (opts.html !== undefined) {
    const { renderCompareHtml } = await import('../report/html/compare.js');
    const { writeHtmlReport } = await import('./report.js');
    writeHtmlReport(
      opts.html,
      renderCompareHtml(doc, { generatedAt: new Date().toISOString(), command: opts.htmlCommand }),
    );
  }
  return { doc, exitCode: doc.summary.exitCode };
}

export function parseMode(v: string | undefined): CompareMode | undefined {
  if (v === undefined) return undefined;
  if (!(MODES as readonly string[]).includes(v))
    throw new UserError(
      `--mode: expected front or path, got "${v}"`,
      'front: A before the LB, B at the backend; path: A and B at two hops behind the LB',
    );
  return v as CompareMode;
}

interface CompareCliOptions {
  mode?: string;
  json?: boolean;
  markdown?: boolean;
  html?: string;
  maxFlows?: number;
  rows?: number;
  profile?: string;
  lb?: string[];
  color?: boolean;
}

export function register(program: Command): void {
  program
    .command('compare')
    .description('compare captures of the same traffic at two points: where did the TOA go?')
    .argument('<a>', 'capture (or bundle) at the first point: in front of the LB, or the LB egress')
    .argument('<b>', 'capture (or bundle) at the second point: the backend')
    .option(
      '--mode <mode>',
      'front (A before the LB, B at the backend) or path (two hops behind the LB); default: detected',
    )
    .option('--json', 'one JSON document (schema toa-doctor/compare@1, see schema/compare.schema.json)')
    .option('--markdown', 'a Markdown report, ready to paste into a support ticket')
    .option('--html <file>', 'also write a self-contained HTML page here (stdout output unchanged)')
    .option('--rows <n>', 'pairs listed in the text/Markdown report (default 50)', positiveInt('--rows', 200))
    .option(
      '--max-flows <n>',
      `flow table cap per side; more connections are evicted and reported (default ${COMPARE_MAX_FLOWS})`,
      positiveInt('--max-flows', 200000),
    )
    .option('--profile <name>', 'module profile used for the per-side verdicts (as read)')
    .option('--lb <cidr,...>', 'the load balancer addresses (as read)', (v: string, prev: string[] = []) => [
      ...prev,
      v,
    ])
    .option('--no-color', 'no colours (also: NO_COLOR=1; colours are only used on a terminal)')
    .addHelpText(
      'after',
      `
Changes: front: TOA_INSERTED TOA_NOT_INSERTED TOA_WRONG_ADDRESS
         path:  TOA_INTACT TOA_STRIPPED TOA_CHANGED CHECKSUM_BROKEN TOA_MOVED
Pairs are matched by: tuple, toa, isn, payload, port-map, timing (window estimated from the matches).
Exit codes: 0 no problem change, 1 at least one pair with a problem change, 2 usage or input error.

Examples:
  toa-doctor compare client-side.pcap backend.pcap
  toa-doctor compare lb-egress.pcap backend.pcapng.gz --mode path
  toa-doctor compare front.pcap bundle.tar.gz --json | jq '.pairs[] | select(.problem)'
  toa-doctor compare a.pcap b.pcap --markdown > ticket.md
  toa-doctor compare a.pcap b.pcap --html compare.html`,
    )
    .action(async (a: string, b: string, o: CompareCliOptions) => {
      if (o.json && o.markdown)
        throw new UserError('--json and --markdown cannot be combined', 'pick one output format');
      const mode = parseMode(o.mode);
      if (o.html) {
        const { checkWritable } = await import('./report.js');
        checkWritable(o.html, [a, b]);
      }
      const format: CompareFormat = o.json ? 'json' : o.markdown ? 'markdown' : 'text';
      const color = format === 'text' && o.color !== false && !!process.stdout.isTTY && !process.env.NO_COLOR;
      const res = await runCompare(a, b, {
        mode,
        format,
        maxFlows: o.maxFlows,
        maxRows: o.rows,
        profile: o.profile === undefined ? undefined : profileName(o.profile),
        lb: o.lb === undefined ? undefined : lbList(o.lb),
        color,
        html: o.html,
        htmlCommand: o.html ? `toa-doctor compare ${a} ${b} --html ${o.html}` : undefined,
        width: process.stdout.columns || 100,
        onProgress: process.stderr.isTTY ? progressLine() : undefined,
      });
      process.exitCode = res.exitCode === 1 ? EXIT.FINDINGS : EXIT.OK;
    });
}
