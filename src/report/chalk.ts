/**
 * The chalk instance of a text renderer (text report, host report, compare). `color` comes from the
 * CLI's one colour rule (cli/color.ts colorEnabled): true → basic ANSI colours (level 1), false → none,
 * absent → chalk's own terminal detection (a library caller that did not say).
 * toneStyle and severityStyle are the terminal's one colour per verdict tone (src/flow/verdict-info.ts)
 * and per finding severity, for every text renderer.
 */
import { Chalk, type ChalkInstance } from 'chalk';
import type { Severity } from '../diagnose/types.js';
import type { VerdictTone } from '../flow/verdict-info.js';

export function chalkFor(color: boolean | undefined): ChalkInstance {
  if (color === undefined) return new Chalk();
  return new Chalk({ level: color ? 1 : 0 });
}

/** the terminal colour of a verdict tone (a problem tone is bold: it must stand out on any palette) */
export function toneStyle(c: ChalkInstance, tone: VerdictTone): (s: string) => string {
  return tone === 'ok' ? c.green : tone === 'bad' ? c.red.bold : tone === 'warn' ? c.yellow : c.gray;
}

/** the terminal colour of a finding's severity (capture, host, correlation and compare findings) */
export function severityStyle(c: ChalkInstance, s: Severity): (t: string) => string {
  return s === 'error' ? c.red.bold : s === 'warning' ? c.yellow.bold : c.cyan;
}
