/**
 * The `cap` engine: libpcap through the optional `cap` binding, loaded lazily. cap hands every
 * packet in ONE shared buffer (overwritten by the next packet) and gives no timestamp, so each
 * packet is copied into a large slab (no per-packet allocation) and stamped at receipt.
 * cap always opens in promiscuous mode and never reports kernel drops (no pcap_stats binding).
 * libpcap may print "Warning: ... This may not actually work" on stderr at open (interface
 * without IPv4): the live command opens the engine before drawing the dashboard.
 */

import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type CapPkgValue from 'cap';
import {
  CaptureError,
  type CaptureSummary,
  createFrame,
  type Frame,
  type FrameSink,
  LinkType,
} from '../types.js';
import type { EngineResult, EngineStats, LiveCaptureOptions, LiveEngine } from './engine.js';
import { capNotInstalled, classifyCaptureFailure, libpcapMissing, noSuchInterface } from './errors.js';
import { interfaceExists } from './interfaces.js';
import { PipeEngine, type PipeSpec } from './tcpdump-engine.js';

type CapPkg = typeof CapPkgValue;
type CapInstance = InstanceType<CapPkg['Cap']>;

let capLoad: Promise<CapPkg> | null = null;

/** Load the optional binding once; throws a CaptureError that says what is missing. */
export function loadCap(): Promise<CapPkg> {
  if (!capLoad) {
    capLoad = import('cap').then(
      (m) => {
        const pkg = (m.default ?? m) as CapPkg;
        if (!pkg || typeof pkg.Cap !== 'function') throw capNotInstalled('unexpected module shape');
        return pkg;
      },
      (err: NodeJS.ErrnoException) => {
        throw classifyLoadError(err);
      },
    );
  }
  return capLoad;
}

/** Why cap cannot load, as the user should read it. */
export function classifyLoadError(err: NodeJS.ErrnoException): CaptureError {
  const msg = String(err?.message ?? err).split('\n')[0] ?? '';
  if (/libpcap/i.test(msg)) return libpcapMissing(msg);
  if ((err?.code === 'ERR_MODULE_NOT_FOUND' || err?.code === 'MODULE_NOT_FOUND') && /'cap'/.test(msg))
    return capNotInstalled('the optional npm module `cap` is not installed');
  if (/cap\.node|build\/Release/.test(msg))
    return capNotInstalled('its native part was not built; libpcap-dev was missing at install time');
  return capNotInstalled(msg);
}

/** cap's link-type names → LINKTYPE_* numbers; null when the decoder cannot use it. */
export function capLinkType(name: string): number | null {
  switch (name) {
    case 'ETHERNET':
      return LinkType.EN10MB;
    case 'LINKTYPE_LINUX_SLL':
    case 'LINUX_SLL':
      return LinkType.LINUX_SLL;
    case 'RAW':
      return LinkType.RAW;
    case 'NULL':
      return LinkType.NULL;
  }
  const m = /Unknown linktype (\d+)/.exec(name);
  if (m) {
    const dlt = Number(m[1]);
    // DLT_RAW is 12 or 14 depending on the platform; LINKTYPE_RAW is 101
    if (dlt === 12 || dlt === 14) return LinkType.RAW;
    if (dlt === 276) return LinkType.LINUX_SLL2;
    if (dlt === 108) return LinkType.LOOP;
    return dlt;
  }
  return null;
}

const SLAB_BYTES = 4 * 1024 * 1024;
/** kernel ring for cap: libpcap gives each packet a 64 KiB slot on interfaces with offloads */
export const DEFAULT_CAP_BUFFER = 256 * 1024 * 1024;
const MAX_PACKET = 65535;

export class CapEngine implements LiveEngine {
  readonly name = 'cap' as const;
  private cap: CapInstance | null = null;
  private readonly rx = Buffer.allocUnsafe(MAX_PACKET);
  private slab = Buffer.allocUnsafe(SLAB_BYTES);
  private slabPos = 0;
  private readonly frame: Frame = createFrame(this.slab, 1);
  private sink: FrameSink = () => undefined;
  private packets = 0;
  private bytes = 0;
  private truncated = 0;
  private firstTs: number | null = null;
  private lastTs: number | null = null;
  private linkType: number | null = null;
  private endedCb: ((err: Error | null) => void) | null = null;
  private failure: Error | null = null;
  private stopped = false;

  constructor(private readonly opts: LiveCaptureOptions) {}

