/**
 * Wall-clock throughput of asynchronous GPU work. After `warmup` iterations (pipelines compiled,
 * caches filled) and a wait for the device, one timed iteration calibrates the cost; then as many
 * more as `iterations` asks, or fewer when `budgetSeconds` would be exceeded (a slow software
 * adapter still finishes the bench in bounded time; at least one iteration is always timed).
 * The timed iterations are submitted back to back and end with a wait for the device, so queued
 * work is counted and the GPU never idles between steps.
 */
export interface Throughput {
  iterations: number;
  seconds: number;
  /** Examples per second given `examplesPerIteration`. */
  perSecond: number;
  msPerIteration: number;
}

export interface TimingOptions {
  warmup: number;
  iterations: number;
  examplesPerIteration: number;
  /** Stop adding iterations once their expected time passes this many seconds. */
  budgetSeconds?: number;
}

export async function measureThroughput(
  iterate: () => void | Promise<void>,
  sync: () => Promise<void>,
  opts: TimingOptions,
): Promise<Throughput> {
  for (let i = 0; i < opts.warmup; i++) await iterate();
  await sync();
  const t0 = performance.now();
  await iterate();
  await sync();
  const first = (performance.now() - t0) / 1000;
  const affordable = opts.budgetSeconds === undefined ? Infinity : Math.floor(opts.budgetSeconds / Math.max(first, 1e-6));
  const iterations = Math.max(1, Math.min(opts.iterations, affordable));
  for (let i = 1; i < iterations; i++) await iterate();
  await sync();
  const seconds = (performance.now() - t0) / 1000;
  return {
    iterations,
    seconds,
    perSecond: (iterations * opts.examplesPerIteration) / seconds,
    msPerIteration: (seconds * 1000) / iterations,
  };
}
