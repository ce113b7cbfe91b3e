/**
 * Max pooling: the argmax node, the gather through it, and the gradient routed through the
 * recorded argmax (tiled scatter when kernel == stride, gather otherwise), against the CPU
 * reference, a naive PyTorch-semantics pool, and central finite differences.
 */
import { describe, it, expect } from 'vitest';
import { checkForward, checkGradients, expectClose, gpuRun, randn } from '../helpers/op-harness.js';
import { Graph } from '../../src/ir/graph.js';
import { OPS } from '../../src/ops/registry.js';
import type { Tensor } from '../../src/ir/tensor.js';
import { grad } from '../../src/ir/autodiff.js';
import { maxPoolGradKernel } from '../../codegen/wgsl/maxpool.js';
import { poolGeometry } from '../../src/ops/pool.js';

import { input, label, type Case } from './pool-cases.js';

const attrs = (c: Case) => ({ kernel: c.k, stride: c.stride, pad: c.pad });
const maxPool = (c: Case) => (_g: Graph, [x]: Tensor[]) => x!.maxPool2d(c.k, c.stride, c.pad);
const argmaxOf = (c: Case) => (g: Graph, [x]: Tensor[]) => g.apply('maxpool2d_argmax', [x!], attrs(c));
const tiled = (c: Case) => c.k[0] === c.stride[0] && c.k[1] === c.stride[1];

/** Output-gradient seed `gy` pulled back through maxPool2d by autodiff. */
const backward = (c: Case, gy: Float32Array) => (g: Graph, [x]: Tensor[]) => {
  const y = x!.maxPool2d(c.k, c.stride, c.pad);
  return grad(y, [x!], { seed: g.constantData(gy, y.shape) })[0]!;
};

const CASES: Case[] = [
  // Overlapping or gapped windows: the gather gradient.
  { x: [1, 2, 7, 5], k: [3, 3], stride: [2, 2], pad: [1, 1] },
  { x: [2, 1, 5, 8], k: [3, 2], stride: [1, 2], pad: [1, 0] },
  { x: [1, 2, 9, 7], k: [2, 3], stride: [3, 1], pad: [0, 1] },
  // kernel == stride: the tiled scatter, with uncovered last rows/columns and padding.
  { x: [2, 3, 6, 6], k: [2, 2], stride: [2, 2], pad: [0, 0] },
  { x: [1, 2, 7, 9], k: [2, 2], stride: [2, 2], pad: [0, 0] },
  { x: [2, 2, 8, 5], k: [2, 3], stride: [2, 3], pad: [1, 1] },
  { x: [1, 1, 11, 10], k: [3, 3], stride: [3, 3], pad: [1, 0] },
];

/** PyTorch's max pool written from its definition: -inf padding, first maximum in window order. */
function naiveMaxPool(x: Float32Array, c: Case): { y: Float32Array; arg: Int32Array; OH: number; OW: number } {
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
            if (arg[o]! < 0 || x[(p * H + iy) * W + ix]! > y[o]!) {
              y[o] = x[(p * H + iy) * W + ix]!;
              arg[o] = iy * W + ix; // within the plane, as PyTorch's return_indices
            }
          }
      }
  return { y, arg, OH, OW };
}

/** dx from scattering gy through the naive argmax (PyTorch's max_pool2d backward). */
function naiveBackward(c: Case, arg: Int32Array, gy: Float32Array): Float32Array {
  const [N, C, H, W] = c.x;
  const dx = new Float32Array(N * C * H * W);
  const per = arg.length / (N * C);
  arg.forEach((i, o) => (dx[Math.floor(o / per) * H * W + i]! += gy[o]!));
  return dx;
}

