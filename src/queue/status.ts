/**
 * `matc queue status|drain|retry`: the queue as the user thinks of it, per sweep or evaluation
 * (the job's group), not per BullMQ list. drain removes what no worker has taken yet (waiting and
 * delayed jobs; running ones finish); retry puts failed jobs back.
 */
import type { Job, Queue } from 'bullmq';
import type { JobData, JobResult } from './jobs.js';
import type { ProgressNote } from './worker.js';

const STATES = ['waiting', 'prioritized', 'delayed', 'active', 'completed', 'failed'] as const;
type State = (typeof STATES)[number];

interface GroupCounts {
  kind: string;
  where: string;
  counts: Record<'waiting' | 'active' | 'completed' | 'failed', number>;
  running: string[];
  failures: string[];
}

async function jobsByGroup(queue: Queue, group?: string): Promise<Map<string, GroupCounts>> {
  const groups = new Map<string, GroupCounts>();
  for (const state of STATES) {
    const jobs = (await queue.getJobs([state], 0, -1)) as (Job<JobData, JobResult> | undefined)[];
    for (const job of jobs) {
      if (!job || (group && job.data.group !== group)) continue;
      const d = job.data;
      let g = groups.get(d.group);
      if (!g) {
        g = { kind: d.kind === 'run' ? 'sweep' : 'eval', where: d.kind === 'run' ? d.dir.replace(/\/[^/]*$/, '') : d.checkpointPath, counts: { waiting: 0, active: 0, completed: 0, failed: 0 }, running: [], failures: [] };
        groups.set(d.group, g);
      }
      const bucket: keyof GroupCounts['counts'] = state === 'prioritized' || state === 'delayed' ? 'waiting' : (state as Exclude<State, 'prioritized' | 'delayed'>);
      g.counts[bucket]++;
      if (state === 'active') {
        const p = job.progress as Partial<ProgressNote>;
        g.running.push(`${d.name}${typeof p === 'object' && p?.text ? ` (${p.text})` : ''}`);
      }
      if (state === 'failed') g.failures.push(`${d.name}: ${(job.failedReason ?? '').split('\n')[0]}`);
    }
  }
  return groups;
}

export async function queueStatus(queue: Queue, group?: string): Promise<string> {
  const groups = await jobsByGroup(queue, group);
  const workers = await queue.getWorkers();
  const lines = [`workers: ${workers.length}${workers.length ? ` (${workers.map((w) => w['name'] ?? w['id']).join(', ')})` : ''}`];
  if (groups.size === 0) lines.push(group ? `no jobs of ${group}` : 'no jobs');
  for (const [id, g] of groups) {
    const c = g.counts;
    lines.push(`${g.kind} ${id} (${g.where}): ${c.waiting} waiting, ${c.active} running, ${c.completed} done, ${c.failed} failed`);
    for (const r of g.running) lines.push(`  running: ${r}`);
    for (const f of g.failures) lines.push(`  failed:  ${f}`);
  }
  return lines.join('\n');
}

/** Remove waiting and delayed jobs (of one group, or all); returns how many. */
export async function drainQueue(queue: Queue, group?: string): Promise<number> {
  let removed = 0;
  for (const state of ['waiting', 'prioritized', 'delayed'] as const) {
    for (const job of (await queue.getJobs([state], 0, -1)) as (Job<JobData, JobResult> | undefined)[]) {
      if (!job || (group && job.data.group !== group)) continue;
      await job.remove();
      removed++;
    }
  }
  return removed;
}

/** Put failed jobs (of one group, or all) back in the queue; returns how many. */
export async function retryFailed(queue: Queue, group?: string): Promise<number> {
  let retried = 0;
  for (const job of (await queue.getJobs(['failed'], 0, -1)) as (Job<JobData, JobResult> | undefined)[]) {
    if (!job || (group && job.data.group !== group)) continue;
    await job.retry('failed');
    retried++;
  }
  return retried;
}
