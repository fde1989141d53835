/**
 * Loading the BPF programs of bpf/ with bpftool, and taking every trace of them away again.
 *
 * A session owns: a private bpffs mount in a temp directory (so nothing is pinned under
 * /sys/fs/bpf), the programs and maps pinned there, one cgroup v2 directory per role, and the
 * attachments. `close()` undoes all of it in reverse order; it also runs from process 'exit' and
 * from SIGINT/SIGTERM/SIGHUP handlers, and the next session sweeps directories left by a process
 * that was killed with SIGKILL.
 *
 * Kernel requirements (checked up front, each named in the error):
 *   - BPF TCP header options (bpf_reserve_hdr_opt / bpf_store_hdr_opt / bpf_load_hdr_opt,
 *     BPF_SOCK_OPS_HDR_OPT_LEN_CB / WRITE_HDR_OPT_CB): Linux 5.10
 *   - cgroup/getpeername4/6 (BPF_CGROUP_INET4_GETPEERNAME): Linux 5.8
 *   - cgroup v2: the mounted hierarchy (from /proc/mounts), else a private mount of it (a session
 *     inside `ip netns exec`, which remounts /sys, sees no cgroup mount)
 */
import { execFileSync, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmdirSync,
  writeFileSync,
} from 'node:fs';
import { release, tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bpfFailed, noBpftool, noCgroup2, noObjects, noPrivilege, notLinux, oldKernel } from './errors.js';

/** bpf/ at the package root (dist/probe/../../bpf and src/probe/../../bpf alike) */
export const BPF_DIR = fileURLToPath(new URL('../../bpf/', import.meta.url));
export const OBJECTS = { insert: 'toa-insert.bpf.o', read: 'toa-read.bpf.o' } as const;

export const KERNEL_NEEDS = { hdrOptions: [5, 10], getpeername: [5, 8] } as const;

export interface BpfHost {
  bpftool: string;
  /** the mounted cgroup v2 root; null: none mounted here (e.g. under `ip netns exec`, which
   *  remounts /sys), so each session mounts a private one */
  cgroupRoot: string | null;
}

/** "6.18.44-fc" → [6, 18] */
export function kernelVersion(rel: string): [number, number] | null {
  const m = /^(\d+)\.(\d+)/.exec(rel);
  return m ? [Number(m[1]), Number(m[2])] : null;
}

function atLeast(v: [number, number], need: readonly [number, number]): boolean {
  return v[0] > need[0] || (v[0] === need[0] && v[1] >= need[1]);
}

/** The cgroup v2 mount point from a /proc/mounts text (under /sys/fs/cgroup first, then the shortest), or null. */
export function cgroup2Mount(mounts: string): string | null {
  const found: string[] = [];
  for (const line of mounts.split('\n')) {
    const f = line.split(' ');
    if (f[2] === 'cgroup2' && f[1]) found.push(f[1].replace(/\\040/g, ' '));
  }
  const rank = (p: string) => (p.startsWith('/sys/fs/cgroup') ? 0 : 1);
  found.sort((a, b) => rank(a) - rank(b) || a.length - b.length);
  return found[0] ?? null;
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** Effective capability bits from /proc/self/status (CapEff), or null. */
function capEff(): bigint | null {
  try {
    const m = /^CapEff:\s*([0-9a-f]+)/m.exec(readFileSync('/proc/self/status', 'utf8'));
    return m ? BigInt(`0x${m[1]}`) : null;
  } catch {
    return null;
  }
}

const CAP = { CAP_NET_ADMIN: 12n, CAP_SYS_ADMIN: 21n, CAP_BPF: 39n } as const;

export function findTool(name: string): string | null {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/sbin', '/usr/local/sbin'];
  for (const d of dirs) {
    if (!d) continue;
    const p = join(d, name);
    if (existsSync(p)) return p;
  }
  return null;
}

/** Everything probe and lab need, or the first thing missing as a ProbeError. */
export function checkBpfHost(objects: ReadonlyArray<keyof typeof OBJECTS> = ['insert']): BpfHost {
  if (process.platform !== 'linux') throw notLinux(process.platform);
  const caps = capEff();
  if (caps !== null) {
    // mounting bpffs and writing cgroup.procs of another process need CAP_SYS_ADMIN too
    const missing = (['CAP_BPF', 'CAP_NET_ADMIN', 'CAP_SYS_ADMIN'] as const).filter(
      (c) => !(caps & (1n << CAP[c])),
    );
    if (missing.length) throw noPrivilege(missing);
  } else if (process.getuid?.() !== 0) throw noPrivilege(['CAP_BPF', 'CAP_NET_ADMIN', 'CAP_SYS_ADMIN']);
  const rel = release();
  const v = kernelVersion(rel);
  if (v && !atLeast(v, KERNEL_NEEDS.hdrOptions))
    throw oldKernel(rel, '5.10', 'writing and reading TCP header options from BPF (bpf_store_hdr_opt)');
  let mounts = '';
  try {
    mounts = readFileSync('/proc/mounts', 'utf8');
  } catch {
    // treated as no cgroup2
  }
  const cgroupRoot = cgroup2Mount(mounts);
  if (!cgroupRoot && !/\tcgroup2$/m.test(readText('/proc/filesystems'))) throw noCgroup2();
  const bpftool = findTool('bpftool');
  if (!bpftool) throw noBpftool();
  for (const o of objects)
    if (!existsSync(join(BPF_DIR, OBJECTS[o]))) throw noObjects(join(BPF_DIR, OBJECTS[o]));
  return { bpftool, cgroupRoot };
}

const CG_PREFIX = 'toa-doctor-';
let cgroupSeq = 0;
const live = new Set<BpfSession>();
let hooked = false;

function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', () => {
    for (const s of [...live]) s.close();
  });
  for (const [sig, n] of [
    ['SIGINT', 2],
    ['SIGTERM', 15],
    ['SIGHUP', 1],
  ] as const) {
    process.on(sig, () => {
      for (const s of [...live]) s.close();
      process.exit(128 + n);
    });
  }
}

