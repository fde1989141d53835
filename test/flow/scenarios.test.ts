import { describe, expect, it } from 'vitest';
import { readCaptureBuffer } from '../../src/capture/reader.js';
import { Analyzer } from '../../src/flow/analyzer.js';
import type { AnalysisResult } from '../../src/flow/result.js';
import type { FlowRecord, ProfileName } from '../../src/flow/types.js';
import { captureOf, SCENARIOS, scenarioConns } from '../helpers/scenarios.js';

export function analyze(buf: Buffer, opts: ConstructorParameters<typeof Analyzer>[0] = {}): AnalysisResult {
  const a = new Analyzer(opts);
  readCaptureBuffer(buf, (f) => a.push(f));
  return a.finish();
}

function only(r: AnalysisResult): FlowRecord {
  const flows = [...r.flows];
  expect(flows).toHaveLength(1);
  return flows[0]!;
}

describe('every scenario gets its verdict', () => {
  for (const s of SCENARIOS) {
    it(`${s.name} → ${s.verdict} (auto)`, () => {
      const f = only(analyze(captureOf(scenarioConns(s.name))));
      expect(f.verdict, f.reason).toBe(s.verdict);
      expect(f.family).toBe(s.family);
      expect(f.reason.length).toBeGreaterThan(5);
    });
    if (s.profile) {
      it(`${s.name} → ${s.profileVerdict} (--profile ${s.profile})`, () => {
        const f = only(analyze(captureOf(scenarioConns(s.name)), { profile: s.profile as ProfileName }));
        expect(f.verdict, f.reason).toBe(s.profileVerdict);
      });
    }
  }
});
