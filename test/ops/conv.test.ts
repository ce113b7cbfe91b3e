import { describe, it, expect } from 'vitest';
import { checkForward, checkGradients, cpuEval, expectClose, randn } from '../helpers/op-harness.js';
import { Graph } from '../../src/ir/graph.js';
import { OPS } from '../../src/ops/registry.js';
import { grad } from '../../src/ir/autodiff.js';
import type { Tensor } from '../../src/ir/tensor.js';
import { conv2dForwardKernel, conv2dGradInputThinKernel, conv2dGradWeightKernel, gradWeightSplits } from '../../codegen/wgsl/conv.js';
import { fittedCandidates } from '../../codegen/wgsl/gemm.js';
import { runRawKernel } from '../helpers/raw-kernel.js';
import { sharedTestRuntime } from '../helpers/gpu.js';
import { broadcastsBySubgroup } from '../../codegen/wgsl/subgroups.js';

type Pair = [number, number];

/** Build the gradient graph of sum(y) with respect to every input of y's node. */
const getOpGrad = (y: Tensor) => grad(y.sum(), y.graph.node(y.id).inputs.map((i) => y.graph.tensor(i)));

interface Case {
  x: [number, number, number, number];
  o: number;
  k: Pair;
  stride: Pair;
  pad: Pair;
}

/** Direct convolution written from the definition, independent of the op's CPU reference. */
function naiveConv(x: Float32Array, w: Float32Array, c: Case): Float32Array {
  const [N, C, H, W] = c.x;
  const [kh, kw] = c.k;
  const OH = Math.floor((H + 2 * c.pad[0] - kh) / c.stride[0]) + 1;
  const OW = Math.floor((W + 2 * c.pad[1] - kw) / c.stride[1]) + 1;
  const y = new Float32Array(N * c.o * OH * OW);
  const at = (n: number, ch: number, i: number, j: number) => (i < 0 || j < 0 || i >= H || j >= W ? 0 : x[((n * C + ch) * H + i) * W + j]!);
  for (let n = 0; n < N; n++)
    for (let o = 0; o < c.o; o++)
      for (let oy = 0; oy < OH; oy++)
        for (let ox = 0; ox < OW; ox++) {
          let s = 0;
          for (let ch = 0; ch < C; ch++)
            for (let ky = 0; ky < kh; ky++)
              for (let kx = 0; kx < kw; kx++) s += at(n, ch, oy * c.stride[0] - c.pad[0] + ky, ox * c.stride[1] - c.pad[1] + kx) * w[((o * C + ch) * kh + ky) * kw + kx]!;
          y[((n * c.o + o) * OH + oy) * OW + ox] = s;
        }
  return y;
}

const wShape = (c: Case) => [c.o, c.x[1], c.k[0], c.k[1]];
const inputsOf = (c: Case, seed: number) => [
  { name: 'x', shape: [...c.x], data: randn([...c.x], seed) },
  { name: 'w', shape: wShape(c), data: randn(wShape(c), seed + 1, 0.5) },
];
const conv = (c: Case) => (_g: Graph, [x, w]: Tensor[]) => x!.conv2d(w!, { stride: c.stride, pad: c.pad });
const label = (c: Case) => `x[${c.x}] o${c.o} k${c.k} s${c.stride} p${c.pad}`;

// Odd sizes, stride 2, pad 0/1, 1x1 kernels, a kernel bigger than the input (padding makes it fit).
const FORWARD_CASES: Case[] = [
  { x: [2, 3, 7, 5], o: 4, k: [3, 3], stride: [1, 1], pad: [1, 1] },
  { x: [1, 2, 9, 8], o: 5, k: [3, 2], stride: [2, 2], pad: [0, 1] },
  { x: [3, 1, 6, 6], o: 3, k: [1, 1], stride: [1, 1], pad: [0, 0] },
  { x: [2, 4, 5, 7], o: 6, k: [1, 1], stride: [2, 1], pad: [0, 0] },
  { x: [1, 2, 3, 2], o: 3, k: [5, 4], stride: [1, 1], pad: [2, 2] },
  { x: [2, 3, 11, 13], o: 17, k: [3, 3], stride: [2, 2], pad: [1, 1] },
  { x: [2, 5, 6, 6], o: 33, k: [3, 3], stride: [1, 1], pad: [1, 1] },
  { x: [2, 8, 4, 4], o: 12, k: [1, 1], stride: [1, 1], pad: [0, 0] }, // pointwise, vec4 operands
];

