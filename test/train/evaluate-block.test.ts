/**
 * The AutoAttack family inside training: a pipeline whose evaluate block names apgd_ce and square
 * (with few iterations and queries) runs them through the trainer's evaluation after each epoch,
 * and the metrics it logs are fractions of the test examples, each robust accuracy at most the
 * natural one (every attack starts from the naturally correct examples), with eval_n saying how
 * many examples they are over. The images carry their class as a bright bar, so a tiny MLP learns
 * them in a few steps and there is something to attack.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ResolvedPipeline } from '../../src/check/index.js';
import { checkedSource } from '../helpers/pipeline.js';
import { runPipeline } from '../../src/train/run.js';
import { sharedTestRuntime } from '../helpers/gpu.js';
import { idxBytes, makeTempDir, writeFile } from '../data/fixtures.js';

const N = 40;
let dataDir = '';

/** Class c (= i mod 10) is a bright bar on rows 2c+2..2c+3 over faint texture. */
function writeBarDataset(dir: string): void {
  const h = 28;
  const w = 28;
  const images = new Uint8Array(N * h * w);
  const labels = Uint8Array.from({ length: N }, (_, i) => i % 10);
  for (let i = 0; i < N; i++) {
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) images[(i * h + y) * w + x] = y >= 2 * labels[i]! + 2 && y < 2 * labels[i]! + 4 ? 220 : (i * 7 + x * 3 + y) % 40;
  }
  for (const split of ['train', 't10k']) {
    writeFile(dir, `${split}-images-idx3-ubyte`, idxBytes([N, h, w], images));
    writeFile(dir, `${split}-labels-idx1-ubyte`, idxBytes([N], labels));
  }
}

function pipeline(evaluate = `evaluate { every: 1, batch: ${N}, attacks: [natural, apgd_ce(steps: 10), square(queries: 60)], select: apgd_ce }`): ResolvedPipeline {
  const source = `import "models/mlp.mat"
pipeline tiny_block_attacks {
  data fashion_mnist { path: "${dataDir}", subset: first(${N}), test_subset: first(${N}) }
  model f = mlp(classes: 10, inputs: 784, hidden: 32)
  attack adv = pgd(ball: linf(0.02), step: 0.02, steps: 1, start: uniform) {
    maximize ce(f(x + delta), y)
  }
  minimize ce(f(adv), y)
  train { epochs: 2, batch: ${N}, seed: 5, optimizer: adam(lr: 0.01) }
  ${evaluate}
}`;
  return checkedSource(source, 'tiny_block_attacks.mat');
}

beforeAll(() => {
  dataDir = makeTempDir('matc-block-').dir;
  writeBarDataset(dataDir);
});

describe('evaluate blocks with APGD and Square', () => {
  it('logs natural >= every robust accuracy, as fractions of the test examples', { timeout: 300_000 }, async () => {
    const rt = await sharedTestRuntime();
    const outDir = makeTempDir('matc-block-run-').dir;
    const result = await runPipeline(pipeline(), { outDir, runtime: rt });
    const lines = readFileSync(join(outDir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { eval: Record<string, number>; eval_n: number; test_natural_acc: number; test_robust_acc: number });
    expect(lines).toHaveLength(2);
    for (const line of lines) {
      expect(Object.keys(line.eval).sort()).toEqual(['apgd_ce', 'natural', 'square']);
      expect(line.eval_n).toBe(N);
      for (const [label, acc] of Object.entries(line.eval)) {
        expect(acc, label).toBeGreaterThanOrEqual(0);
        expect(acc, label).toBeLessThanOrEqual(1);
        // A fraction of the 40 examples, not a percentage or a per-batch mean.
        expect(Math.abs(acc * N - Math.round(acc * N)), label).toBeLessThan(1e-6);
        expect(acc, label).toBeLessThanOrEqual(line.eval['natural']!);
      }
      expect(line.test_natural_acc).toBe(line.eval['natural']);
      expect(line.test_robust_acc).toBe(line.eval['apgd_ce']);
    }
    // The model learnt something, and APGD-CE broke some of it (here 30% -> 15% after epoch 1).
    expect(result.final!.eval['natural']!).toBeGreaterThan(0.2);
    expect(lines.some((l) => l.eval['apgd_ce']! < l.eval['natural']!)).toBe(true);
  });
});

describe('evaluation batches', () => {
  it('a partial last batch padded to the full batch gives the same natural, PGD and C&W accuracy as unpadded batches', { timeout: 300_000 }, async () => {
    const rt = await sharedTestRuntime();
    const attacks = 'attacks: [natural, pgd(ball: linf(0.3), steps: 5, step: 0.1), cw(ball: linf(0.3), steps: 5, step: 0.1)], select: pgd';
    const accuracies = async (batch: number) => {
      const outDir = makeTempDir('matc-evalpad-').dir;
      const result = await runPipeline(pipeline(`evaluate { every: 1, batch: ${batch}, ${attacks} }`), { outDir, runtime: rt });
      return result.final!.eval;
    };
    // 40 examples: batches of 16 leave a last batch of 8 (padded to 16), batches of 20 none.
    const padded = await accuracies(16);
    const whole = await accuracies(20);
    expect(Object.keys(padded).sort()).toEqual(['cw', 'natural', 'pgd']);
    expect(padded).toEqual(whole);
    for (const acc of Object.values(padded)) expect(Math.abs(acc * N - Math.round(acc * N))).toBeLessThan(1e-6);
    // Something was attacked: the property is not vacuous.
    expect(padded['pgd']!).toBeLessThan(padded['natural']!);
  });
});
