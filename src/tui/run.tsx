/**
 * Mount the dashboard for `live`: a model loop takes Analyzer.snapshot() at most 10×/s — slower
 * when a snapshot gets expensive (its cost stays under ~10% of the time) — and the host poller
 * refreshes the host panel every few seconds. Packets never trigger renders.
 */

import { performance } from 'node:perf_hooks';
import chalk from 'chalk';
import { render } from 'ink';
import type { LiveEngine } from '../capture/live/engine.js';
import type { Analyzer } from '../flow/analyzer.js';
import type { HostEvidence } from '../host/index.js';
import { Dashboard } from './Dashboard.js';
import { HostPoller, panelFromEvidence } from './host-poller.js';
import {
  type DashboardModel,
  emptyVerdicts,
  type HeaderInfo,
  type HostPanelModel,
  mergeFlows,
  topFinding,
} from './model.js';
import { createStore } from './store.js';

export interface DashboardRunOptions {
  analyzer: Analyzer;
  engine: LiveEngine;
  iface: string;
  filter: string;
  engineReason: string;
  profile: string;
  warnings: string[];
  /** performance.now() at capture start */
  startedAt: number;
  /** colours allowed (the CLI's one rule: a terminal, no --no-color, NO_COLOR unset or empty) */
  color: boolean;
  /** packets captured so far (the count the final report uses; default: the engine's) */
  packetCount?: () => number;
  hostEvidence: HostEvidence | null;
  /** root to poll for the host panel, or null for none */
  hostRoot: string | null;
  onQuit: () => void;
  stdout?: NodeJS.WriteStream;
  stdin?: NodeJS.ReadStream;
}

const MIN_INTERVAL_MS = 100;
const MAX_INTERVAL_MS = 2000;
const SNAPSHOT_ROWS = 100;

export async function startDashboard(o: DashboardRunOptions): Promise<{ stop(): Promise<void> }> {
  const stdout = o.stdout ?? process.stdout;
  const header = (): HeaderInfo => ({
    iface: o.iface,
    engine: o.engine.name,
    engineReason: o.engineReason,
    filter: o.filter,
    profile: o.profile,
    elapsedSec: (performance.now() - o.startedAt) / 1000,
    packetsPerSec: 0,
    packets: 0,
    flows: 0,
    drops: o.engine.stats().kernelDrops,
  });
  let host: HostPanelModel | null = o.hostEvidence ? panelFromEvidence(o.hostEvidence) : null;
  const store = createStore<DashboardModel>({
    header: header(),
    verdicts: emptyVerdicts(),
    top: null,
    flows: [],
    host,
    warnings: o.warnings,
  });
  const poller = o.hostRoot ? new HostPoller({ root: o.hostRoot }) : null;
  poller?.start((m) => {
    host = m;
  });

  let lastPackets = 0;
  let lastAt = performance.now();
  let pps = 0;
  let timer: NodeJS.Timeout | null = null;
  let running = true;
  const tick = () => {
    if (!running) return;
    const t = performance.now();
    const snap = o.analyzer.snapshot(SNAPSHOT_ROWS);
    const cost = performance.now() - t;
    const es = o.engine.stats();
    const packets = o.packetCount ? o.packetCount() : es.packets;
    const dt = (t - lastAt) / 1000;
    if (dt >= 0.5) {
      pps = (packets - lastPackets) / dt;
      lastPackets = packets;
      lastAt = t;
    }
    store.set({
      header: {
        ...header(),
        packetsPerSec: pps,
        packets,
        flows: snap.activeFlows + snap.doneFlows,
        drops: es.kernelDrops,
      },
      verdicts: snap.verdicts,
      top: topFinding(snap.verdicts),
      flows: mergeFlows(snap),
      host,
      warnings: o.warnings,
    });
    const next = Math.min(MAX_INTERVAL_MS, Math.max(MIN_INTERVAL_MS, cost * 10));
    timer = setTimeout(tick, next);
  };

  // the dashboard lives in the terminal's alternate screen (like less/htop): when it ends, the
  // shell's screen comes back and the final report is printed there, not below a stale frame
  const alt = !!stdout.isTTY;
  const leaveAlt = () => {
    if (alt) stdout.write('\x1b[?1049l');
  };
  if (alt) {
    stdout.write('\x1b[?1049h\x1b[H\x1b[2J');
    process.once('exit', leaveAlt);
  }
  // ink styles text with chalk's shared instance: level 0 drops every colour and style escape
  const savedLevel = chalk.level;
  if (!o.color) chalk.level = 0;
  const instance = render(<Dashboard store={store} onQuit={o.onQuit} />, {
    stdout,
    stdin: o.stdin ?? process.stdin,
    exitOnCtrlC: false,
    patchConsole: true,
    maxFps: 10,
  });
  tick();

  return {
    async stop() {
      running = false;
      if (timer) clearTimeout(timer);
      poller?.stop();
      store.set({
        ...store.get(),
        header: { ...store.get().header, ended: 'stopping: final report follows' },
      });
      await new Promise((r) => setTimeout(r, 50));
      instance.unmount();
      await instance.waitUntilExit().catch(() => undefined);
      leaveAlt();
      process.removeListener('exit', leaveAlt);
      chalk.level = savedLevel;
    },
  };
}
