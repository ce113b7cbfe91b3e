/**
 * A `schedule` named as `train.lr` may depend on `step` (e.g. a warm-up within the first epoch, as in
 * pipelines/quickstart/pgd_at_te.mat): the trainer re-evaluates it before every optimizer step, not
 * once per epoch, and metrics.jsonl records the value of the epoch's last step (docs/metrics.md).
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ResolvedPipeline } from '../../src/check/index.js';
import { checkedSource } from '../helpers/pipeline.js';
import { runPipeline } from '../../src/train/run.js';
import { sharedTestRuntime } from '../helpers/gpu.js';
import { makeTempDir, writeIdxDataset } from '../data/fixtures.js';

let dataDir = '';

/** Standard training of a small MLP: 80 examples, batch 40, so one epoch is steps 0 and 1. */
function pipeline(lr: string): ResolvedPipeline {
  const source = `import "models/mlp.mat"
pipeline tiny_lr {
  data fashion_mnist { path: "${dataDir}", subset: first(80), test_subset: first(40) }
  model f = mlp(classes: 10, inputs: 784, hidden: 32)
  schedule lr_s = ${lr}
  minimize ce(f(x), y)
  train { epochs: 1, batch: 40, seed: 5, optimizer: sgd(lr: 0.05), lr: lr_s }
  evaluate { every: 1, batch: 40, attacks: [natural] }
}`;
  return checkedSource(source, 'tiny_lr.mat');
}

describe('a step-dependent lr schedule', () => {
  beforeAll(() => {
    dataDir = makeTempDir('matc-lr-').dir;
    writeIdxDataset(dataDir, { n: 120, nTest: 50, h: 28, w: 28, gzip: false });
  });

  it('applies per step and is logged at the epoch\'s last step', { timeout: 600_000 }, async () => {
    const rt = await sharedTestRuntime();
    const p = pipeline('0 * step');
    const weight = `model/${p.model.stateDict.find((s) => s.trainable)!.name}`;

    // lr 0 throughout: the weights stay at their (seeded) initial values.
    await runPipeline(p, { outDir: makeTempDir('matc-lr0-').dir, runtime: rt });
    const initial = Buffer.from((await rt.variables.read(weight)).buffer);

    // lr 0 at step 0, 0.05 at step 1: evaluated once per epoch this would be 0 for the whole epoch.
    const dir = makeTempDir('matc-lr1-').dir;
    await runPipeline(pipeline('if step < 1 then 0 else 0.05'), { outDir: dir, runtime: rt });
    const after = Buffer.from((await rt.variables.read(weight)).buffer);
    expect(after.equals(initial)).toBe(false);
    const record = JSON.parse(readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n')[0]!);
    expect(record.step).toBe(2);
    expect(record.lr).toBeCloseTo(0.05, 8);
    expect(record.schedules.lr_s).toBeCloseTo(0.05, 8);
  });
});
