/**
 * Runs a checked pipeline end to end: data, initialisation or resume, the epochs, evaluation,
 * the metrics log, checkpoints (best and final model, and the full training state for --resume),
 * and typed events for the CLI and the embedding API.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ResolvedPipeline } from '../check/resolved.js';
import { Runtime } from '../runtime/runtime.js';
import { loadModel } from '../io/checkpoint.js';
import { Trainer, NonFiniteLossError, type EpochMetrics, type ProgressInfo } from './trainer.js';
import { loadRunData } from '../lower/data-setup.js';
import { RunStore } from './run-store.js';
import { runPath, RUN_FILES } from '../io/run-dir.js';
import { readRecords } from '../io/metrics.js';
import { ensureRunDirectory, clearForFreshRun, RunDirError } from '../io/run-folder.js';
import { acquireRunLock } from '../io/run-lock.js';
import { readManifest, compareWithManifest, manifestFor, writeManifest, type RunManifest } from '../io/run-manifest.js';
import { readCompletion } from '../io/run-complete.js';
import { DivergenceWatch } from './divergence.js';

export interface RunOptions {
  /**
   * Run directory (created); holds metrics.jsonl, checkpoints, report. Locked while the run goes
   * (run.lock); a fresh run refuses a directory with files matc did not write (RunDirError).
   */
  outDir: string;
  /**
   * Continue from `outDir/resume.safetensors`; refused (RunDirError) when there is none or when the
   * pipeline or its settings differ from the run's run.json (train.epochs may change).
   */
  resume?: boolean;
  dataDir?: string;
  /** Seconds between progress events (each costs one small device readback). */
  progressInterval?: number;
  /** Reuse a runtime (the caller keeps ownership); otherwise one is created and destroyed. */
  runtime?: Runtime;
  /** Log the squared global gradient norm per epoch (metrics.jsonl `grad_norm_sq`); see Trainer. */
  logGradientNorm?: boolean;
}

export type RunEvent =
  | { type: 'start'; pipeline: string; adapter: string; trainExamples: number; testExamples: number; startEpoch: number; epochs: number; outDir: string }
  | ({ type: 'progress' } & ProgressInfo)
  | { type: 'epoch'; metrics: EpochMetrics; isBest: boolean }
  | { type: 'checkpoint'; kind: 'best' | 'final' | 'resume'; path: string; epoch: number }
  | { type: 'done'; outDir: string; best: EpochMetrics | null; final: EpochMetrics | null; seconds: number }
  /** Something the user should know that changes nothing (a resume with more epochs, a stale lock taken over). */
  | { type: 'note'; message: string }
  /** Something likely wrong with the training itself (divergence), said before it ends in NaN. */
  | { type: 'warning'; message: string };

export interface RunSummary {
  outDir: string;
  best: EpochMetrics | null;
  final: EpochMetrics | null;
  seconds: number;
}

/** Best checkpoint rule: higher robust accuracy, ties broken by natural accuracy. */
export function isBetter(m: EpochMetrics, best: EpochMetrics | null): boolean {
  const r = m.test_robust_acc ?? m.test_natural_acc ?? -1;
  if (!best) return m.test_natural_acc !== null || m.test_robust_acc !== null;
  const br = best.test_robust_acc ?? best.test_natural_acc ?? -1;
  if (r > br) return true;
  return r === br && (m.test_natural_acc ?? -1) > (best.test_natural_acc ?? -1);
}

export async function runPipeline(p: ResolvedPipeline, opts: RunOptions, onEvent: (e: RunEvent) => void = () => {}): Promise<RunSummary> {
  const started = performance.now();
  ensureRunDirectory(opts.outDir);
  // Nothing in the directory is read or changed before the lock is ours.
  const lock = acquireRunLock(opts.outDir);
  try {
    if (lock.note) onEvent({ type: 'note', message: lock.note });
    return await runLocked(p, opts, onEvent, started);
  } finally {
    lock.release();
  }
}

/** --resume preconditions that need no device: a resume file, and the same pipeline and settings. */
function checkResumable(p: ResolvedPipeline, dir: string, onEvent: (e: RunEvent) => void): RunManifest | null {
  if (!existsSync(runPath(dir, 'resume'))) {
    throw new RunDirError(`--resume: ${dir} has no ${RUN_FILES.resume}, so there is no run to continue; nothing was changed. Run without --resume to start afresh (that replaces the run's files), or choose another --out`);
  }
  const manifest = readManifest(dir);
  if (!manifest) {
    onEvent({ type: 'note', message: `${dir} has no ${RUN_FILES.manifest} (a run started by an older matc): only its pipeline name and seed can be checked` });
    return null;
  }
  const { refused, notes } = compareWithManifest(manifest, p);
  if (refused.length > 0) {
    throw new RunDirError(`--resume: this is not the run in ${dir}:\n  ${refused.join('\n  ')}\nResume with the settings the run was started with (see ${runPath(dir, 'manifest')}), or run afresh into another --out`);
  }
  for (const message of notes) onEvent({ type: 'note', message });
  return manifest;
}