describe('conv2d forward', () => {
  for (const c of FORWARD_CASES) {
    it(`GPU and CPU reference vs a naive direct convolution: ${label(c)}`, async () => {
      const inputs = inputsOf(c, 3);
      const cpu = await checkForward(conv(c), inputs, { rtol: 1e-4, atol: 1e-4 });
      expectClose(cpu, naiveConv(inputs[0]!.data, inputs[1]!.data, c), { rtol: 1e-4, atol: 1e-4 }, 'CPU reference vs naive');
    });
  }

  it('a reference-CNN-like layer: 16 -> 32 channels, 3x3 pad 1 on 14x14, batch 2', async () => {
    const c: Case = { x: [2, 16, 14, 14], o: 32, k: [3, 3], stride: [1, 1], pad: [1, 1] };
    const inputs = inputsOf(c, 5);
    const cpu = await checkForward(conv(c), inputs, { rtol: 1e-4, atol: 1e-4 });
    expectClose(cpu, naiveConv(inputs[0]!.data, inputs[1]!.data, c), { rtol: 1e-4, atol: 1e-4 }, 'CPU reference vs naive');
  });

  it('shape rule: PyTorch floor rule, numbers accepted for stride and pad, errors', () => {
    const g = new Graph(OPS);
    const x = g.input('x', [2, 3, 28, 28]);
    expect(x.conv2d(g.input('w', [16, 3, 3, 3]), { pad: 1 }).shape).toEqual([2, 16, 28, 28]);
    expect(x.conv2d(g.input('w2', [8, 3, 3, 3]), { stride: 2 }).shape).toEqual([2, 8, 13, 13]);
    expect(x.conv2d(g.input('w3', [8, 3, 5, 1]), { stride: [2, 3], pad: [2, 0] }).shape).toEqual([2, 8, 14, 10]);
    expect(() => x.conv2d(g.input('w4', [8, 4, 3, 3]))).toThrow(/channels/);
    expect(() => x.conv2d(g.input('w5', [8, 3, 31, 3]))).toThrow(/does not fit/);
    expect(() => x.conv2d(g.input('w6', [8, 3, 3, 3]), { stride: 0 })).toThrow(/stride/);
  });

  it('puts the larger output axis on the tall side of the GEMM tile', () => {
    const geo = { N: 128, C: 1, H: 28, W: 28, O: 16, kh: 3, kw: 3, sh: 1, sw: 1, ph: 1, pw: 1, OH: 28, OW: 28 };
    const k = conv2dForwardKernel(geo);
    // 64 images x 784 output pixels on m (one axis of at most 65536 pixels), 16 filters on n: one
    // column of workgroups for the 16 filters, two GEMM batches of 64 images.
    expect(k.workgroups[0]).toBe(1);
    expect(k.workgroups[1]).toBeGreaterThanOrEqual(Math.ceil((64 * 784) / 64));
    expect(k.workgroups[2]).toBe(2);
  });
});

// Gradient cases keep each differentiated input small (finite differences cost 2 CPU runs per element).
const GRAD_CASES: Case[] = [
  { x: [2, 2, 5, 4], o: 3, k: [3, 3], stride: [1, 1], pad: [1, 1] },
  { x: [1, 3, 7, 6], o: 2, k: [3, 2], stride: [2, 2], pad: [1, 0] },
  { x: [2, 2, 4, 5], o: 3, k: [1, 1], stride: [2, 1], pad: [0, 0] },
  { x: [1, 2, 3, 2], o: 2, k: [4, 3], stride: [1, 1], pad: [2, 1] },
  { x: [2, 5, 3, 5], o: 6, k: [1, 1], stride: [1, 1], pad: [0, 0] }, // pointwise (matmul per image), scalar operands
];

