/**
 * Host evidence for the exporter: one `collectHost` look (src/host, the same reader as
 * `toa-doctor host`, with --root and --dmesg-file) every interval, the host rules over the last two
 * looks (so "rising" rules see deltas), and the samples of the host rows of METRICS.
 *
 * A look never throws: what could not be read becomes a problem (shown by /healthz, logged once
 * when it appears and once when it clears) and the metrics keep what could be read.
 */
import { diagnoseHost } from '../diagnose/host-rules.js';
import type { Finding } from '../diagnose/types.js';
import { collectHost } from '../host/collect.js';
import { buildEvidence } from '../host/snapshot.js';
import type { HostEvidence, HostSnapshot } from '../host/types-host.js';
import type { MetricName, Sample } from './metrics.js';

/** read the kernel log and the socket tables on every HEAVY_EVERY-th look (every minute at 15 s) */
export const HEAVY_EVERY = 4;

export interface HostWatchOptions {
  root: string;
  dmesgFile?: string;
  /** read the kernel log (default true; needs CAP_SYSLOG or the systemd-journal group) */
  dmesg?: boolean;
  /** log lines (one per problem that appears or clears) */
  log: (line: string) => void;
}

export class HostWatch {
  private prev: HostSnapshot | null = null;
  evidence: HostEvidence | null = null;
  findings: Finding[] = [];
  /** what the last look could not read, or why it failed */
  problems: string[] = [];
  errors = 0;
  looks = 0;
  lastAtMs = 0;
  private busy = false;
  private lastDmesg: HostSnapshot['dmesg'] | null = null;
  private lastListeners: HostSnapshot['listeners'] | null = null;

  constructor(private readonly o: HostWatchOptions) {}

  /** One look. Concurrent calls share nothing: a look still running makes the next one a no-op. */
  async look(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      let problems: string[];
      try {
        // the costly parts (all of dmesg or journalctl -k since boot; /proc/net/tcp* with every
        // socket of a busy host) are read every HEAVY_EVERY looks; the last reading is carried over
        const heavy = this.looks % HEAVY_EVERY === 0;
        const readLog = this.o.dmesg !== false && (heavy || !this.lastDmesg);
        const readTcp = heavy || !this.lastListeners;
        const snap = await collectHost(this.o.root, {
          dmesgFile: this.o.dmesgFile,
          dmesg: readLog,
          listeners: readTcp,
          useMetaTime: false,
          // nothing is written from these snapshots; keep no file texts, scan /proc/net/tcp* a read at a time
          keepRaw: false,
        });
        if (readLog) this.lastDmesg = snap.dmesg;
        else if (this.lastDmesg) snap.dmesg = this.lastDmesg;
        if (readTcp) this.lastListeners = snap.listeners;
        else if (this.lastListeners) snap.listeners = this.lastListeners;
        const ev = buildEvidence(this.o.root, snap, this.prev);
        this.prev = snap;
        this.evidence = ev;
        this.findings = diagnoseHost(ev);
        problems = [...snap.notes];
      } catch (e) {
        problems = [`host look failed: ${(e as Error).message}`];
      }
      this.looks++;
      this.lastAtMs = Date.now();
      const before = new Set(this.problems);
      for (const p of problems)
        if (!before.has(p)) {
          this.errors++;
          this.o.log(`host: ${p} (the host metrics keep what could be read)`);
        }
      const now = new Set(problems);
      for (const p of this.problems) if (!now.has(p)) this.o.log(`host: recovered: ${p}`);
      this.problems = problems;
    } finally {
      this.busy = false;
    }
  }

  /** Samples of one host row, or null when the row is not a host row / nothing was read yet. */
  samples(name: MetricName): Sample[] | null {
    const ev = this.evidence;
    if (name === 'toa_doctor_host_up') return this.looks ? [[{}, this.problems.length ? 0 : 1]] : null;
    if (name === 'toa_doctor_host_last_collect_timestamp_seconds')
      return this.looks ? [[{}, Math.round(this.lastAtMs / 1000)]] : null;
    if (!ev) return null;
    const s = ev.snapshot;
    switch (name) {
      case 'toa_doctor_host_implementation':
        return ev.implementations.map((i) => [{ implementation: i }, 1]);
      case 'toa_doctor_module_loaded':
        return s.modules
          .filter((m) => s.procModules !== null || m.sysfs)
          .map((m) => [{ module: m.name }, m.loaded || m.builtin ? 1 : 0]);
      case 'toa_doctor_module_state':
        return s.modules
          .filter((m) => m.loaded)
          .map((m) => [{ module: m.name, state: m.state ?? 'unknown' }, 1]);
      case 'toa_doctor_stats_file_present':
        return ['toa_stats', 'vtoa_stats'].map((f) => [
          { file: f },
          s.stats.some((x) => x.path.endsWith(f)) ? 1 : 0,
        ]);
      case 'toa_doctor_toa_stats_total': {
        const out: Sample[] = [];
        for (const f of s.stats) {
          if (f.layout !== 'classic' && f.layout !== 'ttgw') continue;
          const file = f.path.split('/').pop() ?? f.path;
          for (const c of f.counters) out.push([{ file, counter: c.name }, c.total]);
        }
        return out;
      }
      case 'toa_doctor_host_sockets_total': {
        const out: Sample[] = [];
        if (ev.normalized.synRecvToa !== null) out.push([{ toa: 'with' }, ev.normalized.synRecvToa]);
        if (ev.normalized.synRecvNoToa !== null) out.push([{ toa: 'without' }, ev.normalized.synRecvNoToa]);
        return out;
      }
      case 'toa_doctor_findings': {
        const byCode = new Map<string, { severity: string; n: number }>();
        for (const f of this.findings) {
          const cur = byCode.get(f.code);
          if (cur) cur.n++;
          else byCode.set(f.code, { severity: f.severity, n: 1 });
        }
        return [...byCode].map(([code, v]) => [{ code, severity: v.severity }, v.n]);
      }
      case 'toa_doctor_ebpf_toa_present':
        return [[{}, s.ebpf.present ? 1 : 0]];
      case 'toa_doctor_in_container':
        return [[{}, s.container.inContainer ? 1 : 0]];
      case 'toa_doctor_kernel_log_readable':
        return [[{}, s.dmesg.source !== null ? 1 : 0]];
      default:
        return null;
    }
  }
}
