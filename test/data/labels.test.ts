import { describe, expect, it } from 'vitest';
import { applyLabelNoise, subset, withLabelNoise } from '../../src/data/index.js';
import { syntheticDataset } from './synthetic.js';

const N = 20000;
const labels = Int32Array.from({ length: N }, (_, i) => (i * 7) % 10);

describe('applyLabelNoise', () => {
  it('rate 0 changes nothing', () => {
    const r = applyLabelNoise(labels, 10, 0, 1);
    expect(Array.from(r.labels)).toEqual(Array.from(labels));
    expect([r.resampledCount, r.changedCount]).toEqual([0, 0]);
    expect(r.labels).not.toBe(labels);
  });

  it('rate 1 resamples everything and changes about 1 - 1/classes of the labels', () => {
    const r = applyLabelNoise(labels, 10, 1, 2);
    expect(r.resampledCount).toBe(N);
    expect(Math.abs(r.changedCount / N - 0.9)).toBeLessThan(0.015);
  });

  it('resamples about `rate`, changes about rate * (1 - 1/classes), and draws classes uniformly', () => {
    const rate = 0.3;
    const r = applyLabelNoise(labels, 10, rate, 3);
    expect(Math.abs(r.resampledCount / N - rate)).toBeLessThan(0.015);
    expect(Math.abs(r.changedCount / N - rate * 0.9)).toBeLessThan(0.015);
    let maskSum = 0;
    let untouchedButChanged = 0;
    const perClass = new Array<number>(10).fill(0);
    for (let i = 0; i < N; i++) {
      maskSum += r.resampled[i]!;
      if (r.resampled[i]) perClass[r.labels[i]!]!++;
      else if (r.labels[i] !== labels[i]) untouchedButChanged++;
    }
    expect(maskSum).toBe(r.resampledCount);
    expect(untouchedButChanged).toBe(0);
    expect(perClass.reduce((a, b) => a + b, 0)).toBe(r.resampledCount); // every drawn class is in 0..9
    for (const c of perClass) expect(Math.abs(c / r.resampledCount - 0.1)).toBeLessThan(0.02);
  });

  it('is stable across calls and different for another seed', () => {
    const a = applyLabelNoise(labels, 10, 0.5, 4);
    expect(Array.from(applyLabelNoise(labels, 10, 0.5, 4).labels)).toEqual(Array.from(a.labels));
    expect(Array.from(applyLabelNoise(labels, 10, 0.5, 5).resampled)).not.toEqual(Array.from(a.resampled));
  });

  it('depends on the original index, not the position: a shuffled subset gets the same noisy labels', () => {
    const ds = syntheticDataset(300);
    const full = withLabelNoise(ds, 0.5, 6);
    const picks = [299, 5, 120, 7, 64];
    const part = withLabelNoise(subset(ds, { indices: picks }), 0.5, 6);
    picks.forEach((p, k) => {
      expect(part.dataset.labels[k]).toBe(full.dataset.labels[p]);
      expect(part.noise.resampled[k]).toBe(full.noise.resampled[p]);
    });
    expect(part.dataset.indices).toEqual(Int32Array.from(picks));
  });

  it('rejects a rate outside [0, 1]', () => {
    expect(() => applyLabelNoise(labels, 10, 1.5, 0)).toThrow(RangeError);
    expect(() => applyLabelNoise(labels, 10, Number.NaN, 0)).toThrow(RangeError);
  });
});
