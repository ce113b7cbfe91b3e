/**
 * GPU memory a training step would hold, from its compiled buffer plan, without running it:
 * the issue asks that ResNet-18 training at batch 128 on 32x32 inputs fit in 4 GiB, which a
 * software adapter can check in seconds even though it cannot run that step in reasonable time.
 */
import { Runtime } from '../../src/runtime/runtime.js';
import { loadPipeline } from './load-pipeline.js';
import { MatcTrainingStep } from './training-step.js';
import { stepStats, type StepStats } from './step-stats.js';
import type { StepWorkload } from './workloads.js';
import { syntheticBatch } from '../random-batch.js';

export interface MemoryPlan {
  workload: StepWorkload;
  batch: number;
  stats: StepStats;
  totalBytes: number;
}

export async function planMemory(workload: StepWorkload, batch: number): Promise<MemoryPlan> {
  const rt = await Runtime.create();
  try {
    const pipeline = loadPipeline(workload.file, [...workload.overrides.filter((o) => !o.startsWith('train.batch=')), `train.batch=${batch}`]);
    const step = await MatcTrainingStep.create(rt, pipeline, syntheticBatch(batch, workload.shape, workload.classes));
    await rt.sync();
    const stats = stepStats(rt, step.sequence);
    return { workload, batch, stats, totalBytes: stats.transientBytes + stats.variableBytes };
  } finally {
    rt.destroy();
  }
}
