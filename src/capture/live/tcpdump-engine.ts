/**
 * The `tcpdump` engine: `tcpdump -i IFACE -U -s 262144 -w - FILTER` with stdout fed into the
 * streaming pcap reader (kernel timestamps, tcpdump's own large ring buffer with -B). Kernel drops
 * come from tcpdump's statistics: asked for with SIGUSR1 while running, and printed at exit
 * ("N packets dropped by kernel"). Stopping sends SIGINT and reads stdout to EOF, so every packet
 * tcpdump captured is delivered (never lose the tail).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { StreamParser } from '../parser.js';
import {
  CaptureError,
  type CaptureSummary,
  type CaptureWarning,
  type Frame,
  type FrameSink,
} from '../types.js';
import type { EngineName, EngineResult, EngineStats, LiveCaptureOptions, LiveEngine } from './engine.js';
import { classifyCaptureFailure, noSuchInterface, tcpdumpMissing } from './errors.js';
import { interfaceExists } from './interfaces.js';

/** tcpdump's path (PATH plus the sbin directories sudo's secure_path may hide), or null. */
export function findTcpdump(env: NodeJS.ProcessEnv = process.env): string | null {
  if (env.TOA_DOCTOR_TCPDUMP) return env.TOA_DOCTOR_TCPDUMP;
  const dirs = [...(env.PATH ?? '').split(delimiter), '/usr/sbin', '/sbin', '/usr/local/sbin', '/usr/bin'];
  for (const d of dirs) {
    if (!d) continue;
    const p = join(d, 'tcpdump');
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // next
    }
  }
  return null;
}

export interface TcpdumpStatsLine {
  captured: number | null;
  received: number | null;
  kernelDrops: number | null;
  ifDrops: number | null;
}

/** Parse tcpdump's statistics (the exit block, or the one-line SIGUSR1 form). */
export function parseTcpdumpStats(text: string): TcpdumpStatsLine {
  const last = (re: RegExp): number | null => {
    let v: number | null = null;
    for (const m of text.matchAll(re)) v = Number(m[1]);
    return v;
  };
  return {
    captured: last(/(\d+) packets? captured/g),
    received: last(/(\d+) packets? received by filter/g),
    kernelDrops: last(/(\d+) packets? dropped by kernel/g),
    ifDrops: last(/(\d+) packets? dropped by interface/g),
  };
}

export function tcpdumpArgs(o: LiveCaptureOptions): string[] {
  const bufKiB = Math.max(1024, Math.round((o.bufferSize ?? 64 * 1024 * 1024) / 1024));
  return [
    '-i',
    o.iface,
    '-U',
    '-s',
    String(o.snaplen ?? 262144),
    '-B',
    String(bufKiB),
    ...(o.promisc ? [] : ['-p']),
    ...(o.direction && o.direction !== 'inout' ? ['-Q', o.direction] : []),
    '-w',
    '-',
    o.filter,
  ];
}

/** What a pipe engine runs: a program writing pcap to stdout and tcpdump-style lines to stderr. */
export interface PipeSpec {
  name: EngineName;
  /** program, or null when it is not installed (start() then throws `missing()`) */
  bin: string | null;
  args: string[];
  missing: () => CaptureError;
  /** how messages are prefixed on stderr ('tcpdump:' / 'cap-child: error:') */
  prefix: RegExp;
  /** the program reports kernel drops and needs the ring drained before SIGINT (tcpdump) */
  tcpdumpStats: boolean;
}

export function tcpdumpSpec(opts: LiveCaptureOptions, bin: string | null = findTcpdump()): PipeSpec {
  return {
    name: 'tcpdump',
    bin,
    args: tcpdumpArgs(opts),
    missing: tcpdumpMissing,
    prefix: /^tcpdump:\s*/,
    tcpdumpStats: true,
  };
}

/**
 * A capture program on the other end of a pipe: tcpdump, or the cap capture loop in a child
 * process (cap-child.js). stdout is fed into the streaming pcap reader.
 */
