/**
 * `toa-doctor read FILE... [--profile P] [--lb CIDR,...] [--json|--markdown] [--flows all|problems]
 *  [--max-flows N] [--host-dir DIR] [--host ADDR,...] [--port P,...] [EXPRESSION] [--no-color]`
 *
 * The whole pipeline is runRead(): capture files (or a support bundle) → Analyzer → diagnose →
 * report (text / JSON / Markdown). Exit codes: 0 no error finding, 1 error findings, 2 usage/input.
 */

import { statSync, writeSync } from 'node:fs';
import { basename } from 'node:path';
import type { Command } from 'commander';
import { readCaptureFile } from '../capture/reader.js';
import { CaptureError, type CaptureSummary } from '../capture/types.js';
import { diagnose } from '../diagnose/index.js';
import type { Finding } from '../diagnose/types.js';
import { Analyzer, DEFAULT_MAX_FLOWS } from '../flow/analyzer.js';
import { isProfileName } from '../flow/profiles.js';
import type { AnalysisResult } from '../flow/result.js';
import { PROFILES, type ProfileName } from '../flow/types.js';
import { hostModelGuess } from '../host/model.js';
import type { HostEvidence } from '../host/types-host.js';
import { chooseModel, type ModelChoice } from '../model/choose.js';
import {
  buildReport,
  type FlowsMode,
  jsonReportChunks,
  type ReportBundleInfo,
  type ReportDocument,
  type ReportInput,
} from '../report/build.js';
import { forTerminal } from '../report/escape.js';
import { toolVersion } from '../version.js';
import { colorEnabled } from './color.js';
import { EXIT, UserError } from './errors.js';
import {
  choice,
  collectList,
  lbList,
  parseHosts,
  parsePorts,
  positiveInt,
  profileName,
  splitExpression,
} from './options.js';
import { analyzeParallel, readThreads } from './read-parallel.js';
import { type SelectSpec, selectingSink, selectsAnything } from './select.js';

export type ReadFormat = 'text' | 'json' | 'markdown';

/** Report output on a file descriptor in ~256 KiB writes; a closed pipe (| head) ends quietly. */
export class FdWriter {
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
  /** keep option bytes and payload digests in the flow records (compare; one thread) */
  compareFacts?: boolean;
  /** also make the HTML page: a file path, or a function that takes the page text (bundle) */
  html?: string | ((page: string) => void);
  /** which flows the page lists (default 'all', problems first, up to 10,000) */
  htmlFlows?: FlowsMode;
  /** the command line shown in the page's footer */
  htmlCommand?: string;
  /** packet selection: a trailing pcap-filter expression, --port, --host */
  select?: SelectSpec;
}

export interface AnalyzeOutput {
  result: AnalysisResult;
  captures: CaptureSummary[];
  findings: Finding[];
  host: HostEvidence | null;
  hostDir: string | null;
  bundle: ReportBundleInfo | null;
  /** the module model that judged the flows, and why */
  model: ModelChoice;
}

export interface RunReadResult extends AnalyzeOutput {
  exitCode: 0 | 1;
  /** the report without its flow list (flows are streamed) */
  summary: ReportDocument['summary'];
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
  /** the bundle's temp directory and unpacked capture (never shown to the user) */
  tempDir: string | null;
  bundleCapture: string | null;
  close: () => Promise<void>;
}> {
  const closers: Array<() => Promise<void>> = [];
  const close = async () => {
    for (const c of closers) await c();
  };
  try {
    return await openBundlesInner(inputs, enabled, closers, close);
  } catch (e) {
    await close();
    throw e;
  }
}

async function openBundlesInner(
  inputs: string[],
  enabled: boolean,
  closers: Array<() => Promise<void>>,
  close: () => Promise<void>,
): Promise<Awaited<ReturnType<typeof openBundles>>> {
  let tempDir: string | null = null;
  let bundleCapture: string | null = null;
  const files: string[] = [];
  let bundle: ReportBundleInfo | null = null;
  let hostDir: string | null = null;
  let analysis: { profile: string; lb: string[] } | null = null;
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
    if (bundle)
      throw new UserError(
        'read one support bundle at a time',
        `got a second bundle: ${f}; run \`toa-doctor read\` once per bundle`,
      );
    const opened = await b.readBundle(f);
    closers.push(() => opened.close());
    tempDir = opened.dir;
    bundleCapture = opened.capture;
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
    tempDir,
    bundleCapture,
    close,
  };
}

