/**
 * What a sweep finds in a run directory: finished (skip it), partial (resume it) or nothing usable
 * (start it). Each run directory records the overrides it was started with (sweep-run.json); a
 * directory left by different overrides is started afresh instead of being resumed or skipped.
 */
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { readRecords } from '../report/metrics.js';

export type RunState = 'finished' | 'partial' | 'fresh';

export const RUN_RECORD = 'sweep-run.json';

export interface RunRecord {
  file: string;
  overrides: string[];
}

export function writeRunRecord(dir: string, record: RunRecord): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, RUN_RECORD), `${JSON.stringify(record, null, 2)}\n`);
}

function sameRecord(dir: string, record: RunRecord): boolean {
  const path = join(dir, RUN_RECORD);
  if (!existsSync(path)) return false;
  try {
    const old = JSON.parse(readFileSync(path, 'utf8')) as RunRecord;
    return old.file === record.file && JSON.stringify(old.overrides) === JSON.stringify(record.overrides);
  } catch {
    return false;
  }
}

/**
 * Finished: the log reaches the last epoch and the final model is on disk (run.ts writes the log
 * line before the checkpoints, so both are needed). Partial: a resume checkpoint exists.
 */
export function runState(dir: string, record: RunRecord, epochs: number): RunState {
  if (!sameRecord(dir, record)) return 'fresh';
  const resumable = existsSync(join(dir, 'resume.safetensors'));
  let lastEpoch = 0;
  try {
    lastEpoch = readRecords(dir, { warn: () => {} }).at(-1)?.epoch ?? 0;
  } catch {
    return resumable ? 'partial' : 'fresh';
  }
  if (lastEpoch >= epochs && existsSync(join(dir, 'model-final.safetensors')) && resumable) return 'finished';
  return resumable ? 'partial' : 'fresh';
}
