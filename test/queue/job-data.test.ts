/** Workers check job data (written by another process, maybe another matc version) with zod. */
import { describe, it, expect } from 'vitest';
import { jobDataSchema, type JobData } from '../../src/queue/jobs.js';

const run: JobData = { kind: 'run', group: 'sweep-t', name: 'r', file: '/p.mat', fileAsGiven: 'p.mat', overrides: [], gridOverrides: ['a=1'], dir: '/runs/r', epochs: 2 };
const shard: JobData = {
  kind: 'eval-shard', group: 'eval-t', name: 's1', checkpointPath: '/c.safetensors', checkpointLabel: 'best', pipeline: { arch: 'wrn28_10', dataset: 'cifar10' },
  attacks: 'natural', threat: { norm: 'linf', eps: 8 / 255 }, start: 0, end: 10, shard: 0, shards: 2, seed: 0, batch: 500, weights: 'w', dataset: 'cifar10', pipelineName: 'p', partialPath: '/c.json.shard-1of2.json',
};

describe('job data', () => {
  it('accepts what matc sweep and matc eval enqueue', () => {
    expect(jobDataSchema.parse(run)).toEqual(run);
    expect(jobDataSchema.parse(shard)).toEqual(shard);
  });

  it('refuses data of another shape, naming the field', () => {
    const { dir: _dir, ...noDir } = run;
    const r = jobDataSchema.safeParse(noDir);
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.path).toEqual(['dir']);
    expect(jobDataSchema.safeParse({ ...shard, threat: { norm: 'l3', eps: 1 } }).success).toBe(false);
    expect(jobDataSchema.safeParse({ ...run, kind: 'train' }).success).toBe(false);
  });
});
