/**
 * `toa-doctor read FILE... [--profile P] [--lb CIDR,...] [--json|--markdown] [--flows all|problems]
 *  [--max-flows N] [--host DIR] [--no-color]`
 *
 * The whole pipeline is runRead(): capture files (or a support bundle) → Analyzer → diagnose →
 * report (text / JSON / Markdown). Exit codes: 0 no error finding, 1 error findings, 2 usage/input.
 */

import { writeSync } from 'node:fs';
import { basename } from 'node:path';
import type { Command } from 'commander';
import { readCaptureFile } from '../capture/reader.js';
import type { CaptureSummary } from '../capture/types.js';
import { diagnose } from '../diagnose/index.js';
import type { Finding } from '../diagnose/types.js';
import { Analyzer, DEFAULT_MAX_FLOWS } from '../flow/analyzer.js';
import { parseCidr } from '../flow/cidr.js';
import { isProfileName } from '../flow/profiles.js';
import type { AnalysisResult } from '../flow/result.js';
import { PROFILES, type ProfileName } from '../flow/types.js';
import type { HostEvidence } from '../host/types-host.js';
import {
  buildReport,
  type FlowsMode,
  jsonReportChunks,
  type ReportBundleInfo,
  type ReportDocument,
  type ReportInput,
} from '../report/build.js';
import { EXIT, UserError } from './errors.js';
import { analyzeParallel, readThreads } from './read-parallel.js';

export type ReadFormat = 'text' | 'json' | 'markdown';

/** Report output on a file descriptor in ~256 KiB writes; a closed pipe (| head) ends quietly. */
class FdWriter {
  private parts: string[] = [];
  private size = 0;
  closed = false;
  constructor(private readonly fd: number) {}
  write(s: string): void {
    this.parts.push(s);
    this.size += s.length;
    if (this.size >= 256 * 1024) this.flush();
  }
  flush(): void {
    if (this.closed || this.parts.length === 0) {
      this.parts = [];
      this.size = 0;
      return;
    }
    const data = Buffer.from(this.parts.join(''), 'utf8');
    this.parts = [];
    this.size = 0;
    let off = 0;
    while (off < data.length) {
      try {
        off += writeSync(this.fd, data, off, data.length - off);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN') {
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2);
          continue;
        }
        if (code === 'EPIPE') {
          this.closed = true;
          return;
        }
        throw e;
      }
    }
  }
}

export interface RunReadOptions {
  profile?: ProfileName;
  lb?: string[];
  format?: ReadFormat;
  /** default 'problems' */
  flows?: FlowsMode;
  // profile / lb: default 'auto' / none — or, for a bundle, the settings it was made with
  maxFlows?: number;
  /** host snapshot directory (loadHostDir) */
  hostDir?: string;
  /** host evidence already loaded (takes precedence over hostDir) */
  host?: HostEvidence;
  /** colours in the text report (default false) */
  color?: boolean;
  /** text width (default 100) */
  width?: number;
  /** where the report goes (default: buffered writes to stdout) */
  write?: (chunk: string) => void;
  /** reader progress per file (the CLI draws it on stderr when stderr is a TTY) */
  onProgress?: (file: string, done: number, total: number | null) => void;
  /** detect support bundles among the inputs (default true) */
  bundles?: boolean;
  /** the tool version for the report (default: package.json) */
  toolVersion?: string;
  /** analysis threads (default 1 = this thread only; see readThreads) */
  threads?: number;
  /** also make the HTML page: a file path, or a function that takes the page text (bundle) */
  html?: string | ((page: string) => void);
  /** which flows the page lists (default 'all', problems first, up to 10,000) */
  htmlFlows?: FlowsMode;
  /** the command line shown in the page's footer */
  htmlCommand?: string;
}

export interface AnalyzeOutput {
  result: AnalysisResult;
  captures: CaptureSummary[];
  findings: Finding[];
  host: HostEvidence | null;
  hostDir: string | null;
  bundle: ReportBundleInfo | null;
}

export interface RunReadResult extends AnalyzeOutput {
  exitCode: 0 | 1;
  /** the report without its flow list (flows are streamed) */
  summary: ReportDocument['summary'];
}

/** validate and normalise the --lb list */
export function parseLbList(list: string[] | string | undefined): string[] {
  if (list === undefined) return [];
  const items = (Array.isArray(list) ? list : [list]).flatMap((s) => s.split(',')).map((s) => s.trim());
  const out: string[] = [];
  for (const it of items) {
    if (!it) continue;
    if (!parseCidr(it))
      throw new UserError(
        `--lb: not an IP address or CIDR: ${it}`,
        'example: --lb 10.0.0.0/8,100.125.0.0/16,2001:db8::/32',
      );
    out.push(it);
  }
  return out;
}

