/** Average pooling; max pooling is in maxpool.test.ts. */
import { describe, it, expect } from 'vitest';
import { checkForward, checkGradients, cpuEval, expectClose, randn } from '../helpers/op-harness.js';
import type { Graph } from '../../src/ir/graph.js';
import type { Tensor } from '../../src/ir/tensor.js';

import { input, label, type Case } from './pool-cases.js';

const avgPool = (c: Case) => (_g: Graph, [x]: Tensor[]) => x!.avgPool2d(c.k, c.stride, c.pad);

const CASES: Case[] = [
  { x: [2, 3, 6, 6], k: [2, 2], stride: [2, 2], pad: [0, 0] },
  { x: [1, 2, 7, 5], k: [3, 3], stride: [2, 2], pad: [1, 1] },
  { x: [2, 1, 5, 8], k: [3, 2], stride: [1, 2], pad: [1, 0] },
  { x: [1, 2, 9, 7], k: [2, 3], stride: [3, 1], pad: [0, 1] },
];

describe('avgpool2d', () => {
  for (const c of CASES) {
    it(`forward GPU vs CPU (padding counted in the divisor): ${label(c)}`, async () => {
      await checkForward(avgPool(c), input(c, 5));
    });
    it(`gradient (finite differences, GPU vs CPU): ${label(c)}`, async () => {
      await checkGradients(avgPool(c), input(c, 6));
    });
  }

  it('count_include_pad: a padded corner window of ones averages to 4/9', () => {
    const c: Case = { x: [1, 1, 4, 4], k: [3, 3], stride: [1, 1], pad: [1, 1] };
    const y = cpuEval(avgPool(c), input(c, 0, new Float32Array(16).fill(1)));
    expect(y[0]).toBeCloseTo(4 / 9, 6);
    expect(y[5]).toBeCloseTo(1, 6);
  });

  it('global average pool: kernel = H x W gives per-channel means', async () => {
    const c: Case = { x: [3, 4, 7, 5], k: [7, 5], stride: [7, 5], pad: [0, 0] };
    const inputs = input(c, 7);
    const y = await checkForward(avgPool(c), inputs);
    expect(y.length).toBe(12);
    const x = inputs[0]!.data;
    const mean = x.slice(35, 70).reduce((s, v) => s + v, 0) / 35;
    expect(y[1]).toBeCloseTo(mean, 5);
    await checkGradients(avgPool(c), input({ ...c, x: [2, 3, 7, 5] }, 8));
  });

  it('second order: the gradient of avgpool2d_grad is avgpool2d', async () => {
    const gyShape = [1, 2, 3, 3];
    const inputs = [{ name: 'gy', shape: gyShape, data: randn(gyShape, 9) }];
    await checkGradients((g, [gy]) => g.apply('avgpool2d_grad', [gy!], { kernel: [3, 3], stride: [2, 2], pad: [1, 1], inputShape: [1, 2, 5, 6] }), inputs);
  });
});
