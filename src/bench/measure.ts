/**
 * Running one command and measuring it: wall clock, CPU time and peak resident memory. With GNU time
 * (`/usr/bin/time -v`, its "Maximum resident set size" and "User/System time" lines) when it is
 * installed, else by polling VmHWM in /proc/<pid>/status (proc(5)) every 5 ms, which has no CPU time.
 * The child gets its own process group so a timeout kills the whole tree. Also the small probes of
 * the machine the run needs: a command on PATH, its version line, and warming a file into the page
 * cache. A failure to spawn, a timeout or a bad exit is reported in the outcome, not thrown.
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, readSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';

export interface RunOutcome {
  code: number | null;
  signal: string | null;
  wallSec: number;
  rssKB: number | null;
  /** user + system CPU seconds (GNU time only) */
  cpuSec: number | null;
  stdout: string;
  stderrTail: string;
  timedOut: boolean;
  spawnError?: string;
}

export function which(cmd: string): string | null {
  for (const d of (process.env.PATH ?? '').split(':')) {
    if (!d) continue;
    const p = join(d, cmd);
    try {
      if (statSync(p).isFile()) return p;
    } catch {
      /* not here */
    }
  }
  return null;
}

export function toolVersion(cmd: string, args: string[]): string | null {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 10_000 });
  if (r.error) return null;
  const line = `${r.stdout ?? ''}${r.stderr ?? ''}`.split('\n').find((l) => l.trim());
  return line ? line.trim() : null;
}

/** GNU time with -v available? */
export function haveGnuTime(): boolean {
  if (!existsSync('/usr/bin/time')) return false;
  const r = spawnSync('/usr/bin/time', ['-v', 'true'], { encoding: 'utf8', timeout: 10_000 });
  return !r.error && /Maximum resident set size/.test(r.stderr ?? '');
}

function vmHwmKB(pid: number): number | null {
  try {
    const m = /VmHWM:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/**
 * Runs argv as a child; peak RSS from GNU time -v, else by polling /proc/<pid>/status VmHWM.
 * stdout goes to /dev/null or is collected.
 */
export function measure(
  argv: string[],
  opts: { stdout: 'null' | 'pipe'; timeoutSec: number; gnuTime: boolean; tmpDir: string },
): Promise<RunOutcome> {
  return new Promise((resolveP) => {
    const timeFile = join(opts.tmpDir, `.time-${process.pid}-${Date.now()}.txt`);
    const cmd = opts.gnuTime ? '/usr/bin/time' : argv[0]!;
    const args = opts.gnuTime ? ['-v', '-o', timeFile, ...argv] : argv.slice(1);
    const devnull = opts.stdout === 'null' ? openSync('/dev/null', 'w') : null;
    const t0 = process.hrtime.bigint();
    let stdout = '';
    let stderr = '';
    let hwm: number | null = null;
    let timedOut = false;
    const child = spawn(cmd, args, {
      stdio: ['ignore', devnull ?? 'pipe', 'pipe'],
      detached: true, // own process group, so a timeout can stop the whole tree
    });
    if (devnull !== null) closeSync(devnull);
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      if (stdout.length < 1 << 20) stdout += d;
    });
    child.stderr?.setEncoding('utf8').on('data', (d: string) => {
      stderr = (stderr + d).slice(-8192);
    });
    const poll =
      !opts.gnuTime && child.pid
        ? setInterval(() => {
            const v = vmHwmKB(child.pid!);
            if (v !== null && (hwm === null || v > hwm)) hwm = v;
          }, 5)
        : null;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }, opts.timeoutSec * 1000);
    let spawnError: string | undefined;
    child.on('error', (err) => {
      spawnError = err.message;
    });
    child.on('close', (code, signal) => {
      const wallSec = Number(process.hrtime.bigint() - t0) / 1e9;
      clearTimeout(timer);
      if (poll) clearInterval(poll);
      let rssKB: number | null = hwm;
      let cpuSec: number | null = null;
      let exitCode = code;
      if (opts.gnuTime) {
        try {
          const t = readFileSync(timeFile, 'utf8');
          rmSync(timeFile, { force: true });
          const m = /Maximum resident set size \(kbytes\): (\d+)/.exec(t);
          if (m) rssKB = Number(m[1]);
          const u = /User time \(seconds\): ([\d.]+)/.exec(t);
          const sy = /System time \(seconds\): ([\d.]+)/.exec(t);
          if (u && sy) cpuSec = Number(u[1]) + Number(sy[1]);
          const st = /Exit status: (\d+)/.exec(t);
          if (st && exitCode === 0) exitCode = Number(st[1]);
          if (/Command terminated by signal/.test(t) && exitCode === 0) exitCode = 128;
        } catch {
          /* time output missing: keep what we have */
        }
      }
      resolveP({
        code: exitCode,
        signal,
        wallSec,
        rssKB,
        cpuSec,
        stdout,
        stderrTail: stderr,
        timedOut,
        spawnError,
      });
    });
  });
}

/**
 * Reads the file once so the case measures parsing, not the disk: this VM's page cache is
 * reclaimed aggressively (a cold 2 GB read runs at ~1.5 GB/s, a warm one at ~4.6 GB/s).
 */
export function warmFile(path: string): void {
  const fd = openSync(path, 'r');
  const buf = Buffer.allocUnsafe(8 << 20);
  try {
    while (readSync(fd, buf, 0, buf.length, null) > 0) {
      /* just pull it into the page cache */
    }
  } finally {
    closeSync(fd);
  }
}