describe('conv2d gradients', () => {
  for (const c of GRAD_CASES) {
    it(`finite differences and GPU vs CPU: ${label(c)}`, async () => {
      await checkGradients(conv(c), inputsOf(c, 7));
    });
  }

  it('grad ops on their own: GPU vs CPU, and adjointness <conv(x,w), gy> = <x, grad_input(gy,w)> = <w, grad_weight(x,gy)>', async () => {
    const c: Case = { x: [2, 3, 9, 7], o: 5, k: [3, 3], stride: [2, 2], pad: [1, 1] };
    const [OH, OW] = [5, 4];
    const inputs = [...inputsOf(c, 9), { name: 'gy', shape: [2, 5, OH, OW], data: randn([2, 5, OH, OW], 10) }];
    const attrs = { stride: c.stride, pad: c.pad };
    const gi = (g: Graph, [, w, gy]: Tensor[]) => g.apply('conv2d_grad_input', [gy!, w!], { ...attrs, inputShape: [...c.x] });
    const gw = (g: Graph, [x, , gy]: Tensor[]) => g.apply('conv2d_grad_weight', [x!, gy!], { ...attrs, kernel: c.k });
    const dx = await checkForward(gi, inputs, { rtol: 1e-4, atol: 1e-4 });
    const dw = await checkForward(gw, inputs, { rtol: 1e-4, atol: 1e-4 });
    const y = cpuEval(conv(c), inputs);
    const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((s, v, i) => s + v * b[i]!, 0);
    const lhs = dot(y, inputs[2]!.data);
    expect(dot(inputs[0]!.data, dx)).toBeCloseTo(lhs, 3);
    expect(dot(inputs[1]!.data, dw)).toBeCloseTo(lhs, 3);
  });

  it('second order: gradients of the gradient ops (double backprop)', async () => {
    const c: Case = { x: [1, 2, 4, 4], o: 2, k: [3, 3], stride: [1, 1], pad: [1, 1] };
    const inputs = [...inputsOf(c, 13), { name: 'gy', shape: [1, 2, 4, 4], data: randn([1, 2, 4, 4], 14) }];
    const attrs = { stride: c.stride, pad: c.pad };
    await checkGradients((g, [, w, gy]) => g.apply('conv2d_grad_input', [gy!, w!], { ...attrs, inputShape: [...c.x] }), inputs.map((i) => ({ ...i, differentiable: i.name !== 'x' })));
    await checkGradients((g, [x, , gy]) => g.apply('conv2d_grad_weight', [x!, gy!], { ...attrs, kernel: c.k }), inputs.map((i) => ({ ...i, differentiable: i.name !== 'w' })));
  });

  it('split grad weight: slices over images sum to the unsplit gradient (GPU vs CPU), and differentiate', async () => {
    const c: Case = { x: [5, 2, 6, 5], o: 3, k: [3, 3], stride: [1, 1], pad: [1, 1] };
    const inputs = [...inputsOf(c, 15), { name: 'gy', shape: [5, 3, 6, 5], data: randn([5, 3, 6, 5], 16) }];
    const attrs = { stride: c.stride, pad: c.pad, kernel: c.k };
    const whole = cpuEval((g, [x, , gy]) => g.apply('conv2d_grad_weight', [x!, gy!], attrs), inputs);
    // 3 splits of 2, 2 and 1 images.
    const parts = await checkForward((g, [x, , gy]) => g.apply('conv2d_grad_weight', [x!, gy!], { ...attrs, splits: 3 }), inputs, { rtol: 1e-4, atol: 1e-4 });
    const n = whole.length;
    expectClose(Array.from(whole, (_, i) => parts[i]! + parts[n + i]! + parts[2 * n + i]!), whole, { rtol: 1e-4, atol: 1e-4 }, 'sum of slices');
    const small = [{ name: 'x', shape: [3, 1, 3, 3], data: randn([3, 1, 3, 3], 17) }, { name: 'gy', shape: [3, 2, 3, 3], data: randn([3, 2, 3, 3], 18) }];
    await checkGradients((g, [x, gy]) => g.apply('conv2d_grad_weight', [x!, gy!], { ...attrs, splits: 2 }), small);
  });

  it('pointwise weight gradient on per-image matrices (vec4 along pixels, and scalar where a row is not a multiple of 4): every split count vs CPU', async () => {
    for (const [x, o] of [[[4, 6, 5, 4], 9], [[4, 5, 5, 5], 7]] as [Case['x'], number][]) {
      const c: Case = { x, o, k: [1, 1], stride: [1, 1], pad: [0, 0] };
      const gyShape = [x[0], o, x[2], x[3]];
      const inputs = [...inputsOf(c, 31), { name: 'gy', shape: gyShape, data: randn(gyShape, 32) }];
      // 1, 2 and 4 splits divide the batch (matrices); 3 does not (the gather).
      for (const splits of x[3] === 4 ? [1, 2, 3, 4] : [2]) {
        const code = conv2dGradWeightKernel({ N: x[0], C: x[1], H: x[2], W: x[3], O: o, kh: 1, kw: 1, sh: 1, sw: 1, ph: 0, pw: 0, OH: x[2], OW: x[3] }, undefined, splits).code;
        expect(code.startsWith('// gemm (pointwise conv)'), `${splits} splits`).toBe(splits !== 3);
        await checkForward((g, [xx, , gy]) => g.apply('conv2d_grad_weight', [xx!, gy!], { stride: 1, pad: 0, kernel: [1, 1], ...(splits > 1 ? { splits } : {}) }), inputs, { rtol: 1e-4, atol: 1e-4 });
      }
    }
  });

  it('weight gradient on the large GEMM blocks (16x16 per thread; a tile fitted to 96 x 96) matches the CPU reference', async () => {
    // Ragged everywhere: Kc = 7*9 = 63 rows, 13 filters, K = 2 images x 35 pixels.
    const c: Case = { x: [2, 7, 5, 7], o: 13, k: [3, 3], stride: [1, 1], pad: [1, 1] };
    const geo = { N: 2, C: 7, H: 5, W: 7, O: 13, kh: 3, kw: 3, sh: 1, sw: 1, ph: 1, pw: 1, OH: 5, OW: 7 };
    const inputs = [...inputsOf(c, 21), { name: 'gy', shape: [2, 13, 5, 7], data: randn([2, 13, 5, 7], 22) }];
    const want = cpuEval((g, [x, , gy]) => g.apply('conv2d_grad_weight', [x!, gy!], { stride: c.stride, pad: c.pad, kernel: c.k }), inputs);
    for (const tiling of [{ threadsM: 8, threadsN: 8, regM: 16, regN: 16, tileK: 8 }, { ...fittedCandidates(96, 96)[2]!.tiling, tileK: 8 }]) {
      const kernel = conv2dGradWeightKernel(geo, tiling, 1);
      const { out, tail } = await runRawKernel(kernel, [inputs[0]!.data as Float32Array, inputs[2]!.data as Float32Array], want.length, 16, -12345);
      expectClose(out, want, { rtol: 1e-4, atol: 1e-4 }, `grad weight, ${tiling.threadsM}x${tiling.threadsN} threads`);
      expect([...tail].every((v) => v === -12345)).toBe(true);
    }
  });

  it('conv2d asks for a split weight gradient when the unsplit one would occupy one workgroup', () => {
    const layer1 = { N: 128, C: 1, H: 28, W: 28, O: 16, kh: 3, kw: 3, sh: 1, sw: 1, ph: 1, pw: 1, OH: 28, OW: 28 };
    expect(gradWeightSplits(layer1)).toBeGreaterThan(1);
    expect(gradWeightSplits({ ...layer1, N: 1, H: 4, W: 4, OH: 4, OW: 4 })).toBe(1);
    const g = new Graph(OPS);
    const x = g.input('x', [128, 1, 28, 28]);
    const y = x.conv2d(g.input('w', [16, 1, 3, 3]), { pad: 1 });
    const before = g.nodes.length;
    getOpGrad(y);
    expect(g.nodes.slice(before).some((n) => n.op === 'conv2d_grad_weight' && (n.attrs['splits'] as number) > 1)).toBe(true);
  });

  it('grad input of thin layers (C <= 4, stride 1) uses the pixel-strip kernel; GPU vs CPU on both kernels', async () => {
    const thin = { N: 2, C: 1, H: 7, W: 6, O: 5, kh: 3, kw: 3, sh: 1, sw: 1, ph: 1, pw: 1, OH: 7, OW: 6 };
    expect(conv2dGradInputThinKernel(thin)).not.toBeNull();
    expect(conv2dGradInputThinKernel({ ...thin, C: 5 })).toBeNull();
    expect(conv2dGradInputThinKernel({ ...thin, sh: 2, OH: 4 })).toBeNull();
    // Thin: 1 and 3 channels, odd widths (partial strips), a wide kernel with pad 0 and 2.
    const cases: Case[] = [
      { x: [2, 1, 7, 6], o: 5, k: [3, 3], stride: [1, 1], pad: [1, 1] },
      { x: [1, 3, 5, 9], o: 4, k: [2, 5], stride: [1, 1], pad: [0, 2] },
      { x: [2, 6, 5, 5], o: 3, k: [3, 3], stride: [1, 1], pad: [1, 1] }, // 6 channels: GEMM path
    ];
    for (const c of cases) {
      const [N, , H, W] = c.x;
      const OH = H + 2 * c.pad[0] - c.k[0] + 1;
      const OW = W + 2 * c.pad[1] - c.k[1] + 1;
      const inputs = [...inputsOf(c, 19), { name: 'gy', shape: [N, c.o, OH, OW], data: randn([N, c.o, OH, OW], 20) }];
      await checkForward((g, [, w, gy]) => g.apply('conv2d_grad_input', [gy!, w!], { stride: c.stride, pad: c.pad, inputShape: [...c.x] }), inputs, { rtol: 1e-4, atol: 1e-4 });
    }
  });

  it('grad input of thin layers with filter taps broadcast across 8-lane subgroups: bit for bit the staged kernel, every element written', async () => {
    const rt = await sharedTestRuntime();
    const variant = conv2dGradInputThinKernel({ N: 1, C: 3, H: 4, W: 4, O: 2, kh: 3, kw: 3, sh: 1, sw: 1, ph: 1, pw: 1, OH: 4, OW: 4 }, undefined, { subgroupSize: 8 })!;
    expect(variant.code).toContain('subgroupBroadcast(');
    expect(variant.code).not.toContain('workgroupBarrier');
    if (!broadcastsBySubgroup(rt.ctx.target)) return; // the device cannot run it; the op generates the staged kernel there
    // 9 taps (a second register on lane 0 only), 10 taps of a 2x5 kernel; partial strips; more
    // threads than pixels in the last workgroup.
    const cases: Case[] = [
      { x: [2, 1, 7, 6], o: 5, k: [3, 3], stride: [1, 1], pad: [1, 1] },
      { x: [1, 3, 5, 9], o: 4, k: [2, 5], stride: [1, 1], pad: [0, 2] },
      { x: [3, 4, 6, 10], o: 7, k: [3, 3], stride: [1, 1], pad: [0, 0] },
    ];
    for (const c of cases) {
      const [N, C, H, W] = c.x;
      const OH = H + 2 * c.pad[0] - c.k[0] + 1;
      const OW = W + 2 * c.pad[1] - c.k[1] + 1;
      const geo = { N, C, H, W, O: c.o, kh: c.k[0], kw: c.k[1], sh: 1, sw: 1, ph: c.pad[0], pw: c.pad[1], OH, OW };
      const w = randn([c.o, C, ...c.k], 21);
      const gy = randn([N, c.o, OH, OW], 22);
      const want = cpuEval((g, [gyT, wT]) => g.apply('conv2d_grad_input', [gyT!, wT!], { stride: c.stride, pad: c.pad, inputShape: [...c.x] }), [
        { name: 'gy', shape: [N, c.o, OH, OW], data: gy },
        { name: 'w', shape: [c.o, C, ...c.k], data: w },
      ]);
      const got = await runRawKernel(conv2dGradInputThinKernel(geo, undefined, { subgroupSize: 8 })!, [gy, w], want.length, 8, -12345);
      const staged = await runRawKernel(conv2dGradInputThinKernel(geo)!, [gy, w], want.length, 8, -12345);
      expectClose(got.out, want, { rtol: 1e-4, atol: 1e-4 }, `thin grad input x[${c.x}] k${c.k}`);
      expect(Array.from(got.out)).toEqual(Array.from(staged.out));
      expect(Array.from(got.tail)).toEqual(new Array(8).fill(-12345));
    }
  });
});
