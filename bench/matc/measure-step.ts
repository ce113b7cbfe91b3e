/**
 * Measure one training-step workload on a fresh runtime: compile time, throughput, static step
 * costs and (optionally) GPU time per kernel family. A fresh runtime per workload keeps pipeline
 * caches and variables from one workload out of the next one's numbers and frees its memory.
 */
import { Runtime } from '../../src/runtime/runtime.js';
import type { CompileOptions } from '../../src/runtime/program.js';
import { loadPipeline } from './load-pipeline.js';
import { MatcTrainingStep } from './training-step.js';
import { stepStats, type StepStats } from './step-stats.js';
import { profileStep, type StepProfile } from './kernel-profile.js';
import type { StepWorkload } from './workloads.js';
import { syntheticBatch } from '../random-batch.js';
import { measureThroughput, type Throughput } from '../timing.js';
import { describeAdapter } from '../adapter.js';

export interface StepMeasurement {
  workload: StepWorkload;
  adapter: string;
  compileSeconds: number;
  /** Measured over whole steps (at least one), or null when only a prediction was asked for. */
  throughput: Throughput | null;
  /**
   * Step time predicted from the warm-up's one run of each distinct program (prologue + K x
   * attack + outer). First runs carry one-off costs, so this is an upper bound.
   */
  predictedMsPerStep: number;
  stats: StepStats;
  profile?: StepProfile;
}

export interface MeasureOptions {
  iterations: number;
  budgetSeconds: number;
  profile: boolean;
  compile?: CompileOptions;
  /**
   * Report the warm-up's prediction instead of timing whole steps: for a ResNet-18 step on a
   * software adapter, where one step takes far longer than any bench budget.
   */
  predictOnly?: boolean;
}

/** Dawn quantizes timestamps (to 2^16 ns here) unless told not to; kernels shorter than that would read as 0. */
export const PROFILING_DAWN_OPTIONS = ['disable-dawn-features=timestamp_quantization'];

export async function measureStep(workload: StepWorkload, opts: MeasureOptions): Promise<StepMeasurement> {
  const rt = await Runtime.create({ dawnOptions: PROFILING_DAWN_OPTIONS });
  try {
    const pipeline = loadPipeline(workload.file, workload.overrides);
    const data = syntheticBatch(workload.batch, workload.shape, workload.classes);
    const t0 = performance.now();
    const step = await MatcTrainingStep.create(rt, pipeline, data, opts.compile);
    const compileSeconds = (performance.now() - t0) / 1000;
    progress(`compiled in ${compileSeconds.toFixed(1)} s; warming up (each program once)`);
    const predictedMsPerStep = step.predictStepMs(await step.warmUp());
    // An upper bound: on a software adapter the warm-up also pays for compiling each kernel at its first dispatch.
    progress(`one step should take at most about ${(predictedMsPerStep / 1000).toFixed(1)} s (the warm-up included first-dispatch compiles)`);
    const throughput = opts.predictOnly
      ? null
      : await measureThroughput(() => step.run(), () => rt.sync(), { warmup: 0, iterations: opts.iterations, examplesPerIteration: workload.batch, budgetSeconds: opts.budgetSeconds });
    const stats = stepStats(rt, step.sequence);
    if (opts.profile) progress('profiling kernels');
    // Two repeats, the faster counts per kernel: other processes only ever slow a kernel down.
    const profile = opts.profile ? await profileStep(rt, step.sequence, 2) : undefined;
    return { workload, adapter: describeAdapter(rt.ctx.adapter), compileSeconds, throughput, predictedMsPerStep, stats, ...(profile ? { profile } : {}) };
  } finally {
    rt.destroy();
  }
}

function progress(message: string): void {
  process.stderr.write(`[bench]   ${message}\n`);
}
