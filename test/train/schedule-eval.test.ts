import { describe, it, expect } from 'vitest';
import { sigmoidRamp, linearRamp, learningRate, evaluateSchedules } from '../../src/train/schedule-eval.js';
import { checkSource } from '../../src/check/index.js';

describe('schedules', () => {
  it('sigmoid_ramp matches the reference sigmoid_rampup (0 before, exp(-5) at the start, 1 after)', () => {
    expect(sigmoidRamp(89, 90, 150)).toBe(0);
    expect(sigmoidRamp(90, 90, 150)).toBeCloseTo(Math.exp(-5), 12);
    expect(sigmoidRamp(120, 90, 150)).toBeCloseTo(Math.exp(-5 * 0.25), 12);
    expect(sigmoidRamp(150, 90, 150)).toBe(1);
    expect(sigmoidRamp(200, 90, 150)).toBe(1);
    expect(linearRamp(100, 90, 150)).toBeCloseTo(1 / 6, 12);
  });

  it('piecewise lr steps after the named epochs, like MultiStepLR stepped per epoch', () => {
    const train = { epochs: 8, batch: 128, seed: 0, optimizer: { kind: 'sgd', lr: 0.1, momentum: 0.9, weight_decay: 5e-4, nesterov: false }, lr: { kind: 'piecewise', initial: 0.1, milestones: { '4': 0.01, '6': 0.001 } } } as never;
    const lrs = [1, 2, 3, 4, 5, 6, 7, 8].map((epoch) => learningRate(train, { epoch, step: 0 }, new Map()));
    expect(lrs).toEqual([0.1, 0.1, 0.1, 0.1, 0.01, 0.01, 0.001, 0.001]);
  });

  it('evaluates the TE weight of the fmnist reference pipeline per epoch', () => {
    const r = checkSource(
      `import "models/small_cnn.mat"
pipeline s {
  data fashion_mnist { subset: first(100) }
  model f = small_cnn(classes: 10)
  schedule w = 300 * sigmoid_ramp(epoch, 4, 7)
  minimize ce(f(x), y)
}`,
      'pipelines/s.mat',
    );
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const w = (epoch: number) => evaluateSchedules(r.pipeline!.schedules, { epoch, step: 0 }).get('w')!;
    expect(w(3)).toBe(0);
    expect(w(4)).toBeCloseTo(300 * Math.exp(-5), 9);
    expect(w(7)).toBe(300);
  });
});
