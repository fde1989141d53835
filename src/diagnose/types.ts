/** Diagnosis contracts shared by capture rules and host rules. */

export type Severity = 'error' | 'warning' | 'info';

export const SEVERITY_RANK: Record<Severity, number> = { error: 0, warning: 1, info: 2 };

export interface FindingExample {
  /** e.g. '203.0.113.9:51234 -> 10.0.0.5:80' or a host file path / dmesg line */
  ref: string;
  detail?: string;
}

export interface Finding {
  /** stable code, documented in README, e.g. 'KIND_MISMATCH', 'MODULE_NOT_LOADED' */
  code: string;
  severity: Severity;
  /** how many flows (or host items) this is about; 0 for capture/host-level facts */
  flows: number;
  /** percent of analysed flows, 0..100 (0 for host-level) */
  share: number;
  examples: FindingExample[];
  title: string;
  explanation: string;
  remediation: string;
  /** where the evidence came from */
  source: 'capture' | 'host' | 'correlation';
}

export function rankFindings(findings: Finding[]): Finding[] {
  return [...findings].sort(
    (a, b) =>
      SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] ||
      b.flows - a.flows ||
      a.code.localeCompare(b.code),
  );
}
