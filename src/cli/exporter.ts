/**
 * `toa-doctor exporter [IFACE] [FILTER...]`: a long-running Prometheus exporter (src/exporter).
 * Log lines go to stderr, one per event (journald adds the time); stdout stays empty.
 */
import { type Command, Option } from 'commander';
import { ENGINE_CHOICES, type EngineChoice } from '../capture/live/index.js';
import { cannotListenText } from '../errors.js';
import { DEFAULT_FINAL } from '../exporter/final.js';
import { formatListen, parseListen } from '../exporter/server.js';
import { PROFILES, type ProfileName } from '../flow/types.js';
import { toolVersion } from '../version.js';
import { EXIT, UserError } from './errors.js';
import { choice, existingDir, positiveInt, positiveNumber, profileName } from './options.js';

export const DEFAULT_LISTEN = '127.0.0.1:9877';
export const DEFAULT_MAX_FLOWS = 131_072;

export interface ExporterCliOptions {
  listen: string;
  engine: string;
  profile: string;
  maxFlows: string;
  settle: string;
  idleTimeout: string;
  linger: string;
  portLabels: string;
  host: boolean;
  hostInterval: string;
  root: string;
  dmesgFile?: string;
  dmesg: boolean;
  retry: string;
  buffer?: string;
}

function log(line: string): void {
  process.stderr.write(`toa-doctor: ${line}\n`);
}

async function runExporter(
  ifaceArg: string | undefined,
  filterWords: string[],
  o: ExporterCliOptions,
): Promise<void> {
  const listen = parseListen(o.listen);
  if (!listen)
    throw new UserError(
      `--listen: not ADDR:PORT: ${o.listen}`,
      'e.g. --listen 127.0.0.1:9877 or --listen [::1]:9877',
    );
  choice('--engine', ENGINE_CHOICES)(o.engine);
  profileName(o.profile);
  if (o.host)
    existingDir('--root', o.root, "a directory holding the host's proc/ and sys/ (e.g. --root /host)");
  const seconds = (name: string, v: string, example: number) => positiveNumber(name, example, 'seconds')(v);
  const maxFlows = positiveInt('--max-flows', 262144)(o.maxFlows);
  const final = {
    settleSec: seconds('--settle', o.settle, 2),
    idleSec: seconds('--idle-timeout', o.idleTimeout, 60),
    lingerSec: seconds('--linger', o.linger, 10),
  };
  const portLabels = positiveInt('--port-labels', 16)(o.portLabels);
  const hostIntervalSec = seconds('--host-interval', o.hostInterval, 15);
  const retrySec = seconds('--retry', o.retry, 5);
  const bufferMiB = o.buffer === undefined ? undefined : positiveNumber('--buffer', 32, 'MiB')(o.buffer);
  if (filterWords.length) {
    const { filterProblem, exporterFilter } = await import('../exporter/filter.js');
    const { findTcpdump } = await import('../capture/live/index.js');
    const tcpdump = findTcpdump();
    const problem = tcpdump ? filterProblem(exporterFilter(filterWords), tcpdump) : null;
    if (problem)
      throw new UserError(
        `invalid FILTER '${filterWords.join(' ')}': ${problem}`,
        'FILTER is BPF (man pcap-filter), e.g. `toa-doctor exporter eth0 port 80 or port 443`',
      );
  }
  const { defaultInterface } = await import('./live.js');
  const iface = ifaceArg ?? defaultInterface();
  const { Exporter } = await import('../exporter/exporter.js');
  const exporter = new Exporter({
    iface,
    filterWords,
    listen,
    engine: o.engine as EngineChoice,
    profile: o.profile as ProfileName,
    maxFlows,
    final,
    portLabels,
    hostRoot: o.host ? o.root : null,
    dmesgFile: o.dmesgFile,
    dmesg: o.dmesg,
    hostIntervalSec,
    retrySec,
    bufferSize: bufferMiB === undefined ? undefined : Math.round(bufferMiB * 1024 * 1024),
    version: toolVersion(),
    log,
  });
  try {
    await exporter.start();
  } catch (e) {
    const t = cannotListenText(formatListen(listen), e);
    await exporter.stop();
    throw new UserError(t.message, t.hint, EXIT.USAGE, t.code);
  }
  await new Promise<void>((resolve) => {
    const done = (sig: NodeJS.Signals) => {
      log(`${sig}: stopping`);
      process.removeListener('SIGINT', done);
      process.removeListener('SIGTERM', done);
      resolve();
    };
    process.on('SIGINT', done);
    process.on('SIGTERM', done);
  });
  await exporter.stop();
  process.exitCode = EXIT.OK;
}

export function register(program: Command): void {
  program
    .command('exporter')
    .description('Prometheus exporter: judge every connection live, count verdicts, watch the TOA module')
    .argument('[iface]', 'interface to capture on (default: the first up interface with an address)')
    .argument('[filter...]', "BPF words that narrow the exporter's own low-overhead filter, e.g. port 443")
    .option('--listen <addr:port>', 'where /metrics and /healthz are served', DEFAULT_LISTEN)
    .addOption(
      new Option('--engine <engine>', 'capture engine (auto: tcpdump when installed, else cap)')
        .choices(ENGINE_CHOICES)
        .default('auto'),
    )
    .addOption(
      new Option('--profile <name>', `which TOA variants the backend module reads: ${PROFILES.join(', ')}`)
        .argParser(profileName)
        .default('auto'),
    )
    .option(
      '--max-flows <n>',
      'flow table cap (evicted flows are still counted once)',
      String(DEFAULT_MAX_FLOWS),
    )
    .option(
      '--settle <seconds>',
      'after the handshake ACK, wait this long for a TOA on the first data before the verdict is final',
      String(DEFAULT_FINAL.settleSec),
    )
    .option(
      '--idle-timeout <seconds>',
      'a flow without packets this long is final (unfinished handshakes) or released',
      String(DEFAULT_FINAL.idleSec),
    )
    .option(
      '--linger <seconds>',
      'a closed, counted connection keeps its slot this long',
      String(DEFAULT_FINAL.lingerSec),
    )
    .option(
      '--port-labels <n>',
      'distinct server ports with their own server_port label (then "other")',
      '16',
    )
    .option('--no-host', 'no host evidence (module, toa_stats, kernel log)')
    .option('--host-interval <seconds>', 'seconds between two looks at the host', '15')
    .option(
      '--root <dir>',
      "read the host's files under this directory (a container's view of the host: /host)",
      '/',
    )
    .option('--dmesg-file <file>', 'read the kernel log from this file instead of dmesg/journalctl')
    .option('--no-dmesg', 'do not read the kernel log')
    .option('--retry <seconds>', 'seconds between capture restarts while the capture is down', '5')
    .option('--buffer <MiB>', 'kernel capture buffer size (default 64 for tcpdump, 256 for cap)')
    .addHelpText(
      'after',
      `
Serves GET /metrics (Prometheus text format) and GET /healthz (JSON; 503 while
not capturing). Each connection is counted once, when its verdict is final.
Needs CAP_NET_RAW, not root: contrib/systemd/toa-doctor-exporter@.service.
Runs until SIGTERM/Ctrl-C. Exit codes: 0 stopped by a signal, 2 usage error
(bad flag or FILTER, listen address in use).`,
    )
    .action(runExporter);
}
