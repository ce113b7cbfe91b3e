/**
 * Evaluation throughput with the RobustEvaluator the trainer uses: natural accuracy (one
 * submission and one readback of B flags per batch) and PGD-k (start, k steps, finish in one
 * submission, one readback). The readbacks are part of what evaluation costs, so they are timed.
 */
import type { ResolvedPipeline } from '../../src/check/index.js';
import { Runtime } from '../../src/runtime/runtime.js';
import { RobustEvaluator, type PgdSettings } from '../../src/attacks/robust-eval.js';
import { Trainer } from '../../src/train/trainer.js';
import { makeDataset } from '../../src/data/dataset.js';
import type { SyntheticBatch } from '../random-batch.js';
import { measureThroughput, type Throughput, type TimingOptions } from '../timing.js';

export interface EvaluationThroughput {
  natural: Throughput;
  pgd: Throughput;
  pgdSteps: number;
}

/** On a fresh runtime (destroyed afterwards), like every bench section. */
export async function measureEvaluation(pipeline: ResolvedPipeline, data: SyntheticBatch, pgdSteps: number, timing: Omit<TimingOptions, 'examplesPerIteration'>): Promise<EvaluationThroughput> {
  const rt = await Runtime.create();
  try {
    return await measureOn(rt, pipeline, data, pgdSteps, timing);
  } finally {
    rt.destroy();
  }
}

async function measureOn(rt: Runtime, pipeline: ResolvedPipeline, data: SyntheticBatch, pgdSteps: number, timing: Omit<TimingOptions, 'examplesPerIteration'>): Promise<EvaluationThroughput> {
  const [c, h, w] = data.shape;
  const dataset = makeDataset({ name: 'synthetic', images: data.images, labels: data.labels, channels: c, height: h, width: w, classes: pipeline.data.classes });
  new Trainer(rt, pipeline, dataset, dataset).initialize();
  const evaluator = new RobustEvaluator(rt, pipeline.model, pipeline.data.inputShape, pipeline.settings.train.seed);
  const attack = pipeline.attacks[0];
  if (!attack) throw new Error(`${pipeline.name} has no attack to take the PGD ball from`);
  const pgd: PgdSettings = { ball: attack.ball, step: attack.step, steps: pgdSteps, start: { kind: 'uniform' }, restarts: 1, loss: 'ce' };
  const b = data.n;
  const opts = { ...timing, examplesPerIteration: b };
  const sync = () => rt.sync();

  let natural: Uint8Array = new Uint8Array(b);
  const naturalResult = await measureThroughput(async () => {
    evaluator.setBatch(b, data.images, data.labels, data.positions);
    natural = await evaluator.naturalCorrect(b);
  }, sync, opts);
  // Warm the pipeline cache with PGD-1 (the same kernels; a software adapter cannot afford an
  // untimed PGD-20 run). PGD-20's own programs are then planned in the first timed batch, a
  // host-side cost of well under a second that more timed batches amortise.
  evaluator.setBatch(b, data.images, data.labels, data.positions);
  await evaluator.pgdRobust(b, { ...pgd, steps: 1 }, natural, 1);
  const pgdResult = await measureThroughput(async () => {
    evaluator.setBatch(b, data.images, data.labels, data.positions);
    await evaluator.pgdRobust(b, pgd, natural, 1);
  }, sync, { ...opts, warmup: 0 });
  return { natural: naturalResult, pgd: pgdResult, pgdSteps };
}
