/**
 * Option parsers shared by every command: one set, so each mistake gets the same words and a hint
 * with an example (README "Exit codes": one `toa-doctor: ...` line, one `hint:` line, exit 2).
 * Each returns a commander argParser (or is called from an action) and throws UserError.
 */
import { statSync } from 'node:fs';
import { isProfileName } from '../flow/profiles.js';
import { PROFILES, type ProfileName } from '../flow/types.js';
import { UserError } from './errors.js';

/** A whole number ≥ 1 (`-c 100`, `--max-flows 100000`). */
export function positiveInt(name: string, example: number | string, max = Number.MAX_SAFE_INTEGER) {
  return (v: string): number => {
    const t = v.trim();
    if (!/^\d+$/.test(t) || Number(t) < 1)
      throw new UserError(`${name}: not a positive whole number: ${v}`, `example: ${name} ${example}`);
    const n = Number(t);
    if (n > max) throw new UserError(`${name}: ${v} is more than ${max}`, `example: ${name} ${example}`);
    return n;
  };
}

/** A number > 0, fractions allowed (seconds: `--duration 30`, `--interval 0.5`). */
export function positiveNumber(name: string, example: number | string, unit = '') {
  return (v: string): number => {
    const t = v.trim();
    const n = /^(\d+\.?\d*|\.\d+)$/.test(t) ? Number(t) : Number.NaN;
    if (!(n > 0) || !Number.isFinite(n))
      throw new UserError(
        `${name}: not a positive number${unit ? ` of ${unit}` : ''}: ${v}`,
        `example: ${name} ${example}`,
      );
    return n;
  };
}

/** One of a fixed list (`--flows all|problems`). */
export function choice<T extends string>(name: string, values: readonly T[]) {
  return (v: string): T => {
    if (!(values as readonly string[]).includes(v))
      throw new UserError(`${name}: unknown value "${v}"`, `use one of: ${values.join(', ')}`);
    return v as T;
  };
}

/** A --profile name, worded the same in every command. */
export function profileName(v: string): ProfileName {
  if (!isProfileName(v))
    throw new UserError(`unknown profile "${v}"`, `valid profiles: ${PROFILES.join(', ')}`);
  return v;
}

/** An existing directory (`--root DIR`, `--host DIR`); `what` says what it should hold. */
export function existingDir(name: string, path: string, what: string): string {
  let isDir = false;
  try {
    isDir = statSync(path).isDirectory();
  } catch {
    // missing or unreadable: said below
  }
  if (!isDir) throw new UserError(`${name}: no such directory: ${path}`, `give ${what}`);
  return path;
}
