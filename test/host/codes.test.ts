/** Every finding code is in its table and documented in README.md, and nothing else is. */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CORRELATION_CODES } from '../../src/diagnose/correlate.js';
import { diagnoseHost, HOST_FINDING_CODES } from '../../src/diagnose/host-rules.js';
import { loadHostDir } from '../../src/host/snapshot.js';

const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const FIXTURES = new URL('../../fixtures/hosts/', import.meta.url).pathname;

describe('finding codes', () => {
  it('every host and correlation code is documented', () => {
    for (const c of [...HOST_FINDING_CODES, ...CORRELATION_CODES])
      expect(README).toContain(`| \`${c.code}\` |`);
  });
  it('the README documents no code that does not exist', () => {
    const known = new Set<string>([...HOST_FINDING_CODES, ...CORRELATION_CODES].map((c) => c.code));
    const documented = [...README.matchAll(/^\| `((?:HOST|CORR)_[A-Z0-9_]+)` \|/gm)].map((m) => m[1]!);
    expect(documented.filter((c) => !known.has(c))).toEqual([]);
    expect(new Set(documented).size).toBe(known.size);
  });
  it('every code a fixture produces is in the table, with a severity the table allows', async () => {
    const table = new Map<string, string>(HOST_FINDING_CODES.map((c) => [c.code, c.severity]));
    const dirs = readdirSync(FIXTURES).filter((d) => statSync(FIXTURES + d).isDirectory());
    expect(dirs.length).toBeGreaterThanOrEqual(15);
    for (const d of dirs) {
      for (const f of diagnoseHost(await loadHostDir(FIXTURES + d))) {
        expect(table.has(f.code), f.code).toBe(true);
        const sev = table.get(f.code);
        if (sev !== 'varies') expect(f.severity, f.code).toBe(sev);
        expect(f.explanation.length).toBeGreaterThan(20);
        expect(f.remediation.length).toBeGreaterThan(10);
      }
    }
  });
});
