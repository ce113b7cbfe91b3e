/**
 * One Dawn device per test file, created on first use. test/setup.ts destroys it after the
 * file's tests, because a live device keeps Node (and so the vitest worker) from exiting.
 */
import { Runtime } from '../../src/runtime/runtime.js';

let shared: Promise<Runtime> | null = null;

export function sharedTestRuntime(): Promise<Runtime> {
  shared ??= Runtime.create();
  return shared;
}

export async function destroySharedRuntime(): Promise<void> {
  const p = shared;
  shared = null;
  if (p) (await p).destroy();
}
