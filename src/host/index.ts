/**
 * Host evidence: public API of src/host — collect, parse and snapshot what a host shows about its
 * TOA readers (/proc, /sys, kernel log). Parsers never throw; host never imports src/decode.
 */
export { type CollectOptions, collectHost, STATS_PATHS } from './collect.js';
export { containerHints } from './container.js';
export {
  classifyDmesg,
  classifyLine,
  DMESG_PATTERNS,
  type ExecFn,
  readKernelLog,
  splitTimestamp,
  summarizeDmesg,
} from './dmesg.js';
export {
  acceptedVariants,
  IMPLEMENTATIONS,
  identifyImplementations,
  implementationInfo,
} from './identify.js';
export { parseKernel } from './kernel.js';
export { decodeProcAddress, formatIpv6, groupPorts, listenerInfo, parseProcNetTcp } from './listeners.js';
export { parseProcModules, TOA_MODULES } from './modules.js';
export { parseHookers, parseSnmpTcp, parseToaTable, TOA_TABLE_WARNING } from './proc-misc.js';
export { buildEvidence, computeDeltas, loadHostDir, writeHostSnapshot } from './snapshot.js';
export { COUNTER_SETS, normalizeStats, normalizeTotals, parseStatsFile } from './stats.js';
export type * from './types-host.js';