/** the process exists (EPERM: it does, someone else's) */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface Attachment {
  cgroup: string;
  type: string;
  pin: string;
}

/**
 * One set of loaded programs. `debug` collects the bpftool command lines and their output.
 */
export class BpfSession {
  readonly pins: string;
  /** where cgroups are made: the host's cgroup v2 root, or a private mount of the hierarchy */
  readonly cgroupRoot: string;
  private privateCgroupMount: string | null = null;
  private readonly cgroups: string[] = [];
  private readonly attached: Attachment[] = [];
  private mounted = false;
  private closed = false;
  readonly log: string[] = [];

  constructor(
    readonly host: BpfHost,
    readonly tag: string,
  ) {
    hookExit();
    sweepStale(host);
    this.pins = mkdtempSync(join(tmpdir(), `${CG_PREFIX}bpf-${process.pid}-`));
    live.add(this);
    this.run('mount', ['-t', 'bpf', 'bpf', this.pins], 'mounting a private bpffs');
    this.mounted = true;
    if (host.cgroupRoot) this.cgroupRoot = host.cgroupRoot;
    else {
      // the cgroup v2 hierarchy is one tree: a second mount shows the same cgroups
      this.privateCgroupMount = mkdtempSync(join(tmpdir(), `${CG_PREFIX}cg-${process.pid}-`));
      this.cgroupRoot = this.privateCgroupMount;
      try {
        this.run(
          'mount',
          ['-t', 'cgroup2', 'none', this.privateCgroupMount],
          'mounting the cgroup v2 hierarchy',
        );
      } catch (e) {
        this.close();
        throw e;
      }
    }
  }

  private run(cmd: string, args: string[], what: string): string {
    this.log.push(`$ ${cmd} ${args.join(' ')}`);
    const r = spawnSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    if (r.status !== 0) {
      const detail = `${r.stderr ?? ''}${r.error ? String(r.error) : ''}`.trim();
      this.log.push(detail);
      if (process.env.TOA_DOCTOR_DEBUG) process.stderr.write(`${this.log.join('\n')}\n`);
      const lines = detail.split('\n').filter((l) => /error|Error|failed|denied/.test(l));
      throw bpfFailed(what, (lines[lines.length - 1] ?? detail.split('\n')[0] ?? `exit ${r.status}`).trim());
    }
    return r.stdout ?? '';
  }

  bpftool(args: string[], what: string): string {
    return this.run(this.host.bpftool, args, what);
  }

  /** Load every program of an object; returns the pin directory of programs and of maps. */
  load(object: keyof typeof OBJECTS): { progs: string; maps: string } {
    const progs = join(this.pins, `${object}-progs`);
    const maps = join(this.pins, `${object}-maps`);
    this.bpftool(
      ['prog', 'loadall', join(BPF_DIR, OBJECTS[object]), progs, 'pinmaps', maps],
      `loading ${OBJECTS[object]}`,
    );
    return { progs, maps };
  }

  /** A new cgroup v2 directory below the root, removed at close. */
  makeCgroup(role: string): string {
    // unique per session even within one process (several labs in one test file); the pid stays last for the sweep
    const dir = join(this.cgroupRoot, `${CG_PREFIX}${this.tag}-${role}-${++cgroupSeq}-${process.pid}`);
    mkdirSync(dir, { recursive: true });
    this.cgroups.push(dir);
    return dir;
  }

