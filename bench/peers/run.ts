/**
 * `npm run bench:peers`: the reference PGD-AT step (pipelines/fmnist/pgd_at.mat: small CNN,
 * batch 128, K=10) in TF.js 4.22's webgpu backend and in matc, in one process on the same Dawn
 * adapter, and the ratio.
 *
 * The two systems alternate step by step (bench/interleave.ts: TF.js step, wait; matc step, wait;
 * ...), so a change in the machine's load during the run hits both alike. Each round's ratio is
 * printed too.
 *
 *   node dist/bench/peers/run.js [--steps N] [--warmup N] [--quick]
 */
import { loadTfjsWebgpu } from './tfjs-setup.js';
import { TfjsPgdAtStep } from './tfjs-pgd-at.js';
import { syntheticBatch } from '../random-batch.js';
import { formatTable, formatNumber } from '../table.js';
import { parseFlags } from '../flags.js';
import { loadLine } from '../machine-load.js';
import { Runtime } from '../../src/runtime/runtime.js';
import { loadPipeline } from '../matc/load-pipeline.js';
import { MatcTrainingStep } from '../matc/training-step.js';
import { REFERENCE_CNN_PGD_AT } from '../matc/workloads.js';
import { describeAdapter } from '../adapter.js';
import { interleave, median, roundRatios, type Contender } from '../interleave.js';

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2));
  const warmup = flags.warmup ?? 1;
  const rounds = flags.steps ?? (flags.quick ? 1 : 3);
  const w = REFERENCE_CNN_PGD_AT;
  const data = syntheticBatch(w.batch, w.shape, w.classes);

  console.log(`PGD-AT training step, reference CNN (conv16-conv32-fc100-fc10), batch ${w.batch}, K=10, eps 0.1, step 0.025`);
  console.log(`start: ${loadLine()}`);
  const tfjs = await loadTfjsWebgpu();
  const rt = await Runtime.create();
  try {
    console.log(`TF.js 4.22 webgpu on: ${tfjs.adapter}`);
    console.log(`matc on:              ${describeAdapter(rt.ctx.adapter)}`);

    const tfStep = new TfjsPgdAtStep(tfjs.tf, data);
    const matcStep = await MatcTrainingStep.create(rt, loadPipeline(w.file, w.overrides), data);
    const tf: Contender = { name: 'TF.js', step: async () => { tfStep.run(); await tfStep.sync(); } };
    const matc: Contender = { name: 'matc', step: async () => { matcStep.run(); await rt.sync(); } };

    process.stderr.write('[peers] warming up\n');
    await matcStep.warmUp();
    for (let i = 0; i < warmup; i++) {
      await tf.step();
      await matc.step();
    }
    const tensorsBefore = tfStep.liveTensors();

    const [tfResult, matcResult] = await interleave([tf, matc], rounds, (r, [t, m]) =>
      process.stderr.write(`[peers] round ${r + 1}/${rounds}: TF.js ${(t! * 1000).toFixed(0)} ms, matc ${(m! * 1000).toFixed(0)} ms\n`));
    const ratios = roundRatios(tfResult!, matcResult!);
    const leaked = tfStep.liveTensors() - tensorsBefore;
    tfStep.dispose();

    const tfIps = (rounds * w.batch) / tfResult!.totalSeconds;
    const matcIps = (rounds * w.batch) / matcResult!.totalSeconds;
    console.log(`end:   ${loadLine()}\n`);
    console.log(formatTable(
      ['system', 'images/s', 'ms/step', 'timed steps', 'ratio vs TF.js'],
      [
        ['TF.js 4.22 webgpu (eager, tf.grad, momentum)', tfIps, (1000 * tfResult!.totalSeconds) / rounds, rounds, '1.00'],
        ['matc (compiled step, one submission)', matcIps, (1000 * matcResult!.totalSeconds) / rounds, rounds, formatNumber(matcIps / tfIps)],
      ],
    ));
    if (leaked) console.log(`warning: TF.js step leaked ${leaked} tensors over ${rounds} steps`);
    console.log(`\nmatc / TF.js = ${(matcIps / tfIps).toFixed(2)}x over the run; per round ${ratios.map((x) => x.toFixed(2)).join(', ')} (median ${median(ratios).toFixed(2)}); goal >= 2x`);
  } finally {
    tfjs.destroy();
    rt.destroy();
  }
}

// No process.exit on success: both devices are destroyed, so Node exiting on its own shows it.
main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.stack ?? e.message : e);
  process.exit(1);
});