export function parseProfile(p: string | undefined): ProfileName {
  if (p === undefined) return 'auto';
  if (!isProfileName(p))
    throw new UserError(`unknown profile "${p}"`, `valid profiles: ${PROFILES.join(', ')}`);
  return p;
}

/**
 * HOOK for support bundles (src/bundle/read.ts): an input that is gzip+tar by content is opened as
 * a bundle; its capture replaces it in the input list and its host snapshot is used unless --host
 * was given.
 */
async function openBundles(
  inputs: string[],
  enabled: boolean,
): Promise<{
  files: string[];
  bundle: ReportBundleInfo | null;
  hostDir: string | null;
  /** the analysis settings the bundle was made with (profile, --lb), if recorded */
  analysis: { profile: string; lb: string[] } | null;
  displayNames: Map<string, string>;
  close: () => Promise<void>;
}> {
  const files: string[] = [];
  let bundle: ReportBundleInfo | null = null;
  let hostDir: string | null = null;
  let analysis: { profile: string; lb: string[] } | null = null;
  const closers: Array<() => Promise<void>> = [];
  /** temp paths of unpacked bundle members → what the report calls them */
  const displayNames = new Map<string, string>();
  for (const f of inputs) {
    if (!enabled || f === '-') {
      files.push(f);
      continue;
    }
    const b = await import('../bundle/read.js');
    if (!(await b.looksLikeBundle(f))) {
      files.push(f);
      continue;
    }
    if (bundle) throw new UserError('read one support bundle at a time', `got a second bundle: ${f}`);
    const opened = await b.readBundle(f);
    closers.push(() => opened.close());
    bundle = {
      path: f,
      description: opened.description,
      problems: opened.problems.map((p) => ({
        kind: p.kind,
        member: p.member,
        severity: p.severity,
        message: p.message,
      })),
    };
    if (opened.capture) {
      files.push(opened.capture);
      displayNames.set(opened.capture, `${basename(f)}:capture.pcap`);
    }
    hostDir = opened.hostDir;
    if (hostDir) displayNames.set(hostDir, `${basename(f)}:host`);
    analysis = opened.analysis ?? null;
    if (!opened.analysable) {
      await opened.close();
      throw new UserError(
        `nothing to analyse in bundle ${f}`,
        b.formatProblems(opened.problems).join('; ') ||
          'the bundle holds neither a capture nor host evidence',
      );
    }
  }
  return {
    files,
    bundle,
    hostDir,
    displayNames,
    analysis,
    close: async () => {
      for (const c of closers) await c();
    },
  };
}

/** Read, analyse and diagnose: everything except rendering. */
export async function analyzeInputs(
  inputs: string[],
  opts: RunReadOptions = {},
): Promise<AnalyzeOutput & { close: () => Promise<void> }> {
  if (inputs.length === 0)
    throw new UserError('no capture file given', 'toa-doctor read FILE... (or - for stdin)');
  if (inputs.filter((f) => f === '-').length > 1)
    throw new UserError("standard input ('-') can be read only once");
  const maxFlows = opts.maxFlows ?? DEFAULT_MAX_FLOWS;
  const opened = await openBundles(inputs, opts.bundles ?? true);
  try {
    // a bundle is judged with the settings it was made with, unless the command line says otherwise
    const fromBundle = opened.analysis;
    const profile: ProfileName =
      opts.profile ?? (fromBundle && isProfileName(fromBundle.profile) ? fromBundle.profile : 'auto');
    const lb = opts.lb ?? (fromBundle ? parseLbList(fromBundle.lb) : []);
    const captures: CaptureSummary[] = [];
    const onProgress = opts.onProgress;
    const threads = readThreads(opened.files, opts.threads);
    // the JSON report and the HTML page show every option of the handshake packets
    const keepOptionBytes = opts.format === 'json' || opts.html !== undefined;
    let result: AnalysisResult;
    if (threads > 1) {
      const par = await analyzeParallel(
        opened.files,
        { profile, lb, maxFlows, keepOptionBytes },
        threads,
        onProgress,
      );
      const closeBundles = opened.close;
      opened.close = async () => {
        await par.close();
        await closeBundles();
      };
      result = par.result;
      captures.push(...par.captures);
    } else {
      const analyzer = new Analyzer({ profile, maxFlows, lb, keepOptionBytes });
      const push = analyzer.push.bind(analyzer);
      for (const f of opened.files) {
        captures.push(
          await readCaptureFile(
            f,
            push,
            onProgress ? { onProgress: (d, t) => onProgress(f, d, t) } : undefined,
          ),
        );
      }
      result = analyzer.finish();
    }
    // a bundle's capture is unpacked to a temp dir: report it by its name inside the bundle
    captures.forEach((c, i) => {
      c.source = opened.displayNames.get(opened.files[i]!) ?? c.source;
    });
    let host = opts.host ?? null;
    const hostDir = opts.host ? (opts.hostDir ?? null) : (opts.hostDir ?? opened.hostDir);
    if (!host && hostDir) {
      const { loadHostDir } = await import('../host/index.js');
      host = await loadHostDir(hostDir);
    }
    const findings = diagnose(result, { lb, profile, host: host ?? undefined, captures });
    const shownHostDir = hostDir ? (opened.displayNames.get(hostDir) ?? hostDir) : null;
    return {
      result,
      captures,
      findings,
      host,
      hostDir: shownHostDir,
      bundle: opened.bundle,
      close: opened.close,
    };
  } catch (e) {
    await opened.close();
    throw e;
  }
}

