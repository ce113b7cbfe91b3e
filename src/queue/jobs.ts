/**
 * What travels through Redis: the queue's name, the two kinds of job (a sweep run, an eval shard),
 * their stable ids, and what a finished job returns. Ids are derived from the work itself (the
 * sweep's directory and grid point, the evaluation's checkpoint, settings and shard), so enqueueing
 * the same sweep twice adds nothing: BullMQ ignores an add whose job id already exists.
 */
import { createHash } from 'node:crypto';
import type { JobsOptions } from 'bullmq';
import { z } from 'zod';
import type { EvalRecord } from '../eval/record.js';

/** One queue for both kinds: a worker takes whatever comes next. */
export const QUEUE_NAME = 'matc';
/** Key prefix in Redis (BullMQ's default is 'bull'); lets matc share a Redis with other apps. */
export const QUEUE_PREFIX = 'matc';

/*
 * Job data is written by another process (`matc sweep --queue`, `matc eval --shards`), maybe of
 * another matc version, so workers check it against these schemas before trusting it.
 */
const runJobSchema = z.object({
  kind: z.literal('run'),
  /** The sweep (or evaluation) this job belongs to; `matc queue status` groups by it. */
  group: z.string(),
  name: z.string(),
  /** Absolute path of the pipeline file, and the path as the user gave it (tried when the absolute one is missing). */
  file: z.string(),
  fileAsGiven: z.string(),
  overrides: z.array(z.string()),
  gridOverrides: z.array(z.string()),
  /** Absolute run directory (on the shared file system, or recreated from the result). */
  dir: z.string(),
  epochs: z.number(),
  dataDir: z.string().optional(),
});
export type RunJobData = z.infer<typeof runJobSchema>;

const evalShardJobSchema = z.object({
  kind: z.literal('eval-shard'),
  group: z.string(),
  name: z.string(),
  /** The checkpoint file (absolute) and what the record calls it ('best', 'final' or a path). */
  checkpointPath: z.string(),
  checkpointLabel: z.string(),
  /** Rebuilds the pipeline the same way `matc eval` did: a .mat file with overrides, or --arch/--dataset. */
  pipeline: z.union([
    z.object({ file: z.string(), overrides: z.array(z.string()) }),
    z.object({ arch: z.string(), dataset: z.string(), classes: z.number().optional() }),
  ]),
  dataDir: z.string().optional(),
  attacks: z.string(),
  threat: z.object({ norm: z.enum(['linf', 'l2']), eps: z.number() }),
  /** The evaluation's n (undefined: the pipeline's test subset) and this shard's range of it. */
  n: z.number().optional(),
  start: z.number(),
  end: z.number(),
  shard: z.number(),
  shards: z.number(),
  seed: z.number(),
  batch: z.number(),
  weights: z.string(),
  dataset: z.string(),
  pipelineName: z.string(),
  /** Where the worker keeps the shard's partial record so a re-handed shard resumes (shared file system). */
  partialPath: z.string(),
});
export type EvalShardJobData = z.infer<typeof evalShardJobSchema>;

export const jobDataSchema = z.discriminatedUnion('kind', [runJobSchema, evalShardJobSchema]);
export type JobData = z.infer<typeof jobDataSchema>;

export interface RunJobResult {
  kind: 'run';
  /** 'done', or 'skipped' when the run had finished before this job. */
  status: 'done' | 'skipped';
  worker: string;
  /** The run's small text files, so the sweep's summary works where only Redis is shared. */
  files: Record<string, string>;
}

export interface EvalShardJobResult {
  kind: 'eval-shard';
  worker: string;
  record: EvalRecord;
}

export type JobResult = RunJobResult | EvalShardJobResult;

/** Short stable hash of JSON-able parts. */
export function stableId(prefix: string, ...parts: unknown[]): string {
  return `${prefix}-${createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 12)}`;
}

/** BullMQ job ids must not contain ':' (its key separator) nor be integers. */
export function jobId(group: string, name: string): string {
  return `${group}.${name}`.replace(/:/g, '_');
}

/**
 * Retries are for what goes away by itself (a lost device, a full disk that gets cleaned); user
 * errors skip them (UnrecoverableError in the worker). Finished jobs are kept: their results are
 * how `matc sweep` and `matc eval` collect the outcome, and their ids keep re-enqueues idempotent.
 */
export const JOB_OPTIONS: JobsOptions = {
  attempts: 3,
  backoff: { type: 'exponential', delay: 10_000 },
  removeOnComplete: false,
  removeOnFail: false,
};
