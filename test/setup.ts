import { afterAll, beforeAll, expect } from 'vitest';
import { relative } from 'node:path';
import { destroySharedRuntime } from './helpers/gpu.js';

// Tags the kernel census (src/runtime/kernel-log.ts) with the test file, so a cold run's compile
// cost can be charged to the files that ask for each kernel. Child processes inherit it.
beforeAll(() => {
  const file = expect.getState().testPath;
  if (file) process.env['MATC_KERNEL_LOG_TAG'] = relative(process.cwd(), file);
});

afterAll(async () => {
  await destroySharedRuntime();
});