/** The whole `read` pipeline as a function (live/bundle reuse it). */
export async function runRead(inputs: string[], opts: RunReadOptions = {}): Promise<RunReadResult> {
  const a = await analyzeInputs(inputs, opts);
  try {
    const writer = opts.write ? null : new FdWriter(1);
    const write = opts.write ?? ((s: string) => writer?.write(s));
    const format = opts.format ?? 'text';
    const flows = opts.flows ?? 'problems';
    let hostJson: Record<string, unknown> | null = null;
    let hostText: string | undefined;
    let hostMarkdown: string | undefined;
    if (a.host) {
      const h = await import('../report/host.js');
      const { diagnoseHost } = await import('../diagnose/host-rules.js');
      const hostFindings = diagnoseHost(a.host);
      if (format === 'json' || opts.html !== undefined)
        hostJson = h.hostToJson(a.host, hostFindings, { toolVersion: opts.toolVersion });
      if (format === 'markdown')
        hostMarkdown = h.renderHostMarkdown(a.host, [], { toolVersion: opts.toolVersion, showInfo: false });
      else if (format === 'text')
        hostText = h.renderHostText(a.host, [], { color: !!opts.color, showInfo: false });
    }
    const input: ReportInput = {
      result: a.result,
      findings: a.findings,
      captures: a.captures,
      flows,
      bundle: a.bundle,
      hostDir: a.hostDir,
      hostJson,
      toolVersion: opts.toolVersion,
    };
    let summary: ReportDocument['summary'];
    if (format === 'json') {
      for (const chunk of jsonReportChunks(input)) write(chunk);
      summary = buildReportSummary(input);
    } else {
      // text and Markdown show a bounded table: materialise only what they print
      const maxRows = flows === 'all' ? Number.POSITIVE_INFINITY : 50;
      const doc = buildReport({
        ...input,
        flowLimit: maxRows === Number.POSITIVE_INFINITY ? undefined : maxRows + 1,
      });
      summary = doc.summary;
      // loaded here: a --json run does not compile the table and colour libraries
      if (format === 'markdown') {
        const { renderMarkdown } = await import('../report/markdown.js');
        write(renderMarkdown(doc, { maxRows, hostMarkdown }));
      } else {
        const { renderText } = await import('../report/text.js');
        write(renderText(doc, { color: !!opts.color, width: opts.width ?? 100, maxRows, hostText }));
      }
    }
    writer?.flush();
    if (opts.html !== undefined) {
      const { htmlReportDocument } = await import('../report/html/document.js');
      const { htmlPage, writeHtmlReport } = await import('./report.js');
      const page = await htmlPage(
        htmlReportDocument({ ...input, flows: opts.htmlFlows ?? 'all' }),
        opts.htmlCommand,
      );
      if (typeof opts.html === 'function') opts.html(page);
      else writeHtmlReport(opts.html, page);
    }
    return { ...a, exitCode: summary.exitCode, summary };
  } finally {
    await a.close();
  }
}

function buildReportSummary(input: ReportInput): ReportDocument['summary'] {
  return buildReport({ ...input, flowLimit: 0 }).summary;
}

function positiveInt(name: string, example: number) {
  return (v: string): number => {
    if (!/^\d+$/.test(v.trim()) || Number(v) < 1)
      throw new UserError(`${name}: not a positive whole number: ${v}`, `example: ${name} ${example}`);
    return Number(v);
  };
}

interface ReadCliOptions {
  profile?: string;
  lb?: string[];
  json?: boolean;
  markdown?: boolean;
  flows?: string;
  maxFlows?: number;
  host?: string;
  color?: boolean;
  threads?: number;
  html?: string;
}

