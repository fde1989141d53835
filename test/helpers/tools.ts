/**
 * Which outside tools the tests can use, and why a test skips when one is missing. A skip always
 * names the tool that is really missing (looked up the way the code under test looks it up: tcpdump
 * as toa-doctor finds it, shells on PATH as spawn finds them), and under CI a missing tool is a
 * failure, not a skip (.ci/run installs them all).
 */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { findTcpdump } from '../../src/capture/live/tcpdump-engine.js';
import { underCi } from './netns.js';

/** The executable `cmd` on PATH (what spawn would run), or null. */
export function onPath(cmd: string, env: NodeJS.ProcessEnv = process.env): string | null {
  for (const d of (env.PATH ?? '').split(delimiter)) {
    if (!d) continue;
    try {
      accessSync(join(d, cmd), constants.X_OK);
      return join(d, cmd);
    } catch {
      // next
    }
  }
  return null;
}

/** Why a command cannot be run, or null. */
export function commandMissingReason(cmd: string, env: NodeJS.ProcessEnv = process.env): string | null {
  return onPath(cmd, env) ? null : `${cmd} is not installed (not found on PATH)`;
}

/** tcpdump as toa-doctor's engine finds it (PATH plus the sbin directories). */
export function tcpdumpMissingReason(env: NodeJS.ProcessEnv = process.env): string | null {
  return findTcpdump(env)
    ? null
    : 'tcpdump is not installed (not on PATH, nor in /usr/sbin, /sbin, /usr/local/sbin)';
}

/**
 * The first reason in `reasons`, printed as `[<what> skipped] ...` (`what` defaults to "tests");
 * null when all are null. Under CI it throws instead: there every tool is installed, so a missing
 * one is a broken CI image.
 */
export function toolSkipReason(
  reasons: Array<string | null>,
  report: (line: string) => void = (l) => process.stderr.write(l),
  what = 'tests',
): string | null {
  const reason = reasons.find((r) => r) ?? null;
  if (!reason) return null;
  if (underCi()) throw new Error(`${what} cannot be skipped under CI: ${reason}`);
  report(`[${what} skipped] ${reason}\n`);
  return reason;
}

/**
 * For tests that use tcpdump as their oracle (they spawn `tcpdump` from PATH) and run toa-doctor,
 * which compiles filter expressions with tcpdump as findTcpdump() finds it: null when both can run,
 * otherwise the reason for the one that cannot, printed with `what`, or thrown under CI.
 */
export function tcpdumpSkipReason(
  what: string,
  report: (line: string) => void = (l) => process.stderr.write(l),
): string | null {
  return toolSkipReason([commandMissingReason('tcpdump'), tcpdumpMissingReason()], report, what);
}
