/**
 * Wall-clock throughput of asynchronous GPU work: run `warmup` iterations (pipelines compiled,
 * caches filled, buffers allocated), wait for the device, then time `iterations` more, ending
 * with a wait for the device so queued work is counted.
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
}

export async function measureThroughput(
  iterate: () => void | Promise<void>,
  sync: () => Promise<void>,
  opts: TimingOptions,
): Promise<Throughput> {
  for (let i = 0; i < opts.warmup; i++) await iterate();
  await sync();
  const t0 = performance.now();
  for (let i = 0; i < opts.iterations; i++) await iterate();
  await sync();
  const seconds = (performance.now() - t0) / 1000;
  return {
    iterations: opts.iterations,
    seconds,
    perSecond: (opts.iterations * opts.examplesPerIteration) / seconds,
    msPerIteration: (seconds * 1000) / opts.iterations,
  };
}
