/**
 * The chalk instance of a text renderer (text report, host report, compare). `color` comes from the
 * CLI's one colour rule (cli/color.ts colorEnabled): true → basic ANSI colours (level 1), false → none,
 * absent → chalk's own terminal detection (a library caller that did not say).
 */
import { Chalk, type ChalkInstance } from 'chalk';

export function chalkFor(color: boolean | undefined): ChalkInstance {
  if (color === undefined) return new Chalk();
  return new Chalk({ level: color ? 1 : 0 });
}
