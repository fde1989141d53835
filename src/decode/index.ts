/**
 * Decode-layer API: what src/decode offers the layers above (flow, report, bundle, cli). Decoders
 * read frame bytes and never throw; the contracts they fill are in types.ts.
 */

export type { ParsedAddress } from './addr.js';
export {
  addressToString,
  bytesEqual,
  ipv4ToString,
  ipv6ToString,
  parseAddress,
  parseIPv4,
  parseIPv6,
} from './addr.js';
export { type CarrierAt, ipCarrierAt } from './carriers.js';
export type { ChecksumStatuses, RecomputeResult } from './checksum.js';
export {
  ipv4ChecksumShouldBe,
  isPartialChecksum,
  recomputeChecksums,
  tcpChecksum,
  tcpChecksumShouldBe,
  verifyChecksums,
} from './checksum.js';
export { ipv4HeaderChecksumOk } from './ip.js';
export type { LinkResult } from './link.js';
export { decodeLink, LINKTYPE_NAMES, linkTypeName } from './link.js';
export type { OptionSpec } from './options.js';
export {
  decodeOneOption,
  decodeOptions,
  hexOf,
  MPTCP_SUBTYPES,
  OPTION_TABLE,
  optionName,
  optionStep,
  optionText,
  stopReason,
  WalkStop,
} from './options.js';
export { createDecodedPacket, decodePacket } from './packet.js';
export { summarizeOptions } from './tcp.js';
export type { ToaExtraField, ToaLayout, ToaVariantRow } from './toa.js';
export {
  decodeToa,
  findToaVariant,
  formatEndpoint,
  formatToa,
  TFO_EXID,
  TOA_VARIANTS,
  toaVariantAt,
} from './toa.js';
export * from './types.js';