/** The run's best and final epochs from its log (for a run that is complete and not trained again). */
function loggedSummary(dir: string): { best: EpochMetrics | null; final: EpochMetrics | null } {
  const records = existsSync(runPath(dir, 'metrics')) ? readRecords(dir, { warn: () => {} }) : [];
  return { best: [...records].reverse().find((r) => r.is_best) ?? null, final: records.at(-1) ?? null };
}

function completeMessage(dir: string, epoch: number, epochs: number): string {
  return `the run in ${dir} is complete: it has trained ${epoch} epoch${epoch === 1 ? '' : 's'} and train.epochs is ${epochs}, so there is nothing to train. To train it longer, resume with more epochs (--set train.epochs=${epoch + Math.max(1, epochs)})`;
}

async function runLocked(p: ResolvedPipeline, opts: RunOptions, onEvent: (e: RunEvent) => void, started: number): Promise<RunSummary> {
  const dir = opts.outDir;
  const epochs = p.settings.train.epochs;
  let manifest: RunManifest | null = null;
  if (opts.resume) {
    manifest = checkResumable(p, dir, onEvent);
    const done = readCompletion(dir);
    if (done && done.final_epoch >= epochs) {
      onEvent({ type: 'note', message: completeMessage(dir, done.final_epoch, epochs) });
      return finish(dir, loggedSummary(dir), started, onEvent);
    }
  } else {
    clearForFreshRun(dir);
  }
  const data = loadRunData(p, { dataDir: opts.dataDir });
  const rt = opts.runtime ?? (await Runtime.create());
  try {
    const trainer = new Trainer(rt, p, data.train, data.test, { progressInterval: opts.progressInterval, logGradientNorm: opts.logGradientNorm });
    const store = new RunStore(dir, p, trainer);
    let startEpoch = 1;
    let best: EpochMetrics | null = null;
    let final: EpochMetrics | null = null;
    if (opts.resume) {
      const state = await store.loadResume();
      if (!manifest && state.seed !== p.settings.train.seed) {
        throw new RunDirError(`--resume: train.seed is ${p.settings.train.seed} now but the run in ${dir} was started with ${state.seed}`);
      }
      best = state.best;
      final = state.last;
      if (state.epoch >= epochs) {
        // Killed after the last checkpoint but before the completion record: finish the bookkeeping only.
        await store.writeCompletion(state.epoch, best);
        onEvent({ type: 'note', message: completeMessage(dir, state.epoch, epochs) });
        return finish(dir, { best, final }, started, onEvent);
      }
      startEpoch = state.epoch + 1;
      store.removeCompletion();
      if (!manifest) await writeManifest(dir, manifestFor(p));
    } else {
      trainer.initialize();
      if (p.model.weights !== undefined) {
        // `model f = ... { weights: "file.pt" }`: start from a checkpoint (fine-tuning); optimizer and states start fresh.
        await loadModel(p.model.weights, p.model, rt.variables);
        onEvent({ type: 'note', message: `model ${p.model.binding} starts from ${p.model.weights}` });
      }
      manifest = manifestFor(p, await trainer.weightNorm());
      await writeManifest(dir, manifest);
    }
    const watch = new DivergenceWatch(p.data.classes, manifest?.initial_weight_norm ?? null);
    onEvent({ type: 'start', pipeline: p.name, adapter: rt.ctx.adapter.description || rt.ctx.adapter.device, trainExamples: data.train.n, testExamples: data.test.n, startEpoch, epochs, outDir: dir });

    let checkpointed: number | null = startEpoch > 1 ? startEpoch - 1 : null;
    for (let epoch = startEpoch; epoch <= epochs; epoch++) {
      let m: EpochMetrics;
      try {
        m = await trainer.runEpoch(epoch, { onProgress: (pr) => onEvent({ type: 'progress', ...pr }) });
      } catch (e) {
        throw e instanceof NonFiniteLossError ? e.withCheckpoint(checkpointed) : e;
      }
      const better = isBetter(m, best);
      if (better) best = m;
      final = m;
      await store.appendEpoch(m, better);
      onEvent({ type: 'epoch', metrics: m, isBest: better });
      for (const message of watch.check(epoch, m.train_loss, await trainer.weightNorm())) onEvent({ type: 'warning', message });
      if (better) onEvent({ type: 'checkpoint', kind: 'best', path: await store.saveModel('best', m), epoch });
      onEvent({ type: 'checkpoint', kind: 'final', path: await store.saveModel('final', m), epoch });
      onEvent({ type: 'checkpoint', kind: 'resume', path: await store.saveResume(epoch, best, final), epoch });
      checkpointed = epoch;
    }
    // Last: only a run whose every checkpoint is on disk is recorded as finished.
    await store.writeCompletion(epochs, best);
    return finish(dir, { best, final }, started, onEvent);
  } finally {
    if (!opts.runtime) rt.destroy();
  }
}

function finish(outDir: string, r: { best: EpochMetrics | null; final: EpochMetrics | null }, started: number, onEvent: (e: RunEvent) => void): RunSummary {
  const seconds = (performance.now() - started) / 1000;
  onEvent({ type: 'done', outDir, best: r.best, final: r.final, seconds });
  return { outDir, best: r.best, final: r.final, seconds };
}

export function defaultRunDir(p: ResolvedPipeline): string {
  return join('runs', p.name);
}