function progressLine(): (file: string, done: number, total: number | null) => void {
  let last = '';
  return (file, done, total) => {
    const mb = (done / 1e6).toFixed(1);
    const pct = total ? ` ${Math.min(100, Math.floor((done / total) * 100))}%` : '';
    const line = `reading ${file}${pct} (${mb} MB)`;
    if (line === last) return;
    last = line;
    process.stderr.write(`\r\x1b[K${line}`);
    if (total !== null && done >= total) process.stderr.write('\r\x1b[K');
  };
}

export function register(program: Command): void {
  program
    .command('read')
    .description('analyse capture files (or a support bundle): per-connection TOA verdicts, ranked findings')
    .argument('<files...>', "capture files (pcap, pcapng, .gz), a bundle .tar.gz, or '-' for standard input")
    .option(
      '--profile <name>',
      `which TOA variants the backend module reads: ${PROFILES.join('|')} (default auto)`,
    )
    .option(
      '--lb <cidr,...>',
      'the load balancer addresses; TOA from other sources is flagged (repeatable)',
      (v: string, prev: string[] = []) => [...prev, v],
    )
    .option('--json', 'one JSON document (schema toa-doctor/report@1, see schema/report.schema.json)')
    .option('--markdown', 'a Markdown report, ready to paste into a support ticket')
    .option('--flows <which>', 'list all flows or only problem flows: all|problems (default problems)')
    .option(
      '--max-flows <n>',
      `flow table cap; older flows are evicted but still counted (default ${DEFAULT_MAX_FLOWS})`,
      positiveInt('--max-flows', 100000),
    )
    .option(
      '--host <dir>',
      'a host snapshot directory (toa-doctor host --save DIR) to combine with the capture',
    )
    .option(
      '--threads <n>',
      'analysis threads for capture files (default 1; each thread reads the whole file and analyses a share of the connections)',
      positiveInt('--threads', 2),
    )
    .option(
      '--html <file>',
      'also write a self-contained HTML page (handshake ladders; every connection, problems first; --flows problems for fewer)',
    )
    .option('--no-color', 'no colours (also: NO_COLOR=1; colours are only used on a terminal)')
    .addHelpText(
      'after',
      `
Verdicts: TOA_OK TOA_MISSING TOA_SYN_ONLY TOA_LATE TOA_MALFORMED TOA_KIND_MISMATCH
          TOA_INCONSISTENT TOA_NAT64 TOA_BAD_CHECKSUM INCOMPLETE
Exit codes: 0 no error finding, 1 at least one error finding, 2 usage or input error.

Examples:
  toa-doctor read capture.pcap
  toa-doctor read a.pcap b.pcapng.gz --profile tencent --lb 9.0.0.0/8
  toa-doctor read capture.pcap --json | jq '.flows[] | select(.verdict != "TOA_OK")'
  toa-doctor read capture.pcap --markdown > ticket.md
  toa-doctor read capture.pcap --html report.html
  toa-doctor read capture.pcap --host snapshot/
  toa-doctor read bundle.tar.gz`,
    )
    .action(async (files: string[], o: ReadCliOptions) => {
      if (o.json && o.markdown)
        throw new UserError('--json and --markdown cannot be combined', 'pick one output format');
      if (o.flows !== undefined && o.flows !== 'all' && o.flows !== 'problems')
        throw new UserError(`--flows: expected all or problems, got "${o.flows}"`);
      if (o.html) {
        const { checkWritable } = await import('./report.js');
        checkWritable(o.html, files);
      }
      const profile = o.profile === undefined ? undefined : parseProfile(o.profile);
      const lb = o.lb === undefined ? undefined : parseLbList(o.lb);
      const format: ReadFormat = o.json ? 'json' : o.markdown ? 'markdown' : 'text';
      const color = format === 'text' && o.color !== false && !!process.stdout.isTTY && !process.env.NO_COLOR;
      const res = await runRead(files, {
        profile,
        lb,
        format,
        flows: (o.flows as FlowsMode | undefined) ?? 'problems',
        maxFlows: o.maxFlows,
        threads: o.threads,
        hostDir: o.host,
        html: o.html,
        htmlFlows: o.flows as FlowsMode | undefined,
        htmlCommand: o.html ? `toa-doctor read ${process.argv.slice(3).join(' ')}` : undefined,
        color,
        width: process.stdout.columns || 100,
        onProgress: process.stderr.isTTY ? progressLine() : undefined,
      });
      process.exitCode = res.exitCode === 1 ? EXIT.FINDINGS : EXIT.OK;
    });
}
