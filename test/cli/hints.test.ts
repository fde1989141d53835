/**
 * Every error a user can see carries a hint (README: one `toa-doctor: ...` line and one `hint:`
 * line). The type makes the hint argument required; this scan also refuses an empty or undefined
 * one, and an error class that does not extend ToaError (src/errors.ts), the one class
 * src/cli/main.ts fail() prints. The wrong invocations themselves run in usage-errors.test.ts.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = new URL('../../src', import.meta.url).pathname;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? sources(join(dir, d.name)) : d.name.endsWith('.ts') ? [join(dir, d.name)] : [],
  );
}

/** the top-level arguments of the call whose `(` is at `open`, as source text */
function callArguments(text: string, open: number): string[] {
  const args: string[] = [];
  let depth = 0;
  let start = open + 1;
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (c === "'" || c === '"' || c === '`') {
      // skip a string; template literals may nest ${...} with strings inside, counted by depth
      const q = c;
      for (i++; i < text.length && text[i] !== q; i++) {
        if (text[i] === '\\') i++;
        else if (q === '`' && text[i] === '$' && text[i + 1] === '{') {
          let d = 0;
          for (i++; i < text.length; i++) {
            if (text[i] === '{') d++;
            else if (text[i] === '}' && --d === 0) break;
          }
        }
      }
      continue;
    }
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') {
      depth--;
      if (depth === 0) {
        args.push(text.slice(start, i));
        break;
      }
    } else if (c === ',' && depth === 1) {
      args.push(text.slice(start, i));
      start = i + 1;
    }
  }
  return args.map((a) => a.trim()).filter((a) => a !== '');
}

/** the position of the hint argument of each error class */
const HINT_AT: Record<string, number> = { ToaError: 2, CaptureError: 2, ProbeError: 2, UserError: 1 };

const sites = sources(SRC).flatMap((file) => {
  const text = readFileSync(file, 'utf8');
  const out: Array<{ where: string; cls: string; args: string[] }> = [];
  for (const m of text.matchAll(/\bnew (ToaError|CaptureError|ProbeError|UserError)\(/g)) {
    const line = text.slice(0, m.index).split('\n').length;
    out.push({
      where: `${relative(SRC, file)}:${line}`,
      cls: m[1]!,
      args: callArguments(text, m.index! + m[0].length - 1),
    });
  }
  return out;
});

describe('every user error has a hint', () => {
  it('finds the error sites', () => {
    expect(sites.length).toBeGreaterThan(80);
  });

  it('each `new XError(` passes a hint that is not empty', () => {
    const bad = sites.filter(({ cls, args }) => {
      const hint = args[HINT_AT[cls]!];
      return hint === undefined || /^(''|""|``|undefined|null)$/.test(hint);
    });
    expect(bad.map((b) => `${b.where}: new ${b.cls}(${b.args.join(', ')})`)).toEqual([]);
  });

  it('the error classes extend the one ToaError', () => {
    const classes = sources(SRC).flatMap((file) =>
      [...readFileSync(file, 'utf8').matchAll(/class (\w+) extends (\w*Error)\b/g)].map(
        (m) => `${relative(SRC, file)}: ${m[1]} extends ${m[2]}`,
      ),
    );
    const notToa = classes
      .filter((c) => !/extends ToaError$/.test(c) && !c.startsWith('errors.ts: ToaError '))
      .sort();
    // never shown to a user: a consumer's request to stop reading (caught by the reader's callers),
    // and a BPF listing problem that compile.ts wraps into a CaptureError with a hint
    expect(notToa).toEqual([
      'capture/filter/bpf.ts: BpfParseError extends Error',
      'capture/reader.ts: StopReading extends Error',
    ]);
  });
});
