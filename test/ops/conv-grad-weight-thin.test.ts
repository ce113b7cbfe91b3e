/**
 * The weight gradient of thin layers (<= 4 input channels, stride 1) without a GEMM
 * (codegen/wgsl/conv-grad-weight-thin.ts): against the CPU reference for 1 to 4 channels, square
 * and oblong kernels with and without padding, rows that are not a multiple of the 4-pixel strip,
 * filter counts that are not a multiple of 4 (or of 8, with 8 filters a thread), and even, uneven and one-image splits. 4 channels x 5x5 (100 taps) goes to the GEMM instead. Every output
 * element must be written: the output starts filled with a sentinel and has a guard tail.
 */
import { describe, it, expect } from 'vitest';
import { cpuEval, expectClose, randn, type InputSpec } from '../helpers/op-harness.js';
import { runRawKernel } from '../helpers/raw-kernel.js';
import { Graph, isLeaf } from '../../src/ir/graph.js';
import { OPS } from '../../src/ops/registry.js';
import { convGeometry } from '../../src/ops/conv.js';
import { conv2dGradWeightThinKernel, thinGradWeightApplies, thinGradWeightFilters } from '../../codegen/wgsl/conv-grad-weight-thin.js';
import { gradWeightSplits } from '../../codegen/wgsl/conv.js';

interface Layer {
  x: [number, number, number, number];
  o: number;
  k: [number, number];
  pad: [number, number];
  splits: number[];
  /** Filters per thread, where not the kernel's own choice (4 on these small layers). */
  filters?: 4 | 8;
}

const LAYERS: Layer[] = [
  { x: [2, 3, 8, 8], o: 8, k: [3, 3], pad: [1, 1], splits: [1, 2] }, // an RGB first layer
  { x: [5, 1, 7, 9], o: 6, k: [3, 3], pad: [1, 1], splits: [2, 3, 5] }, // ragged strips, 6 filters, uneven splits
  { x: [3, 2, 6, 5], o: 5, k: [5, 5], pad: [2, 2], splits: [3] }, // 50 taps
  { x: [2, 2, 5, 6], o: 4, k: [3, 2], pad: [1, 0], splits: [1] },
  { x: [1, 3, 4, 4], o: 3, k: [2, 2], pad: [0, 0], splits: [1] }, // unpadded: 3x3 output
  // 8 filters a thread (what layers of 2-4 channels take at a training batch): an RGB layer in 2
  // splits, and 13 filters (a block of 8 and one of 5) over 4 channels.
  { x: [2, 3, 8, 8], o: 8, k: [3, 3], pad: [1, 1], splits: [2], filters: 8 },
  { x: [2, 4, 6, 7], o: 13, k: [3, 3], pad: [1, 1], splits: [1], filters: 8 },
];

const SENTINEL = -12345;
const label = (l: Layer) => `x[${l.x}] o${l.o} k${l.k} p${l.pad}${l.filters ? `, ${l.filters} filters a thread` : ''}`;

describe('thin-layer weight gradient', { timeout: 300_000 }, () => {
  it('is what conv2d_grad_weight runs for thin stride-1 layers, and only those', () => {
    const g = new Graph(OPS);
    const dw = g.apply('conv2d_grad_weight', [g.input('x', [2, 3, 8, 8]), g.input('gy', [2, 8, 8, 8])], { stride: 1, pad: 1, kernel: [3, 3] });
    const node = g.node(dw.id);
    if (isLeaf(node)) throw new Error('not an op');
    expect(g.op(node).kernel!({ node, inputs: node.inputs.map((i) => g.node(i)) }).code).toMatch(/^\/\/ conv2d grad weight, thin layer/);
    const geo = (C: number, s: number) => convGeometry('conv2d', [8, C, 16, 16], [16, C, 3, 3], { stride: s, pad: 1 });
    expect(thinGradWeightApplies(geo(4, 1))).toBe(true);
    expect(thinGradWeightApplies(geo(5, 1))).toBe(false);
    expect(thinGradWeightApplies(geo(3, 2))).toBe(false);
    expect(thinGradWeightApplies(convGeometry('conv2d', [8, 4, 16, 16], [16, 4, 5, 5], { stride: 1, pad: 2 }))).toBe(false);
    // 16 workgroups (4 filters and a split each) for both cores: 16 filters in 4 splits, 64 in 1.
    expect(gradWeightSplits(geo(3, 1))).toBe(4);
    expect(gradWeightSplits(convGeometry('conv2d', [8, 3, 16, 16], [64, 3, 3, 3], { stride: 1, pad: 1 }))).toBe(1);
    // 8 filters a thread on layers of 2-4 channels at a training batch; a one-channel layer, and a
    // test's few images, keep 4.
    const resnetFirst = convGeometry('conv2d', [8, 3, 32, 32], [64, 3, 3, 3], { stride: 1, pad: 1 });
    expect(thinGradWeightFilters(resnetFirst)).toBe(8);
    expect(conv2dGradWeightThinKernel(resnetFirst).code).toMatch(/8 filters x 27 taps per thread/);
    expect(thinGradWeightFilters(convGeometry('conv2d', [128, 1, 28, 28], [16, 1, 3, 3], { stride: 1, pad: 1 }))).toBe(4);
    expect(thinGradWeightFilters(geo(3, 1))).toBe(4);
    expect(() => conv2dGradWeightThinKernel(resnetFirst, 1, undefined, 6)).toThrow(/4 or 8/);
  });

  for (const l of LAYERS) {
    it(`GPU vs CPU reference, every element written: ${label(l)}`, async () => {
      const geo = convGeometry('conv2d', l.x, [l.o, l.x[1], ...l.k], { stride: 1, pad: l.pad });
      const gyShape = [geo.N, geo.O, geo.OH, geo.OW];
      const inputs: InputSpec[] = [
        { name: 'x', shape: [...l.x], data: randn([...l.x], 41) },
        { name: 'gy', shape: gyShape, data: randn(gyShape, 42) },
      ];
      for (const splits of l.splits) {
        const want = cpuEval((g, [x, gy]) => g.apply('conv2d_grad_weight', [x!, gy!], { stride: 1, pad: l.pad, kernel: l.k, ...(splits > 1 ? { splits } : {}) }), inputs);
        const got = await runRawKernel(conv2dGradWeightThinKernel(geo, splits, undefined, l.filters), inputs.map((i) => i.data as Float32Array), want.length, 8, SENTINEL);
        expect(Array.from(got.out).filter((v) => v === SENTINEL)).toEqual([]);
        expectClose(got.out, want, { rtol: 1e-4, atol: 1e-4 }, `${label(l)}, ${splits} split(s)`);
        expect(Array.from(got.tail)).toEqual(new Array(8).fill(SENTINEL));
      }
    });
  }
});
