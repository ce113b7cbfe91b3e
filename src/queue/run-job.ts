/**
 * A sweep run as a queue job: the same decisions as a local sweep (src/sweep/run-state.ts): a
 * finished run is not rerun, a partial one resumes from its resume checkpoint (this is how a job
 * taken over from a killed worker continues exactly), a fresh one starts. The run's small text
 * files go back through Redis with the result, so the sweep's summary needs only Redis.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import type { Runtime } from '../runtime/runtime.js';
import { runPipeline, type RunEvent } from '../train/run.js';
import { RUN_FILES } from '../io/run-dir.js';
import { runState, writeRunRecord } from '../sweep/run-state.js';
import { readCompletion } from '../io/run-complete.js';
import { readHolder } from '../io/run-lock.js';
import { loadPipeline } from '../check/load-pipeline.js';
import { UserError } from '../util/errors.js';
import type { RunJobData, RunJobResult } from './jobs.js';

/** The files a sweep summary and report read; checkpoints stay on the worker's (shared) disk. */
export const RETURNED_FILES = [RUN_FILES.metrics, RUN_FILES.sweepRecord, RUN_FILES.complete, RUN_FILES.manifest] as const;

/** The pipeline file: its absolute path where it is shared, else the path as given (same checkout). */
export function pipelineFileOf(data: { file: string; fileAsGiven: string }): string {
  if (existsSync(data.file)) return data.file;
  if (existsSync(resolve(data.fileAsGiven))) return resolve(data.fileAsGiven);
  throw new UserError(`${data.fileAsGiven}: no such file on this worker (looked at ${data.file} and ${resolve(data.fileAsGiven)}); workers need the pipeline files at the same path`);
}

/**
 * A run.lock left by a worker on another host. The job reached us only because BullMQ saw that
 * worker stop renewing its job lock (killed, or cut off), so the run lock is stale, but run-lock.ts
 * rightly cannot know that for a foreign host; the queue does. Same-host locks are left to it.
 */
function dropForeignLock(dir: string, note: (s: string) => void): void {
  const path = join(dir, RUN_FILES.lock);
  // Unreadable or already gone: acquireRunLock reports it.
  const holder = existsSync(path) ? readHolder(path) : null;
  if (holder && holder.host !== hostname()) {
    rmSync(path, { force: true });
    note(`took over ${path} from pid ${holder.pid} on ${holder.host}: the queue gave its job to this worker`);
  }
}

/**
 * Runs (or resumes) one sweep run. `enqueuedAt` (ms since the epoch) is when its job was created: a
 * run found finished at or after that moment was finished by this same job, in an attempt whose lock
 * expired (a worker stalled past --lock-seconds, e.g. compiling kernels on a loaded machine), so it
 * counts as 'done', not as 'skipped' (finished before the sweep asked for it).
 */
export async function executeRun(data: RunJobData, rt: Runtime, onEvent: (e: RunEvent) => void, worker: string, enqueuedAt = Number.POSITIVE_INFINITY): Promise<RunJobResult> {
  const file = pipelineFileOf(data);
  const pipeline = loadPipeline(file, data.overrides);
  // The record names the file as the user gave it, like a local sweep, so either kind of sweep
  // recognises the other's runs in the same directory.
  const record = { file: data.fileAsGiven, overrides: data.overrides };
  const state = runState(data.dir, record, data.epochs);
  let status: RunJobResult['status'] = state === 'finished' && finishedSince(data.dir, enqueuedAt) ? 'done' : 'skipped';
  if (state !== 'finished') {
    dropForeignLock(data.dir, (message) => onEvent({ type: 'note', message }));
    writeRunRecord(data.dir, record);
    // Each run starts on an empty store (another run's or evaluation's buffers may share names).
    rt.variables.clear();
    await runPipeline(pipeline, { outDir: data.dir, resume: state === 'partial', runtime: rt, dataDir: data.dataDir }, onEvent);
    status = 'done';
  }
  const files: Record<string, string> = {};
  for (const f of RETURNED_FILES) {
    const path = join(data.dir, f);
    if (existsSync(path)) files[f] = readFileSync(path, 'utf8');
  }
  return { kind: 'run', status, worker, files };
}

/** Whether the run in `dir` has a completion record written at or after `since` (ms). */
function finishedSince(dir: string, since: number): boolean {
  const done = readCompletion(dir);
  return done !== null && Date.parse(done.finished) >= since;
}
