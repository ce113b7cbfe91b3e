/**
 * One shard of a sharded `matc eval`: examples [start, end) of the evaluation's examples, attacked
 * exactly as the single-process evaluation attacks them. Every random draw of the attacks is keyed
 * by the example's data-set index (EvalData.indices), not by its place in a batch or shard, so the
 * shard's per-example flags are the unsharded ones (eval-shards.ts merges them). The shard's record
 * is saved after every chunk next to the final record, so a shard handed to another worker resumes.
 */
import type { Runtime } from '../runtime/runtime.js';
import type { ResolvedPipeline } from '../check/index.js';
import { loadModel } from '../io/checkpoint.js';
import { evalClassifier } from '../attacks/classifier.js';
import { parseAttackList } from '../eval/attack-plan.js';
import { evaluateRobustness, recordSettings, type EvalData, type EvalProgress } from '../eval/evaluate.js';
import { loadRecordForResume, saveRecord, type EvalRecord } from '../eval/record.js';
import { loadEvalData } from '../eval/eval-data.js';
import { weightsIdentity } from '../eval/targets.js';
import { standalonePipeline, type EvalDatasetName } from '../eval/standalone.js';
import { loadPipeline } from '../check/load-pipeline.js';
import { UserError } from '../util/errors.js';
import { pipelineFileOf } from './run-job.js';
import type { EvalShardJobData, EvalShardJobResult } from './jobs.js';

export function shardPipeline(spec: EvalShardJobData['pipeline']): ResolvedPipeline {
  if ('arch' in spec) return standalonePipeline({ arch: spec.arch, dataset: spec.dataset as EvalDatasetName, ...(spec.classes !== undefined ? { classes: spec.classes } : {}) });
  return loadPipeline(pipelineFileOf({ file: spec.file, fileAsGiven: spec.file }), spec.overrides);
}

/** Examples [start, end) of `data`, keeping their data-set indices (the keys of their randomness). */
export function sliceEvalData<T extends EvalData>(data: T, start: number, end: number): T {
  const size = data.inputShape.reduce((p, d) => p * d, 1);
  return { ...data, images: data.images.subarray(start * size, end * size), labels: data.labels.subarray(start, end), indices: data.indices.subarray(start, end), n: end - start };
}

/** Contiguous shard ranges of n examples, as even as possible: [start, end) per shard. */
export function shardRanges(n: number, shards: number): { start: number; end: number }[] {
  return Array.from({ length: shards }, (_, k) => ({ start: Math.floor((k * n) / shards), end: Math.floor(((k + 1) * n) / shards) }));
}

export async function executeShard(data: EvalShardJobData, rt: Runtime, onProgress: (p: EvalProgress) => void, worker: string): Promise<EvalShardJobResult> {
  const p = shardPipeline(data.pipeline);
  const all = loadEvalData(p, { dataDir: data.dataDir, ...(data.n !== undefined ? { n: data.n } : {}) });
  if (data.end > all.n) throw new UserError(`eval shard ${data.shard + 1}/${data.shards}: examples ${data.start}-${data.end} but this worker's ${all.name} has ${all.n}; workers need the same data set`);
  const shard = sliceEvalData(all, data.start, data.end);
  // The content hash proves this worker reads the checkpoint the client enqueued.
  if (weightsIdentity(data.checkpointPath) !== data.weights) throw new UserError(`${data.checkpointPath} on this worker is not the checkpoint that was enqueued (content differs)`);
  rt.variables.clear();
  await loadModel(data.checkpointPath, p.model, rt.variables);
  const options = { threat: data.threat, seed: data.seed, batch: data.batch, plans: parseAttackList(data.attacks), weights: data.weights, checkpoint: data.checkpointLabel, dataset: data.dataset, pipeline: data.pipelineName };
  let resume: EvalRecord | null = null;
  try {
    resume = loadRecordForResume(data.partialPath, recordSettings(shard, options));
  } catch {
    resume = null; // our own scratch file from other settings: start the shard afresh
  }
  const record = await evaluateRobustness(rt, evalClassifier(p.model), shard, { ...options, resume, onProgress, onSave: (r) => saveRecord(data.partialPath, r) });
  return { kind: 'eval-shard', worker, record };
}
