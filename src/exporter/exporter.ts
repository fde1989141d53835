/**
 * The long-running exporter: capture engine (src/capture/live) → Analyzer (src/flow) → final
 * verdicts (final.ts) → metric registry (metrics.ts); host evidence every interval (host.ts); the
 * HTTP endpoint (server.ts). Nothing here prints or reads argv: log lines go to `log`, and the
 * CLI (src/cli/exporter.ts) turns a failed start into a message and an exit code.
 *
 * Bad conditions keep it serving what it can:
 *   - the port is in use            start() rejects (nothing is running yet: fail fast)
 *   - the capture cannot start, or  logged once, capture_up 0, /healthz 503 with the reason, and
 *     the interface disappears      retried every `retrySec` (the flow table and counts are kept)
 *   - a host file cannot be read    logged once, host_up 0, /healthz lists it; other rows stay
 */
import type { Server } from 'node:http';
import { collectDefaultMetrics, Registry } from 'prom-client';
import {
  type EngineChoice,
  findTcpdump,
  type LiveEngine,
  selectEngine,
  type TcpdumpEngine,
} from '../capture/live/index.js';
import type { Frame } from '../capture/types.js';
import { Analyzer } from '../flow/analyzer.js';
import type { ProfileName } from '../flow/types.js';
import { EXPORTER_SNAPLEN, exporterFilter } from './filter.js';
import { Finalizer, type FinalOptions, type JudgedConnection } from './final.js';
import { HostWatch } from './host.js';
import { ExporterMetrics, type MetricName, type Sample } from './metrics.js';
import { formatListen, type ListenAddress, startServer } from './server.js';

export interface ExporterOptions {
  iface: string;
  /** BPF words narrowing the low-overhead filter */
  filterWords: string[];
  listen: ListenAddress;
  engine: EngineChoice;
  profile: ProfileName;
  maxFlows: number;
  final: FinalOptions;
  /** distinct server ports that get their own server_port label; later ones are `other` */
  portLabels: number;
  /** root directory of host evidence; null: no host evidence */
  hostRoot: string | null;
  dmesgFile?: string;
  dmesg: boolean;
  hostIntervalSec: number;
  /** seconds between capture restarts while it is down */
  retrySec: number;
  /** seconds between flow sweeps (default 1) */
  sweepSec?: number;
  bufferSize?: number;
  version: string;
  log: (line: string) => void;
}

const NODE_GAUGES_NAMED_TOTAL = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
];

interface CaptureState {
  engine: LiveEngine | null;
  engineName: string | null;
  reason: string | null;
  up: boolean;
  /** why it is down (null while up) */
  problem: string | null;
  restarts: number;
  startedAtMs: number | null;
}

export class Exporter {
  readonly registry = new Registry();
  readonly metrics: ExporterMetrics;
  readonly analyzer: Analyzer;
  readonly finalizer: Finalizer;
  readonly host: HostWatch | null;
  readonly filter: string;
  private server: Server | null = null;
  private timers: NodeJS.Timeout[] = [];
  private retryTimer: NodeJS.Timeout | null = null;
  private stopped = false;
  private readonly capture: CaptureState = {
    engine: null,
    engineName: null,
    reason: null,
    up: false,
    problem: 'not started',
    restarts: 0,
    startedAtMs: null,
  };
  /** packets and kernel drops of engines that already ended (a restart starts again from 0) */
  private dropsBefore = 0;
  private dropsCounted = false;
  private lastPacketTs = 0;
  private readonly errors = { capture: 0, http: 0 };
  private readonly portLabel = new Map<number, string>();
  /** judged connections by verdict, for /healthz */
  readonly judgedByVerdict = new Map<string, number>();
  private readonly sink = (f: Frame) => {
    this.analyzer.push(f);
    this.lastPacketTs = f.tsSec;
  };

  constructor(private readonly o: ExporterOptions) {
    this.filter = exporterFilter(o.filterWords);
    this.metrics = new ExporterMetrics(this.registry, (n) => this.samples(n));
    collectDefaultMetrics({ register: this.registry });
    // prom-client names three gauges *_total, which `promtool check metrics` rejects
    for (const n of NODE_GAUGES_NAMED_TOTAL) this.registry.removeSingleMetric(n);
    this.metrics.unjudged.inc({ reason: 'no_handshake' }, 0);
    this.analyzer = new Analyzer({
      profile: o.profile,
      maxFlows: o.maxFlows,
      onSlotDone: (slot, v) => this.finalizer.onEvicted(slot, v),
      // a small start: the table grows by doubling up to --max-flows
      initialSlots: Math.min(o.maxFlows, 16_384),
    });
    this.finalizer = new Finalizer(
      this.analyzer,
      o.final,
      (c) => this.count(c),
      (reason) => this.metrics.unjudged.inc({ reason }),
    );
    this.host = o.hostRoot
      ? new HostWatch({ root: o.hostRoot, dmesgFile: o.dmesgFile, dmesg: o.dmesg, log: o.log })
      : null;
  }

