/**
 * `toa-doctor bundle`: one archive with everything a support engineer needs (see src/bundle/create.ts
 * and README.md). Progress on stderr when it is a terminal; the archive path on stdout.
 */
import { type Command, Option } from 'commander';
import {
  type AnalysisOutput,
  type AnalyzeFn,
  type BundleProgress,
  commandLineOf,
  createBundle,
  DEFAULT_MAX_BYTES,
  type LiveSource,
} from '../bundle/create.js';
import { buildFilter, ENGINE_CHOICES, type EngineChoice, selectEngine } from '../capture/live/index.js';
import { PROFILES, type ProfileName } from '../flow/types.js';
import { toolVersion } from '../version.js';
import { EXIT, UserError } from './errors.js';
import { collectList, lbList, parsePorts, positiveNumber, profileName, size } from './options.js';
import { runRead } from './read.js';

export interface BundleCliOptions {
  interface?: string;
  duration?: string;
  port?: string[];
  output?: string;
  anonymize?: boolean;
  anonymizeKey?: string;
  root: string;
  maxBytes: string;
  full?: boolean;
  engine: string;
  fromPcap?: string;
  profile: string;
  lb?: string[];
}

/**
 * report.json / report.md: the `read` pipeline (runRead) on the provisional archive, i.e. exactly
 * what `toa-doctor read BUNDLE` will compute from the final one.
 */
function analysisFor(profile: ProfileName, lb: string[]): AnalyzeFn {
  return async ({ bundle, analysis }): Promise<AnalysisOutput> => {
    const json: string[] = [];
    const md: string[] = [];
    // anonymized bundles carry anonymized --lb networks (prefix preservation keeps them valid)
    const base = { profile, lb: analysis?.lb ?? lb, toolVersion: toolVersion(), color: false };
    let html: string | undefined;
    const r = await runRead([bundle], {
      ...base,
      format: 'json',
      flows: 'problems',
      write: (c) => json.push(c),
      // the page of report.json itself (problems), so `toa-doctor report report.json` redraws it
      htmlFlows: 'problems',
      html: (page) => {
        html = page;
      },
    });
    await runRead([bundle], { ...base, format: 'markdown', flows: 'problems', write: (c) => md.push(c) });
    const errors = r.findings.filter((f) => f.severity === 'error').length;
    return { json: json.join(''), markdown: md.join(''), html, errorFindings: errors };
  };
}

function fmtBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

function progressLine(p: BundleProgress, iface: string | undefined): string {
  switch (p.phase) {
    case 'host-before':
      return 'collecting host evidence (before)...';
    case 'capture':
      return p.remainingS !== null
        ? `${iface ? `capturing on ${iface}` : 'waiting'}: ${Math.ceil(p.remainingS)}s left, ${p.packetsSeen} packets (${p.packetsWritten} kept), ${p.flows} flows; Ctrl-C stops`
        : `reading capture: ${p.packetsSeen} packets (${p.packetsWritten} kept), ${p.flows} flows`;
    case 'host-after':
      return 'collecting host evidence (after)...';
    case 'analysis':
      return 'analysing...';
    case 'archive':
      return 'writing the archive...';
  }
}

