import { defineConfig } from 'vitest/config';

// GPU tests share one Dawn device per worker; lavapipe is CPU-bound on 2 cores,
// so run files in a small number of forked workers and give kernels time.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/setup.ts'],
    pool: 'forks',
    maxWorkers: 2,
    // Generous: with an empty Mesa shader cache lavapipe compiles every kernel on first use, and a
    // test that takes 5 s warm has taken over 120 s cold on a loaded machine. Timeouts catch hangs;
    // speed is measured by `npm run bench`, never by a timed test.
    testTimeout: 600_000,
    hookTimeout: 600_000,
    env: { XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp/matc-xdg' },
  },
});
