/**
 * What every weight-space analysis starts from: a checked pipeline (its model, attack and
 * objective), a checkpoint loaded into the runtime's `model/*` variables, and the run's training
 * data exactly as training saw it (subset and label noise, seeded by train.seed).
 */
import type { ResolvedPipeline } from '../check/resolved.js';
import type { Runtime } from '../runtime/runtime.js';
import { loadModel } from '../io/checkpoint.js';
import { loadRunData } from '../lower/data-setup.js';
import { batchAt, type Dataset } from '../data/index.js';
import { AdversarialProbe, type ProbeBatch } from './adversarial-probe.js';

export interface AnalysisData {
  train: Dataset;
}

export function trainingData(p: ResolvedPipeline, dataDir?: string): Dataset {
  return loadRunData(p, { dataDir }).train;
}

/** The first `n` training examples as one batch (positions 0..n-1 key the attack's random start). */
export function fixedBatch(train: Dataset, n: number): ProbeBatch {
  const count = Math.min(n, train.n);
  const order = Int32Array.from({ length: train.n }, (_, i) => i);
  const b = batchAt(train, order, 0, count);
  return { images: b.images, labels: b.labels, positions: Int32Array.from({ length: b.n }, (_, i) => i) };
}

/**
 * A probe of the pipeline's objective at the checkpoint's weights. It starts from an empty
 * variable store: runs of different architectures reuse state_dict names (`model/3.weight`) with
 * other shapes, so the previous model's variables (and its batch and attack buffers) are dropped
 * first. One runtime, and so its compiled pipelines, then serves every run of an analysis; probes
 * made before are refused from then on (StaleProgramError) instead of reading freed buffers.
 */
export async function probeAt(rt: Runtime, p: ResolvedPipeline, checkpoint: string, train: Dataset, withGradient: boolean): Promise<AdversarialProbe> {
  rt.variables.clear();
  await loadModel(checkpoint, p.model, rt.variables, { strict: false });
  return new AdversarialProbe(rt, p, train.n, withGradient);
}