export async function runBundle(o: BundleCliOptions, argv: string[] = process.argv): Promise<void> {
  if (o.interface && o.fromPcap)
    throw new UserError(
      'use either -i IFACE or --from-pcap FILE, not both',
      'capture live with -i, or pack a file with --from-pcap',
    );
  // every option is checked before anything is captured
  const maxBytes = size('--max-bytes', '50M', 1024)(o.maxBytes);
  const durationS =
    o.duration === undefined ? undefined : positiveNumber('--duration', 30, 'seconds')(o.duration);
  const ports = parsePorts('--port', collectList((o.port ?? []).join(',')));
  const profile = o.profile as ProfileName;
  const lb = lbList(o.lb);

  let live: LiveSource | null = null;
  if (o.interface) {
    const filter = buildFilter({ port: ports });
    const { engine, reason } = await selectEngine(o.engine as EngineChoice, {
      iface: o.interface,
      filter,
      snaplen: 262144,
    });
    live = {
      iface: o.interface,
      filter,
      engine: engine.name,
      start: (sink) => engine.start(sink),
      stop: async () => ({ kernelDrops: (await engine.stop()).kernelDrops }),
      onEnded: (cb) => engine.onEnded(cb),
    };
    process.stderr.write(`toa-doctor: bundle: capture engine ${engine.name} (${reason})\n`);
  } else if (ports.length && !o.fromPcap) {
    throw new UserError(
      '--port narrows the capture, and there is none',
      'give -i IFACE (or --from-pcap FILE)',
    );
  }

  const tty = process.stderr.isTTY === true;
  let lastLen = 0;
  const clearLine = () => {
    if (tty && lastLen) {
      process.stderr.write(`\r${' '.repeat(lastLen)}\r`);
      lastLen = 0;
    }
  };
  const onProgress = (p: BundleProgress) => {
    if (!tty) return;
    const line = progressLine(p, o.interface).slice(0, (process.stderr.columns || 100) - 1);
    process.stderr.write(`\r${line}${' '.repeat(Math.max(0, lastLen - line.length))}`);
    lastLen = line.length;
  };
  const onNote = (m: string) => {
    clearLine();
    process.stderr.write(`toa-doctor: bundle: ${m}\n`);
  };

  // Ctrl-C / SIGTERM: end the capture early but still write the bundle; a second one aborts
  const ac = new AbortController();
  const onSignal = () => {
    if (ac.signal.aborted) process.exit(130);
    clearLine();
    process.stderr.write(
      'toa-doctor: bundle: stopping the capture, writing the bundle (Ctrl-C again to abort)\n',
    );
    ac.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let result: Awaited<ReturnType<typeof createBundle>>;
  try {
    result = await createBundle({
      root: o.root,
      live,
      fromPcap: o.fromPcap,
      durationS: live ? (durationS ?? 30) : durationS,
      out: o.output,
      anonymize: !!o.anonymize || !!o.anonymizeKey,
      anonymizeKey: o.anonymizeKey,
      maxBytes,
      full: !!o.full,
      // element by element: the --anonymize-key value never reaches the manifest
      commandLine: commandLineOf(['toa-doctor', ...argv.slice(2)]),
      toolVersion: toolVersion(),
      analyze: analysisFor(profile, lb),
      analysisOptions: { profile, lb },
      signal: ac.signal,
      onProgress,
      onNote,
      onCaptureStarted: (i) => {
        clearLine();
        process.stderr.write(
          `toa-doctor: bundle: capturing on ${i.iface} for ${i.durationS} s, filter '${i.filter}'; Ctrl-C ends early\n`,
        );
      },
    });
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    clearLine();
  }
  const m = result.manifest;
  const c = m.capture;
  const capText =
    c.source === 'none'
      ? 'host evidence only'
      : `${c.packetsWritten} of ${c.packetsSeen} packets kept (${c.mode}), ${c.flows} flows${c.truncatedAtMaxBytes ? ', capture cut at --max-bytes' : ''}${c.interrupted ? ', ended early' : ''}`;
  const findings = result.analysis
    ? result.analysis.errorFindings
      ? `${result.analysis.errorFindings} error finding(s) — see report.md inside`
      : 'no error finding'
    : 'no report (analysis failed)';
  process.stderr.write(
    `toa-doctor: bundle: wrote ${result.path} (${fmtBytes(result.size)}): ${capText}; ${findings}${m.anonymized ? '; addresses anonymized' : ''}\n` +
      `  read it anywhere with: toa-doctor read ${result.path}\n`,
  );
  process.stdout.write(`${result.path}\n`);
  process.exitCode = result.analysis?.errorFindings ? EXIT.FINDINGS : EXIT.OK;
}

export function register(program: Command): void {
  program
    .command('bundle')
    .description('collect capture + host evidence + report into one .tar.gz for a support ticket')
    .option('-i, --interface <iface>', 'capture on IFACE (without -i: host evidence only)')
    .option(
      '--duration <seconds>',
      'capture duration (default 30); without -i: wait this long between the two host snapshots',
    )
    .option('--port <port...>', "only these TCP ports (adds 'port N' to the filter; comma lists ok)")
    .option('-o, --output <file>', 'archive to write (default toa-doctor-<host>-<UTC time>.tar.gz)')
    .option(
      '--anonymize',
      'replace every IP address (prefix-preserving, Crypto-PAn) and the host name; zero payloads',
    )
    .option(
      '--anonymize-key <hex|passphrase>',
      'anonymize with this key (same key = same mapping across bundles); implies --anonymize',
    )
    .option(
      '--root <dir>',
      'read proc/sys files below DIR instead of / (containers mounting the host, tests)',
      '/',
    )
    .option(
      '--max-bytes <size>',
      'stop writing the capture member at this size (e.g. 50M)',
      `${DEFAULT_MAX_BYTES / 1024 / 1024}M`,
    )
    .option('--full', 'keep every packet (default: handshakes, first data segments, TOA/FIN/RST packets)')
    .addOption(
      new Option('--engine <engine>', 'capture engine: cap (libpcap in-process) or tcpdump (pipe)')
        .choices(ENGINE_CHOICES)
        .default('auto'),
    )
    .option('--from-pcap <file>', 'bundle this capture file (pcap, pcapng, .gz) instead of capturing live')
    .option(
      '--profile <name>',
      `which TOA variants the backend module reads (for the report): ${PROFILES.join(', ')}`,
      profileName,
      'auto',
    )
    .option('--lb <cidr...>', "the LB's source addresses (for the report)")
    .addHelpText(
      'after',
      `
Examples:
  sudo toa-doctor bundle -i eth0 --duration 30 --port 80
  sudo toa-doctor bundle -i eth0 --anonymize -o ticket-1234.tar.gz
  toa-doctor bundle --from-pcap capture.pcap           (a capture you already have + this host)
  toa-doctor bundle                                    (host evidence only)
  toa-doctor read toa-doctor-web1-20240101T000000Z.tar.gz

Ctrl-C ends the capture early and still writes a complete bundle. The archive path is printed on
standard output. Exit codes: 0 no error finding, 1 error findings, 2 usage/capture error.`,
    )
    .action((opts: BundleCliOptions) => runBundle(opts));
}