  private serverPortLabel(port: number): string {
    const l = this.portLabel.get(port);
    if (l) return l;
    if (this.portLabel.size >= this.o.portLabels) return 'other';
    const s = String(port);
    this.portLabel.set(port, s);
    return s;
  }

  private count(c: JudgedConnection): void {
    this.metrics.judged.inc({
      verdict: c.verdict,
      variant: c.variant,
      packet: c.packet,
      server_port: this.serverPortLabel(c.serverPort),
    });
    this.judgedByVerdict.set(c.verdict, (this.judgedByVerdict.get(c.verdict) ?? 0) + 1);
  }

  /** Listen, then start capturing and looking at the host. Rejects only when it cannot listen. */
  async start(): Promise<void> {
    this.server = await startServer(this.o.listen, {
      metrics: async () => ({ contentType: this.registry.contentType, body: await this.registry.metrics() }),
      health: () => this.health(),
      onError: (e) => {
        this.errors.http++;
        this.o.log(`http: ${e.message}`);
      },
    });
    this.o.log(`serving /metrics and /healthz on http://${formatListen(this.o.listen)}`);
    await this.startCapture();
    const sweepMs = (this.o.sweepSec ?? 1) * 1000;
    this.timers.push(setInterval(() => this.finalizer.sweep(Date.now() / 1000), sweepMs));
    this.timers.push(
      setInterval(() => {
        const e = this.capture.engine;
        if (e && this.capture.up && e.name === 'tcpdump') (e as TcpdumpEngine).requestStats();
      }, 5000),
    );
    if (this.host) {
      const h = this.host;
      void h.look();
      this.timers.push(setInterval(() => void h.look(), this.o.hostIntervalSec * 1000));
    }
  }

  /** auto: tcpdump when installed (it honours the snap length and counts kernel drops), else cap */
  private async startCapture(): Promise<void> {
    if (this.stopped) return;
    const opts = {
      iface: this.o.iface,
      filter: this.filter,
      snaplen: EXPORTER_SNAPLEN,
      bufferSize: this.o.bufferSize,
      promisc: false,
    };
    const choice: EngineChoice =
      this.o.engine === 'auto' ? (findTcpdump() ? 'tcpdump' : 'cap') : this.o.engine;
    let engine: LiveEngine | null = null;
    try {
      const sel = await selectEngine(choice, opts);
      engine = sel.engine;
      await engine.start(this.sink);
      if (this.stopped) {
        await engine.stop().catch(() => undefined);
        return;
      }
      const wasDown = this.capture.problem !== 'not started';
      this.capture.engine = engine;
      this.capture.engineName = engine.name;
      this.capture.reason =
        this.o.engine === 'auto'
          ? choice === 'tcpdump'
            ? 'auto: tcpdump is installed (it honours the snap length and counts kernel drops)'
            : 'auto: tcpdump is not installed; cap cannot count kernel drops'
          : sel.reason;
      this.capture.up = true;
      this.capture.problem = null;
      this.capture.startedAtMs = Date.now();
      if (wasDown) this.capture.restarts++;
      this.o.log(
        `capturing on ${this.o.iface} with ${engine.name} (${this.capture.reason}), ${
          engine.name === 'tcpdump'
            ? `snap length ${EXPORTER_SNAPLEN}`
            : 'whole packets (cap has no snap length), kernel drops not countable'
        }${this.o.filterWords.length ? `, filter '${this.o.filterWords.join(' ')}'` : ''}`,
      );
      engine.onEnded((err) => this.captureEnded(engine!, err));
    } catch (e) {
      const msg = (e as Error).message;
      const hint = (e as { hint?: string }).hint;
      if (engine) await engine.stop().catch(() => undefined);
      this.captureDown(`cannot capture on ${this.o.iface}: ${msg}${hint ? ` (${hint})` : ''}`);
    }
  }

