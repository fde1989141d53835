/**
 * The tool's version, read once from package.json (the idea of pnpm's `cli-meta` package,
 * pnpm/pnpm cli/cli-meta/src/index.ts `packageManager`: one leaf module owns the package
 * metadata, with '0.0.0' when package.json cannot be read). A leaf: the
 * commands import it, and builders (report, host report, bundle manifest) take the version as an
 * input instead of reading package.json themselves.
 */
import { readFileSync } from 'node:fs';

let cached: string | null = null;

/** package.json's `version` (src/ and dist/ both sit one level below it); '0.0.0' if unreadable */
export function toolVersion(): string {
  if (cached !== null) return cached;
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      version?: unknown;
    };
    cached = typeof pkg.version === 'string' ? pkg.version : '0.0.0';
  } catch {
    cached = '0.0.0';
  }
  return cached;
}
