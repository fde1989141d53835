/**
 * Live-capture engine contract. An engine opens an interface with a BPF
 * filter and hands every packet to a FrameSink as a Frame (same contract as the file readers: the
 * Frame object may be reused; `buf` stays valid at least during the callback).
 */
import type { CaptureSummary, CaptureWarning, FrameSink } from '../types.js';

export type EngineName = 'cap' | 'tcpdump';
export type EngineChoice = EngineName | 'auto';

export interface LiveCaptureOptions {
  /** interface name ('any' for all on Linux) */
  iface: string;
  /** full BPF filter expression (see buildFilter) */
  filter: string;
  /** kernel capture buffer in bytes (default 64 MiB) */
  bufferSize?: number;
  /** snap length (tcpdump engine; cap always uses 65535) */
  snaplen?: number;
  /** promiscuous mode (default off; the cap engine cannot turn it off: libpcap binding limitation) */
  promisc?: boolean;
  /** tcpdump -Q: which direction to capture (tcpdump engine only; default both) */
  direction?: 'in' | 'out' | 'inout';
}

export interface EngineStats {
  /** packets handed to the sink */
  packets: number;
  bytes: number;
  /** packets the kernel dropped (ring buffer full); null when the engine cannot tell (yet) */
  kernelDrops: number | null;
  /** packets dropped by the interface/driver, when reported */
  ifDrops: number | null;
  /** the link type seen (LINKTYPE_*), null before the first packet/header */
  linkType: number | null;
}

export interface EngineResult extends EngineStats {
  summary: CaptureSummary;
  warnings: CaptureWarning[];
}

export interface LiveEngine {
  readonly name: EngineName;
  /** start capturing; resolves once the interface is open and the filter installed */
  start(sink: FrameSink): Promise<void>;
  /** stop, deliver every packet still buffered (never lose the tail), and report */
  stop(): Promise<EngineResult>;
  stats(): EngineStats;
  /** the capture ended on its own (tcpdump died, interface vanished): err says why */
  onEnded(cb: (err: Error | null) => void): void;
}

/** Engine selection outcome: which engine, and why (shown to the user). */
export interface EngineSelection {
  engine: LiveEngine;
  reason: string;
}
