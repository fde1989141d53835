/**
 * Every host finding code with its severity and title (README "Host findings" table; tests check
 * each is documented). The rules in ./host-rules/ take severity and title from here.
 */
import type { Severity } from './types.js';

export interface HostFindingCode {
  code: string;
  severity: Severity | 'varies';
  title: string;
  /** needs two snapshots */
  needsDeltas?: boolean;
}

/** Every host finding code (README table; tests check each is documented). */
export const HOST_FINDING_CODES = [
  { code: 'HOST_MODULE_NOT_LOADED', severity: 'error', title: 'No TOA module is loaded' },
  { code: 'HOST_MODULE_LOAD_FAILED', severity: 'error', title: 'The TOA module failed to load' },
  { code: 'HOST_MODULE_STATE_UNKNOWN', severity: 'warning', title: 'Module state could not be read' },
  {
    code: 'HOST_MODULE_NOT_LIVE',
    severity: 'warning',
    title: 'The TOA module is still loading or unloading',
  },
  {
    code: 'HOST_MODULE_LOADED_BUT_DEAD',
    severity: 'error',
    title: 'The TOA module is loaded but its hooks are not installed',
  },
  { code: 'HOST_MODULE_CRASH', severity: 'error', title: 'The kernel crashed inside a TOA module' },
  { code: 'HOST_MULTIPLE_TOA', severity: 'error', title: 'More than one TOA implementation is active' },
  {
    code: 'HOST_TENCENTOS_FLAVOR_MIX',
    severity: 'warning',
    title: 'TencentOS built-in and generic-Linux TOA builds are mixed',
  },
  {
    code: 'HOST_CONTAINER_NO_VISIBILITY',
    severity: 'warning',
    title: 'Running in a container: TOA counters are only visible on the host',
  },
  {
    code: 'HOST_IPV6_LISTENER_IPV4_HOOKS',
    severity: 'varies',
    title: 'IPv6/dual-stack listener while the module hooks IPv4 only',
  },
  {
    code: 'HOST_IPV6_HOOKS_UNCONFIRMED',
    severity: 'info',
    title: 'IPv6/dual-stack listener; IPv6 hooks could not be confirmed',
  },
  {
    code: 'HOST_HOOK_NOT_IN_PATH',
    severity: 'error',
    title: 'Connections arrive but the TOA hook never runs',
    needsDeltas: true,
  },
  {
    code: 'HOST_NO_TOA_RISING',
    severity: 'varies',
    title: 'New connections arrive without a TOA the module recognises',
    needsDeltas: true,
  },
  {
    code: 'HOST_NO_TOA_SINCE_LOAD',
    severity: 'warning',
    title: 'No connection carried a recognised TOA since the module loaded',
  },
  { code: 'HOST_SOME_WITHOUT_TOA', severity: 'info', title: 'Some connections were created without a TOA' },
  { code: 'HOST_COUNTERS_ZERO', severity: 'info', title: 'The hook has not counted any connection yet' },
  {
    code: 'HOST_TOA_MISMATCH_RISING',
    severity: 'warning',
    title: 'getpeername() finds TOA data of an unexpected kind/length',
    needsDeltas: true,
  },
  { code: 'HOST_TOA_MISMATCH_SEEN', severity: 'info', title: 'getname_toa_mismatch is non-zero' },
  {
    code: 'HOST_TOA_BYPASS',
    severity: 'varies',
    title: "Another kernel user owns sockets' sk_user_data (sockmap, Cilium, kTLS...)",
  },
  {
    code: 'HOST_IP6_ADDRESS_LEAK',
    severity: 'warning',
    title: 'IPv6 TOA entries are allocated but not freed',
  },
  { code: 'HOST_IP6_ADDRESS_GAP', severity: 'info', title: 'IPv6 TOA entries currently held' },
  {
    code: 'HOST_GETNAME_EMPTY_NORMAL',
    severity: 'info',
    title: 'getname_toa_empty counts every getsockname(): not a problem by itself',
  },
  {
    code: 'HOST_NO_TRAFFIC_IN_INTERVAL',
    severity: 'info',
    title: 'No connection arrived between the two snapshots',
    needsDeltas: true,
  },
  {
    code: 'HOST_COUNTER_RESET',
    severity: 'warning',
    title: 'Counters went backwards: the module was reloaded between snapshots',
    needsDeltas: true,
  },
  { code: 'HOST_SINGLE_SNAPSHOT', severity: 'info', title: 'One snapshot: counters are totals since load' },
  { code: 'HOST_STATS_UNRECOGNISED', severity: 'warning', title: 'A stats file matches no known layout' },
  { code: 'HOST_STATS_PARSE_PROBLEMS', severity: 'info', title: 'Some stats lines could not be read' },
  { code: 'HOST_UNKNOWN_COUNTERS', severity: 'info', title: 'Unknown counter names (kept)' },
  { code: 'HOST_DMESG_UNAVAILABLE', severity: 'info', title: 'The kernel log could not be read' },
  {
    code: 'HOST_GETPEERNAME_DISABLED',
    severity: 'warning',
    title: 'TencentOS toa has getpeername rewriting disabled',
  },
  { code: 'HOST_TENCENTOS_VTOA_MODE', severity: 'info', title: 'TencentOS toa runs in VPC (vtoa) mode' },
  { code: 'HOST_TOA_DEBUG_ENABLED', severity: 'info', title: 'TOA debug logging is on' },
  {
    code: 'HOST_TTGW_GETSOCKNAME_VIP',
    severity: 'info',
    title: 'TTGW toa also rewrites getsockname() to the VIP',
  },
  { code: 'HOST_TOA_TABLE_PRESENT', severity: 'info', title: '/proc/net/toa_table present (costly to read)' },
  { code: 'HOST_HOOKERS_SHARED', severity: 'info', title: 'Several consumers chained on one hookers place' },
  {
    code: 'HOST_PERMISSION_DENIED',
    severity: 'warning',
    title: 'Some host files cannot be read (permission denied): run as root',
  },
  {
    code: 'HOST_MODULE_BUILTIN',
    severity: 'info',
    title: 'TOA is built into the kernel (stats file without a loadable module)',
  },
] as const satisfies readonly HostFindingCode[];
