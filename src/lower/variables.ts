/**
 * Names of the device variables a training run uses. Batch-shaped variables carry the batch size
 * in their name because variables have static shapes and the last batch of an epoch may be smaller.
 */
export const batchVar = {
  x: (b: number) => `batch${b}/x`,
  y: (b: number) => `batch${b}/y`,
  index: (b: number) => `batch${b}/index`,
  /** u32 [1]: the global step, keying the counter-based random numbers of this batch. */
  step: (b: number) => `batch${b}/step`,
};

export const stateVar = (name: string) => `state/${name}`;
export const scheduleVar = (name: string) => `sched/${name}`;
export const deltaVar = (attack: string, b: number) => `attack/${attack}/delta${b}`;
export const hoistVar = (attack: string, k: number, b: number) => `attack/${attack}/hoist${k}_${b}`;

/** Per-epoch accumulators, summed on the device and read once per progress update. */
export const metricVar = {
  lossSum: 'metrics/loss_sum',
  naturalCorrect: 'metrics/natural_correct',
  adversarialCorrect: 'metrics/adversarial_correct',
  examples: 'metrics/examples',
} as const;

/**
 * Opt-in accumulator (StepCompiler option `gradientNormSq`): the sum over the epoch's steps of the
 * squared global L2 norm of the parameter gradient, for docs/memorization.md's gradient analysis.
 * Kept out of metricVar so that pipelines that do not ask for it compile to the same graph.
 */
export const gradNormSqVar = 'metrics/grad_norm_sq';
