/**
 * `toa-doctor live IFACE`: capture with the cap or tcpdump engine, analyse as packets arrive, show
 * the dashboard (TTY) or NDJSON flow events (not a TTY, --no-tui, --json), and end — by
 * --duration, -c, SIGINT/SIGTERM or `q` — with the same final report `read` prints for a file.
 */
import { closeSync, openSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { type Command, Option } from 'commander';
import {
  buildFilter,
  ENGINE_CHOICES,
  type EngineChoice,
  type EngineResult,
  filterCaveat,
  type LiveEngine,
  listInterfacesSync,
  selectEngine,
  type TcpdumpEngine,
} from '../capture/live/index.js';
import type { CaptureSummary, Frame } from '../capture/types.js';
import { PcapWriter } from '../capture/writer.js';
import { diagnose } from '../diagnose/index.js';
import { formatEndpoint } from '../endpoint.js';
import { cannotWrite } from '../errors.js';
import { Analyzer } from '../flow/analyzer.js';
import type { AnalysisResult } from '../flow/result.js';
import { type FlowRecord, PROFILES, type ProfileName } from '../flow/types.js';
import {
  buildEvidence,
  collectHost,
  type HostEvidence,
  type HostSnapshot,
  loadHostDir,
} from '../host/index.js';
import { hostModelGuess } from '../host/model.js';
import { chooseModel, type ModelChoice } from '../model/choose.js';
import { buildReport, type ReportInput } from '../report/build.js';
import { renderText } from '../report/text.js';
import { toolVersion } from '../version.js';
import { colorEnabled } from './color.js';
import { EXIT, ToaError, UserError } from './errors.js';
import {
  choice,
  collectList,
  type Direction,
  lbList,
  parseDirection,
  parseSnaplen,
  positiveInt,
  positiveNumber,
  profileName,
  startsFilterExpression,
} from './options.js';

export interface LiveOptions {
  /** --profile was given on the command line (else the host evidence may choose the model) */
  profileGiven?: boolean;
  engine: string;
  duration?: string;
  count?: string;
  write?: string;
  port?: string[];
  host?: string[];
  filter?: string;
  profile: string;
  lb?: string[];
  tui: boolean;
  json?: boolean;
  hostDir?: string;
  hostRoot?: string;
  hostPoll?: boolean;
  color?: boolean;
  promisc?: boolean;
  buffer?: string;
  maxFlows?: string;
  html?: string;
  /** tcpdump-style options */
  i?: string;
  s?: number;
  p?: boolean;
  Q?: Direction;
  l?: boolean;
}

type Mode = 'tui' | 'stream' | 'json';

/** an optional option through a shared parser (src/cli/options.ts) */
function opt<T>(v: string | undefined, parse: (v: string) => T): T | undefined {
  return v === undefined ? undefined : parse(v);
}

/** `live 2` / `-i 2`: the interface numbered 2 in `toa-doctor -D`, as tcpdump does */
function resolveInterface(word: string): string {
  if (!/^\d+$/.test(word)) return word;
  const list = listInterfacesSync();
  if (list.some((d) => d.name === word)) return word;
  const d = list[Number(word) - 1];
  if (!d)
    throw new UserError(
      `no interface number ${word}: \`toa-doctor -D\` lists ${list.length}`,
      `name it or pick a number from 1 to ${list.length} (toa-doctor -D)`,
    );
  return d.name;
}

/** the interface (from -i, or the first word unless it starts the expression) and the expression */
export function interfaceAndExpression(
  first: string | undefined,
  rest: string[],
  o: LiveOptions,
): { iface: string | undefined; expression: string | undefined } {
  const words = first === undefined ? rest : [first, ...rest];
  if (o.i !== undefined) return { iface: resolveInterface(o.i), expression: words.join(' ') || undefined };
  if (words.length && !startsFilterExpression(words[0]!))
    return { iface: resolveInterface(words[0]!), expression: words.slice(1).join(' ') || undefined };
  return { iface: undefined, expression: words.join(' ') || undefined };
}

export function defaultInterface(): string {
  const d = listInterfacesSync().find(
    (x) => x.state === 'up' && !x.loopback && x.name !== 'any' && x.addresses.length,
  );
  if (!d)
    throw new UserError(
      'no interface given and no up, non-loopback interface with an address found',
      'name one: `toa-doctor live eth0` (list: `toa-doctor interfaces`)',
    );
  return d.name;
}

/** The NDJSON event for one judged flow. */
export function flowEvent(f: FlowRecord): Record<string, unknown> {
  return {
    event: 'flow',
    id: f.id,
    family: f.family,
    client: formatEndpoint(f.client.address, f.client.port),
    server: formatEndpoint(f.server.address, f.server.port),
    realClient: f.toa?.address ? formatEndpoint(f.toa.address, f.toa.port) : null,
    verdict: f.verdict,
    reason: f.reason,
    toa: f.toa
      ? {
          variant: f.toa.variant,
          kind: f.toa.kind,
          length: f.toa.length,
          address: f.toa.address,
          port: f.toa.port,
          packets: f.toa.packets,
        }
      : null,
    packets: f.packets,
    firstTs: f.firstTs,
    lastTs: f.lastTs,
    closed: f.fin || f.rst,
  };
}

function flowKey(f: FlowRecord): string {
  return `${f.client.address}|${f.client.port}|${f.server.address}|${f.server.port}|${f.firstTs}`;
}

/** NDJSON lines to stdout in batches (a busy server closes tens of thousands of flows a second). */
class EventLines {
  private buf: string[] = [];
  private size = 0;
  /** -l: write each event at once */
  constructor(private readonly lineBuffered = false) {}
  push(o: unknown): void {
    const line = `${JSON.stringify(o)}\n`;
    this.buf.push(line);
    this.size += line.length;
    if (this.lineBuffered || this.size >= 256 * 1024) this.flush();
  }
  flush(): void {
    if (!this.buf.length) return;
    process.stdout.write(this.buf.join(''));
    this.buf = [];
    this.size = 0;
  }
}

async function runLive(first: string | undefined, rest: string[], o: LiveOptions): Promise<void> {
  const picked = interfaceAndExpression(first, rest, o);
  const ifaceArg = picked.iface;
  if (picked.expression !== undefined) {
    if (o.filter !== undefined)
      throw new UserError(
        'two filters: --filter and an expression after the interface',
        `give one, e.g. toa-doctor live ${ifaceArg ?? 'eth0'} ${picked.expression}`,
      );
    o.filter = picked.expression;
  }
  if (o.p && o.promisc)
    throw new UserError('-p (no promiscuous mode) and --promisc contradict each other', 'keep one of them');
  // cap cannot set a snap length or a direction: those need the tcpdump engine
  const needsTcpdump = o.s !== undefined ? '-s' : o.Q !== undefined && o.Q !== 'inout' ? '-Q' : null;
  if (needsTcpdump && o.engine === 'cap')
    throw new UserError(
      `${needsTcpdump} needs the tcpdump engine`,
      'drop --engine cap (or use --engine tcpdump)',
    );
  const switched = needsTcpdump !== null && o.engine === 'auto';
  if (switched) o.engine = 'tcpdump';
  const mode: Mode = o.json ? 'json' : !o.tui || !process.stdout.isTTY ? 'stream' : 'tui';
  const duration = opt(o.duration, positiveNumber('--duration', 30, 'seconds'));
  const limit = opt(o.count, positiveInt('-c', 1000));
  const bufferMiB = opt(o.buffer, positiveNumber('--buffer', 64, 'MiB'));
  const maxFlows = opt(o.maxFlows, positiveInt('--max-flows', 100000));
  choice('--engine', ENGINE_CHOICES)(o.engine);
  const lb = lbList(o.lb);
  const iface = ifaceArg ?? defaultInterface();
  let filter: string;
  try {
    filter = buildFilter({ filter: o.filter, port: o.port, host: o.host });
  } catch (e) {
    throw new UserError((e as Error).message, 'e.g. --port 80,443 --host 10.0.0.0/8');
  }
  const warnings: string[] = [];
  const caveat = filterCaveat(filter);
  if (caveat) warnings.push(caveat);
  if (o.write) {
    try {
      closeSync(openSync(o.write, 'a'));
    } catch (e) {
      throw cannotWrite(o.write, e, '-w');
    }
  }
  if (o.html) (await import('./report.js')).checkWritable(o.html);
  let analyzer: Analyzer;
  // flows reported early (closed, seen in a snapshot) until the analyzer reports them done: the
  // set holds only flows still in the table
  const early = new Set<string>();
  const events = new EventLines(!!o.l);
  const emitEarly = (f: FlowRecord) => {
    const k = flowKey(f);
    if (early.has(k)) return;
    early.add(k);
    events.push(flowEvent(f));
  };
  const emit = (f: FlowRecord) => {
    if (early.size && early.delete(flowKey(f))) return;
    events.push(flowEvent(f));
  };
  let hostEvidence: HostEvidence | null = null;
  if (o.hostDir) hostEvidence = await loadHostDir(o.hostDir);
  // host evidence over the capture: a full look at start and at the end (deltas between them)
  const hostRoot =
    o.hostPoll === false || hostEvidence ? null : (o.hostRoot ?? (mode === 'tui' ? '/' : null));
  const polledHost = hostRoot ? startHostEvidence(hostRoot) : null;
  // without --profile, the module the host evidence (--host-dir, or the first poll) identifies
  // judges the flows (src/model/choose.ts)
  const asked = o.profileGiven ? o.profile : undefined;
  const firstLook = asked ? null : (hostEvidence ?? (polledHost ? await polledHost.first() : null));
  const modelChoice = chooseModel(asked, firstLook ? hostModelGuess(firstLook) : null);
  const profile = (modelChoice.by === 'host' ? modelChoice.model.id : o.profile) as ProfileName;
  analyzer = new Analyzer({
    profile,
    model: modelChoice.model,
    lb,
    maxFlows,
    onFlowDone: mode === 'tui' ? undefined : emit,
    keepOptionBytes: o.html !== undefined,
  });

  const selected = await selectEngine(o.engine as EngineChoice, {
    iface,
    filter,
    bufferSize: bufferMiB ? Math.round(bufferMiB * 1024 * 1024) : undefined,
    promisc: !!o.promisc,
    snaplen: o.s,
    direction: o.Q,
  });
  const engine = selected.engine;
  const reason = switched ? `auto: ${needsTcpdump} needs tcpdump` : selected.reason;

  // ---- the hot path: analyse, write, count; nothing else
  let writer: PcapWriter | null = null;
  let captured = 0;
  let done = false;
  let stopWhy = '';
  let resolveStop: (why: string) => void = () => undefined;
  const stopped = new Promise<string>((r) => {
    resolveStop = r;
  });
  const requestStop = (why: string) => {
    if (stopWhy) return;
    stopWhy = why;
    resolveStop(why);
  };
  // what toa-doctor captured = what it analysed (with -c exactly N): the one count every output
  // reports (the engine may have read a few more packets before it stopped; those are not captured)
  const got = { packets: 0, bytes: 0, linkTypes: {} as Record<number, number>, first: -1, last: -1 };
  const sink = (f: Frame) => {
    if (done) return;
    analyzer.push(f);
    got.packets++;
    got.bytes += f.capturedLength;
    got.linkTypes[f.linkType] = (got.linkTypes[f.linkType] ?? 0) + 1;
    const ts = f.tsSec + f.tsNsec / 1e9;
    if (got.first < 0) got.first = ts;
    got.last = ts;
    if (o.write) {
      if (!writer) writer = new PcapWriter(o.write, f.linkType);
      writer.write(f);
    }
    if (limit !== undefined && ++captured >= limit) {
      done = true;
      requestStop(`${limit} packets captured`);
    }
  };

  const ended: { error: Error | null } = { error: null };
  await engine.start(sink);
  const t0 = performance.now();
  engine.onEnded((err) => {
    ended.error = err;
    requestStop(err ? `capture ended: ${err.message}` : 'capture ended');
  });
  const startInfo = {
    event: 'start',
    iface,
    engine: engine.name,
    engineReason: reason,
    filter,
    profile: o.profile,
    time: new Date().toISOString(),
    warnings,
  };
  if (mode !== 'tui') {
    process.stderr.write(
      `toa-doctor: capturing on ${iface} with ${engine.name} (${reason}), filter '${filter}'${duration ? `, for ${duration} s` : ''}${limit ? `, up to ${limit} packets` : ''}; Ctrl-C stops\n`,
    );
    for (const w of warnings) process.stderr.write(`toa-doctor: warning: ${w}\n`);
    events.push(startInfo);
    events.flush();
  }

  const timers: NodeJS.Timeout[] = [];
  if (duration) timers.push(setTimeout(() => requestStop(`${duration} s elapsed`), duration * 1000));
  const onSignal = (sig: NodeJS.Signals) => requestStop(sig);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  timers.push(
    setInterval(() => {
      const w = writer as PcapWriter | null;
      w?.flush();
    }, 1000),
  );
  const td = engine.name === 'tcpdump' ? (engine as TcpdumpEngine) : null;
  if (td) timers.push(setInterval(() => td.requestStats(), 2000));
  if (engine.name === 'cap') {
    // cap cannot count kernel drops: say so when the rate gets near what it can take
    let last = { at: performance.now(), packets: 0 };
    const capTimer = setInterval(() => {
      const now = { at: performance.now(), packets: engine.stats().packets };
      const pps = ((now.packets - last.packets) * 1000) / Math.max(1, now.at - last.at);
      last = now;
      if (pps < CAP_WARN_PPS) return;
      clearInterval(capTimer);
      const w = `${Math.round(pps / 1000)}k packets/s: the cap engine cannot count kernel drops and loses packets above ~70k/s; use --engine tcpdump`;
      warnings.push(w);
      if (mode !== 'tui') process.stderr.write(`toa-doctor: warning: ${w}\n`);
    }, 2000);
    timers.push(capTimer);
  }

  // ---- NDJSON: closed flows are reported as soon as a snapshot shows them
  if (mode !== 'tui') {
    timers.push(
      setInterval(() => {
        const snap = analyzer.snapshot(200);
        for (const f of snap.newest) if (f.fin || f.rst) emitEarly(f);
        events.flush();
      }, 500),
    );
  }

  let dashboard: { stop(): Promise<void> } | null = null;
  if (mode === 'tui') {
    const { startDashboard } = await import('../tui/run.js');
    dashboard = await startDashboard({
      analyzer,
      engine,
      iface,
      filter,
      engineReason: reason,
      profile: modelChoice.by === 'host' ? `${profile} (from host)` : o.profile,
      warnings,
      startedAt: t0,
      packetCount: () => got.packets,
      color: colorEnabled(o.color, process.stdout),
      hostEvidence,
      hostRoot,
      onQuit: () => requestStop('q pressed'),
    });
  }

  const why = await stopped;
  // (packets still buffered by the engine are analysed while it stops: the tail is not lost; only
  // -c ends the sink at exactly N packets)
  for (const t of timers) clearInterval(t);
  process.removeListener('SIGINT', onSignal);
  process.removeListener('SIGTERM', onSignal);
  // a second Ctrl-C while finishing aborts at once
  const abort = () => process.exit(130);
  process.once('SIGINT', abort);

  let result: EngineResult | null = null;
  let stopErr: unknown = null;
  try {
    result = await engine.stop();
  } catch (e) {
    stopErr = e;
  }
  const w = writer as PcapWriter | null;
  if (o.write) {
    if (w) w.close();
    else new PcapWriter(o.write, engine.stats().linkType ?? 1).close();
  }
  if (dashboard) await dashboard.stop();
  const elapsedSec = (performance.now() - t0) / 1000;
  const analysis = analyzer.finish(); // emits the remaining flows as events (stream/json)
  if (stopErr) throw stopErr;
  if (ended.error && mode === 'tui') process.stderr.write(`toa-doctor: ${ended.error.message}\n`);
  const stats = result ?? engineStatsFallback(engine);
  if (mode !== 'tui')
    events.push({
      event: 'end',
      reason: why,
      elapsedSec: Math.round(elapsedSec * 1000) / 1000,
      packets: limit !== undefined ? got.packets : stats.packets,
      analysed: analysis.stats.packets,
      kernelDrops: stats.kernelDrops,
      written: o.write ? (w?.packets ?? 0) : undefined,
    });
  events.flush();
  if (polledHost) hostEvidence = await polledHost.finish();
  const report = await finalReport({
    analysis,
    summary:
      result?.summary && limit !== undefined
        ? {
            ...result.summary,
            packets: got.packets,
            bytes: got.bytes,
            linkTypes: got.linkTypes,
            firstTs: got.first < 0 ? null : got.first,
            lastTs: got.last < 0 ? null : got.last,
          }
        : (result?.summary ?? null),
    host: hostEvidence,
    hostDir: o.hostDir ?? (hostEvidence ? hostEvidence.source : null),
    lb,
    profile,
    model: modelChoice,
    json: !!o.json,
    color: colorEnabled(o.color, process.stdout), // the one rule (a JSON report ignores it)
    html: o.html,
  });
  process.stdout.write(report.output);
  process.removeListener('SIGINT', abort);
  process.exitCode = report.exitCode === 1 ? EXIT.FINDINGS : EXIT.OK;
}

interface FinalReportInput {
  analysis: AnalysisResult;
  summary: CaptureSummary | null;
  host: HostEvidence | null;
  hostDir: string | null;
  lb: string[];
  profile: ProfileName;
  model: ModelChoice;
  json: boolean;
  color: boolean;
  /** also write the HTML page here */
  html?: string;
}

/** packets/s above which the cap engine warns (it starts losing packets at ~70k/s, uncounted) */
const CAP_WARN_PPS = 50_000;

/** At most this many flows in the one-line JSON report (the flow events carry every flow). */
const JSON_REPORT_FLOWS = 100_000;

/**
 * The report `read` prints for a file, from the live analysis: the same diagnose → buildReport →
 * renderText chain as runRead (which takes files, not an analysis).
 */
async function finalReport(i: FinalReportInput): Promise<{ output: string; exitCode: 0 | 1 }> {
  const captures = i.summary ? [i.summary] : [];
  const findings = diagnose(i.analysis, {
    lb: i.lb,
    profile: i.profile,
    host: i.host ?? undefined,
    captures,
    model: i.model,
  });
  let hostJson: Record<string, unknown> | null = null;
  let hostText: string | undefined;
  if (i.host) {
    const h = await import('../report/host.js');
    const { diagnoseHost } = await import('../diagnose/host-rules.js');
    if (i.json || i.html)
      hostJson = h.hostToJson(i.host, diagnoseHost(i.host), { toolVersion: toolVersion() });
    if (!i.json)
      hostText = h.renderHostText(i.host, [], { color: i.color, showInfo: false, showFindings: false });
  }
  const input: ReportInput = {
    result: i.analysis,
    findings,
    captures,
    flows: 'problems',
    hostDir: i.hostDir,
    hostJson,
    toolVersion: toolVersion(),
    model: i.model,
  };
  if (i.html) {
    // the capture is over: a page that cannot be written must not cost the final report
    try {
      const { htmlReportDocument } = await import('../report/html/document.js');
      const { htmlPage, writeHtmlReport } = await import('./report.js');
      writeHtmlReport(
        i.html,
        await htmlPage(htmlReportDocument({ ...input, flows: 'all' }), 'toa-doctor live'),
      );
    } catch (e) {
      const hint = e instanceof ToaError ? `\n  hint: ${e.hint}` : '';
      process.stderr.write(`toa-doctor: the HTML page was not written: ${(e as Error).message}${hint}\n`);
    }
  }
  if (i.json) {
    const doc = buildReport({ ...input, flowLimit: JSON_REPORT_FLOWS });
    return { output: `${JSON.stringify(doc)}\n`, exitCode: doc.summary.exitCode };
  }
  const maxRows = 50;
  const doc = buildReport({ ...input, flowLimit: maxRows + 1 });
  const width = Math.max(60, Math.min(160, process.stdout.columns ?? 100));
  return {
    output: renderText(doc, { color: i.color, width, maxRows, hostText, command: 'live' }),
    exitCode: doc.summary.exitCode,
  };
}

/** collectHost at start; finish() collects again and builds before/after evidence. */
function startHostEvidence(root: string): {
  first(): Promise<HostEvidence | null>;
  finish(): Promise<HostEvidence | null>;
} {
  const before: Promise<HostSnapshot | null> = collectHost(root).catch(() => null);
  return {
    async first() {
      const b = await before;
      return b ? buildEvidence(root, b) : null;
    },
    async finish() {
      const b = await before;
      const after = await collectHost(root).catch(() => null);
      if (!after) return null;
      return buildEvidence(root, after, b);
    },
  };
}

function engineStatsFallback(engine: LiveEngine) {
  return engine.stats();
}

export function register(program: Command): void {
  program
    .command('live')
    .description('capture live traffic and show, within seconds, whether client addresses get through')
    .usage('[options] [-i] [IFACE] [expression]')
    .argument(
      '[iface]',
      'interface to capture on, by name or by its number in `toa-doctor -D` (`any` for all)',
    )
    .argument('[expression...]', "pcap-filter expression for the kernel, as tcpdump's (default 'tcp')")
    .option('-i <iface>', 'interface (tcpdump style; a number picks from `toa-doctor -D`)')
    .option(
      '-s <snaplen>',
      'snapshot length in bytes, as tcpdump -s (0 = 262144; tcpdump engine)',
      parseSnaplen,
    )
    .option('-p', 'do not put the interface into promiscuous mode (the default here)')
    .option(
      '-Q <direction>',
      'capture in, out or inout packets, as tcpdump -Q (tcpdump engine)',
      parseDirection,
    )
    .option('-n', 'do not resolve names (names are never resolved; -nn too)')
    .option('-l', 'write each NDJSON event at once')
    .addOption(
      new Option('--engine <engine>', 'capture engine: cap (libpcap in-process) or tcpdump (pipe)')
        .choices(ENGINE_CHOICES)
        .default('auto'),
    )
    .option('--duration <seconds>', 'stop after this many seconds')
    .option('-c, --count <packets>', 'stop after this many packets')
    .option('-w, --write <file>', 'also write the captured packets to a pcap file')
    .option(
      '--port <port,...>',
      "only these TCP ports (adds 'port N' to the filter; repeatable)",
      collectList,
    )
    .option(
      '--host <addr|cidr,...>',
      "only these hosts or networks (adds 'host A' / 'net N/M'; repeatable)",
      collectList,
    )
    .option('--filter <bpf>', "BPF expression replacing the default 'tcp' (same as a trailing expression)")
    .option(
      '--profile <name>',
      `which TOA variants the backend module reads: ${PROFILES.join(', ')}`,
      profileName,
      'auto',
    )
    .option(
      '--lb <cidr,...>',
      "the LB's source addresses; TOA from elsewhere is flagged (repeatable)",
      collectList,
    )
    .option('--no-tui', 'no dashboard: NDJSON flow events, then the text report')
    .option('--json', 'no dashboard: NDJSON flow events, then the JSON report on one line')
    .option('--host-dir <dir>', 'host snapshot directory for the host panel and the report (no polling)')
    .option('--host-poll', 'look at this host (modules, toa_stats, dmesg) also without the dashboard')
    .option('--no-host-poll', 'do not look at this host (default with the dashboard: poll and report it)')
    .addOption(new Option('--host-root <dir>', 'look at this root instead of / (tests)').hideHelp())
    .option('--no-color', 'no colours, in the dashboard and the report (also: NO_COLOR=1)')
    .option('--promisc', 'promiscuous mode (needs CAP_NET_ADMIN; the cap engine always uses it)')
    .option('--buffer <MiB>', 'kernel capture buffer size (default 64 for tcpdump, 256 for cap)')
    .option('--max-flows <n>', 'flow table cap (default 1,000,000)')
    .option('--html <file>', 'at the end, also write the report as a self-contained HTML page')
    .addHelpText(
      'after',
      `
Ends with --duration, -c, Ctrl-C/SIGTERM, or q in the dashboard, always with the final report.
Without a terminal (or --no-tui/--json) stdout carries one JSON object per line:
  {"event":"start",...}  {"event":"flow","verdict":"TOA_OK",...} ...  {"event":"end",...}
then the report (text, or with --json the report document as the last line).
Needs root or CAP_NET_RAW. Exit codes: 0 no error finding, 1 error findings, 2 usage/capture error.`,
    )
    .action((iface: string | undefined, rest: string[], o: LiveOptions, cmd: Command) =>
      runLive(iface, rest, { ...o, profileGiven: cmd.getOptionValueSource('profile') === 'cli' }),
    );
}
