/**
 * Label noise as a pipeline sets it (`data { label_noise: r }`): the training labels a run sees
 * (loadRunData, what runPipeline and the analyses load) replace the expected fraction, are the
 * same at every load (so every epoch and every --resume see one fixed noisy set), depend on the
 * seed, and leave the test labels alone.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import type { ResolvedPipeline } from '../../src/check/index.js';
import { checkedSource } from '../helpers/pipeline.js';
import { loadRunData } from '../../src/lower/data-setup.js';
import { makeTempDir, writeIdxDataset } from '../data/fixtures.js';

let dataDir = '';

function pipeline(rate: number, seed = 1): ResolvedPipeline {
  const source = `import "models/mlp.mat"
pipeline noisy {
  data fashion_mnist { path: "${dataDir}", subset: first(2000), test_subset: first(100), label_noise: ${rate} }
  model f = mlp(classes: 10, inputs: 784, hidden: 8)
  minimize ce(f(x), y)
  train { epochs: 1, batch: 100, seed: ${seed}, optimizer: sgd(lr: 0.1) }
}`;
  return checkedSource(source, 'noisy.mat');
}

describe('label noise through the pipeline', () => {
  beforeAll(() => {
    dataDir = makeTempDir('matc-noise-').dir;
    writeIdxDataset(dataDir, { n: 2000, nTest: 100, h: 28, w: 28, gzip: false });
  });

  it('resamples a fraction r of the labels, a uniform draw keeping 1/10 of them unchanged', () => {
    const clean = loadRunData(pipeline(0)).train.labels;
    for (const r of [0.2, 0.6, 1.0]) {
      const d = loadRunData(pipeline(r));
      const resampled = d.noisy!.reduce((s, v) => s + v, 0) / 2000;
      const changed = d.train.labels.reduce((s, l, i) => s + (l !== clean[i] ? 1 : 0), 0) / 2000;
      // Binomial(2000, r) has sd <= 0.0112: 4 sd bounds.
      expect(Math.abs(resampled - r)).toBeLessThan(0.045);
      expect(Math.abs(changed - 0.9 * r)).toBeLessThan(0.045);
      // Only resampled examples may change.
      for (let i = 0; i < 2000; i++) if (!d.noisy![i]) expect(d.train.labels[i]).toBe(clean[i]);
    }
    // At r = 1 the labels are uniform: every class near 200 of 2000.
    const counts = new Array(10).fill(0);
    for (const l of loadRunData(pipeline(1)).train.labels) counts[l]++;
    for (const c of counts) expect(Math.abs(c - 200)).toBeLessThan(60);
  });

  it('is the same set at every load (epochs, resume) and changes with the seed; test labels stay clean', () => {
    const a = loadRunData(pipeline(0.4));
    const b = loadRunData(pipeline(0.4));
    expect(Array.from(b.train.labels)).toEqual(Array.from(a.train.labels));
    expect(Array.from(b.noisy!)).toEqual(Array.from(a.noisy!));
    const other = loadRunData(pipeline(0.4, 2));
    expect(Array.from(other.train.labels)).not.toEqual(Array.from(a.train.labels));
    expect(Array.from(a.test.labels)).toEqual(Array.from(loadRunData(pipeline(0)).test.labels));
  });
});