  attach(cgroup: string, type: string, pin: string): void {
    this.bpftool(
      ['cgroup', 'attach', cgroup, type, 'pinned', pin, 'multi'],
      `attaching ${type} to ${cgroup}`,
    );
    this.attached.push({ cgroup, type, pin });
  }

  /** Update one map entry (key and value as bytes). */
  mapUpdate(mapPin: string, key: Uint8Array, value: Uint8Array): void {
    this.bpftool(
      ['map', 'update', 'pinned', mapPin, 'key', 'hex', ...hex(key), 'value', 'hex', ...hex(value)],
      'updating a BPF map',
    );
  }

  /** Array map of u64 counters → numbers. */
  counters(mapPin: string): number[] {
    const out = this.bpftool(['-j', 'map', 'dump', 'pinned', mapPin], 'reading BPF counters');
    const rows = JSON.parse(out) as Array<{ formatted?: { key: number; value: number } }>;
    const res: number[] = [];
    for (const r of rows) if (r.formatted) res[r.formatted.key] = Number(r.formatted.value);
    return res;
  }

  /** Put a process into a cgroup of this session. */
  enter(cgroup: string, pid: number): void {
    writeFileSync(join(cgroup, 'cgroup.procs'), `${pid}\n`);
  }

  /** Undo everything; safe to call more than once and from exit/signal handlers. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    live.delete(this);
    for (const a of this.attached.reverse()) {
      spawnSync(this.host.bpftool, ['cgroup', 'detach', a.cgroup, a.type, 'pinned', a.pin], {
        stdio: 'ignore',
      });
    }
    for (const cg of this.cgroups.reverse()) removeCgroup(cg);
    if (this.mounted) spawnSync('umount', [this.pins], { stdio: 'ignore' });
    if (this.privateCgroupMount) {
      spawnSync('umount', [this.privateCgroupMount], { stdio: 'ignore' });
      try {
        rmdirSync(this.privateCgroupMount);
      } catch {
        // busy or gone
      }
    }
    try {
      rmdirSync(this.pins);
    } catch {
      // still mounted (busy) or gone
    }
  }

  /** What is left behind after close (for tests and the "cleans up completely" promise). */
  leftovers(): string[] {
    const left: string[] = [];
    for (const cg of this.cgroups) if (existsSync(cg)) left.push(cg);
    if (existsSync(this.pins)) left.push(this.pins);
    return left;
  }
}

function hex(b: Uint8Array): string[] {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0'));
}

/** Move any process still in the cgroup out to the root, then remove it. */
function removeCgroup(dir: string): void {
  for (let attempt = 0; attempt < 20; attempt++) {
    try {
      const procs = readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean);
      for (const p of procs) {
        try {
          writeFileSync(join(dir, '..', 'cgroup.procs'), `${p}\n`);
        } catch {
          // exited meanwhile
        }
      }
      rmdirSync(dir);
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      execFileSync('sleep', ['0.05']);
    }
  }
}

/** Remove cgroups and bpffs mounts of toa-doctor processes that no longer exist. */
export function sweepStale(host: BpfHost): string[] {
  const removed: string[] = [];
  let names: string[] = [];
  try {
    if (host.cgroupRoot) names = readdirSync(host.cgroupRoot);
  } catch {
    // nothing to sweep there
  }
  for (const n of names) {
    const m = new RegExp(`^${CG_PREFIX}.*-(\\d+)$`).exec(n);
    if (!m || Number(m[1]) === process.pid || pidAlive(Number(m[1]))) continue;
    const dir = join(host.cgroupRoot!, n);
    removeCgroup(dir);
    if (!existsSync(dir)) removed.push(dir);
  }
  // private bpffs mounts of dead sessions (they keep their pinned programs alive)
  let mounts = '';
  try {
    mounts = readFileSync('/proc/mounts', 'utf8');
  } catch {
    return removed;
  }
  for (const line of mounts.split('\n')) {
    const f = line.split(' ');
    const m = new RegExp(`/${CG_PREFIX}(?:bpf|cg)-(\\d+)-[^/]+$`).exec(f[1] ?? '');
    if (
      (f[2] !== 'bpf' && f[2] !== 'cgroup2') ||
      !m ||
      Number(m[1]) === process.pid ||
      pidAlive(Number(m[1]))
    )
      continue;
    spawnSync('umount', [f[1]!], { stdio: 'ignore' });
    try {
      rmdirSync(f[1]!);
    } catch {
      // busy or gone
    }
    removed.push(f[1]!);
  }
  return removed;
}
