import { afterAll } from 'vitest';
import { destroySharedRuntime } from './helpers/gpu.js';

afterAll(async () => {
  await destroySharedRuntime();
});
