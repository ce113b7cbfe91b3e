/**
 * `matc worker`: takes run and eval-shard jobs from the queue until stopped. Jobs run in this
 * process on one Runtime per concurrency slot (the GPU device and compiled kernels are kept from
 * one job to the next). A worker killed with `kill -9` stops renewing its job locks; BullMQ's
 * stalled-job check on the other workers then puts the job back, and the next worker resumes it
 * from the run's resume checkpoint (run-job.ts). SIGTERM/SIGINT hand the current jobs back at once
 * (moveToWait: no lock timeout to wait out, no attempt used) and exit 0.
 */
import { hostname } from 'node:os';
import { Worker, UnrecoverableError, type Job } from 'bullmq';
import type { Runtime } from '../runtime/runtime.js';
import { userProblem } from '../util/errors.js';
import { formatEpoch } from '../train/epoch-line.js';
import { checkReachable, type QueueConnection } from './connection.js';
import { QUEUE_NAME, QUEUE_PREFIX, jobDataSchema, type JobData, type JobResult } from './jobs.js';
import { firstIssue } from '../util/json-file.js';
import { executeRun } from './run-job.js';
import { executeShard } from './shard-job.js';

export interface WorkerOptions {
  connection: QueueConnection;
  concurrency: number;
  name?: string;
  dataDir?: string;
  /**
   * How long a job's lock lives without renewal: after it, a killed worker's job goes to another
   * worker (BullMQ's lockDuration; renewed every half of it while the job runs).
   */
  lockSeconds: number;
}

/** Progress as stored on the job (`matc sweep`'s bar and `matc queue status` show it). */
export interface ProgressNote {
  text: string;
  fraction: number;
}

export async function runWorker(o: WorkerOptions, out: (s: string) => void): Promise<void> {
  await checkReachable(o.connection);
  const name = o.name ?? `${hostname()}-${process.pid}`;
  const log = (s: string) => out(`${new Date().toISOString().slice(11, 19)} ${name}: ${o.connection.scrub(s)}`);
  const runtimes: (Runtime | null)[] = [];
  const free: number[] = Array.from({ length: o.concurrency }, (_, i) => i);
  const active = new Map<string, { job: Job<JobData, JobResult>; token: string | undefined }>();

  const runtimeFor = async (slot: number): Promise<Runtime> => {
    if (!runtimes[slot]) {
      const { Runtime } = await import('../runtime/runtime.js');
      runtimes[slot] = await Runtime.create();
    }
    return runtimes[slot]!;
  };

  const process_ = async (job: Job<JobData, JobResult>, token?: string): Promise<JobResult> => {
    const checked = jobDataSchema.safeParse(job.data);
    if (!checked.success) {
      const message = `job ${job.id}: not a job this matc can run (${firstIssue(checked.error)}); was it queued by another matc version?`;
      log(message);
      throw new UnrecoverableError(message);
    }
    // The worker's --data-dir wins: it knows where the data sets are on its machine.
    const data: JobData = o.dataDir ? { ...checked.data, dataDir: o.dataDir } : checked.data;
    const slot = free.shift() ?? 0;
    active.set(job.id!, { job, token });
    const started = performance.now();
    let lastProgress = 0;
    // Progress goes to Redis at most every 2 s (a round trip each) and to the log every 15 s.
    const progress = (p: ProgressNote, line?: string) => {
      const now = performance.now();
      if (now - lastProgress < 2000) return;
      if (line && now - lastProgress >= 15000) log(line);
      lastProgress = now;
      job.updateProgress(p as unknown as object).catch(() => {});
    };
    const again = job.attemptsStarted > 1 || job.stalledCounter > 0 ? ` (attempt ${job.attemptsStarted}, ${job.stalledCounter} stalled)` : '';
    log(`[${data.name}] ${data.kind === 'run' ? 'run' : 'eval shard'} taken${again}`);
    try {
      const rt = await runtimeFor(slot);
      let result: JobResult;
      if (data.kind === 'run') {
        result = await executeRun(data, rt, (e) => {
          if (e.type === 'progress') progress({ text: `epoch ${e.epoch}/${e.epochs} batch ${e.batch}/${e.batches}`, fraction: (e.epoch - 1 + e.batch / e.batches) / e.epochs }, `[${data.name}] epoch ${e.epoch}/${e.epochs} batch ${e.batch}/${e.batches} loss ${e.loss.toFixed(4)}`);
          else if (e.type === 'start') log(`[${data.name}] ${e.startEpoch > 1 ? `resuming at epoch ${e.startEpoch}` : 'starting'} of ${e.epochs} epochs in ${e.outDir}`);
          else if (e.type === 'epoch') {
            log(`[${data.name}] ${formatEpoch(e.metrics, e.isBest)}`);
            job.updateProgress({ text: `epoch ${e.metrics.epoch}/${data.epochs} done`, fraction: e.metrics.epoch / data.epochs }).catch(() => {});
          } else if (e.type === 'note' || e.type === 'warning') log(`[${data.name}] ${e.type}: ${e.message}`);
        }, name, job.timestamp);
      } else {
        result = await executeShard(data, rt, (e) => progress({ text: `${e.attack} ${e.done}/${e.total}`, fraction: e.total ? e.done / e.total : 0 }, `[${data.name}] ${e.attack} [${e.stage}] ${e.done}/${e.total} examples`), name);
      }
      log(`[${data.name}] ${result.kind === 'run' && result.status === 'skipped' ? 'finished before; nothing to do' : 'done'} in ${((performance.now() - started) / 1000).toFixed(0)} s`);
      return result;
    } catch (e) {
      const err = e instanceof Error ? e : new Error(String(e));
      const user = userProblem(err);
      log(`[${data.name}] FAILED${user ? '' : ' (will be retried)'}: ${err.message}`);
      // A user error (bad pipeline, missing file) fails the same way on every worker: fail once.
      if (user) throw new UnrecoverableError(o.connection.scrub(user.message));
      throw new Error(o.connection.scrub(err.message));
    } finally {
      active.delete(job.id!);
      free.push(slot);
    }
  };

  const worker = new Worker<JobData, JobResult>(QUEUE_NAME, process_, {
    connection: o.connection.options,
    prefix: QUEUE_PREFIX,
    concurrency: o.concurrency,
    name,
    lockDuration: o.lockSeconds * 1000,
    stalledInterval: Math.max(1000, Math.min(30_000, (o.lockSeconds * 1000) / 2)),
    // Each kill of a worker counts as a stall; a job is given up only after many.
    maxStalledCount: 10,
  });
  worker.on('error', (e) => log(`queue error: ${e.message}`));

  await new Promise<void>((done) => {
    let stopping = false;
    const stop = async (signal: string) => {
      if (stopping) return;
      stopping = true;
      log(`${signal}: handing back ${active.size} job(s) and stopping`);
      for (const { job, token } of active.values()) {
        try {
          await job.moveToWait(token);
          log(`[${job.data.name}] handed back; another worker resumes it from its last checkpoint`);
        } catch (e) {
          log(`[${job.data.name}] could not be handed back (${(e as Error).message}); it returns to the queue when its lock expires`);
        }
      }
      await Promise.race([worker.close(true), new Promise((r) => setTimeout(r, 3000))]);
      for (const rt of runtimes) rt?.destroy();
      done();
    };
    process.on('SIGTERM', () => void stop('SIGTERM'));
    process.on('SIGINT', () => void stop('SIGINT'));
    log(`waiting for jobs on ${o.connection.display} (concurrency ${o.concurrency}, lock ${o.lockSeconds} s)`);
  });
}
