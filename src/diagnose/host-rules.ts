/**
 * Host diagnosis: HostEvidence → Finding[] (source 'host'). Every code is a row in
 * HOST_FINDING_CODES (./host-codes.ts, documented in README.md); the rules are grouped in
 * ./host-rules/. With one snapshot only what one snapshot supports is said; counter movement
 * needs two (before/after or --interval).
 */
import type { HostEvidence } from '../host/types-host.js';
import { countersDelta, countersSingle, statsFileRules } from './host-rules/counters.js';
import { flavorRules } from './host-rules/flavor.js';
import { containerRules, listenerRules } from './host-rules/listeners.js';
import { emptyRule, miscRules } from './host-rules/misc.js';
import { moduleRules } from './host-rules/modules.js';
import { type Finding, rankFindings } from './types.js';

export { HOST_FINDING_CODES, type HostFindingCode } from './host-codes.js';

export function diagnoseHost(ev: HostEvidence): Finding[] {
  const out: Finding[] = [];
  const { active } = moduleRules(ev, out);
  flavorRules(ev, out);
  containerRules(ev, out);
  listenerRules(ev, out, active);
  statsFileRules(ev, out);
  countersSingle(ev, out);
  countersDelta(ev, out);
  emptyRule(ev, out);
  miscRules(ev, out, active);
  const hookMissing = out.some((f) => f.code === 'HOST_HOOK_NOT_IN_PATH');
  return rankFindings(out.filter((f) => !(hookMissing && f.code === 'HOST_IPV6_HOOKS_UNCONFIRMED')));
}
