/**
 * Section (a) of `npm run bench`: kernel GFLOP/s from bench/kernels.ts, which another part of the
 * project owns. It is optional: when the module or its `runKernelBench` is absent, the runner says
 * so and carries on. The import specifier is a variable so the build does not require the file.
 */
import type { Runtime } from '../src/runtime/runtime.js';

type KernelBench = (options: { rt: Runtime; quick: boolean }) => unknown;

export async function runKernelBenchIfPresent(rt: Runtime, quick: boolean): Promise<string | null> {
  const specifier = './kernels.js';
  let mod: { runKernelBench?: KernelBench };
  try {
    mod = (await import(specifier)) as { runKernelBench?: KernelBench };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND') return 'bench/kernels.ts is not there yet: no kernel table.';
    throw e;
  }
  if (typeof mod.runKernelBench !== 'function') return 'bench/kernels.ts exports no runKernelBench(): no kernel table.';
  const out = await mod.runKernelBench({ rt, quick });
  return typeof out === 'string' ? out : null;
}
