/**
 * The files of a run directory (`matc run --out DIR`), in one place so that the trainer, the
 * evaluator, the report and the docs (docs/checkpoints.md) agree on them.
 */
import { join } from 'node:path';

export const RUN_FILES = {
  /** One JSON record per epoch (docs/metrics.md). */
  metrics: 'metrics.jsonl',
  /** The model's state_dict at the best epoch (highest selection-attack accuracy, ties: natural). */
  modelBest: 'model-best.safetensors',
  /** The model's state_dict after the last epoch. */
  modelFinal: 'model-final.safetensors',
  /** Everything needed to continue the run exactly (`--resume`). */
  resume: 'resume.safetensors',
  /** Final evaluations: `best.json`, `final.json` (see eval-summary.ts). */
  evalDir: 'eval',
  /** The HTML report (curves and the Best/Final/Diff table). */
  report: 'report.html',
  /** What the run was started with (pipeline hash, seed, settings); compared on --resume. */
  manifest: 'run.json',
  /** Written atomically after the last epoch's checkpoints: the run is finished. */
  complete: 'run-complete.json',
  /** Held (O_EXCL) while a run writes the directory: pid, host and start time of the holder. */
  lock: 'run.lock',
  /** A sweep's record of the overrides it started this run with (src/sweep/run-state.ts). */
  sweepRecord: 'sweep-run.json',
  /** A sweep worker's output (`matc sweep --jobs N`). */
  sweepLog: 'run.log',
} as const;

export type RunFile = keyof typeof RUN_FILES;

export function runPath(runDir: string, file: RunFile): string {
  return join(runDir, RUN_FILES[file]);
}
