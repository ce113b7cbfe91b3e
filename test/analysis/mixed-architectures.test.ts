/**
 * One runtime for analyses over runs of different architectures: two MLPs whose layers share
 * state_dict names (`1.weight`, `3.weight`, ...) but not shapes (hidden 16 and 24). Complexity
 * measures over the sweep and hard examples over the two runs both use one runtime, which
 * probeAt empties before each run's model is loaded.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkedFile } from '../helpers/pipeline.js';
import { sharedTestRuntime } from '../helpers/gpu.js';
import { makeTempDir, writeIdxDataset } from '../data/fixtures.js';
import { saveModel, type CheckpointStore } from '../../src/io/checkpoint.js';
import { initialValues } from '../../src/train/init.js';
import { modelVariableName } from '../../src/lower/model.js';
import { recordLine } from '../../src/io/metrics.js';
import { RUN_RECORD } from '../../src/sweep/run-state.js';
import { analyzeComplexity } from '../../src/analysis/complexity-report.js';
import { analyzeHardExamples } from '../../src/analysis/hard-examples-report.js';
import { planSweep } from '../../src/sweep/sweep.js';
import { runSweep } from '../../src/sweep/runner.js';

let root = '';
const runs = [
  { name: 'mlp16', hidden: 16, gap: 0.1 },
  { name: 'mlp24', hidden: 24, gap: 0.3 },
];

function pipelineSource(dataDir: string, hidden: number): string {
  return `import "models/mlp.mat"
pipeline mlp${hidden} {
  data fashion_mnist { path: "${dataDir}", subset: first(24), test_subset: first(20) }
  model f = mlp(classes: 10, inputs: 784, hidden: ${hidden})
  attack adv = pgd(ball: linf(0.1), step: 0.05, steps: 2, start: uniform) {
    maximize ce(f(x + delta), y)
  }
  minimize ce(f(adv), y)
  train { epochs: 1, batch: 12, seed: ${hidden}, optimizer: sgd(lr: 0.1) }
}`;
}


/** A host-side store for writing checkpoints without the GPU. */
function memoryStore(): CheckpointStore {
  const values = new Map<string, Float32Array>();
  return {
    read: async (name) => values.get(name)!,
    write: (name, data) => void values.set(name, Float32Array.from(data as ArrayLike<number>)),
    has: (name) => values.has(name),
  };
}

/** A finished sweep run: its pipeline record, one epoch of log, and a (freshly initialised) final model. */
async function writeRun(dataDir: string, run: (typeof runs)[number]): Promise<void> {
  const dir = join(root, run.name);
  mkdirSync(dir, { recursive: true });
  const file = join(root, `${run.name}.mat`);
  writeFileSync(file, pipelineSource(dataDir, run.hidden));
  writeFileSync(join(dir, RUN_RECORD), JSON.stringify({ file, overrides: [] }));
  const p = checkedFile(file);
  const store = memoryStore();
  p.model.stateDict.forEach((spec, i) => store.write(modelVariableName(spec.name), initialValues(spec, i, run.hidden), spec.shape, 'f32'));
  await saveModel(join(dir, 'model-final.safetensors'), p.model, store);
  writeFileSync(join(dir, 'metrics.jsonl'), recordLine({
    epoch: 1, step: 2, lr: 0.1, schedules: {}, train_loss: 2.3, train_natural_acc: 0.5, train_robust_acc: 0.2 + run.gap,
    test_natural_acc: 0.4, test_robust_acc: 0.2, eval: { natural: 0.4, pgd: 0.2 }, seconds: 1, is_best: true,
  }));
}

describe('analyses over mixed architectures on one runtime', () => {
  beforeAll(async () => {
    root = makeTempDir('matc-mixed-').dir;
    const dataDir = join(root, 'data');
    mkdirSync(dataDir);
    writeIdxDataset(dataDir, { n: 24, nTest: 20, h: 28, w: 28, gzip: false });
    for (const run of runs) await writeRun(dataDir, run);
    writeFileSync(join(root, 'sweep.json'), JSON.stringify({ runs: runs.map((r) => ({ name: r.name })) }));
  });

  it('complexity measures and hard examples for MLPs of hidden 16 and 24', { timeout: 600_000 }, async () => {
    const rt = await sharedTestRuntime();
    const shapes = runs.map((r) => checkedFile(join(root, `${r.name}.mat`)).model.stateDict.find((s) => s.name === '1.weight')!.shape);
    expect(shapes).toEqual([[16, 784], [24, 784]]);

    const c = await analyzeComplexity(rt, { sweepDir: root, n: 8, alpha: 0.005 }, () => {});
    expect(c.runs.map((r) => r.run)).toEqual(['mlp16', 'mlp24']);
    for (const r of c.runs) {
      expect(r.frobeniusSquaredSum).toBeGreaterThan(0);
      expect(Number.isFinite(r.logSpectralProduct)).toBe(true);
      expect(r.pacBayesSigma).toBeGreaterThan(0);
      expect(Number.isFinite(r.worstCaseSharpness)).toBe(true);
    }
    expect(c.runs.map((r) => r.robustGap)).toEqual(runs.map((r) => expect.closeTo(r.gap, 6)));

    const h = await analyzeHardExamples(rt, { runs: runs.map((r) => join(root, r.name)), batch: 12, fraction: 0.25, show: 4, outDir: join(root, 'hard') }, () => {});
    expect(h.pairs).toHaveLength(1);
    expect(h.pairs[0]!.spearman).toBeGreaterThanOrEqual(-1);
    expect(h.pairs[0]!.spearman).toBeLessThanOrEqual(1);
    // The runtime now holds the second model's variables only.
    expect(rt.variables.get('model/1.weight').shape).toEqual([24, 784]);
  });

  it('an in-process sweep (--jobs 1) trains both architectures on one runtime', async () => {
    const rt = await sharedTestRuntime();
    const { points } = planSweep([join(root, 'mlp16.mat'), join(root, 'mlp24.mat')], [], []);
    const out = join(root, 'sweep');
    const outcomes = await runSweep(points, { outDir: out, jobs: 1, runtime: rt });
    expect(outcomes.map((o) => o.status)).toEqual(['done', 'done']);
  }, 600_000);
});
