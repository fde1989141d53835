/**
 * Generated `toa-doctor/compare@1` documents for the compare page tests: one pair per change code
 * (or `pairsPerCode` of each), problem pairs with option diffs, ambiguous and one-side connections.
 * `text` feeds every string field, so tests can push hostile strings through every place.
 */
import {
  type ChangeCode,
  COMPARE_CODES,
  COMPARE_SCHEMA,
  type CompareDocument,
  type ComparePair,
} from '../../../src/compare/types.js';

export interface GenOpts {
  pairsPerCode?: number;
  text?: (slot: string, i: number) => string;
  mode?: 'front' | 'path';
}

export function compareDoc(o: GenOpts = {}): CompareDocument {
  const per = o.pairsPerCode ?? 1;
  const t = o.text ?? ((slot: string, i: number) => `${slot}-${i}`);
  const pairs: ComparePair[] = [];
  const changes = Object.fromEntries(COMPARE_CODES.map((r) => [r.code, 0])) as Record<ChangeCode, number>;
  let i = 0;
  for (const r of COMPARE_CODES)
    for (let k = 0; k < per; k++, i++) {
      changes[r.code]++;
      pairs.push({
        a: {
          id: i,
          start: 1000 + i,
          client: t('a.client', i),
          server: t('a.server', i),
          verdict: 'TOA_OK',
          toa: null,
        },
        b: {
          id: i,
          start: 1000.5 + i,
          client: t('b.client', i),
          server: t('b.server', i),
          verdict: 'TOA_OK',
          toa: null,
        },
        change: r.code,
        problem: r.problem,
        detail: t('detail', i),
        matchedBy: ['toa', 'timing'],
        confidence: 0.9,
        confidenceLevel: 'high',
        offsetSec: 0.5,
        packets: [
          {
            packet: 'ack',
            a: [t('opt.kept', i), t('opt.removed', i), t('opt.changedA', i)],
            b: [t('opt.kept', i), t('opt.added', i), t('opt.changedB', i)],
            added: [t('opt.added', i)],
            removed: [t('opt.removed', i)],
            changed: [{ a: t('opt.changedA', i), b: t('opt.changedB', i) }],
            toaA: null,
            toaB: null,
            checksumA: 'ok',
            checksumB: r.code === 'CHECKSUM_BROKEN' ? 'bad' : 'ok',
          },
          {
            packet: 'data',
            a: null,
            b: [],
            added: [],
            removed: [],
            changed: [],
            toaA: null,
            toaB: null,
            checksumA: null,
            checksumB: null,
          },
        ],
      });
    }
  const problemPairs = pairs.filter((p) => p.problem).length;
  return {
    schema: COMPARE_SCHEMA,
    tool: { name: 'toa-doctor', version: t('version', 0) },
    input: {
      a: { files: [t('file.a', 0)], flows: pairs.length + 1, packets: 10, evicted: 0 },
      b: { files: [t('file.b', 0)], flows: pairs.length + 1, packets: 10, evicted: 0 },
    },
    mode: o.mode ?? 'path',
    modeSource: 'auto',
    modeReason: t('modeReason', 0),
    matching: {
      clockOffsetSec: 0.5,
      windowSec: 0.1,
      confidentPairs: pairs.length,
      isnKept: true,
      tupleKept: 0,
      portMap: [],
    },
    summary: {
      pairs: pairs.length,
      onlyA: 1,
      onlyB: 1,
      ambiguous: 1,
      changes,
      problemPairs,
      exitCode: problemPairs ? 1 : 0,
    },
    findings: [
      {
        code: 'TOA_STRIPPED',
        severity: 'error',
        title: t('finding.title', 0),
        count: 1,
        of: pairs.length,
        explanation: t('finding.explanation', 0),
        remediation: t('finding.remediation', 0),
        examples: [t('finding.example', 0)],
      },
    ],
    pairs,
    onlyA: [
      { id: 900, start: 1, client: t('onlyA.client', 0), server: t('onlyA.server', 0), verdict: 'TOA_OK' },
    ],
    onlyB: [
      { id: 901, start: 1, client: t('onlyB.client', 0), server: t('onlyB.server', 0), verdict: 'TOA_OK' },
    ],
    ambiguous: [
      {
        a: { id: 902, start: 2, client: t('amb.a.client', 0), server: t('amb.a.server', 0) },
        candidates: [
          { id: 903, start: 2.1, client: t('amb.c1', 0), server: t('amb.s1', 0), matchedBy: ['timing'] },
          { id: 904, start: 2.1, client: t('amb.c2', 0), server: t('amb.s2', 0), matchedBy: ['timing'] },
        ],
        more: 3,
      },
    ],
  };
}
