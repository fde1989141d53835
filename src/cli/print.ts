/** `toa-doctor print FILE|-` — tcpdump-like lines (or NDJSON), TOA options decoded. */
import { writeSync } from 'node:fs';
import { Chalk } from 'chalk';
import type { Command } from 'commander';
import { readCaptureFile, StopReading } from '../capture/reader.js';
import type { CaptureSummary, Frame } from '../capture/types.js';
import {
  bytesEqual,
  ChecksumStatus,
  createDecodedPacket,
  type DecodedPacketExt,
  DecodeStatus,
  decodePacket,
  type ParsedAddress,
  parseAddress,
} from '../decode/index.js';
import {
  ByteSink,
  type LineOptions,
  type Painter,
  PLAIN,
  STATUS_NAMES,
  writePacketJson,
  writePacketText,
} from '../report/packet-line.js';
import { UserError } from './errors.js';

export interface PrintOptions {
  verbose?: boolean;
  count?: number;
  json?: boolean;
  port?: number;
  host?: string;
  toaOnly?: boolean;
  /** false = --no-color */
  color?: boolean;
}

export interface PrintIo {
  /** output file descriptor (default 1) */
  fd?: number;
  /** colours allowed (stdout is a TTY and NO_COLOR unset); default from the process */
  colorCapable?: boolean;
  /** write the end-of-run summary (stderr is a TTY or -v); default from the process */
  stderrTty?: boolean;
  stderr?: (s: string) => void;
}

export interface PrintResult {
  read: number;
  printed: number;
  /** per decode status name (non-ok), plus 'malformed-options', 'truncated-tcp', 'bad-ip-checksum' */
  problems: Record<string, number>;
  summary: CaptureSummary;
}

/** Writes whole buffers to a file descriptor; EPIPE (reader went away) ends the run quietly. */
export class FdWriter {
  closed = false;
  constructor(private readonly fd: number) {}

  write(data: Buffer, length: number): void {
    if (this.closed) return;
    let off = 0;
    while (off < length) {
      try {
        off += writeSync(this.fd, data, off, length - off);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN') {
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2); // pipe full: wait 2 ms
          continue;
        }
        if (code === 'EPIPE') {
          this.closed = true; // `| head`: stop quietly
          return;
        }
        throw e;
      }
    }
  }
}

function makePainter(): Painter {
  const c = new Chalk({ level: 1 });
  return { toa: (s) => c.green(s), bad: (s) => c.red(s), warn: (s) => c.yellow(s), dim: (s) => c.dim(s) };
}

function parsePositive(name: string, max: number) {
  return (v: string): number => {
    if (!/^\d+$/.test(v.trim())) throw new UserError(`${name}: not a number: ${v}`);
    const n = Number(v);
    if (n < 1 || n > max) throw new UserError(`${name}: out of range (1..${max}): ${v}`);
    return n;
  };
}

