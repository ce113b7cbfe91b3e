/**
 * The client's side of a batch of jobs (a sweep's runs, an evaluation's shards): poll their states
 * until each has completed or failed for good, with one progress bar over all of them. Polling
 * (rather than QueueEvents) cannot miss an event that happened before we started listening, which
 * matters when a sweep is enqueued again after its jobs finished.
 */
import type { Queue } from 'bullmq';
import type { JobData, JobResult } from './jobs.js';
import type { ProgressNote } from './worker.js';

export type Finished = { id: string; state: 'completed'; result: JobResult } | { id: string; state: 'failed'; reason: string; attempts: number };

export interface WaitOptions {
  /** Called once per job as it finishes (in the order they finish). */
  onFinished?(f: Finished, name: string): void;
  pollMs?: number;
  stream?: NodeJS.WriteStream;
}

function bar(done: number, total: number, width = 24): string {
  const filled = total ? Math.round((done / total) * width) : width;
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
}

export async function waitForJobs(queue: Queue, ids: readonly string[], what: string, o: WaitOptions = {}): Promise<Map<string, Finished>> {
  const stream = o.stream ?? process.stderr;
  const tty = Boolean(stream.isTTY);
  const finished = new Map<string, Finished>();
  const pollMs = o.pollMs ?? (ids.length > 200 ? 5000 : 1000);
  let lastLine = '';
  let lastPrinted = 0;
  for (;;) {
    const running: string[] = [];
    let partial = 0;
    let waiting = 0;
    for (const id of ids) {
      if (finished.has(id)) continue;
      const job = await queue.getJob(id);
      if (!job) throw new Error(`job ${id} is no longer in the queue (was it drained or removed?)`);
      const state = await job.getState();
      if (state === 'completed') {
        // getJob read the job before getState asked for its state: a job that completed in between
        // has no return value in that read (a sweep client once crashed on it), so read it again.
        const result = (job.returnvalue as JobResult | null | undefined) ?? ((await queue.getJob(id))?.returnvalue as JobResult | null | undefined);
        if (result === null || result === undefined) continue; // not readable yet: the next poll
        const f: Finished = { id, state, result };
        finished.set(id, f);
        if (tty && lastLine) stream.write('\r\x1b[2K');
        o.onFinished?.(f, job.data.name);
        lastLine = '';
      } else if (state === 'failed') {
        const f: Finished = { id, state, reason: job.failedReason ?? 'failed', attempts: job.attemptsMade };
        finished.set(id, f);
        if (tty && lastLine) stream.write('\r\x1b[2K');
        o.onFinished?.(f, job.data.name);
        lastLine = '';
      } else if (state === 'active') {
        const p = job.progress as Partial<ProgressNote> | number;
        const text = typeof p === 'object' && p && p.text ? ` ${p.text}` : '';
        if (typeof p === 'object' && p && typeof p.fraction === 'number') partial += p.fraction;
        running.push(`${job.data.name}${text}`);
      } else waiting++;
    }
    const done = finished.size;
    if (done === ids.length) break;
    const line = `${bar(done + partial, ids.length)} ${done}/${ids.length} ${what} finished, ${running.length} running, ${waiting} waiting${running.length ? ` | ${running.slice(0, 3).join('; ')}${running.length > 3 ? '; ...' : ''}` : ''}`;
    const now = performance.now();
    if (tty) {
      stream.write(`\r\x1b[2K${line.slice(0, (stream.columns ?? 120) - 1)}`);
      lastLine = line;
    } else if (line !== lastLine && now - lastPrinted > 10_000) {
      // Not a terminal (a log file, CI): a line when something changed, at most every 10 s.
      stream.write(`${line}\n`);
      lastLine = line;
      lastPrinted = now;
    }
    await new Promise((r) => setTimeout(r, pollMs));
  }
  if (tty && lastLine) stream.write('\r\x1b[2K');
  return finished;
}
