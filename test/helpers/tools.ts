/** Skip policy for tests that need an installed tool as their oracle (tcpdump): the live tests' rule. */
import { spawnSync } from 'node:child_process';
import { underCi } from './netns.js';

/**
 * null when tcpdump runs; otherwise the reason, printed once with `what` — and under CI (where
 * .ci/run installs tcpdump) a thrown error instead, so the test cannot skip silently there.
 */
export function tcpdumpSkipReason(what: string): string | null {
  if (spawnSync('tcpdump', ['--version'], { stdio: 'ignore' }).status === 0) return null;
  const reason = 'tcpdump is not installed';
  if (underCi()) throw new Error(`${what} cannot run under CI: ${reason}`);
  process.stderr.write(`[${what} skipped] ${reason}\n`);
  return reason;
}
