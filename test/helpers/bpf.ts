/** Shared by the probe and lab tests: can this host load our BPF programs, and a process runner. */
import { spawn } from 'node:child_process';
import { checkBpfHost } from '../../src/probe/bpf.js';

/** null when probe/lab can run here, else the reason (missing root, bpftool, cgroup v2...) */
export function bpfUnavailableReason(): string | null {
  try {
    checkBpfHost(['insert', 'read']);
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Run a command line and collect its output. With `cgroup`, the process first moves itself into
 * that cgroup (before it opens any socket), then execs the command.
 */
export function runCommand(
  cmd: string[],
  opts: { cgroup?: string; killAfterMs?: number; onStderr?: (s: string) => void } = {},
): Promise<Run> {
  const argv = opts.cgroup
    ? ['sh', '-c', `echo $$ > ${opts.cgroup}/cgroup.procs && exec "$@"`, 'sh', ...cmd]
    : cmd;
  return new Promise((resolve) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
      opts.onStderr?.(stderr);
    });
    if (opts.killAfterMs) setTimeout(() => child.kill('SIGTERM'), opts.killAfterMs);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}
