import { describe, it, expect } from 'vitest';
import { checkForward, checkGradients, cpuEval, expectClose, randn } from '../helpers/op-harness.js';
import { Graph } from '../../src/graph/graph.js';
import type { Tensor } from '../../src/graph/tensor.js';

type Pair = [number, number];
interface Case {
  x: [number, number, number, number];
  k: Pair;
  stride: Pair;
  pad: Pair;
}
const label = (c: Case) => `x[${c.x}] k${c.k} s${c.stride} p${c.pad}`;
const input = (c: Case, seed: number, data?: Float32Array) => [{ name: 'x', shape: [...c.x], data: data ?? randn([...c.x], seed) }];
const maxPool = (c: Case) => (_g: Graph, [x]: Tensor[]) => x!.maxPool2d(c.k, c.stride, c.pad);
const avgPool = (c: Case) => (_g: Graph, [x]: Tensor[]) => x!.avgPool2d(c.k, c.stride, c.pad);

const CASES: Case[] = [
  { x: [2, 3, 6, 6], k: [2, 2], stride: [2, 2], pad: [0, 0] },
  { x: [1, 2, 7, 5], k: [3, 3], stride: [2, 2], pad: [1, 1] },
  { x: [2, 1, 5, 8], k: [3, 2], stride: [1, 2], pad: [1, 0] },
  { x: [1, 2, 9, 7], k: [2, 3], stride: [3, 1], pad: [0, 1] },
];

/** PyTorch's max pool written from its definition: -inf padding, first maximum in window order. */
function naiveMaxPool(x: Float32Array, c: Case): { y: Float32Array; arg: Int32Array } {
  const [N, C, H, W] = c.x;
  const OH = Math.floor((H + 2 * c.pad[0] - c.k[0]) / c.stride[0]) + 1;
  const OW = Math.floor((W + 2 * c.pad[1] - c.k[1]) / c.stride[1]) + 1;
  const y = new Float32Array(N * C * OH * OW).fill(-Infinity);
  const arg = new Int32Array(y.length).fill(-1);
  for (let p = 0; p < N * C; p++)
    for (let oy = 0; oy < OH; oy++)
      for (let ox = 0; ox < OW; ox++) {
        const o = (p * OH + oy) * OW + ox;
        for (let ky = 0; ky < c.k[0]; ky++)
          for (let kx = 0; kx < c.k[1]; kx++) {
            const iy = oy * c.stride[0] - c.pad[0] + ky;
            const ix = ox * c.stride[1] - c.pad[1] + kx;
            if (iy < 0 || ix < 0 || iy >= H || ix >= W) continue;
            const i = (p * H + iy) * W + ix;
            if (arg[o]! < 0 || x[i]! > y[o]!) {
              y[o] = x[i]!;
              arg[o] = i;
            }
          }
      }
  return { y, arg };
}

describe('maxpool2d', () => {
  for (const c of CASES) {
    it(`forward GPU vs CPU vs naive: ${label(c)}`, async () => {
      const inputs = input(c, 1);
      const cpu = await checkForward(maxPool(c), inputs);
      expectClose(cpu, naiveMaxPool(inputs[0]!.data, c).y, {}, 'CPU reference vs naive');
    });
    it(`gradient (finite differences, GPU vs CPU): ${label(c)}`, async () => {
      await checkGradients(maxPool(c), input(c, 2), { eps: 1e-3 });
    });
  }

  it('ties go to the first maximum in window order, and padding never wins', async () => {
    // Quantised values make ties common; all-negative values make -inf padding matter.
    const c: Case = { x: [1, 2, 6, 5], k: [3, 3], stride: [2, 1], pad: [1, 1] };
    const data = randn([...c.x], 3).map((v) => Math.round(v * 2) / 2 - 3);
    const inputs = input(c, 0, data);
    await checkForward(maxPool(c), inputs);
    const gy = randn([1, 2, 3, 5], 4);
    const dx = await checkForward((g, [x]) => g.apply('maxpool2d_grad', [x!, g.constantData(gy, [1, 2, 3, 5])], { kernel: c.k, stride: c.stride, pad: c.pad }), inputs);
    const { arg } = naiveMaxPool(data, c);
    const want = new Float32Array(data.length);
    arg.forEach((i, o) => (want[i]! += gy[o]!));
    expectClose(dx, want, {}, 'gradient routed to the first argmax');
  });

  it('defaults stride to the kernel and checks pad <= kernel/2', () => {
    const g = new Graph();
    const x = g.input('x', [2, 3, 28, 28]);
    expect(x.maxPool2d(2).shape).toEqual([2, 3, 14, 14]);
    expect(x.maxPool2d(3, 2, 1).shape).toEqual([2, 3, 14, 14]);
    expect(x.maxPool2d([2, 4], [2, 4]).shape).toEqual([2, 3, 14, 7]);
    expect(() => x.maxPool2d(2, 2, 2)).toThrow(/half the kernel/);
    expect(() => g.input('y', [3, 28, 28]).maxPool2d(2)).toThrow(/NCHW/);
  });
});

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
