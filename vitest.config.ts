import { defineConfig } from 'vitest/config';

// GPU tests share one Dawn device per worker; lavapipe is CPU-bound on 2 cores,
// so run files in a small number of forked workers and give kernels time.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/setup.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 120_000,
    hookTimeout: 120_000,
    env: { XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp/matc-xdg' },
  },
});
