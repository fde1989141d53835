#!/usr/bin/env node
/**
 * `npm run demo`: build only when the sources are newer than dist/ (a second run takes about a
 * second), diagnose the bundled sample capture, and exit 0: the sample is made to show problems,
 * so `toa-doctor read` on it exits 1 by design, and the last line says so (npm would otherwise
 * print its own error block for a non-zero script, which reads like a broken install).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const BUILT = join(ROOT, 'dist/cli/main.js');

/** newest modification time under dir (files only), in ms */
function newest(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) t = Math.max(t, newest(p));
    else if (e.isFile()) t = Math.max(t, statSync(p).mtimeMs);
  }
  return t;
}

function needsBuild() {
  if (!existsSync(BUILT)) return true;
  // tsc (without incremental mode) rewrites every output, so main.js's time is the last build's
  const built = statSync(BUILT).mtimeMs;
  const inputs = [join(ROOT, 'tsconfig.json'), join(ROOT, 'tsconfig.build.json')].map(
    (f) => statSync(f).mtimeMs,
  );
  return Math.max(newest(join(ROOT, 'src')), ...inputs) > built;
}

if (needsBuild()) {
  process.stderr.write('demo: building (sources changed since the last build)...\n');
  const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
  const b = spawnSync(process.execPath, [tsc, '-p', join(ROOT, 'tsconfig.build.json')], { stdio: 'inherit' });
  if (b.status !== 0) process.exit(b.status ?? 1);
}

const sample = join('fixtures', 'samples', 'demo.pcap');
const r = spawnSync(
  process.execPath,
  [join(ROOT, 'bin/toa-doctor.js'), 'read', sample, ...process.argv.slice(2)],
  {
    cwd: ROOT,
    stdio: 'inherit',
  },
);
if (r.status === 1) {
  process.stdout.write(
    `\ndemo: \`toa-doctor read ${sample}\` exited 1 ("at least one error finding"), as intended: the sample ` +
      'is made to show problems side by side. On your own capture, 0 means no error finding.\n',
  );
  process.exit(0);
}
// anything else (0 would mean the sample lost its problems; 2/3 an input or internal error) is a real failure
process.stdout.write(`\ndemo: toa-doctor exited ${r.status ?? r.signal}; expected 1 on the sample\n`);
process.exit(r.status === 0 ? 1 : (r.status ?? 1));
