/**
 * How the dashboard shows each verdict: the ink colour of its tone, its short label, and the
 * one-line meaning + remedy used for the live "top finding" (the final report carries the full
 * diagnosis). The facts are the one verdict table's (src/flow/verdict-info.ts).
 */
import type { Verdict } from '../flow/types.js';
import { VERDICT_INFO, type VerdictTone } from '../flow/verdict-info.js';

export interface VerdictStyle {
  color: string;
  label: string;
  meaning: string;
  remediation: string;
}

/** the dashboard's ink colour per verdict tone */
const TONE_COLOR: Record<VerdictTone, string> = { ok: 'green', bad: 'red', warn: 'yellow', muted: 'gray' };

export const VERDICT_STYLE: Record<Verdict, VerdictStyle> = Object.fromEntries(
  Object.entries(VERDICT_INFO).map(([v, i]) => [
    v,
    { color: TONE_COLOR[i.tone], label: i.short, meaning: i.meaning, remediation: i.remedy },
  ]),
) as Record<Verdict, VerdictStyle>;
