/**
 * A run directory on disk: the metrics log, the best and final model checkpoints (PyTorch
 * state_dict names), and the full training state for an exact --resume. Every file is written
 * atomically, so killing a run at any moment leaves the previous complete files in place.
 */
import { join } from 'node:path';
import type { ResolvedPipeline } from '../check/resolved.js';
import type { Trainer, EpochMetrics } from './trainer.js';
import { saveModel, saveTrainingState, loadTrainingState } from '../io/checkpoint.js';
import { appendRecord, keepRecordsThrough, type EpochRecord } from '../io/metrics.js';
import { optimizerSlots } from '../lower/optimizer.js';
import { writeCompletion, removeCompletion } from '../io/run-complete.js';
import { pipelineHash } from '../io/run-manifest.js';

export interface ResumeState {
  epoch: number;
  /** The seed the saved state was trained with. */
  seed: number;
  best: EpochMetrics | null;
  last: EpochMetrics | null;
}

export class RunStore {
  constructor(
    readonly dir: string,
    readonly pipeline: ResolvedPipeline,
    readonly trainer: Trainer,
  ) {}

  get resumePath(): string {
    return join(this.dir, 'resume.safetensors');
  }

  modelPath(kind: 'best' | 'final'): string {
    return join(this.dir, `model-${kind}.safetensors`);
  }

  get metricsPath(): string {
    return join(this.dir, 'metrics.jsonl');
  }

  /** Record that the run finished: called after the last epoch's checkpoints are on disk. */
  async writeCompletion(finalEpoch: number, best: EpochMetrics | null): Promise<void> {
    await writeCompletion(this.dir, { pipeline: this.pipeline.name, pipeline_hash: pipelineHash(this.pipeline), final_epoch: finalEpoch, best_epoch: best?.epoch ?? null });
  }

  /** A resumed run trains more epochs: until it ends, it is not finished. */
  removeCompletion(): void {
    removeCompletion(this.dir);
  }

  async appendEpoch(m: EpochMetrics, isBest: boolean): Promise<void> {
    const record: EpochRecord = { ...m, is_best: isBest };
    await appendRecord(this.dir, record);
  }

  async saveModel(kind: 'best' | 'final', m: EpochMetrics): Promise<string> {
    const path = this.modelPath(kind);
    await saveModel(path, this.pipeline.model, this.trainer.rt.variables, { pipeline: this.pipeline.name, epoch: String(m.epoch), kind });
    return path;
  }

  async saveResume(epoch: number, best: EpochMetrics | null, last: EpochMetrics | null): Promise<string> {
    const params = this.pipeline.model.stateDict.filter((s) => s.trainable).map((s) => s.name);
    await saveTrainingState(this.resumePath, {
      model: this.pipeline.model,
      store: this.trainer.rt.variables,
      optimizerParams: params,
      optimizerSlots: optimizerSlots(this.pipeline.settings.train.optimizer),
      stateNames: this.pipeline.states.map((s) => s.name),
      metadata: { epoch, step: this.trainer.step, seed: this.trainer.seed, pipeline: this.pipeline.name, best, last },
    });
    return this.resumePath;
  }

  async loadResume(): Promise<ResumeState> {
    const params = this.pipeline.model.stateDict.filter((s) => s.trainable).map((s) => s.name);
    const meta = (await loadTrainingState(this.resumePath, {
      model: this.pipeline.model,
      store: this.trainer.rt.variables,
      optimizerParams: params,
      optimizerSlots: optimizerSlots(this.pipeline.settings.train.optimizer),
      stateNames: this.pipeline.states.map((s) => s.name),
      pipeline: this.pipeline.name,
    })) as unknown as { epoch: number; step: number; seed: number; best: EpochMetrics | null; last: EpochMetrics | null };
    this.trainer.step = meta.step;
    // Epochs logged after the saved state (a kill between the log and the checkpoint) are redone.
    await keepRecordsThrough(this.dir, meta.epoch);
    return { epoch: meta.epoch, seed: meta.seed, best: meta.best, last: meta.last };
  }
}
