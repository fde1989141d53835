/**
 * `toa-doctor report REPORT.json --html OUT.html`: a page from a saved JSON report (`read --json`,
 * a bundle's report.json). Also home of writeHtmlReport(), which `read --html`, `live --html` and
 * the bundle use to write a page. Exit codes: 0 written, 2 usage/input (bad JSON, not a report,
 * cannot write).
 */
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { cannotReadText, cannotWrite } from '../errors.js';
import type { ReportDocument } from '../report/build.js';
import { EXIT, type ToaError, UserError } from './errors.js';

/** largest JSON report read (a 10,000-connection `read --json --flows all` is ~30 MB) */
const MAX_REPORT_BYTES = 512 * 1024 * 1024;

/** the page of a report document, as text (the CLI stamps the time it was made) */
export async function htmlPage(doc: ReportDocument, command?: string): Promise<string> {
  const { renderHtml } = await import('../report/html/page.js');
  return renderHtml(doc, { generatedAt: new Date().toISOString(), command });
}

function htmlWriteError(path: string, e: unknown): ToaError {
  return cannotWrite(path, e, '--html');
}

/** the page must not overwrite one of the inputs */
function refuseInput(path: string, inputs: string[]): void {
  if (inputs.some((f) => f !== '-' && resolve(f) === resolve(path)))
    throw new UserError(
      `--html ${path} is also an input: it would be overwritten`,
      'write the page to a new file, e.g. --html report.html',
    );
}

/** fail before a long run when the page could not be written (creates the file, empty) */
export function checkWritable(path: string, inputs: string[] = []): void {
  refuseInput(path, inputs);
  try {
    closeSync(openSync(path, 'a'));
  } catch (e) {
    throw htmlWriteError(path, e);
  }
}

/** write a page; an unwritable path is a usage error with a hint */
export function writeHtmlReport(path: string, html: string): void {
  try {
    writeFileSync(path, html);
  } catch (e) {
    throw htmlWriteError(path, e);
  }
}

const REPORT_HINT =
  "give the JSON file `toa-doctor read CAPTURE --json > report.json` wrote (or a bundle's report.json)";

/** read, parse and check a saved report */
export async function loadReportJson(path: string): Promise<ReportDocument> {
  let raw: Buffer;
  try {
    raw = readFileSync(path === '-' ? 0 : path);
  } catch (e) {
    const t = cannotReadText(
      path === '-' ? 'stdin' : path,
      e,
      { ENOENT: REPORT_HINT, EISDIR: REPORT_HINT },
      REPORT_HINT,
    );
    throw new UserError(t.message, t.hint, EXIT.USAGE, t.code);
  }
  if (raw.length > MAX_REPORT_BYTES)
    throw new UserError(
      `${path}: larger than ${MAX_REPORT_BYTES / 1024 / 1024} MiB`,
      'render fewer flows: read --json --flows problems',
    );
  const text = raw.toString('utf8');
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    // the parser's message quotes the input: keep only where it failed (no raw bytes on the terminal)
    const msg = (e as Error).message;
    const at = /position (\d+)/.exec(msg)?.[1];
    const why = /Unexpected end/.test(msg) ? ' (it ends too early)' : at ? ` (at character ${at})` : '';
    // gzip, pcap (both byte orders, µs and ns), pcapng
    const capture = /^(1f8b|d4c3b2a1|a1b2c3d4|4d3cb2a1|a1b23c4d|0a0d0d0a)/.test(
      raw.subarray(0, 4).toString('hex'),
    );
    throw new UserError(
      `${path}: not valid JSON${why}`,
      capture
        ? `this looks like a capture or an archive: toa-doctor read ${path} --html report.html`
        : 'give the file `toa-doctor read CAPTURE --json > report.json` wrote, unchanged',
    );
  }
  const { checkReportDocument } = await import('../report/html/validate.js');
  const problem = checkReportDocument(doc);
  if (problem)
    throw new UserError(
      `${path}: not a toa-doctor report: ${problem}`,
      'make one with `toa-doctor read CAPTURE --json > report.json` (schema/report.schema.json)',
    );
  return doc as ReportDocument;
}

interface ReportCliOptions {
  html?: string;
}

export function register(program: Command): void {
  program
    .command('report')
    .description(
      "render a saved JSON report (read --json, a bundle's report.json) as a self-contained HTML page",
    )
    .argument('<report.json>', "the JSON report ('-' for standard input)")
    .option('--html <file>', 'write the HTML page here')
    .addHelpText(
      'after',
      `
The page is one file (inline CSS, SVG and script, no network): verdict banner, findings, a handshake
ladder per connection, a timeline, and the host panel when the report has host evidence.
Exit codes: 0 page written, 2 usage or input error.

Examples:
  toa-doctor read capture.pcap --json --flows all > report.json
  toa-doctor report report.json --html report.html`,
    )
    .action(async (file: string, o: ReportCliOptions) => {
      if (!o.html)
        throw new UserError(
          'say where the page goes: --html FILE',
          `toa-doctor report ${file} --html report.html`,
        );
      refuseInput(o.html, [file]);
      const doc = await loadReportJson(file);
      writeHtmlReport(o.html, await htmlPage(doc, `toa-doctor report ${file} --html ${o.html}`));
      process.exitCode = EXIT.OK;
    });
}
