/**
 * How a worker reports a run it finds finished (no GPU, no Redis: the run directory is made by hand).
 * 'skipped' means the run was finished before its job was enqueued; a run finished since then was
 * finished by this same job, in an attempt whose lock expired, and is 'done'.
 */
import { describe, it, expect } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { executeRun } from '../../src/queue/run-job.js';
import { writeRunRecord } from '../../src/sweep/run-state.js';
import { writeCompletion } from '../../src/io/run-complete.js';
import type { Runtime } from '../../src/runtime/runtime.js';
import type { RunJobData } from '../../src/queue/jobs.js';

const FILE = 'pipelines/experiments/rl_pgd_mlp.mat';

async function finishedRun(): Promise<RunJobData> {
  const dir = join(mkdtempSync(join(tmpdir(), 'matc-run-job-')), 'r');
  const overrides = ['train.epochs=2'];
  writeRunRecord(dir, { file: FILE, overrides });
  await writeCompletion(dir, { pipeline: 'rl_pgd_mlp', pipeline_hash: 'h', final_epoch: 2, best_epoch: 2 });
  return { kind: 'run', group: 'sweep-t', name: 'r', file: FILE, fileAsGiven: FILE, overrides, gridOverrides: [], dir, epochs: 2 };
}

// A finished run never touches the GPU.
const noRuntime = null as unknown as Runtime;

describe('a worker given a finished run', () => {
  it('reports skipped when the run finished before the job was enqueued', async () => {
    const data = await finishedRun();
    const r = await executeRun(data, noRuntime, () => {}, 'w', Date.now() + 60_000);
    expect(r.status).toBe('skipped');
    expect(Object.keys(r.files)).toContain('run-complete.json');
  });

  it('reports done when this job finished it in an earlier attempt (a lost lock, a stalled worker)', async () => {
    const enqueued = Date.now() - 60_000;
    const data = await finishedRun();
    const r = await executeRun(data, noRuntime, () => {}, 'w', enqueued);
    expect(r.status).toBe('done');
  });
});
