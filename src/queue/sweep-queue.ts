/**
 * `matc sweep --queue URL`: the local sweep's plan and summary, with the runs done by workers. One
 * job per grid point, id = sweep id + point name; the sweep id hashes the sweep directory, files,
 * grid and --set, so the same command enqueued again adds nothing (and waits for the same jobs),
 * while a changed sweep gets new jobs. Failed runs of the same sweep are retried when it is
 * enqueued again. Results come back through Redis and fill in the run folders where the client does
 * not share the workers' disk.
 */
import { existsSync, readFileSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Queue } from 'bullmq';
import { planSweep, writeSweepPlan, writeSweepSummary, summaryText, type PointOutcome, type SummaryRow } from '../sweep/index.js';
import { writeBytesAtomicSync } from '../io/atomic-write.js';
import { checkReachable, type QueueConnection } from './connection.js';
import { JOB_OPTIONS, QUEUE_NAME, QUEUE_PREFIX, jobId, stableId, type JobData, type JobResult, type RunJobData } from './jobs.js';
import { waitForJobs, type Finished } from './wait.js';

export interface QueueSweepOptions {
  files: string[];
  grid: string[];
  set: string[];
  outDir: string;
  dataDir?: string;
  connection: QueueConnection;
  /** Enqueue and return without waiting. */
  detach: boolean;
}

export interface QueueSweepResult {
  sweepId: string;
  /** Jobs added now, and those already in the queue from an earlier enqueue. */
  added: number;
  existing: number;
  outcomes?: PointOutcome[];
  rows?: SummaryRow[];
  summary?: string;
}

export function openQueue(c: QueueConnection): Queue {
  const queue = new Queue(QUEUE_NAME, { connection: c.options, prefix: QUEUE_PREFIX });
  queue.on('error', () => {}); // a lost connection surfaces in the awaited calls; ioredis reconnects
  return queue;
}

/** Add the jobs not yet in the queue, retry those that failed; returns how many were new. */
export async function enqueue(queue: Queue, jobs: readonly { id: string; data: JobData }[]): Promise<{ added: number; existing: number }> {
  let added = 0;
  for (const { id, data } of jobs) {
    const job = await queue.getJob(id);
    if (!job) {
      await queue.add(data.name, data, { ...JOB_OPTIONS, jobId: id });
      added++;
    } else if ((await job.getState()) === 'failed') await job.retry('failed');
  }
  return { added, existing: jobs.length - added };
}

/** Write a returned file unless the run folder (shared with the worker) already holds the same. */
function materialize(dir: string, files: Record<string, string>): void {
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) {
    const path = join(dir, name);
    if (existsSync(path) && readFileSync(path, 'utf8') === text) continue;
    writeBytesAtomicSync(path, text);
  }
}

export async function queueSweep(o: QueueSweepOptions, out: (s: string) => void): Promise<QueueSweepResult> {
  const { axes, points } = planSweep(o.files, o.grid, o.set);
  await checkReachable(o.connection);
  writeSweepPlan(o.outDir, o.files, axes, o.set, points);
  const outAbs = resolve(o.outDir);
  const sweepId = stableId('sweep', outAbs, o.files, axes, o.set);
  const jobs = points.map((p) => {
    const data: RunJobData = { kind: 'run', group: sweepId, name: p.name, file: resolve(p.file), fileAsGiven: p.file, overrides: p.overrides, gridOverrides: p.gridOverrides, dir: join(outAbs, p.name), epochs: p.pipeline.settings.train.epochs, ...(o.dataDir ? { dataDir: resolve(o.dataDir) } : {}) };
    return { id: jobId(sweepId, p.name), data };
  });
  const queue = openQueue(o.connection);
  try {
    const { added, existing } = await enqueue(queue, jobs);
    out(`sweep ${sweepId}: ${points.length} runs on ${o.connection.display} (${added} enqueued now, ${existing} already queued or done)`);
    if (o.detach) return { sweepId, added, existing };
    const finished = await waitForJobs(queue, jobs.map((j) => j.id), 'runs', {
      onFinished: (f: Finished, name) => {
        if (f.state === 'completed' && f.result.kind === 'run') {
          materialize(join(o.outDir, name), f.result.files);
          out(`[${name}] ${f.result.status === 'skipped' ? 'finished earlier' : 'done'} (${f.result.worker})`);
        } else if (f.state === 'failed') out(`[${name}] FAILED after ${f.attempts} attempt(s): ${o.connection.scrub(f.reason)}`);
      },
    });
    const outcomes: PointOutcome[] = points.map((point, i) => {
      const f = finished.get(jobs[i]!.id)!;
      const dir = join(o.outDir, point.name);
      if (f.state === 'failed') return { point, dir, status: 'failed', error: f.reason };
      return { point, dir, status: f.result.kind === 'run' && f.result.status === 'skipped' ? 'skipped' : 'done' };
    });
    const rows = writeSweepSummary(o.outDir, outcomes);
    return { sweepId, added, existing, outcomes, rows, summary: summaryText(rows) };
  } finally {
    await queue.close();
  }
}
