/** The one verdict table and the numeric verdict codes stay in step with VERDICTS. */
import { describe, expect, it } from 'vitest';
import { CAPTURE_FINDING_CODES, type FindingCodeInfo } from '../../src/diagnose/index.js';
import { VERDICTS } from '../../src/flow/types.js';
import * as codes from '../../src/flow/verdict.js';
import { isProblem, listedAsProblem, VERDICT_INFO } from '../../src/flow/verdict-info.js';

describe('verdict codes', () => {
  it('every V_* constant names its VERDICTS entry, and each verdict has exactly one', () => {
    const named = Object.entries(codes).filter(([k]) => /^V_[A-Z_0-9]+$/.test(k) && k !== 'V_CODES');
    expect(named).toHaveLength(VERDICTS.length);
    for (const [k, n] of named) {
      expect(typeof n).toBe('number');
      expect(VERDICTS[n as number]!.replace(/^TOA_/, ''), k).toBe(k.slice(2));
      expect(codes.verdictName(n as number)).toBe(VERDICTS[n as number]);
    }
    expect(new Set(named.map(([, n]) => n)).size).toBe(VERDICTS.length);
  });
});

describe('VERDICT_INFO', () => {
  it('has a row per verdict with a short label of at most 10 characters and a distinct rank', () => {
    expect(Object.keys(VERDICT_INFO).sort()).toEqual([...VERDICTS].sort());
    for (const v of VERDICTS) expect(VERDICT_INFO[v].short.length).toBeLessThanOrEqual(10);
    expect(new Set(VERDICTS.map((v) => VERDICT_INFO[v].rank)).size).toBe(VERDICTS.length);
  });

  it('problems: everything but TOA_OK and INCOMPLETE; listed: everything but TOA_OK', () => {
    expect(VERDICTS.filter((v) => !isProblem(v))).toEqual(['TOA_OK', 'INCOMPLETE']);
    expect(VERDICTS.filter((v) => !listedAsProblem(v))).toEqual(['TOA_OK']);
  });

  it('points each verdict at the capture finding that reports it', () => {
    for (const v of VERDICTS) {
      const row: FindingCodeInfo | undefined = CAPTURE_FINDING_CODES.find(
        (c) => c.code === VERDICT_INFO[v].finding,
      );
      expect(row?.verdict, v).toBe(v);
    }
  });

  it('the error findings of problem verdicts have the bad tone, warnings warn', () => {
    for (const v of VERDICTS) {
      const row = CAPTURE_FINDING_CODES.find((c) => c.code === VERDICT_INFO[v].finding)!;
      if (!VERDICT_INFO[v].isProblem) continue;
      expect(VERDICT_INFO[v].tone, v).toBe(row.severity === 'error' ? 'bad' : 'warn');
    }
  });
});
