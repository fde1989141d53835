/**
 * The one way to make a Finding: `finding(CODE, { explanation, remediation, examples, flows })`,
 * where the severity and the title come from the code's row in its table (capture, host or
 * correlation codes). A call site names a severity only for codes whose row says 'varies', or
 * (rarely) to override the table; a title only when it is built from the evidence.
 * Also the small number formats that diagnosis and the host report share.
 */
import { TOA_MODULES } from '../host/modules.js';
import type { Finding, FindingExample, Severity } from './types.js';

export interface FindingCodeRow {
  readonly code: string;
  readonly severity: Severity | 'varies';
  readonly title: string;
}

interface BaseParts {
  explanation: string;
  remediation: string;
  examples?: FindingExample[];
  /** how many flows (or host items) it is about (default 0) */
  flows?: number;
  /** a title built from the evidence, instead of the table's */
  title?: string;
}

/** the severity is required exactly when the code's row says 'varies' */
export type FindingParts<S> = BaseParts &
  ('varies' extends S ? { severity: Severity } : { severity?: Severity });

export type FindingBuilder<R extends FindingCodeRow> = <C extends R['code']>(
  code: C,
  parts: FindingParts<Extract<R, { code: C }>['severity']>,
) => Finding;

/**
 * A `finding()` for one code table. `total` (flows analysed) gives each finding its share; without
 * it (host evidence) the share is 0.
 */
export function findingBuilder<const R extends FindingCodeRow>(
  rows: readonly R[],
  source: Finding['source'],
  total = 0,
): FindingBuilder<R> {
  const byCode = new Map<string, FindingCodeRow>(rows.map((r) => [r.code, r]));
  return (code, parts) => {
    const row = byCode.get(code);
    const p = parts as BaseParts & { severity?: Severity };
    const severity = p.severity ?? row?.severity;
    if (!row || severity === undefined || severity === 'varies')
      throw new Error(`finding ${code}: no severity (code table row says ${row?.severity ?? 'nothing'})`);
    const flows = p.flows ?? 0;
    return {
      code,
      severity,
      flows,
      share: total > 0 ? Math.round((flows / total) * 1000) / 10 : 0,
      examples: p.examples ?? [],
      title: p.title || row.title,
      explanation: p.explanation,
      remediation: p.remediation,
      source,
    };
  };
}

/** a counter change: '+3', '-1', '+0'; '?' when unknown */
export function signed(v: number | null | undefined): string {
  return v === null || v === undefined ? '?' : v >= 0 ? `+${v}` : String(v);
}

/** the modules that read a TOA (src/host/modules.ts TOA_MODULES; not the hookers framework) */
export const READER_MODULES: readonly string[] = TOA_MODULES.filter((m) => m.reader).map((m) => m.name);
