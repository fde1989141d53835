/** The change-code table, the README, the schema and the CLI help agree both ways. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CLUES, COMPARE_CODES } from '../../src/compare/types.js';

const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const SCHEMA = JSON.parse(readFileSync(new URL('../../schema/compare.schema.json', import.meta.url), 'utf8'));
const CLI = readFileSync(new URL('../../src/cli/compare.ts', import.meta.url), 'utf8');

describe('compare codes', () => {
  it('every change code has a README table row with its mode and problem flag', () => {
    for (const r of COMPARE_CODES)
      expect(README, r.code).toMatch(
        new RegExp(`^\\| \`${r.code}\` \\| ${r.mode} \\| ${r.problem ? 'yes' : 'no'} \\|`, 'm'),
      );
  });
  it('the schema enumerates exactly the change codes and the clues', () => {
    expect([...SCHEMA.$defs.change.enum].sort()).toEqual(COMPARE_CODES.map((r) => r.code).sort());
    expect(SCHEMA.properties.summary.properties.changes.required.sort()).toEqual(
      COMPARE_CODES.map((r) => r.code).sort(),
    );
    expect([...SCHEMA.$defs.clue.enum].sort()).toEqual([...CLUES].sort());
    for (const c of CLUES) expect(README, c).toMatch(new RegExp(`^\\| \`${c}\` \\|`, 'm'));
  });
  it('the help text names every change code under its mode', () => {
    for (const r of COMPARE_CODES) expect(CLI).toMatch(new RegExp(`${r.mode}:[^\\n]*${r.code}`));
  });
  it('every problem change has a remedy; the stripped remedy names the Cisco ASA normalizer fix', () => {
    for (const r of COMPARE_CODES) if (r.problem) expect(r.remediation.length).toBeGreaterThan(40);
    expect(COMPARE_CODES.find((r) => r.code === 'TOA_STRIPPED')!.remediation).toMatch(
      /tcp-options range \d+ \d+ allow/,
    );
  });
});
