/** Every verdict and capture finding code a report can carry is documented in the README. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CAPTURE_FINDING_CODES } from '../../src/diagnose/index.js';
import { VERDICTS } from '../../src/flow/types.js';

const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

describe('README documents every code', () => {
  it('lists every verdict code in a table row', () => {
    for (const v of VERDICTS) expect(README, v).toMatch(new RegExp(`^\\| \`${v}\` \\|`, 'm'));
  });
  it('lists every capture finding code', () => {
    const codes = CAPTURE_FINDING_CODES.map((c) => c.code);
    expect(codes.length).toBeGreaterThan(5);
    for (const c of codes) expect(README, c).toContain(`\`${c}\``);
  });
});
