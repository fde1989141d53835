/**
 * `npm run bench -- --instructions` (src/bench/instructions.ts): counts that repeat, and a clear
 * skip line where valgrind is missing. The full count (~3 min) runs only in the bench.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureFile } from '../../src/bench/cases.js';
import { countInstructions, countOne, instructionTable, TINY } from '../../src/bench/instructions.js';
import { WORKER } from '../../src/bench/model.js';
import { parseBenchArgs } from '../../src/bench/run.js';
import { commandMissingReason, toolSkipReason } from '../helpers/tools.js';

const dir = mkdtempSync(join(tmpdir(), 'toa-bench-ir-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('bench --instructions', () => {
  it('is an option of the bench', () => {
    expect(parseBenchArgs(['--quick', '--instructions']).instructions).toBe(true);
    expect(parseBenchArgs(['--quick']).instructions).toBeUndefined();
  });

  it('without valgrind: skipped, with the reason, and the table says so', () => {
    const path = process.env.PATH;
    process.env.PATH = dir; // an empty directory: no valgrind on it
    try {
      const r = countInstructions(dir, 60, () => undefined);
      expect(r.skipped).toMatch(/valgrind is not installed/);
      expect(r.rows).toEqual([]);
      expect(instructionTable(r)).toEqual([`instruction counts skipped: ${r.skipped}`]);
    } finally {
      process.env.PATH = path;
    }
  });

  const noValgrind = toolSkipReason([commandMissingReason('valgrind')], undefined, 'instruction count test');
  it.skipIf(noValgrind !== null)(
    'two counts of one command agree within 0.2 % (what makes them useful on a noisy VM)',
    () => {
      const tiny = ensureFile(TINY, dir, () => undefined);
      const a = countOne([WORKER, 'reader', tiny.path], 120);
      const b = countOne([WORKER, 'reader', tiny.path], 120);
      expect(typeof a).toBe('number');
      expect(typeof b).toBe('number');
      expect(a as number).toBeGreaterThan(1e8); // Node's start-up alone is hundreds of millions
      expect(Math.abs((a as number) - (b as number)) / (a as number)).toBeLessThan(0.002);
    },
    300_000,
  );
});