/** Every string in `v` (plain objects and arrays) with `from` replaced by `to`. */
function renamePaths<T>(v: T, from: string, to: string): T {
  const walk = (x: unknown): unknown => {
    if (typeof x === 'string') return x.includes(from) ? x.split(from).join(to) : x;
    if (Array.isArray(x)) return x.map(walk);
    if (x && typeof x === 'object') {
      const o: Record<string, unknown> = {};
      for (const [k, val] of Object.entries(x)) o[k] = walk(val);
      return o;
    }
    return x;
  };
  return walk(v) as T;
}

/** An error that names a file inside a bundle's temp directory names it as `bundle.tar.gz:member` instead. */
function hideTempPath(err: unknown, tempDir: string | null, bundlePath: string | null): unknown {
  if (!tempDir || !bundlePath || !(err instanceof Error) || !err.message.includes(tempDir)) return err;
  const shown = `${basename(bundlePath)}:`;
  const msg = err.message.split(`${tempDir}/`).join(shown).split(tempDir).join(shown);
  if (err instanceof CaptureError) return new CaptureError(err.code, msg, err.hint);
  if (err instanceof UserError) return new UserError(msg, err.hint, err.exitCode);
  err.message = msg;
  return err;
}

/** Read, analyse and diagnose: everything except rendering. */
export async function analyzeInputs(
  inputs: string[],
  opts: RunReadOptions = {},
): Promise<AnalyzeOutput & { close: () => Promise<void> }> {
  if (inputs.length === 0)
    throw new UserError('no capture file given', 'toa-doctor read FILE... (or - for stdin)');
  if (inputs.filter((f) => f === '-').length > 1)
    throw new UserError("standard input ('-') can be read only once", "give '-' once");
  const maxFlows = opts.maxFlows ?? DEFAULT_MAX_FLOWS;
  const opened = await openBundles(inputs, opts.bundles ?? true);
  try {
    // a bundle is judged with the settings it was made with, unless the command line says otherwise
    const fromBundle = opened.analysis;
    const asked: ProfileName | undefined =
      opts.profile ??
      (fromBundle && fromBundle.profile !== 'auto' && isProfileName(fromBundle.profile)
        ? fromBundle.profile
        : undefined);
    // host evidence first: without --profile, the module it identifies judges the flows
    let host = opts.host ?? null;
    const hostDir = opts.host ? (opts.hostDir ?? null) : (opts.hostDir ?? opened.hostDir);
    if (!host && hostDir) {
      const { loadHostDir } = await import('../host/index.js');
      host = await loadHostDir(hostDir);
      // a bundle's snapshot sits in its temp dir: the report names it inside the bundle instead
      if (opened.tempDir && opened.bundle && hostDir.startsWith(opened.tempDir))
        host = renamePaths(host, hostDir, opened.displayNames.get(hostDir) ?? basename(opened.bundle.path));
    }
    const modelChoice = chooseModel(asked, host ? hostModelGuess(host) : null);
    const profile: ProfileName =
      modelChoice.by === 'host' && isProfileName(modelChoice.model.id)
        ? modelChoice.model.id
        : (asked ?? 'auto');
    const model = modelChoice.model;
    const lb = opts.lb ?? (fromBundle ? lbList(fromBundle.lb) : []);
    // progress names a bundle's capture inside the bundle, never by its temp path
    const userProgress = opts.onProgress;
    const onProgress = userProgress
      ? (f: string, d: number, t: number | null) => userProgress(opened.displayNames.get(f) ?? f, d, t)
      : undefined;
    const readAll = async (
      files: string[],
    ): Promise<{ result: AnalysisResult; captures: CaptureSummary[] }> => {
      const captures: CaptureSummary[] = [];
      const threads = opts.compareFacts ? 1 : readThreads(files, opts.threads);
      // the JSON report and the HTML page show every option of the handshake packets
      const keepOptionBytes = opts.format === 'json' || opts.html !== undefined;
      if (threads > 1) {
        const par = await analyzeParallel(
          files,
          { profile, model, lb, maxFlows, keepOptionBytes, select: opts.select },
          threads,
          onProgress,
        );
        const closeBundles = opened.close;
        opened.close = async () => {
          await par.close();
          await closeBundles();
        };
        captures.push(...par.captures);
        return { result: par.result, captures };
      }
      const analyzer = new Analyzer({
        profile,
        model,
        maxFlows,
        lb,
        compareFacts: opts.compareFacts,
        keepOptionBytes,
      });
      const push = await selectingSink(analyzer.push.bind(analyzer), opts.select);
      for (const f of files) {
        captures.push(
          await readCaptureFile(
            f,
            push,
            onProgress ? { onProgress: (d, t) => onProgress(f, d, t) } : undefined,
          ),
        );
      }
      return { result: analyzer.finish(), captures };
    };
    let read: { result: AnalysisResult; captures: CaptureSummary[] };
    try {
      read = await readAll(opened.files);
    } catch (e) {
      // a bundle whose capture.pcap cannot be read still has its host snapshot: analyse that
      const bc = opened.bundleCapture;
      const hostLeft = !opts.host && (opts.hostDir ?? opened.hostDir);
      if (!(e instanceof CaptureError) || !bc || !e.message.includes(bc) || !hostLeft || !opened.bundle)
        throw e;
      const why = (hideTempPath(e, opened.tempDir, opened.bundle.path) as Error).message;
      opened.bundle.problems.push({
        kind: 'bad-capture',
        member: 'capture.pcap',
        severity: 'error',
        message: `capture.pcap cannot be read (${why}): only the host snapshot is analysed`,
      });
      opened.files = opened.files.filter((f) => f !== bc);
      read = await readAll(opened.files);
    }
    const { result, captures } = read;
    // a bundle's capture is unpacked to a temp dir: report it by its name inside the bundle
    captures.forEach((c, i) => {
      const file = opened.files[i]!;
      const shown = opened.displayNames.get(file);
      if (!shown) return;
      c.source = shown;
      // the reader names the file it read: the temp path is an internal detail
      for (const w of c.warnings) w.message = w.message.split(file).join(shown);
    });
    const findings = diagnose(result, {
      lb,
      profile,
      host: host ?? undefined,
      captures,
      model: modelChoice,
      bundleProblems: opened.bundle?.problems,
    });
    const shownHostDir = hostDir ? (opened.displayNames.get(hostDir) ?? hostDir) : null;
    return {
      result,
      captures,
      findings,
      host,
      hostDir: shownHostDir,
      bundle: opened.bundle,
      model: modelChoice,
      close: opened.close,
    };
  } catch (e) {
    await opened.close();
    throw hideTempPath(e, opened.tempDir, opened.bundle?.path ?? null);
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
    const version = opts.toolVersion ?? toolVersion();
    let hostJson: Record<string, unknown> | null = null;
    let hostText: string | undefined;
    let hostMarkdown: string | undefined;
    if (a.host) {
      const h = await import('../report/host.js');
      const { diagnoseHost } = await import('../diagnose/host-rules.js');
      const hostFindings = diagnoseHost(a.host);
      // the host findings are in the report's own ranked list: the embedded section shows the
      // evidence only (a second "Findings ... none" under the list contradicted it)
      const embed = { showInfo: false, showFindings: false, sourceLabel: a.hostDir ?? undefined };
      if (format === 'json' || opts.html !== undefined)
        hostJson = h.hostToJson(a.host, hostFindings, {
          toolVersion: version,
          sourceLabel: a.hostDir ?? undefined,
        });
      if (format === 'markdown')
        hostMarkdown = h.renderHostMarkdown(a.host, [], { toolVersion: version, ...embed });
      else if (format === 'text') hostText = h.renderHostText(a.host, [], { color: !!opts.color, ...embed });
    }
    const input: ReportInput = {
      result: a.result,
      findings: a.findings,
      captures: a.captures,
      flows,
      bundle: a.bundle,
      hostDir: a.hostDir,
      hostJson,
      toolVersion: version,
      model: a.model,
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

interface ReadCliOptions {
  profile?: string;
  lb?: string[];
  json?: boolean;
  markdown?: boolean;
  flows?: string;
  maxFlows?: number;
  host?: string[];
  hostDir?: string;
  port?: string[];
  r?: string[];
  color?: boolean;
  threads?: number;
  html?: string;
}

/** `read --host DIR` (the old name of --host-dir): the directory, after a deprecation hint */
function legacyHostDir(values: string[] | undefined): string | undefined {
  if (values?.length !== 1) return undefined;
  try {
    if (!statSync(values[0]!).isDirectory()) return undefined;
  } catch {
    return undefined;
  }
  process.stderr.write(
    `toa-doctor: warning: --host ${values[0]} names a directory: use --host-dir for host snapshots\n` +
      '  hint: --host now takes addresses and networks (e.g. --host 10.0.0.5,10.1.0.0/16), as in print and live\n',
  );
  return values[0];
}

function isExistingPath(w: string): boolean {
  try {
    statSync(w);
    return true;
  } catch {
    return false;
  }
}

export function progressLine(): (file: string, done: number, total: number | null) => void {
  let last = '';
  return (file, done, total) => {
    const mb = (done / 1e6).toFixed(1);
    const pct = total ? ` ${Math.min(100, Math.floor((done / total) * 100))}%` : '';
    const line = `reading ${forTerminal(file)}${pct} (${mb} MB)`;
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
    .usage('[options] FILE... [expression]')
    .argument(
      '[files...]',
      "capture files (pcap, pcapng, .gz), a bundle .tar.gz, or '-' for standard input; then optionally a pcap-filter expression",
    )
    .option(
      '-r <file>',
      'read this capture file (repeatable; tcpdump style: then every word is the expression)',
      collectList,
    )
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
    .option(
      '--flows <which>',
      'list all flows or only problem flows: all|problems (default problems)',
      choice('--flows', ['all', 'problems'] as const),
    )
    .option(
      '--max-flows <n>',
      `flow table cap; older flows are evicted but still counted (default ${DEFAULT_MAX_FLOWS})`,
      positiveInt('--max-flows', 100000),
    )
    .option(
      '--host-dir <dir>',
      'a host snapshot directory (toa-doctor host --save DIR) to combine with the capture',
    )
    .option(
      '--host <addr|cidr,...>',
      'only packets from or to these addresses or networks (repeatable)',
      collectList,
    )
    .option('--port <port,...>', 'only packets with one of these TCP ports (repeatable)', collectList)
    .option('-n', 'do not resolve names (names are never resolved; -nn too)')
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
  toa-doctor read capture.pcap --host-dir snapshot/
  toa-doctor read capture.pcap tcp port 80 and net 10.0.0.0/8
  toa-doctor read bundle.tar.gz

A pcap-filter expression after the files selects exactly the packets tcpdump would (compiled by
libpcap through tcpdump, which must be installed for expressions).`,
    )
    .action(async (words: string[], o: ReadCliOptions) => {
      const split = o.r?.length
        ? { inputs: o.r, expression: words.join(' ') || undefined }
        : splitExpression(words, isExistingPath);
      const files = split.inputs;
      const legacy = o.hostDir === undefined ? legacyHostDir(o.host) : undefined;
      const hostDir = o.hostDir ?? legacy;
      const hosts = legacy ? [] : (o.host ?? []);
      for (const h of hosts)
        if (h.includes('/') && !/^[0-9a-fA-F:.]+\/\d+$/.test(h))
          throw new UserError(
            `--host ${h}: no such directory, and not an address or network`,
            'host snapshots go to --host-dir DIR; --host takes addresses and networks (e.g. --host 10.0.0.0/8)',
          );
      parseHosts('--host', hosts);
      const select: SelectSpec = {
        expression: split.expression,
        ports: parsePorts('--port', o.port ?? []),
        hosts,
      };
      if (o.json && o.markdown)
        throw new UserError('--json and --markdown cannot be combined', 'pick one output format');
      if (o.html) {
        const { checkWritable } = await import('./report.js');
        checkWritable(o.html, files);
      }
      const profile = o.profile === undefined ? undefined : profileName(o.profile);
      const lb = o.lb === undefined ? undefined : lbList(o.lb);
      const format: ReadFormat = o.json ? 'json' : o.markdown ? 'markdown' : 'text';
      const color = format === 'text' && colorEnabled(o.color, process.stdout);
      const res = await runRead(files, {
        profile,
        lb,
        format,
        flows: (o.flows as FlowsMode | undefined) ?? 'problems',
        maxFlows: o.maxFlows,
        threads: o.threads,
        hostDir,
        select,
        html: o.html,
        htmlFlows: o.flows as FlowsMode | undefined,
        htmlCommand: o.html ? `toa-doctor read ${process.argv.slice(3).join(' ')}` : undefined,
        color,
        width: process.stdout.columns || 100,
        onProgress: process.stderr.isTTY ? progressLine() : undefined,
      });
      // damage that is only a warning (README "Capture file errors"): one stderr line each, as
      // tcpdump says "truncated dump file"; the report carries the finding too
      for (const c of res.captures)
        for (const w of c.warnings) process.stderr.write(`toa-doctor: warning: ${w.message}\n`);
      if (process.stderr.isTTY && selectsAnything(select)) {
        // the report's file line counts every packet read; say how many the selection kept
        const read = res.captures.reduce((n, c) => n + c.packets, 0);
        const what = [
          select.expression ? `'${select.expression}'` : '',
          select.ports?.length ? `--port ${select.ports.join(',')}` : '',
          select.hosts?.length ? `--host ${select.hosts.join(',')}` : '',
        ].filter(Boolean);
        process.stderr.write(
          `toa-doctor: ${what.join(' ')} selected ${res.result.stats.packets} of ${read} packets\n`,
        );
      }
      process.exitCode = res.exitCode === 1 ? EXIT.FINDINGS : EXIT.OK;
    });
}
