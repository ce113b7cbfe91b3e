/**
 * The adversarial probe on the GPU with a tiny MLP (PGD-AT objective, 2 attack steps): the
 * gradient distance is exactly 0 at lambda 0 (the attack is regenerated from the same start, so
 * the gradient reproduces bit for bit), grows with lambda, and the weights are restored; the
 * worst-case sharpness ascent raises the loss and stays inside its box.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import type { ResolvedPipeline } from '../../src/check/index.js';
import { checkedSource } from '../helpers/pipeline.js';
import { sharedTestRuntime } from '../helpers/gpu.js';
import { makeTempDir, writeIdxDataset } from '../data/fixtures.js';
import { AdversarialProbe } from '../../src/analysis/adversarial-probe.js';
import { trainingData, fixedBatch } from '../../src/analysis/analysis-context.js';
import { gradientCurve } from '../../src/analysis/gradient-instability.js';
import { worstCaseSharpness } from '../../src/analysis/weight-perturbation.js';
import { initialValues } from '../../src/train/init.js';
import { modelVariableName } from '../../src/lower/model.js';

let dataDir = '';

function pipeline(): ResolvedPipeline {
  const source = `import "models/mlp.mat"
pipeline probe_pgd {
  data fashion_mnist { path: "${dataDir}", subset: first(20), test_subset: first(20) }
  model f = mlp(classes: 10, inputs: 784, hidden: 16)
  attack adv = pgd(ball: linf(0.1), step: 0.05, steps: 2, start: uniform) {
    maximize ce(f(x + delta), y)
  }
  minimize ce(f(adv), y)
  train { epochs: 1, batch: 20, seed: 3, optimizer: sgd(lr: 0.1) }
}`;
  return checkedSource(source, 'probe_pgd.mat');
}

describe('adversarial probe', () => {
  beforeAll(() => {
    dataDir = makeTempDir('matc-probe-').dir;
    writeIdxDataset(dataDir, { n: 20, nTest: 20, h: 28, w: 28, gzip: false });
  });

  it('gradient distance: 0 at lambda 0, growing with lambda; weights restored; sharpness rises within its box', { timeout: 300_000 }, async () => {
    const rt = await sharedTestRuntime();
    const p = pipeline();
    p.model.stateDict.forEach((spec, i) => rt.variables.write(modelVariableName(spec.name), initialValues(spec, i, 3), spec.shape, 'f32'));
    const train = trainingData(p);
    const probe = new AdversarialProbe(rt, p, train.n, true);
    probe.setBatch(fixedBatch(train, 20));
    const before = await probe.readWeights();

    const c = await gradientCurve(probe, [0, 0.01, 0.1, 1], 'plain', 2, 5);
    expect(c.distances.map((r) => r[0])).toEqual([0, 0]);
    expect(c.gradientNorm).toBeGreaterThan(0);
    expect(c.meanDistance[1]!).toBeGreaterThan(0);
    expect(c.meanDistance[2]!).toBeGreaterThan(c.meanDistance[1]!);
    expect(c.meanDistance[3]!).toBeGreaterThan(c.meanDistance[2]!);
    expect(Array.from(await probe.readWeights())).toEqual(Array.from(before));

    const s = await worstCaseSharpness(probe, { alpha: 0.01, steps: 3 });
    expect(s.rise).toBeGreaterThan(0);
    expect(s.losses).toHaveLength(3);
    expect(Array.from(await probe.readWeights())).toEqual(Array.from(before));
  });
});

describe('gradient-norm log', () => {
  it('runPipeline with logGradientNorm writes a positive grad_norm_sq per epoch', { timeout: 300_000 }, async () => {
    const { runPipeline } = await import('../../src/train/run.js');
    const { readRecords } = await import('../../src/io/metrics.js');
    const rt = await sharedTestRuntime();
    const dir = makeTempDir('matc-gradnorm-').dir;
    await runPipeline(pipeline(), { outDir: dir, runtime: rt, logGradientNorm: true });
    const records = readRecords(dir) as { grad_norm_sq?: number }[];
    expect(records).toHaveLength(1);
    expect(records[0]!.grad_norm_sq).toBeGreaterThan(0);
    expect(Number.isFinite(records[0]!.grad_norm_sq)).toBe(true);
  });
});
