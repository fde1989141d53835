/**
 * Two private network namespaces joined by a veth pair: the "LB side" (client) and the backend.
 * Nothing is created in the caller's namespace; addresses come from the benchmark range
 * 198.18.0.0/15 and fd7a:d0c:1::/64. Names carry the pid, so a later run can remove what a killed
 * run left (sweepLabNamespaces).
 *
 *   ns tlab-<pid>-<n>c   tlab-c 198.18.1.1 / fd7a:d0c:1::1  ----  tlab-s 198.18.1.2 / fd7a:d0c:1::2   ns tlab-<pid>-<n>s
 */
import { spawnSync } from 'node:child_process';
import { pidAlive } from '../probe/bpf.js';

export const LAB_ADDR = {
  client4: '198.18.1.1',
  server4: '198.18.1.2',
  client6: 'fd7a:d0c:1::1',
  server6: 'fd7a:d0c:1::2',
  clientIf: 'tlab-c',
  serverIf: 'tlab-s',
} as const;

export interface LabNetns {
  client: string;
  server: string;
}

function ip(args: string[]): void {
  const r = spawnSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${(r.stderr || String(r.error)).trim()}`);
}

let seq = 0;

export function createLabNetns(): LabNetns {
  sweepLabNamespaces();
  const id = `tlab-${process.pid}-${seq++}`;
  const ns: LabNetns = { client: `${id}c`, server: `${id}s` };
  try {
    ip(['netns', 'add', ns.client]);
    ip(['netns', 'add', ns.server]);
    ip([
      'link',
      'add',
      'name',
      LAB_ADDR.clientIf,
      'netns',
      ns.client,
      'type',
      'veth',
      'peer',
      'name',
      LAB_ADDR.serverIf,
      'netns',
      ns.server,
    ]);
    for (const [n, ifc, a4, a6] of [
      [ns.client, LAB_ADDR.clientIf, LAB_ADDR.client4, LAB_ADDR.client6],
      [ns.server, LAB_ADDR.serverIf, LAB_ADDR.server4, LAB_ADDR.server6],
    ] as const) {
      ip(['-n', n, 'link', 'set', 'lo', 'up']);
      ip(['-n', n, 'addr', 'add', `${a4}/24`, 'dev', ifc]);
      ip(['-n', n, '-6', 'addr', 'add', `${a6}/64`, 'dev', ifc, 'nodad']);
      ip(['-n', n, 'link', 'set', ifc, 'up']);
    }
    return ns;
  } catch (e) {
    destroyLabNetns(ns);
    throw e;
  }
}

export function destroyLabNetns(ns: LabNetns): void {
  for (const n of [ns.client, ns.server]) {
    const pids = spawnSync('ip', ['netns', 'pids', n], { encoding: 'utf8' }).stdout ?? '';
    for (const p of pids
      .split('\n')
      .map(Number)
      .filter((x) => x > 0)) {
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        // gone
      }
    }
    spawnSync('ip', ['netns', 'del', n], { stdio: 'ignore' });
  }
}

/** Remove lab namespaces whose creating process is gone. */
export function sweepLabNamespaces(): string[] {
  const out = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout ?? '';
  const removed: string[] = [];
  for (const line of out.split('\n')) {
    const name = line.split(' ')[0] ?? '';
    const m = /^tlab-(\d+)-\d+[cs]$/.exec(name);
    if (!m || Number(m[1]) === process.pid || pidAlive(Number(m[1]))) continue;
    spawnSync('ip', ['netns', 'del', name], { stdio: 'ignore' });
    removed.push(name);
  }
  return removed;
}
