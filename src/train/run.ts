/**
 * Runs a checked pipeline end to end: data, initialisation or resume, the epochs, evaluation,
 * the metrics log, checkpoints (best and final model, and the full training state for --resume),
 * and typed events for the CLI and the embedding API.
 */
import { mkdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ResolvedPipeline } from '../check/resolved.js';
import { Runtime } from '../runtime/runtime.js';
import { Trainer, type EpochMetrics, type ProgressInfo } from './trainer.js';
import { loadRunData } from './data-setup.js';
import { RunStore } from './run-store.js';

export interface RunOptions {
  /** Run directory (created); holds metrics.jsonl, checkpoints, report. */
  outDir: string;
  /** Continue from `outDir/resume.safetensors` if it exists. */
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
  | { type: 'done'; outDir: string; best: EpochMetrics | null; final: EpochMetrics | null; seconds: number };

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
  mkdirSync(opts.outDir, { recursive: true });
  const data = loadRunData(p, { dataDir: opts.dataDir });
  const rt = opts.runtime ?? (await Runtime.create());
  try {
    const trainer = new Trainer(rt, p, data.train, data.test, { progressInterval: opts.progressInterval, logGradientNorm: opts.logGradientNorm });
    const store = new RunStore(opts.outDir, p, trainer);
    let startEpoch = 1;
    let best: EpochMetrics | null = null;
    let final: EpochMetrics | null = null;
    if (opts.resume && existsSync(store.resumePath)) {
      const state = await store.loadResume();
      startEpoch = state.epoch + 1;
      best = state.best;
      final = state.last;
    } else {
      trainer.initialize();
      store.startFresh();
    }
    const epochs = p.settings.train.epochs;
    onEvent({ type: 'start', pipeline: p.name, adapter: rt.ctx.adapter.description || rt.ctx.adapter.device, trainExamples: data.train.n, testExamples: data.test.n, startEpoch, epochs, outDir: opts.outDir });

    for (let epoch = startEpoch; epoch <= epochs; epoch++) {
      const m = await trainer.runEpoch(epoch, { onProgress: (pr) => onEvent({ type: 'progress', ...pr }) });
      const better = isBetter(m, best);
      if (better) best = m;
      final = m;
      await store.appendEpoch(m, better);
      onEvent({ type: 'epoch', metrics: m, isBest: better });
      if (better) onEvent({ type: 'checkpoint', kind: 'best', path: await store.saveModel('best', m), epoch });
      onEvent({ type: 'checkpoint', kind: 'final', path: await store.saveModel('final', m), epoch });
      onEvent({ type: 'checkpoint', kind: 'resume', path: await store.saveResume(epoch, best, final), epoch });
    }
    const seconds = (performance.now() - started) / 1000;
    onEvent({ type: 'done', outDir: opts.outDir, best, final, seconds });
    return { outDir: opts.outDir, best, final, seconds };
  } finally {
    if (!opts.runtime) rt.destroy();
  }
}

export function defaultRunDir(p: ResolvedPipeline): string {
  return join('runs', p.name);
}
