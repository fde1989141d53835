/**
 * How the page shows each verdict: a text label (colour is never the only signal), a tone the CSS
 * maps to colours (light, dark and print), and a one-line meaning, all from the one verdict table
 * (src/flow/verdict-info.ts). Unknown verdicts (a report from a newer version) get a neutral row,
 * never an error.
 */
import { VERDICT_INFO, type VerdictTone } from '../../flow/verdict-info.js';

export type Tone = 'ok' | 'error' | 'warn' | 'info' | 'muted';

export interface VerdictLook {
  label: string;
  tone: Tone;
  meaning: string;
  /** display order: problems first */
  rank: number;
}

/** the page's CSS tone (.tone-*) per verdict tone */
const CSS_TONE: Record<VerdictTone, Tone> = { ok: 'ok', bad: 'error', warn: 'warn', muted: 'muted' };

/** in display order (problems first) */
export const VERDICT_LOOK: Record<string, VerdictLook> = Object.fromEntries(
  Object.entries(VERDICT_INFO)
    .sort((a, b) => a[1].rank - b[1].rank)
    .map(([v, i]) => [v, { label: i.label, tone: CSS_TONE[i.tone], meaning: i.meaning, rank: i.rank }]),
);

export function verdictLook(v: string): VerdictLook {
  return (
    VERDICT_LOOK[v] ?? {
      label: v || 'UNKNOWN',
      tone: 'muted',
      rank: 8.5,
      meaning: 'a verdict this version does not know',
    }
  );
}

export const SEVERITY_LOOK: Record<string, { label: string; tone: Tone }> = {
  error: { label: 'ERROR', tone: 'error' },
  warning: { label: 'WARNING', tone: 'warn' },
  info: { label: 'INFO', tone: 'info' },
};