export class PipeEngine implements LiveEngine {
  readonly name: EngineName;
  private child: ChildProcess | null = null;
  private parser: StreamParser;
  private stderrText = '';
  private stderrPartial = '';
  /** complete statistics reports seen on stderr (each ends with its 'dropped by kernel' part) */
  private statsSeq = 0;
  private received: number | null = null;
  private ready = false;
  private exited = false;
  private stdoutDone: Promise<void> = Promise.resolve();
  private exitDone: Promise<number | null> = Promise.resolve(null);
  private packets = 0;
  private bytes = 0;
  private linkType: number | null = null;
  private kernelDrops: number | null = null;
  private ifDrops: number | null = null;
  private captured: number | null = null;
  private endedCb: ((err: Error | null) => void) | null = null;
  private failure: Error | null = null;
  private stopping = false;
  private sink: FrameSink = () => undefined;
  private readonly countingSink: FrameSink = (f: Frame) => {
    this.packets++;
    this.bytes += f.capturedLength;
    this.linkType = f.linkType;
    this.sink(f);
  };

  constructor(
    private readonly opts: LiveCaptureOptions,
    private readonly spec: PipeSpec,
  ) {
    this.name = spec.name;
    this.parser = new StreamParser(`live:${opts.iface}`);
  }

  start(sink: FrameSink): Promise<void> {
    return this.startAsync(sink);
  }

