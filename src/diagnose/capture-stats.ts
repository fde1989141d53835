/**
 * CaptureStats: the capture-side aggregate that host correlation (correlate.ts) needs.
 * Filled by the analysis area from its AnalysisResult; defined here (host area) so
 * correlation does not depend on the flow table's internals.
 */
import { VERDICTS, type Verdict } from '../flow/types.js';

export interface CaptureStats {
  /** flows analysed */
  flows: number;
  /** flows whose packet-the-module-reads (normally the handshake-completing ACK; the SYN for kind 28) was captured */
  handshakes: number;
  /** flows per verdict (every Verdict key present) */
  verdicts: Record<Verdict, number>;
  /** ToaVariant.id ('toa-200-8') → flows whose packet-the-module-reads carried a client TOA of that variant */
  variantsOnReadPacket: Record<string, number>;
  ipv4Flows: number;
  ipv6Flows: number;
  /** server port → flows */
  serverPorts: Record<number, number>;
  /** capture time range, seconds since the epoch (float); null for an empty capture */
  firstTs: number | null;
  lastTs: number | null;
}

export function emptyCaptureStats(): CaptureStats {
  const verdicts = Object.fromEntries(VERDICTS.map((v) => [v, 0])) as Record<Verdict, number>;
  return {
    flows: 0,
    handshakes: 0,
    verdicts,
    variantsOnReadPacket: {},
    ipv4Flows: 0,
    ipv6Flows: 0,
    serverPorts: {},
    firstTs: null,
    lastTs: null,
  };
}