/** The whole `print` command as a function (tests and other commands may reuse it). */
export async function runPrint(file: string, opts: PrintOptions, io: PrintIo = {}): Promise<PrintResult> {
  let host: ParsedAddress | null = null;
  if (opts.host !== undefined) {
    host = parseAddress(opts.host);
    if (!host)
      throw new UserError(`--host: not an IPv4 or IPv6 address: ${opts.host}`, 'names are never resolved');
  }
  const colorCapable = io.colorCapable ?? (!!process.stdout.isTTY && !process.env.NO_COLOR);
  const painter = !opts.json && opts.color !== false && colorCapable ? makePainter() : PLAIN;
  const lineOpts: LineOptions = { verbose: !!opts.verbose, painter };
  const fdw = new FdWriter(io.fd ?? 1);
  const out = new ByteSink((b, n) => fdw.write(b, n));
  const pkt = createDecodedPacket();
  const problems: Record<string, number> = {};
  const note = (k: string) => {
    problems[k] = (problems[k] ?? 0) + 1;
  };
  let read = 0;
  let printed = 0;
  const limit = opts.count ?? Number.POSITIVE_INFINITY;
  const json = !!opts.json;
  const port = opts.port ?? -1;
  const toaOnly = !!opts.toaOnly;

  const matches = (p: DecodedPacketExt, buf: Buffer): boolean => {
    if (port >= 0) {
      const hasPorts =
        p.status === DecodeStatus.OK ||
        p.status === DecodeStatus.BAD_TCP ||
        (p.status === DecodeStatus.TRUNCATED && p.tcpOffset >= 0 && p.capturedEnd - p.tcpOffset >= 4);
      if (!hasPorts || (p.srcPort !== port && p.dstPort !== port)) return false;
    }
    if (host) {
      if (p.srcAddrOffset < 0 || p.ipVersion !== host.version) return false;
      if (!bytesEqual(buf, p.srcAddrOffset, host.bytes) && !bytesEqual(buf, p.dstAddrOffset, host.bytes))
        return false;
    }
    if (toaOnly) {
      if (p.status !== DecodeStatus.OK) return false;
      const s = p.opts;
      if (s.toaVariant < 0 && !s.toaAfterEol && !s.toaAfterBreak) return false;
    }
    return true;
  };

  const sink = (f: Frame) => {
    read++;
    decodePacket(f, pkt);
    if (pkt.status !== DecodeStatus.OK) note(STATUS_NAMES[pkt.status]);
    else {
      const br = pkt.opts.breakReason;
      if (br !== 'none' && br !== 'truncated') note('malformed-options');
      if (pkt.tcpTruncated) note('truncated-tcp');
    }
    if (pkt.ipChecksum === ChecksumStatus.BAD) note('bad-ip-checksum');
    if (!matches(pkt, f.buf)) return;
    if (json) writePacketJson(out, f, pkt);
    else writePacketText(out, f, pkt, lineOpts);
    printed++;
    if (fdw.closed || printed >= limit) throw new StopReading();
  };

  let summary: CaptureSummary;
  try {
    summary = await readCaptureFile(file, sink);
  } finally {
    out.flush();
  }
  const err = io.stderr ?? ((s: string) => process.stderr.write(s));
  for (const w of summary.warnings) err(`toa-doctor: warning: ${w.message}\n`);
  const stderrTty = io.stderrTty ?? !!process.stderr.isTTY;
  const keys = Object.keys(problems);
  if ((stderrTty || opts.verbose) && keys.length) {
    const parts = keys.sort().map((k) => `${problems[k]} ${k}`);
    err(`toa-doctor: ${read} packets read, ${printed} printed; decode problems: ${parts.join(', ')}\n`);
  }
  return { read, printed, problems, summary };
}

export function register(program: Command): void {
  program
    .command('print')
    .description('print packets tcpdump-style, one line each, with TOA options decoded')
    .argument('<file>', "capture file (pcap, pcapng, optionally .gz) or '-' for standard input")
    .option('-v, --verbose', 'IP details (ttl, id, length, IP checksum) and TCP checksum status')
    .option('-c, --count <n>', 'stop after printing N packets', parsePositive('-c', Number.MAX_SAFE_INTEGER))
    .option('-n', 'do not resolve names (the default: names are never resolved)')
    .option('--json', 'NDJSON: one JSON object per packet (all options decoded)')
    .option(
      '--port <n>',
      'only packets with this TCP source or destination port',
      parsePositive('--port', 65535),
    )
    .option('--host <ip>', 'only packets from or to this IPv4/IPv6 address')
    .option('--toa-only', 'only packets carrying a TOA-like option (also after EOL or a broken list)')
    .option('--no-color', 'no colours (also: NO_COLOR=1; colours are only used on a terminal)')
    .addHelpText(
      'after',
      `
Filters here apply to files. BPF filter syntax (e.g. 'tcp port 80') applies to live capture
(toa-doctor live / tcpdump -w); use --port/--host/--toa-only for files.

Examples:
  toa-doctor print capture.pcap
  toa-doctor print capture.pcapng.gz --toa-only -v
  toa-doctor print capture.pcap --json --port 80 | jq .tcp.options
  tcpdump -i eth0 -w - 'tcp port 80' | toa-doctor print -`,
    )
    .action(async (file: string, o: PrintOptions) => {
      await runPrint(file, o);
    });
}
