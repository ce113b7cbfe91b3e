/**
 * A whole run through runPipeline: data files in the real IDX format, a PGD-AT+TE pipeline on a
 * small MLP, metrics, checkpoints; and resume exactness: training 1 epoch, then resuming to 2,
 * ends with bit-identical weights, optimizer and per-example state to an uninterrupted 2-epoch run.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ResolvedPipeline } from '../../src/check/index.js';
import { checkedSource } from '../helpers/pipeline.js';
import { runPipeline } from '../../src/train/run.js';
import { sharedTestRuntime } from '../helpers/gpu.js';
import { makeTempDir, writeIdxDataset } from '../data/fixtures.js';

let dataDir = '';

function pipeline(epochs: number): ResolvedPipeline {
  const source = `import "models/mlp.mat"
pipeline tiny_te {
  data fashion_mnist { path: "${dataDir}", subset: first(80), test_subset: first(40) }
  model f = mlp(classes: 10, inputs: 784, hidden: 32)
  state p = ema(softmax(f(x)), momentum: 0.9, normalize: sum, from: epoch 2)
  schedule w = 2 * sigmoid_ramp(epoch, 2, 3)
  attack adv = pgd(ball: linf(0.1), step: 0.05, steps: 2, start: uniform) {
    maximize ce(f(x + delta), y) + w * mse(softmax(f(x + delta)), p)
  }
  minimize ce(f(adv), y) + w * mse(softmax(f(adv)), p)
  train { epochs: ${epochs}, batch: 40, seed: 3, optimizer: sgd(lr: 0.05, momentum: 0.9, weight_decay: 5e-4) }
  evaluate { every: 1, batch: 40, attacks: [natural, pgd(steps: 2)], select: pgd }
}`;
  return checkedSource(source, 'tiny_te.mat');
}

async function snapshot(names: string[]): Promise<Map<string, Buffer>> {
  const rt = await sharedTestRuntime();
  const out = new Map<string, Buffer>();
  for (const n of names) out.set(n, Buffer.from((await rt.variables.read(n)).buffer));
  return out;
}

describe('runPipeline', () => {
  beforeAll(() => {
    dataDir = makeTempDir('matc-run-').dir;
    writeIdxDataset(dataDir, { n: 120, nTest: 50, h: 28, w: 28, gzip: false });
  });

  it('trains, logs metrics, writes checkpoints, and resumes exactly', { timeout: 600_000 }, async () => {
    const rt = await sharedTestRuntime();
    const full = pipeline(2);
    const names = [
      ...full.model.stateDict.map((s) => `model/${s.name}`),
      ...full.model.stateDict.filter((s) => s.trainable).map((s) => `opt/${s.name}/momentum_buffer`),
      'state/p',
    ];

    const dirA = makeTempDir('matc-runA-').dir;
    const events: string[] = [];
    const a = await runPipeline(full, { outDir: dirA, runtime: rt }, (e) => events.push(e.type));
    const weightsA = await snapshot(names);
    expect(events[0]).toBe('start');
    expect(events.filter((e) => e === 'epoch')).toHaveLength(2);
    expect(events.at(-1)).toBe('done');
    expect(a.final!.epoch).toBe(2);
    expect(a.final!.eval['natural']).toBeGreaterThanOrEqual(a.final!.eval['pgd']!);
    for (const f of ['metrics.jsonl', 'model-best.safetensors', 'model-final.safetensors', 'resume.safetensors']) expect(existsSync(join(dirA, f))).toBe(true);
    const lines = readFileSync(join(dirA, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.epoch)).toEqual([1, 2]);
    // The TE state became active in epoch 2: the buffer holds EMA rows summing to 0.1 (one update of 0.1 * softmax).
    const state = (await rt.variables.read('state/p')) as Float32Array;
    const row0 = Array.from(state.slice(0, 10)).reduce((x, y) => x + y, 0);
    expect(row0).toBeCloseTo(0.1, 4);

    const dirB = makeTempDir('matc-runB-').dir;
    await runPipeline(pipeline(1), { outDir: dirB, runtime: rt });
    const b = await runPipeline(full, { outDir: dirB, runtime: rt, resume: true });
    const weightsB = await snapshot(names);
    expect(b.final!.epoch).toBe(2);
    for (const n of names) expect(weightsB.get(n)!.equals(weightsA.get(n)!), n).toBe(true);
    const linesB = readFileSync(join(dirB, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(linesB.map((l) => l.epoch)).toEqual([1, 2]);
    expect(linesB[1].train_loss).toBe(lines[1].train_loss);
  });
});
