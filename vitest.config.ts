import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    // ink writes an empty final frame when CI=true; UI tests need the real frames.
    env: { CI: 'false' },
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // live-capture tests share network namespaces names and the machine has 2 cores
    fileParallelism: true,
    pool: 'forks',
  },
});