describe('maxpool2d', () => {
  for (const c of CASES) {
    it(`forward and argmax, GPU vs CPU vs naive: ${label(c)}`, async () => {
      const inputs = input(c, 1);
      const naive = naiveMaxPool(inputs[0]!.data, c);
      expectClose(await checkForward(maxPool(c), inputs), naive.y, {}, 'CPU reference vs naive');
      expectClose(await checkForward(argmaxOf(c), inputs), naive.arg, { rtol: 0, atol: 0 }, 'argmax vs naive');
    });
    it(`gradient (finite differences, GPU vs CPU): ${label(c)}`, async () => {
      await checkGradients(maxPool(c), input(c, 2), { eps: 1e-3 });
    });
    it(`gradient routed through the recorded argmax (${tiled(c) ? 'tiled scatter' : 'gather'}): ${label(c)}`, async () => {
      const inputs = input(c, 3);
      const { arg } = naiveMaxPool(inputs[0]!.data, c);
      const gy = randn([arg.length], 4);
      const dx = await checkForward(backward(c, gy), inputs);
      expectClose(dx, naiveBackward(c, arg, gy), {}, 'dx vs naive scatter');
    });
  }

  it('every pixel of dx is written, also when its buffer held an earlier value (slot reuse)', async () => {
    // Fresh GPU buffers are zeroed, which would hide a pixel the kernel never writes; here
    // dx takes over the slot of u = x + 7, dead after its sum.
    for (const c of [CASES[0]!, CASES[4]!, CASES[6]!]) {
      const g = new Graph(OPS);
      const x = g.input('x', [...c.x]);
      const s = x.add(7).sum();
      const data = randn([...c.x], 8);
      const { arg } = naiveMaxPool(data, c);
      const gy = randn([arg.length], 9);
      const dx = backward(c, gy)(g, [x]);
      const [got] = await gpuRun(g, { x: data }, [dx, s]);
      expectClose(got!, naiveBackward(c, arg, gy), {}, `dx in a reused slot, ${label(c)}`);
    }
  });

  it('ties: a constant input sends each window gradient to its first real pixel, as PyTorch does', async () => {
    for (const c of [CASES[0]!, CASES[1]!, CASES[5]!, CASES[6]!]) {
      const inputs = input(c, 0, new Float32Array(c.x.reduce((a, b) => a * b, 1)).fill(0.5));
      const { arg, OH, OW } = naiveMaxPool(inputs[0]!.data, c);
      const W = c.x[3];
      arg.forEach((i, o) => {
        const oy = Math.floor(o / OW) % OH;
        const ox = o % OW;
        expect(i, `window ${o}`).toBe(Math.max(oy * c.stride[0] - c.pad[0], 0) * W + Math.max(ox * c.stride[1] - c.pad[1], 0));
      });
      expectClose(await checkForward(argmaxOf(c), inputs), arg, { rtol: 0, atol: 0 }, `argmax of a constant ${label(c)}`);
      const gy = randn([arg.length], 5);
      const dx = await checkForward(backward(c, gy), inputs);
      expectClose(dx, naiveBackward(c, arg, gy), {}, `dx of a constant ${label(c)}`);
    }
  });

  it('ties go to the first maximum in window order, and padding never wins', async () => {
    // Quantised values make ties common; all-negative values make -inf padding matter.
    for (const c of [{ x: [1, 2, 6, 5], k: [3, 3], stride: [2, 1], pad: [1, 1] } as Case, { x: [1, 2, 6, 5], k: [2, 2], stride: [2, 2], pad: [1, 1] } as Case]) {
      const data = randn([...c.x], 3).map((v) => Math.round(v * 2) / 2 - 3);
      const inputs = input(c, 0, data);
      const { y, arg } = naiveMaxPool(data, c);
      expectClose(await checkForward(maxPool(c), inputs), y, {}, 'forward vs naive');
      expectClose(await checkForward(argmaxOf(c), inputs), arg, { rtol: 0, atol: 0 }, 'argmax vs naive');
      const gy = randn([arg.length], 4);
      expectClose(await checkForward(backward(c, gy), inputs), naiveBackward(c, arg, gy), {}, 'gradient routed to the first argmax');
    }
  });

  it('second order: the gradient of maxpool2d_grad with respect to gy gathers at the argmax', async () => {
    for (const c of [CASES[0]!, CASES[4]!]) {
      const x = randn([...c.x], 6);
      const { arg } = naiveMaxPool(x, c);
      const inputs = [{ name: 'gy', shape: [arg.length], data: randn([arg.length], 7) }];
      await checkGradients((g, [gy]) => {
        const idx = g.apply('maxpool2d_argmax', [g.constantData(x, [...c.x])], attrs(c));
        return g.apply('maxpool2d_grad', [idx, gy!.reshape(idx.shape)], { ...attrs(c), inputShape: [...c.x] });
      }, inputs);
    }
  });

  it('kernel == stride scatters from one invocation per window; other geometries gather per input pixel', () => {
    const at = (c: Case) => maxPoolGradKernel(poolGeometry('test', c.x, attrs(c))).workgroups[0];
    expect(at({ x: [128, 16, 28, 28], k: [2, 2], stride: [2, 2], pad: [0, 0] })).toBe(Math.ceil((128 * 16 * 14 * 14) / 64));
    expect(at({ x: [128, 16, 28, 28], k: [3, 3], stride: [2, 2], pad: [1, 1] })).toBe(Math.ceil((128 * 16 * 28 * 28) / 64));
  });

  it('shape rules: stride defaults to the kernel, pad <= kernel/2, idx must be the i32 argmax', () => {
    const g = new Graph(OPS);
    const x = g.input('x', [2, 3, 28, 28]);
    expect(x.maxPool2d(2).shape).toEqual([2, 3, 14, 14]);
    expect(x.maxPool2d(3, 2, 1).shape).toEqual([2, 3, 14, 14]);
    expect(x.maxPool2d([2, 4], [2, 4]).shape).toEqual([2, 3, 14, 7]);
    expect(() => x.maxPool2d(2, 2, 2)).toThrow(/half the kernel/);
    expect(() => g.input('y', [3, 28, 28]).maxPool2d(2)).toThrow(/NCHW/);
    const a = { kernel: 2, stride: 2, pad: 0 };
    expect(g.apply('maxpool2d_argmax', [x], a).dtype).toBe('i32');
    expect(() => g.apply('maxpool2d', [x], a)).toThrow(/maxpool2d_argmax/);
    expect(() => g.apply('maxpool2d', [x, g.input('f', [2, 3, 14, 14])], a)).toThrow(/argmax is f32/);
    expect(() => g.apply('maxpool2d', [x, g.input('i', [2, 3, 14, 13], 'i32')], a)).toThrow(/expected i32\[2, 3, 14, 14\]/);
  });
});
