/**
 * Decode-owned additions to the shared contracts in types.ts (which stay unchanged).
 * `createDecodedPacket()` returns a DecodedPacketExt, and `decodePacket` fills these fields too,
 * so a consumer that wants them types its packet as DecodedPacketExt.
 */
import type { DecodedPacket, OptionSummary } from './types.js';

export interface OptionSummaryExt extends OptionSummary {
  /**
   * The list broke (breakReason is not 'none'/'truncated') and a TOA-shaped (kind, length) pair
   * that fits in the captured area appears at some byte after the break. The module's parser
   * (reference 1.4) never reaches it. A byte-wise resync scan: a heuristic, may hit data bytes.
   */
  toaAfterBreak: boolean;
  /** absolute offset of that TOA-shaped pair, -1 if none */
  toaAfterBreakOffset: number;
  /** absolute offset of the first TOA-shaped option after EOL (toaAfterEol), -1 if none */
  toaAfterEolOffset: number;
  /** non-zero bytes follow the EOL (options after EOL) */
  bytesAfterEol: boolean;
  /**
   * matches of VIP/VPC-only rows (201/6, 202/8, 250/8: carriesClient false) before the break.
   * They are not counted in toaCount and only become toaKind when no client-carrying TOA exists.
   */
  toaExtCount: number;
}

export interface DecodedPacketExt extends DecodedPacket {
  opts: OptionSummaryExt;
  /** IP protocol / last IPv6 next-header (6 for TCP), -1 when no IP header */
  ipProto: number;
  /** absolute offset of the transport header (after IPv6 extension headers), -1 if none */
  l4Offset: number;
  /** IPv4 fragment offset in bytes (or IPv6 fragment header offset), 0 otherwise */
  ipFragOffset: number;
  /** IPv4 header length in bytes / IPv6 40 + extension headers; 0 if none */
  ipHeaderLength: number;
}