  private captureEnded(engine: LiveEngine, err: Error | null): void {
    if (this.stopped || this.capture.engine !== engine) return;
    const drops = engine.stats().kernelDrops;
    if (drops !== null) {
      this.dropsBefore += drops;
      this.dropsCounted = true;
    }
    this.capture.engine = null;
    void engine.stop().catch(() => undefined);
    this.captureDown(`capture on ${this.o.iface} ended: ${err ? err.message : 'the engine exited'}`);
  }

  private captureDown(problem: string): void {
    this.errors.capture++;
    const repeated = this.capture.problem === problem;
    this.capture.up = false;
    this.capture.problem = problem;
    if (!repeated) this.o.log(`${problem}; retrying every ${this.o.retrySec} s, still serving /metrics`);
    if (this.stopped) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.startCapture();
    }, this.o.retrySec * 1000);
  }

  /** What /healthz shows: ok while capturing; every problem spelled out. */
  health(): { ok: boolean; body: Record<string, unknown> } {
    const problems: string[] = [];
    if (!this.capture.up && this.capture.problem) problems.push(this.capture.problem);
    if (this.host) for (const p of this.host.problems) problems.push(`host: ${p}`);
    const t = this.analyzer.flowTable;
    return {
      ok: this.capture.up,
      body: {
        status: !this.capture.up ? 'down' : problems.length ? 'degraded' : 'ok',
        problems,
        capture: {
          up: this.capture.up,
          iface: this.o.iface,
          engine: this.capture.engineName,
          engineReason: this.capture.reason,
          filter: this.filter,
          restarts: this.capture.restarts,
          packets: this.analyzer.packets,
          kernelDrops: this.kernelDrops(),
          lastPacket: this.lastPacketTs ? new Date(this.lastPacketTs * 1000).toISOString() : null,
        },
        flows: { tracked: t.count, max: this.o.maxFlows, evicted: t.evicted },
        judged: Object.fromEntries(this.judgedByVerdict),
        host: this.host
          ? {
              root: this.o.hostRoot,
              looks: this.host.looks,
              lastLook: this.host.lastAtMs ? new Date(this.host.lastAtMs).toISOString() : null,
              implementations: this.host.evidence?.implementations ?? [],
              findings: this.host.findings.map((f) => f.code),
            }
          : null,
      },
    };
  }

  /** null while the engine cannot count them (cap) and none were counted before */
  private kernelDrops(): number | null {
    const now = this.capture.engine?.stats().kernelDrops ?? null;
    if (now === null && !this.dropsCounted) return null;
    return this.dropsBefore + (now ?? 0);
  }

  /** point-in-time samples for the rows that are read when scraped */
  private samples(name: MetricName): readonly Sample[] | null {
    const t = this.analyzer.flowTable;
    switch (name) {
      case 'toa_doctor_exporter_capture_up':
        return [[{}, this.capture.up ? 1 : 0]];
      case 'toa_doctor_exporter_capture_info':
        return [[{ engine: this.capture.engineName ?? 'none', iface: this.o.iface }, 1]];
      case 'toa_doctor_exporter_packets_total':
        return [[{}, this.analyzer.packets]];
      case 'toa_doctor_exporter_kernel_drops_total': {
        const d = this.kernelDrops();
        return d === null ? [] : [[{}, d]];
      }
      case 'toa_doctor_exporter_flows_tracked':
        return [[{}, t.count]];
      case 'toa_doctor_exporter_flow_evictions_total':
        return [[{}, t.evicted]];
      case 'toa_doctor_exporter_untracked_packets_total':
        return [[{}, t.untracked]];
      case 'toa_doctor_exporter_errors_total':
        return [
          [{ source: 'capture' }, this.errors.capture],
          [{ source: 'host' }, this.host?.errors ?? 0],
          [{ source: 'http' }, this.errors.http],
        ];
      case 'toa_doctor_exporter_last_packet_timestamp_seconds':
        return [[{}, this.lastPacketTs]];
      case 'toa_doctor_exporter_build_info':
        return [[{ version: this.o.version, profile: this.o.profile }, 1]];
      default:
        return this.host ? this.host.samples(name) : null;
    }
  }

  /** Stop capturing and serving; counts every flow still waiting for its final verdict. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    const e = this.capture.engine;
    this.capture.engine = null;
    this.capture.up = false;
    if (e) await e.stop().catch(() => undefined);
    this.finalizer.flush();
    const s = this.server;
    if (s) {
      await new Promise<void>((r) => {
        s.close(() => r());
        s.closeAllConnections();
      });
    }
  }
}
