/**
 * The convolutions' implicit GEMMs with A broadcast across 8-lane subgroups (gemm.ts
 * subgroupReadsA; the path the runtime takes on lavapipe for tiles of the 16x16 block 128 wide):
 * A a gather with hoisted rows (forward, strided input gradient by phases, weight gradient), and
 * a matrix read as vec4 along periodic rows (a pointwise weight gradient over per-image matrices).
 * Pinned to that tiling on small ragged layers, each must match the CPU reference and be bit for
 * bit the staged kernel (same products in the same order), writing nothing past its output.
 */
import { describe, it, expect } from 'vitest';
import { cpuEval, expectClose, randn, type Builder, type InputSpec } from '../helpers/op-harness.js';
import { runRawKernel, type RawKernel } from '../helpers/raw-kernel.js';
import { sharedTestRuntime } from '../helpers/gpu.js';
import { convGeometry } from '../../src/ops/conv.js';
import { conv2dForwardKernel, conv2dGradInputStridedKernel, conv2dGradInputStridedPointwiseKernel, conv2dGradWeightKernel, type ConvGeometry } from '../../codegen/wgsl/conv.js';
import { broadcastsBySubgroup } from '../../codegen/wgsl/subgroups.js';
import type { KernelTarget } from '../../src/ir/op.js';

const TILING = { threadsM: 8, threadsN: 8, regM: 16, regN: 16, tileK: 8 };
const SG: KernelTarget = { subgroupSize: 8 };
const SENTINEL = -12345;

interface Case {
  name: string;
  x: [number, number, number, number];
  w: [number, number, number, number];
  stride: number;
  pad: number;
  pass: 'forward' | 'grad input' | 'grad weight';
  kernel: (g: ConvGeometry, target?: KernelTarget) => RawKernel;
  /** Partial sums over this many image splits (weight gradients). */
  splits?: number;
  /** A substring the broadcast kernel's code must hold: which way A is read. */
  reads: string;
}

const CASES: Case[] = [
  { name: 'forward, stride 2, images on one axis', x: [2, 5, 11, 13], w: [6, 5, 3, 3], stride: 2, pad: 1, pass: 'forward', kernel: (g, t) => conv2dForwardKernel(g, TILING, undefined, undefined, t), reads: 'loadA(batch, sgA0' },
  { name: 'input gradient by phases', x: [1, 40, 5, 5], w: [24, 40, 3, 3], stride: 2, pad: 1, pass: 'grad input', kernel: (g, t) => conv2dGradInputStridedKernel(g, TILING, undefined, undefined, t), reads: 'loadA(batch, sgA0' },
  { name: 'strided 1x1 input gradient', x: [2, 4, 7, 6], w: [5, 4, 1, 1], stride: 2, pad: 0, pass: 'grad input', kernel: (g, t) => conv2dGradInputStridedPointwiseKernel(g, TILING, undefined, undefined, t), reads: 'subgroupBroadcast(' },
  { name: 'weight gradient, 2 splits', x: [3, 6, 9, 9], w: [20, 6, 3, 3], stride: 1, pad: 1, pass: 'grad weight', splits: 2, kernel: (g, t) => conv2dGradWeightKernel(g, TILING, 2, undefined, t), reads: 'loadA(batch, sgA0' },
  { name: 'pointwise weight gradient over per-image matrices', x: [2, 8, 6, 6], w: [20, 8, 1, 1], stride: 1, pad: 0, pass: 'grad weight', splits: 2, kernel: (g, t) => conv2dGradWeightKernel(g, TILING, 2, undefined, t), reads: 'subgroupBroadcast(sa0l' },
];

function reference(c: Case, geo: ConvGeometry): { inputs: Float32Array[]; want: Float32Array } {
  const xData = randn([...c.x], 31);
  const wData = randn([...c.w], 32, 0.5);
  const gyShape = [geo.N, geo.O, geo.OH, geo.OW];
  const gyData = randn(gyShape, 33);
  const attrs = { stride: c.stride, pad: c.pad };
  const spec = (name: string, shape: number[], data: Float32Array): InputSpec => ({ name, shape, data });
  if (c.pass === 'forward') {
    const build: Builder = (_g, [x, w]) => x!.conv2d(w!, attrs);
    return { inputs: [xData, wData], want: cpuEval(build, [spec('x', [...c.x], xData), spec('w', [...c.w], wData)]) as Float32Array };
  }
  if (c.pass === 'grad input') {
    const build: Builder = (g, [gy, w]) => g.apply('conv2d_grad_input', [gy!, w!], { ...attrs, inputShape: [...c.x] });
    return { inputs: [gyData, wData], want: cpuEval(build, [spec('gy', gyShape, gyData), spec('w', [...c.w], wData)]) as Float32Array };
  }
  const build: Builder = (g, [x, gy]) => g.apply('conv2d_grad_weight', [x!, gy!], { ...attrs, kernel: [c.w[2], c.w[3]] });
  return { inputs: [xData, gyData], want: cpuEval(build, [spec('x', [...c.x], xData), spec('gy', gyShape, gyData)]) as Float32Array };
}

describe('convolution GEMMs with A broadcast across 8-lane subgroups', async () => {
  const rt = await sharedTestRuntime();
  const lanes8 = broadcastsBySubgroup(rt.ctx.target);
  // Each case compiles two 16x16-block kernels (4-6 s cold): `npm test` runs the hoisted gather of
  // the forward, the phases' depth-limited gather and the periodic matrix rows; `npm run test:slow` all.
  const run = process.env['MATC_SLOW'] ? CASES : [CASES[0]!, CASES[1]!, CASES[4]!];
  for (const c of run) {
    it.runIf(lanes8)(`${c.name}: against the CPU reference, and bit for bit the staged kernel`, async () => {
      const geo = convGeometry('conv2d', c.x, c.w, { stride: c.stride, pad: c.pad });
      const { inputs, want } = reference(c, geo);
      const broadcast = c.kernel(geo, SG);
      expect(broadcast.code).toContain('subgroupBroadcast(');
      expect(broadcast.code).toContain(c.reads);
      expect(c.kernel(geo).code).not.toContain('subgroup');
      const length = want.length * (c.splits ?? 1);
      const got = await runRawKernel(broadcast, inputs, length, 8, SENTINEL);
      const staged = await runRawKernel(c.kernel(geo), inputs, length, 8, SENTINEL);
      expect(Array.from(got.out)).toEqual(Array.from(staged.out));
      expect(Array.from(got.tail)).toEqual(new Array(8).fill(SENTINEL));
      // A weight gradient's splits are partial sums over images: add them up.
      const total = new Float32Array(want.length);
      for (let s = 0; s < (c.splits ?? 1); s++) for (let i = 0; i < want.length; i++) total[i]! += got.out[s * want.length + i]!;
      expectClose(total, want, { rtol: 1e-4, atol: 1e-4 }, c.name);
    });
  }
});
