#!/usr/bin/env node
// The executable: runs the compiled CLI from dist/ (npm run build).
import('../dist/cli/main.js')
  .then((m) => m.main(process.argv))
  .catch((err) => {
    if (err && err.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('dist/cli')) {
      process.stderr.write('toa-doctor: not built yet — run `npm run build` first\n');
      process.exit(2);
    }
    process.stderr.write(`toa-doctor: internal error: ${err?.message ? err.message : err}\n`);
    process.exit(3);
  });
