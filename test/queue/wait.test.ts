/**
 * The client's polling of a batch of jobs (src/queue/wait.ts), against a stand-in for BullMQ's
 * Queue: a job that completes between the client's read of the job and its read of the job's
 * state comes back from the first read without its return value. The client must read it again
 * rather than hand on a missing result (a sweep client crashed on `null.kind` under load).
 */
import { describe, it, expect } from 'vitest';
import type { Queue } from 'bullmq';
import { waitForJobs, type Finished } from '../../src/queue/wait.js';

/** A queue whose job `a` is read before it completes (no return value) and in state 'completed' right after. */
function racingQueue(result: unknown, readsBeforeResult: number) {
  let reads = 0;
  const queue = {
    async getJob(id: string) {
      reads++;
      const returnvalue = reads > readsBeforeResult ? result : null;
      return { id, data: { name: id }, returnvalue, progress: 0, attemptsMade: 1, failedReason: undefined, getState: async () => 'completed' };
    },
  };
  return { queue: queue as unknown as Queue, reads: () => reads };
}

describe('waitForJobs', () => {
  it('reads a job again when it completed between the read of the job and of its state', async () => {
    const result = { kind: 'run', status: 'done', files: {}, worker: 'w1' };
    const { queue, reads } = racingQueue(result, 1);
    const seen: Finished[] = [];
    const done = await waitForJobs(queue, ['a'], 'runs', { pollMs: 1, onFinished: (f) => seen.push(f) });
    expect(done.get('a')).toEqual({ id: 'a', state: 'completed', result });
    expect(seen).toHaveLength(1);
    expect(reads()).toBe(2);
  });

  it('keeps polling while a completed job has no readable result, and does not report it before', async () => {
    const result = { kind: 'eval-shard', record: {} };
    const { queue, reads } = racingQueue(result, 3);
    const seen: Finished[] = [];
    const done = await waitForJobs(queue, ['a'], 'shards', { pollMs: 1, onFinished: (f) => seen.push(f) });
    expect(seen.map((f) => (f.state === 'completed' ? f.result : null))).toEqual([result]);
    expect(done.size).toBe(1);
    expect(reads()).toBe(4);
  });
});
