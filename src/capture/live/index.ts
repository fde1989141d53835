/**
 * Live capture: engine selection (`--engine auto|cap|tcpdump`) and the pieces the live command
 * uses. auto prefers cap (libpcap through the cap module) and falls back to tcpdump, and says why.
 */
import type { CaptureError } from '../types.js';
import { CapChildEngine, CapEngine, loadCap } from './cap-engine.js';
import type { EngineChoice, EngineSelection, LiveCaptureOptions, LiveEngine } from './engine.js';
import { noEngine } from './errors.js';
import { findTcpdump, TcpdumpEngine } from './tcpdump-engine.js';

export type {
  EngineChoice,
  EngineName,
  EngineResult,
  EngineSelection,
  EngineStats,
  LiveCaptureOptions,
  LiveEngine,
} from './engine.js';
export { buildFilter, filterCaveat } from './filter.js';
export { type CaptureDevice, interfaceExists, listInterfaces, listInterfacesSync } from './interfaces.js';
export { CapChildEngine, CapEngine, findTcpdump, loadCap, TcpdumpEngine };

/** the cap engine: its capture loop in a child process unless TOA_DOCTOR_CAP_INPROCESS=1 */
function capEngine(opts: LiveCaptureOptions): LiveEngine {
  return process.env.TOA_DOCTOR_CAP_INPROCESS === '1' ? new CapEngine(opts) : new CapChildEngine(opts);
}

export const ENGINE_CHOICES: EngineChoice[] = ['auto', 'cap', 'tcpdump'];

export interface EngineProbes {
  loadCap: () => Promise<unknown>;
  findTcpdump: () => string | null;
}

const PROBES: EngineProbes = { loadCap, findTcpdump: () => findTcpdump() };

/** Pick an engine; throws the CaptureError that says what to install when none can run. */
export async function selectEngine(
  choice: EngineChoice,
  opts: LiveCaptureOptions,
  probes: EngineProbes = PROBES,
): Promise<EngineSelection> {
  if (choice === 'cap') {
    await probes.loadCap();
    return { engine: capEngine(opts), reason: 'requested with --engine cap' };
  }
  if (choice === 'tcpdump') {
    const bin = probes.findTcpdump();
    const engine = new TcpdumpEngine(opts, bin);
    return { engine, reason: `requested with --engine tcpdump${bin ? ` (${bin})` : ''}` };
  }
  let capReason: string;
  try {
    await probes.loadCap();
    return { engine: capEngine(opts), reason: 'auto: the cap module (libpcap) loaded' };
  } catch (err) {
    const msg = (err as CaptureError).message ?? String(err);
    capReason = /\((.*)\)$/.exec(msg)?.[1] ?? msg;
  }
  const bin = probes.findTcpdump();
  if (!bin) throw noEngine(capReason);
  return {
    engine: new TcpdumpEngine(opts, bin),
    reason: `auto: cap unavailable (${capReason}); using ${bin}`,
  };
}