  async start(sink: FrameSink): Promise<void> {
    const pkg = await loadCap();
    const { iface, filter } = this.opts;
    if (!interfaceExists(iface)) throw await noSuchInterface(iface);
    this.sink = sink;
    const c = new pkg.Cap();
    let linkName: string;
    try {
      linkName = c.open(iface, filter, this.opts.bufferSize ?? DEFAULT_CAP_BUFFER, this.rx);
    } catch (err) {
      const text = String((err as Error)?.message ?? err);
      const known = classifyCaptureFailure(text, iface, filter);
      if (known === 'no-such-interface') throw await noSuchInterface(iface);
      if (known) throw known;
      throw new CaptureError(
        'CAPTURE_OPEN_FAILED',
        `cannot capture on ${iface}: ${text}`,
        'try --engine tcpdump',
      );
    }
    const lt = capLinkType(linkName);
    if (lt === null) {
      c.close();
      throw new CaptureError(
        'UNSUPPORTED_LINKTYPE',
        `interface ${iface} has a link type toa-doctor cannot decode (${linkName})`,
        'capture on the IP interface instead, or on `any`',
      );
    }
    this.linkType = lt;
    this.frame.linkType = lt;
    this.cap = c;
    c.on('packet', (nbytes: number, trunc: boolean) => this.onPacket(nbytes, trunc));
  }

  private onPacket(n: number, trunc: boolean): void {
    if (this.stopped) return;
    const ms = performance.timeOrigin + performance.now();
    if (this.slabPos + n > this.slab.length) {
      // the old slab stays valid for whoever still references it (a consumer that kept a frame)
      this.slab = Buffer.allocUnsafe(SLAB_BYTES);
      this.slabPos = 0;
    }
    this.rx.copy(this.slab, this.slabPos, 0, n);
    const f = this.frame;
    const sec = Math.floor(ms / 1000);
    f.tsSec = sec;
    f.tsNsec = Math.min(999_999_999, Math.round((ms - sec * 1000) * 1e6));
    f.capturedLength = n;
    f.originalLength = n;
    f.buf = this.slab;
    f.offset = this.slabPos;
    this.slabPos += (n + 7) & ~7;
    if (trunc) this.truncated++;
    this.packets++;
    this.bytes += n;
    const ts = ms / 1000;
    if (this.firstTs === null) this.firstTs = ts;
    this.lastTs = ts;
    try {
      this.sink(f);
    } catch (err) {
      // a consumer bug must not surface inside the native callback; end the capture with it
      this.failure = err as Error;
      this.stopped = true;
      setImmediate(() => this.endedCb?.(this.failure));
    }
  }

  stats(): EngineStats {
    return {
      packets: this.packets,
      bytes: this.bytes,
      kernelDrops: null,
      ifDrops: null,
      linkType: this.linkType,
    };
  }

  onEnded(cb: (err: Error | null) => void): void {
    this.endedCb = cb;
  }

  async stop(): Promise<EngineResult> {
    const c = this.cap;
    if (c && !this.stopped) {
      // let libuv deliver what is already readable in the ring before closing (never lose the tail)
      for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
      await new Promise((r) => setTimeout(r, 30));
      for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
    }
    this.stopped = true;
    if (c) {
      c.removeAllListeners('packet');
      c.close();
      this.cap = null;
    }
    if (this.failure) throw this.failure;
    const warnings = [];
    if (this.truncated)
      warnings.push({
        code: 'LIVE_TRUNCATED',
        message: `${this.truncated} packets were longer than 65535 bytes and were cut`,
      });
    const summary: CaptureSummary = {
      source: `live:${this.opts.iface}`,
      format: 'live',
      gzip: false,
      packets: this.packets,
      bytes: this.bytes,
      linkTypes: this.linkType === null ? {} : { [this.linkType]: this.packets },
      firstTs: this.firstTs,
      lastTs: this.lastTs,
      warnings,
    };
    return { ...this.stats(), summary, warnings };
  }
}

/**
 * The cap engine as used by `live`: the capture loop of cap-child.js in its own process, its pcap
 * stream read like tcpdump's. The analysis (and the dashboard, and the garbage collector) then
 * never stall the ring reader, and libpcap's stderr messages stay off the terminal.
 * TOA_DOCTOR_CAP_INPROCESS=1 selects the in-process CapEngine above instead.
 */
export function capChildSpec(opts: LiveCaptureOptions): PipeSpec {
  return {
    name: 'cap',
    bin: process.execPath,
    args: [
      fileURLToPath(new URL('./cap-child.js', import.meta.url)),
      opts.iface,
      String(opts.bufferSize ?? DEFAULT_CAP_BUFFER),
      opts.filter,
    ],
    missing: () => capNotInstalled('node itself could not be started'),
    prefix: /^cap-child: error:\s*/,
    tcpdumpStats: false,
  };
}

export class CapChildEngine extends PipeEngine {
  constructor(opts: LiveCaptureOptions) {
    super(opts, capChildSpec(opts));
  }
}
