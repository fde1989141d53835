import { readCaptureBuffer } from '../../src/capture/reader.js';
import { Analyzer } from '../../src/flow/analyzer.js';
import type { AnalysisResult, AnalyzerOptions } from '../../src/flow/result.js';
import type { FlowRecord } from '../../src/flow/types.js';
import { captureOf, type Pkt } from '../helpers/scenarios.js';

/** analyse a capture held in memory */
export function analyze(buf: Buffer, opts: AnalyzerOptions = {}): AnalysisResult {
  const a = new Analyzer(opts);
  readCaptureBuffer(buf, (f) => a.push(f));
  return a.finish();
}

export function analyzeConns(conns: Pkt[][], opts: AnalyzerOptions = {}): AnalysisResult {
  return analyze(captureOf(conns), opts);
}

export function flowsOf(r: AnalysisResult): FlowRecord[] {
  return [...r.flows];
}
