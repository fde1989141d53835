/**
 * src/ has no import cycle: every relative import (static `from '...'`, `export ... from '...'` and
 * dynamic `import('...')`) of every src/**\/*.ts(x) file is followed, depth first, and a module met
 * again while it is still on the path is a cycle. A cycle makes evaluation order decide which
 * binding is still undefined (the old `toolVersion` in src/cli/main.ts, imported back by the
 * commands it loads); leaf modules such as src/version.ts and src/errors.ts keep it out.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = new URL('../src', import.meta.url).pathname;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory()
      ? sources(join(dir, d.name))
      : /\.tsx?$/.test(d.name) && !d.name.endsWith('.d.ts')
        ? [join(dir, d.name)]
        : [],
  );
}

/** the src files `file` imports (relative specifiers only; `.js` names the `.ts`/`.tsx` source) */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs = [
    ...text.matchAll(/^\s*(?:import|export)\b[^;]*?\bfrom\s+['"](\.{1,2}\/[^'"]+)['"]/gms),
    ...text.matchAll(/\bimport\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g),
  ].map((m) => m[1]!);
  const out: string[] = [];
  for (const spec of specs) {
    const base = resolve(dirname(file), spec).replace(/\.js$/, '');
    const hit = [`${base}.ts`, `${base}.tsx`, join(base, 'index.ts')].find((p) => existsSync(p));
    if (hit) out.push(hit);
  }
  return out;
}

function findCycles(files: string[]): string[][] {
  const graph = new Map(files.map((f) => [f, importsOf(f)]));
  const done = new Set<string>();
  const onPath: string[] = [];
  const cycles: string[][] = [];
  const visit = (f: string) => {
    const at = onPath.indexOf(f);
    if (at >= 0) {
      cycles.push([...onPath.slice(at), f].map((p) => relative(SRC, p)));
      return;
    }
    if (done.has(f)) return;
    onPath.push(f);
    for (const g of graph.get(f) ?? []) visit(g);
    onPath.pop();
    done.add(f);
  };
  for (const f of files) visit(f);
  return cycles;
}

describe('src/ imports', () => {
  const files = sources(SRC);

  it('follows the relative imports', () => {
    expect(files.length).toBeGreaterThan(100);
    expect(importsOf(join(SRC, 'cli/main.ts')).map((p) => relative(SRC, p))).toContain('cli/read.ts');
  });

  it('has no cycle', () => {
    expect(findCycles(files).map((c) => c.join(' -> '))).toEqual([]);
  });
});