  private async startAsync(sink: FrameSink): Promise<void> {
    if (!this.spec.bin) throw this.spec.missing();
    const { iface } = this.opts;
    if (!interfaceExists(iface)) throw await noSuchInterface(iface);
    this.sink = sink;
    const child = spawn(this.spec.bin, this.spec.args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    // never leave the capture program behind (an exit on EPIPE, a second Ctrl-C, a crash)
    const orphanGuard = () => {
      if (!this.exited) child.kill('SIGKILL');
    };
    process.once('exit', orphanGuard);
    child.once('close', () => process.removeListener('exit', orphanGuard));
    this.stdoutDone = new Promise((resolve) => {
      child.stdout!.on('data', (chunk: Buffer) => {
        if (this.failure) return;
        try {
          this.parser.push(chunk, this.countingSink);
        } catch (err) {
          this.fail(err as Error);
        }
      });
      child.stdout!.on('end', () => resolve());
      child.stdout!.on('error', () => resolve());
    });
    this.exitDone = new Promise((resolve) => {
      child.on('close', (code) => {
        this.exited = true;
        resolve(code);
      });
    });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new CaptureError(
              'ENGINE_TIMEOUT',
              `${this.name} did not start capturing on ${iface} within 10 s`,
              this.name === 'tcpdump'
                ? 'run `tcpdump -i IFACE` by hand to see why, or try --engine cap'
                : 'try --engine tcpdump',
            ),
          ),
        10_000,
      );
      child.on('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(err.code === 'ENOENT' ? this.spec.missing() : err);
      });
      child.stderr!.on('data', (d: Buffer) => {
        const text = d.toString();
        this.stderrText += text;
        if (this.stderrText.length > 65536) this.stderrText = this.stderrText.slice(-16384);
        this.absorbLines(text);
        if (!this.ready && /listening on /.test(this.stderrText)) {
          this.ready = true;
          clearTimeout(timer);
          resolve();
        }
      });
      child.on('close', async (code) => {
        clearTimeout(timer);
        if (!this.ready) {
          reject(await this.startFailure(code));
          return;
        }
        if (!this.stopping) {
          await this.stdoutDone;
          this.endedCb?.(
            this.failure ??
              new CaptureError(
                'ENGINE_EXITED',
                `${this.name} stopped unexpectedly (exit ${code}): ${this.lastErrorLine() || 'no message'}`,
                'check the interface still exists and is up',
              ),
          );
        }
      });
    });
  }

  private async startFailure(code: number | null): Promise<Error> {
    const text = this.stderrText.trim();
    const { iface, filter } = this.opts;
    const known = classifyCaptureFailure(text, iface, filter);
    if (known === 'no-such-interface') return noSuchInterface(iface);
    if (known) return known;
    return new CaptureError(
      'ENGINE_FAILED',
      `${this.name} failed on ${iface} (exit ${code}): ${this.lastErrorLine() || 'no message'}`,
      this.name === 'tcpdump'
        ? 'run the same tcpdump command by hand to see why, or try --engine cap'
        : 'try --engine tcpdump',
    );
  }

  private lastErrorLine(): string {
    const lines = this.stderrText
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !/listening on|packets? (captured|received|dropped)/.test(l));
    return (lines[lines.length - 1] ?? '').replace(this.spec.prefix, '');
  }

  /** statistics lines as they arrive (the exit block has one figure per line; SIGUSR1 all on one) */
  private absorbLines(text: string): void {
    const lines = (this.stderrPartial + text).split('\n');
    this.stderrPartial = lines.pop() ?? '';
    for (const line of lines) {
      const s = parseTcpdumpStats(line);
      if (s.captured !== null) this.captured = s.captured;
      if (s.received !== null) this.received = s.received;
      if (s.ifDrops !== null) this.ifDrops = s.ifDrops;
      if (s.kernelDrops !== null) {
        this.kernelDrops = s.kernelDrops;
        this.statsSeq++;
      }
    }
  }

  private fail(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    this.child?.kill('SIGTERM');
  }

  /**
   * Not in immediate mode (it costs tcpdump 40% of its packet rate), libpcap hands packets over one
   * ring block at a time, up to tcpdump's 1 s timeout late, and a SIGINT drops the block not yet
   * handed over: the tail. So before stopping, ask for the counters until everything the kernel
   * accepted was read (captured + dropped >= received), at most ~1.3 s.
   */
  private async drainRing(): Promise<void> {
    if (!this.spec.tcpdumpStats || process.platform !== 'linux' || !this.child || !this.ready) return;
    const deadline = Date.now() + 1300;
    while (Date.now() < deadline && !this.exited) {
      if (!(await this.freshStats(200))) return;
      if (this.received === null || this.captured === null) return;
      if (this.captured + (this.kernelDrops ?? 0) >= this.received) return;
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** SIGUSR1 and wait for the next statistics report on stderr (false on timeout). */
  private freshStats(timeoutMs: number): Promise<boolean> {
    const child = this.child;
    if (!child || this.exited) return Promise.resolve(false);
    const before = this.statsSeq;
    child.kill('SIGUSR1');
    return new Promise((resolve) => {
      const start = Date.now();
      const check = () => {
        if (this.statsSeq > before) resolve(true);
        else if (Date.now() - start > timeoutMs || this.exited) resolve(false);
        else setTimeout(check, 5);
      };
      check();
    });
  }

  /** Ask tcpdump for its counters now (SIGUSR1 on Linux); they arrive on stderr shortly. */
  requestStats(): void {
    if (
      this.spec.tcpdumpStats &&
      this.child &&
      this.ready &&
      !this.exited &&
      !this.stopping &&
      process.platform === 'linux'
    )
      this.child.kill('SIGUSR1');
  }

  stats(): EngineStats {
    return {
      packets: this.packets,
      bytes: this.bytes,
      kernelDrops: this.kernelDrops,
      ifDrops: this.ifDrops,
      linkType: this.linkType,
    };
  }

  onEnded(cb: (err: Error | null) => void): void {
    this.endedCb = cb;
  }

  async stop(): Promise<EngineResult> {
    this.stopping = true;
    const child = this.child;
    if (child && !this.exited) {
      await this.drainRing();
      child.kill('SIGINT');
      const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await this.exitDone;
      clearTimeout(killer);
    }
    await this.stdoutDone;
    if (this.stderrPartial) this.absorbLines('\n');
    if (this.failure) throw this.failure;
    let summary: CaptureSummary;
    try {
      summary = this.parser.end();
    } catch (err) {
      if (err instanceof CaptureError && this.packets === 0) summary = emptySummary(this.opts.iface);
      else throw err;
    }
    summary = { ...summary, source: `live:${this.opts.iface}`, format: 'live' };
    const warnings: CaptureWarning[] = [...summary.warnings];
    if (this.kernelDrops)
      warnings.push({
        code: 'KERNEL_DROPS',
        message: `the kernel dropped ${this.kernelDrops} packets (capture could not keep up); verdict counts are a sample`,
      });
    if (this.ifDrops)
      warnings.push({ code: 'INTERFACE_DROPS', message: `the interface dropped ${this.ifDrops} packets` });
    if (this.captured !== null && this.captured > this.packets)
      warnings.push({
        code: 'LIVE_LOST_TAIL',
        message: `${this.name} captured ${this.captured} packets but ${this.packets} were read`,
      });
    return { ...this.stats(), summary: { ...summary, warnings }, warnings };
  }
}

/** The tcpdump engine. */
export class TcpdumpEngine extends PipeEngine {
  constructor(opts: LiveCaptureOptions, bin: string | null = findTcpdump()) {
    super(opts, tcpdumpSpec(opts, bin));
  }
}

function emptySummary(iface: string): CaptureSummary {
  return {
    source: `live:${iface}`,
    format: 'live',
    gzip: false,
    packets: 0,
    bytes: 0,
    linkTypes: {},
    firstTs: null,
    lastTs: null,
    warnings: [],
  };
}
