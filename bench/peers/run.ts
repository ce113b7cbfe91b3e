/**
 * `npm run bench:peers`: the reference PGD-AT step (pipelines/fmnist/pgd_at.mat: small CNN,
 * batch 128, K=10) in TF.js 4.22's webgpu backend and in matc, in one process on the same Dawn
 * adapter, and the ratio. TF.js runs first and its device is destroyed before matc starts, so
 * neither competes with the other for the (software) GPU's cores.
 *
 *   node dist/bench/peers/run.js [--steps N] [--warmup N] [--quick]
 */
import { loadTfjsWebgpu } from './tfjs-setup.js';
import { TfjsPgdAtStep } from './tfjs-pgd-at.js';
import { syntheticBatch } from '../random-batch.js';
import { measureThroughput, type Throughput } from '../timing.js';
import { formatTable, formatNumber } from '../table.js';
import { parseFlags } from '../flags.js';
import { Runtime } from '../../src/runtime/runtime.js';
import { loadPipeline } from '../matc/load-pipeline.js';
import { MatcTrainingStep } from '../matc/training-step.js';
import { describeAdapter } from '../adapter.js';

const BATCH = 128;

async function tfjsThroughput(steps: number, warmup: number): Promise<{ result: Throughput; adapter: string; leaked: number }> {
  const session = await loadTfjsWebgpu();
  try {
    const step = new TfjsPgdAtStep(session.tf, syntheticBatch(BATCH, [1, 28, 28], 10));
    const result = await measureThroughput(() => step.run(), () => step.sync(), { warmup, iterations: steps, examplesPerIteration: BATCH });
    // One more step after the optimizer has created its momentum slots: the count must not grow.
    const before = step.liveTensors();
    step.run();
    await step.sync();
    const leaked = step.liveTensors() - before;
    step.dispose();
    return { result, adapter: session.adapter, leaked };
  } finally {
    session.destroy();
  }
}

async function matcThroughput(steps: number, warmup: number): Promise<{ result: Throughput; adapter: string }> {
  const rt = await Runtime.create();
  try {
    const pipeline = loadPipeline('pipelines/fmnist/pgd_at.mat');
    const step = await MatcTrainingStep.create(rt, pipeline, syntheticBatch(BATCH, [1, 28, 28], 10));
    await step.warmUp(); // every program once, then `warmup` full steps like TF.js
    const result = await measureThroughput(() => step.run(), () => rt.sync(), { warmup, iterations: steps, examplesPerIteration: BATCH });
    return { result, adapter: describeAdapter(rt.ctx.adapter) };
  } finally {
    rt.destroy();
  }
}

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2));
  const warmup = flags.warmup ?? 1;
  const tfSteps = flags.steps ?? (flags.quick ? 1 : 3);
  const matcSteps = flags.steps ?? (flags.quick ? 2 : 5);

  console.log('PGD-AT training step, reference CNN (conv16-conv32-fc100-fc10), batch 128, K=10, eps 0.1, step 0.025\n');
  const tf = await tfjsThroughput(tfSteps, warmup);
  console.log(`TF.js 4.22 webgpu on: ${tf.adapter}${tf.leaked ? `  (warning: ${tf.leaked} tensors leaked per step)` : ''}`);
  console.log(`  ${formatNumber(tf.result.perSecond)} images/s (${formatNumber(tf.result.msPerIteration)} ms/step)`);
  const matc = await matcThroughput(matcSteps, warmup);
  console.log(`matc on:              ${matc.adapter}`);
  console.log(`  ${formatNumber(matc.result.perSecond)} images/s (${formatNumber(matc.result.msPerIteration)} ms/step)\n`);

  const ratio = matc.result.perSecond / tf.result.perSecond;
  console.log(formatTable(
    ['system', 'images/s', 'ms/step', 'timed steps', 'ratio vs TF.js'],
    [
      ['TF.js 4.22 webgpu (eager, tf.grad, momentum)', tf.result.perSecond, tf.result.msPerIteration, tf.result.iterations, '1.00'],
      ['matc (compiled step, one submission)', matc.result.perSecond, matc.result.msPerIteration, matc.result.iterations, formatNumber(ratio)],
    ],
  ));
  console.log(`\nmatc / TF.js = ${ratio.toFixed(2)}x (goal: >= 2x)`);
}

// No process.exit on success: both devices are destroyed, so Node exiting on its own shows it.
main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.stack ?? e.message : e);
  process.exit(1);
});
