/**
 * `matc eval --shards N --queue URL`: the evaluation's examples split into N contiguous shards, one
 * job each, and the shard records merged into the record a single process would have written. The
 * merge is exact because a shard attacks its examples as the whole evaluation would (shard-job.ts):
 * per-example flags are concatenated, counts summed, accuracies recomputed over all examples, and
 * the sanity warnings recomputed from the merged counts (as evaluate.ts does at its end).
 */
import { existsSync, unlinkSync } from 'node:fs';
import type { EvalRecord, AttackRecord } from '../eval/record.js';
import { robustCount } from '../eval/record.js';
import { squareWarning, zeroGradientWarning } from '../eval/sanity.js';
import { UserError } from '../util/errors.js';
import type { QueueConnection } from './connection.js';
import { jobId, stableId, type EvalShardJobData } from './jobs.js';
import { enqueue, openQueue } from './sweep-queue.js';
import { waitForJobs } from './wait.js';
import { shardRanges } from './shard-job.js';

/** Everything of a shard job but its range: what the caller knows of the evaluation. */
export type ShardedEvalSpec = Omit<EvalShardJobData, 'kind' | 'group' | 'name' | 'start' | 'end' | 'shard' | 'shards' | 'partialPath'>;

export const RANDOMIZED_WARNING = 'the model is randomized: two forward passes on the same inputs differ, so these numbers may overstate robustness (use EOT attacks)';

/** Merge shard records (in shard order) into one record over all their examples. */
export function mergeShardRecords(shards: readonly EvalRecord[]): EvalRecord {
  const first = shards[0];
  if (!first) throw new Error('no shard records to merge');
  const n = shards.reduce((s, r) => s + r.settings.n, 0);
  const attacks: Record<string, AttackRecord> = {};
  for (const label of Object.keys(first.attacks)) {
    const parts = shards.map((r) => {
      const a = r.attacks[label];
      if (!a) throw new Error(`shard record of ${r.checkpoint} lacks attack ${label}`);
      return a;
    });
    const a0 = parts[0]!;
    const done: Record<string, number[]> = {};
    for (const stage of a0.stages) done[stage] = parts.flatMap((a) => a.done[stage] ?? []);
    const broken: Record<string, number> = {};
    for (const a of parts) for (const [stage, k] of Object.entries(a.broken)) broken[stage] = (broken[stage] ?? 0) + k;
    const merged: AttackRecord = { ...a0, n, robust: parts.flatMap((a) => a.robust), done, broken, complete: parts.every((a) => a.complete), seconds: parts.reduce((s, a) => s + a.seconds, 0), accuracy: null };
    if (merged.complete) merged.accuracy = robustCount(merged) / n;
    attacks[label] = merged;
  }
  const randomized = shards.some((r) => r.sanity.randomized === true) ? true : shards.every((r) => r.sanity.randomized === false) ? false : null;
  const sanity = { randomized, zeroGradientPoints: shards.reduce((s, r) => s + r.sanity.zeroGradientPoints, 0), apgdPoints: shards.reduce((s, r) => s + r.sanity.apgdPoints, 0), warnings: [] as string[] };
  if (randomized) sanity.warnings.push(RANDOMIZED_WARNING);
  const zero = zeroGradientWarning(sanity);
  if (zero) sanity.warnings.push(zero);
  for (const a of Object.values(attacks)) {
    const w = squareWarning(a);
    if (w) sanity.warnings.push(w);
  }
  return { ...first, settings: { ...first.settings, n }, attacks, sanity };
}

export interface ShardedEvalOptions {
  connection: QueueConnection;
  shards: number;
  /** The evaluation's example count (to split) and where the final record goes (partials beside it). */
  total: number;
  recordPath: string;
  /** Short name of the checkpoint in job names ('best', 'final', or 'checkpoint'). */
  label: string;
}

export async function evaluateSharded(spec: ShardedEvalSpec, o: ShardedEvalOptions, log: (s: string) => void): Promise<EvalRecord> {
  const shards = Math.min(o.shards, o.total);
  const group = stableId('eval', spec.weights, spec.checkpointLabel, spec.pipeline, spec.attacks, spec.threat, spec.n ?? null, o.total, spec.seed, spec.batch, shards);
  const jobs = shardRanges(o.total, shards).map(({ start, end }, shard) => {
    const name = `${o.label}.shard-${shard + 1}of${shards}`;
    const data: EvalShardJobData = { ...spec, kind: 'eval-shard', group, name, start, end, shard, shards, partialPath: `${o.recordPath}.shard-${shard + 1}of${shards}.json` };
    return { id: jobId(group, name), data };
  });
  const queue = openQueue(o.connection);
  try {
    const { added, existing } = await enqueue(queue, jobs);
    log(`eval ${group}: ${shards} shards of ${o.total} examples on ${o.connection.display} (${added} enqueued now, ${existing} already queued or done)`);
    const finished = await waitForJobs(queue, jobs.map((j) => j.id), 'shards', {
      onFinished: (f, name) => log(f.state === 'completed' ? `[${name}] done (${f.result.worker})` : `[${name}] FAILED: ${o.connection.scrub(f.reason)}`),
    });
    const records: EvalRecord[] = [];
    const failed: string[] = [];
    for (const j of jobs) {
      const f = finished.get(j.id)!;
      if (f.state === 'completed' && f.result.kind === 'eval-shard') records.push(f.result.record);
      else failed.push(`${j.data.name}: ${f.state === 'failed' ? o.connection.scrub(f.reason) : 'not an eval result'}`);
    }
    if (failed.length) {
      throw new UserError(`eval: ${failed.length} of ${jobs.length} shards failed (matc queue retry re-runs them):\n${failed.join('\n')}`);
    }
    // The partial records served their purpose (resuming a re-handed shard); the merged one replaces them.
    for (const j of jobs) if (existsSync(j.data.partialPath)) unlinkSync(j.data.partialPath);
    return mergeShardRecords(records);
  } finally {
    await queue.close();
  }
}
