/**
 * Reads a V8 .cpuprofile (node --cpu-prof) and lists the functions with the most self time.
 *
 *   node dist/bench/profile.js FILE.cpuprofile [N]
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

export interface HotSpot {
  fn: string;
  /** file:line (1-based), path shortened to the part after dist/ or node_modules/ */
  where: string;
  selfMs: number;
  pct: number;
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function shorten(url: string): string {
  if (!url) return '(native)';
  const u = url.replace(/^file:\/\//, '');
  for (const key of ['/dist/', '/node_modules/']) {
    const i = u.lastIndexOf(key);
    if (i >= 0) return u.slice(i + 1);
  }
  return u.startsWith('node:') ? u : u.split('/').slice(-2).join('/');
}

export function topSelfTime(profilePath: string, n = 15): { totalMs: number; spots: HotSpot[] } {
  const p = JSON.parse(readFileSync(profilePath, 'utf8')) as CpuProfile;
  const byId = new Map<number, ProfileNode>();
  for (const node of p.nodes) byId.set(node.id, node);
  const self = new Map<string, { fn: string; where: string; us: number }>();
  let total = 0;
  for (let i = 0; i < p.samples.length; i++) {
    const node = byId.get(p.samples[i]!);
    const dt = p.timeDeltas[i] ?? 0;
    if (!node) continue;
    total += dt;
    const cf = node.callFrame;
    const where = cf.url ? `${shorten(cf.url)}:${cf.lineNumber + 1}` : '(native)';
    const fn = cf.functionName || '(anonymous)';
    const key = `${fn}@${where}`;
    const e = self.get(key);
    if (e) e.us += dt;
    else self.set(key, { fn, where, us: dt });
  }
  const spots = [...self.values()]
    .sort((a, b) => b.us - a.us)
    .slice(0, n)
    .map((e) => ({ fn: e.fn, where: e.where, selfMs: e.us / 1000, pct: total ? (100 * e.us) / total : 0 }));
  return { totalMs: total / 1000, spots };
}

export function formatHotSpots(spots: HotSpot[]): string {
  return spots
    .map(
      (s) => `${s.selfMs.toFixed(0).padStart(7)} ms ${s.pct.toFixed(1).padStart(5)} %  ${s.fn}  ${s.where}`,
    )
    .join('\n');
}

const [, script, file, count] = process.argv;
if (script && import.meta.url === pathToFileURL(script).href && file) {
  const r = topSelfTime(file, count ? Number(count) : 20);
  process.stdout.write(`total ${r.totalMs.toFixed(0)} ms\n${formatHotSpots(r.spots)}\n`);
}
