/**
 * `run-complete.json`: the run finished. It is written atomically after the last epoch's
 * checkpoints (best, final and resume), so its presence means every file of the last epoch is
 * on disk; a run killed at any earlier moment has none. Sweeps read it to skip finished runs, and
 * a resume removes it before training further epochs.
 */
import { existsSync, rmSync } from 'node:fs';
import { z } from 'zod';
import { runPath } from './run-dir.js';
import { writeBytesAtomic } from './atomic-write.js';
import { readJsonFile } from '../util/json-file.js';

export const COMPLETE_FORMAT = 'matc-run-complete-1';

const completionSchema = z.object({
  format: z.literal(COMPLETE_FORMAT),
  pipeline: z.string(),
  pipeline_hash: z.string(),
  /** The last epoch trained (= train.epochs of the run). */
  final_epoch: z.int(),
  best_epoch: z.int().nullable(),
  finished: z.string(),
});
export type CompletionRecord = z.infer<typeof completionSchema>;

export async function writeCompletion(dir: string, record: Omit<CompletionRecord, 'format' | 'finished'>): Promise<void> {
  const full: CompletionRecord = { format: COMPLETE_FORMAT, ...record, finished: new Date().toISOString() };
  await writeBytesAtomic(runPath(dir, 'complete'), `${JSON.stringify(full, null, 2)}\n`);
}

/** The completion record, or null when the run has not finished (or the file is not one). */
export function readCompletion(dir: string): CompletionRecord | null {
  const path = runPath(dir, 'complete');
  if (!existsSync(path)) return null;
  try {
    const r = readJsonFile(path, completionSchema, 'a matc completion record');
    return r.ok ? r.value : null;
  } catch {
    return null;
  }
}

export function removeCompletion(dir: string): void {
  rmSync(runPath(dir, 'complete'), { force: true });
}
