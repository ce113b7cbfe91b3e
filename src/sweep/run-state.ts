/**
 * What a sweep finds in a run directory: finished (skip it), partial (resume it) or nothing usable
 * (start it). Each run directory records the overrides it was started with (sweep-run.json); a
 * directory left by different overrides is started afresh instead of being resumed or skipped.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { readJsonFile } from '../util/json-file.js';
import { writeBytesAtomicSync } from '../io/atomic-write.js';
import { readCompletion } from '../io/run-complete.js';
import { RUN_FILES } from '../io/run-dir.js';

export type RunState = 'finished' | 'partial' | 'fresh';

export const RUN_RECORD = RUN_FILES.sweepRecord;

export const runRecordSchema = z.object({ file: z.string(), overrides: z.array(z.string()) });
export type RunRecord = z.infer<typeof runRecordSchema>;

export function writeRunRecord(dir: string, record: RunRecord): void {
  mkdirSync(dir, { recursive: true });
  writeBytesAtomicSync(join(dir, RUN_RECORD), `${JSON.stringify(record, null, 2)}\n`);
}

function sameRecord(dir: string, record: RunRecord): boolean {
  const path = join(dir, RUN_RECORD);
  if (!existsSync(path)) return false;
  try {
    // A record that is not one (torn, or edited by hand) means: start afresh.
    const old = readJsonFile(path, runRecordSchema, 'a matc sweep run record');
    return old.ok && old.value.file === record.file && JSON.stringify(old.value.overrides) === JSON.stringify(record.overrides);
  } catch {
    return false;
  }
}

/**
 * Finished: the run's completion record (run-complete.json, written atomically after the last
 * epoch's checkpoints) reaches the last epoch. The log and the model files are not evidence: a
 * run killed between the last log line and its checkpoints has both. Partial: a resume checkpoint
 * exists (a run killed after its last checkpoint but before the record resumes, finds nothing to
 * train and writes the record).
 */
export function runState(dir: string, record: RunRecord, epochs: number): RunState {
  if (!sameRecord(dir, record)) return 'fresh';
  const done = readCompletion(dir);
  if (done && done.final_epoch >= epochs) return 'finished';
  return existsSync(join(dir, RUN_FILES.resume)) ? 'partial' : 'fresh';
}
