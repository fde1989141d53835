/**
 * Host panel data for the live dashboard, polled every few seconds OFF the render path: the
 * TOA modules in /proc/modules, /proc/net/toa_stats and vtoa_stats (classic and TTGW layouts,
 * turned into per-second deltas) and the last TOA lines of the kernel log (dmesg, or <root>/dmesg.txt
 * under a snapshot root). Light reads only; the full host collection is left to `toa-doctor host`.
 */
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  classifyDmesg,
  type ExecFn,
  type HostEvidence,
  parseProcModules,
  parseStatsFile,
  readKernelLog,
  type StatsFile,
  TOA_MODULES,
} from '../host/index.js';
import type { HostCounter, HostPanelModel } from './model.js';

const STATS = ['/proc/net/toa_stats', '/proc/net/vtoa_stats'];
const MAX_COUNTERS = 6;
const DMESG_LINES = 3;

async function readText(root: string, abs: string): Promise<string | null> {
  try {
    return await readFile(join(root, abs), 'utf8');
  } catch {
    return null;
  }
}

export interface HostPollerOptions {
  /** root directory to read (default '/'); a snapshot-shaped tree in tests */
  root?: string;
  intervalMs?: number;
  /** read the kernel log every N polls (default 2) */
  dmesgEvery?: number;
  exec?: ExecFn;
  now?: () => number;
}

/** Most interesting counters first: the ones that moved, then by size. */
function pickCounters(
  cur: Map<string, number>,
  prev: Map<string, number> | null,
  secs: number,
): HostCounter[] {
  const rows: HostCounter[] = [];
  for (const [name, total] of cur) {
    const before = prev?.get(name);
    rows.push({ name, total, perSec: before === undefined || secs <= 0 ? null : (total - before) / secs });
  }
  rows.sort((a, b) => Math.abs(b.perSec ?? 0) - Math.abs(a.perSec ?? 0) || b.total - a.total);
  return rows.slice(0, MAX_COUNTERS);
}

export class HostPoller {
  private readonly root: string;
  private readonly intervalMs: number;
  private readonly dmesgEvery: number;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | null = null;
  private polls = 0;
  private prev: { at: number; totals: Map<string, number> } | null = null;
  private dmesg: string[] = [];
  private dmesgNote: string | null = null;
  private latestModel: HostPanelModel | null = null;
  private busy = false;

  constructor(private readonly opts: HostPollerOptions = {}) {
    this.root = resolve(opts.root ?? '/');
    this.intervalMs = opts.intervalMs ?? 3000;
    this.dmesgEvery = opts.dmesgEvery ?? 2;
    this.now = opts.now ?? Date.now;
  }

  latest(): HostPanelModel | null {
    return this.latestModel;
  }

  start(onUpdate: (m: HostPanelModel) => void): void {
    const tick = async () => {
      if (this.busy) return;
      this.busy = true;
      try {
        onUpdate(await this.poll());
      } catch {
        // the panel keeps its last state
      } finally {
        this.busy = false;
      }
    };
    void tick();
    this.timer = setInterval(tick, this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** One poll (public for tests). */
  async poll(): Promise<HostPanelModel> {
    const at = this.now();
    const notes: string[] = [];
    const files: StatsFile[] = [];
    for (const p of STATS) {
      const t = await readText(this.root, p);
      if (t !== null) files.push(parseStatsFile(t, p));
    }
    const totals = new Map<string, number>();
    for (const f of files)
      for (const c of f.counters) totals.set(c.name, (totals.get(c.name) ?? 0) + c.total);
    const secs = this.prev ? (at - this.prev.at) / 1000 : 0;
    const counters = pickCounters(totals, this.prev?.totals ?? null, secs);
    this.prev = { at, totals };

    const modText = await readText(this.root, '/proc/modules');
    let modules: string[] | null = [];
    if (modText === null) {
      modules = null;
      notes.push('/proc/modules not readable: module state unknown');
    } else {
      const entries = parseProcModules(modText);
      for (const { name } of TOA_MODULES) {
        const e = entries.find((m) => m.name === name);
        if (e) modules.push(`${name}: ${e.state}${e.taints ? ` (${e.taints})` : ''}`);
      }
    }

    if (this.polls++ % this.dmesgEvery === 0) await this.readDmesg();
    if (this.dmesgNote) notes.push(this.dmesgNote);

    const statsLabel = files.length
      ? files.map((f) => `${f.path.replace('/proc/net/', '')} ${f.layout}/${f.counterSet}`).join(', ')
      : null;
    this.latestModel = {
      source: this.root,
      mode: 'poll',
      modules,
      statsLabel,
      counters,
      dmesg: this.dmesg,
      notes,
      updatedAtMs: at,
    };
    return this.latestModel;
  }

  private async readDmesg(): Promise<void> {
    let text: string | null;
    if (this.root === '/') {
      const k = await readKernelLog(this.opts.exec, 3000);
      text = k.text;
      this.dmesgNote = k.text === null ? `kernel log unavailable (${k.error})` : null;
    } else {
      text = await readText(this.root, '/dmesg.txt');
      this.dmesgNote = null;
    }
    if (text === null) return;
    const { events } = classifyDmesg(text);
    this.dmesg = events.slice(-DMESG_LINES).map((e) => (e.ts ? `[${e.ts}] ${e.message}` : e.message));
  }
}

/** The panel for a host snapshot directory (`--host-dir`): no polling. */
export function panelFromEvidence(ev: HostEvidence): HostPanelModel {
  const s = ev.snapshot;
  const loaded = s.modules.filter((m) => m.loaded).map((m) => `${m.name}: ${m.state ?? 'loaded'}`);
  // sysfs may still show a loaded module; "none loaded" needs a readable /proc/modules
  const modules = loaded.length || s.procModules !== null ? loaded : null;
  const totals = new Map<string, number>();
  for (const f of s.stats)
    for (const c of f.counters) totals.set(c.name, (totals.get(c.name) ?? 0) + c.total);
  let counters: HostCounter[];
  if (ev.deltas && ev.deltas.seconds > 0) {
    const secs = ev.deltas.seconds;
    counters = ev.deltas.counters
      .map((d) => ({ name: d.counter, total: d.after, perSec: d.delta / secs }))
      .sort((a, b) => Math.abs(b.perSec) - Math.abs(a.perSec) || b.total - a.total)
      .slice(0, MAX_COUNTERS);
  } else counters = pickCounters(totals, null, 0);
  return {
    source: ev.source,
    mode: 'snapshot',
    modules,
    statsLabel: s.stats.length
      ? s.stats.map((f) => `${f.path.replace('/proc/net/', '')} ${f.layout}/${f.counterSet}`).join(', ')
      : null,
    counters,
    dmesg: s.dmesg.events.slice(-DMESG_LINES).map((e) => (e.ts ? `[${e.ts}] ${e.message}` : e.message)),
    notes: s.notes.slice(0, 1),
    updatedAtMs: s.collectedAtMs,
  };
}
