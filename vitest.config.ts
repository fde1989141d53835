import { defineConfig } from 'vitest/config';

/** the runner's CI=true, passed on as TOA_DOCTOR_CI (CI itself is forced to 'false' below) */
const underCi = process.env.CI === 'true' || process.env.TOA_DOCTOR_CI === 'true';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    // ink writes an empty final frame when CI=true; UI tests need the real frames.
    // The skip policy (test/helpers/tools.ts, netns.ts) reads TOA_DOCTOR_CI: under CI no test skips.
    env: underCi ? { CI: 'false', TOA_DOCTOR_CI: 'true' } : { CI: 'false' },
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // live-capture tests share network namespaces names and the machine has 2 cores
    fileParallelism: true,
    pool: 'forks',
  },
});
