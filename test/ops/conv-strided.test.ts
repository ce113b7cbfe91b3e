/**
 * The input gradient of a strided convolution by phases (conv2dGradInputStridedKernel in
 * codegen/wgsl/conv.ts; what the op runs for strided filters other than 3x3 at stride 2, which go
 * to the direct kernel, test/ops/conv-direct.test.ts): each phase of input pixels is a dense GEMM over its own taps. Checked
 * against the CPU reference on layers where phases differ in depth, where some phases get no tap
 * at all (1x1 and stride > kernel: their pixels must still be written, as zeros), with uneven
 * strides, pads and image sizes, and in both GEMM orientations (more channels than phase pixels
 * and fewer). Every output element must be written exactly where it belongs: the output buffer
 * starts filled with a sentinel and has a guard tail past its end. Strided 1x1 layers run instead
 * as one matmul whose stores also write the zeros between their values
 * (conv2dGradInputStridedPointwiseKernel), checked the same way.
 */
import { describe, it, expect } from 'vitest';
import { cpuEval, expectClose, randn, type InputSpec } from '../helpers/op-harness.js';
import { runRawKernel, type RawKernel } from '../helpers/raw-kernel.js';
import { Graph, isLeaf } from '../../src/ir/graph.js';
import { OPS } from '../../src/ops/registry.js';
import { convGeometry } from '../../src/ops/conv.js';
import { conv2dGradInputStridedKernel, conv2dGradInputStridedPointwiseKernel, conv2dForwardKernel, imagesPerBatch, type ConvGeometry } from '../../codegen/wgsl/conv.js';

interface Layer {
  x: [number, number, number, number];
  o: number;
  k: [number, number];
  stride: [number, number];
  pad: [number, number];
}

const LAYERS: Layer[] = [
  { x: [2, 3, 11, 13], o: 17, k: [3, 3], stride: [2, 2], pad: [1, 1] }, // ResNet's downsampling, odd image
  { x: [1, 40, 5, 5], o: 24, k: [3, 3], stride: [2, 2], pad: [1, 1] }, // more channels than phase pixels; depths 24..96 over several K-tiles
  { x: [2, 4, 7, 6], o: 5, k: [1, 1], stride: [2, 2], pad: [0, 0] }, // shortcut: three of four phases have no tap
  { x: [1, 5, 9, 8], o: 6, k: [3, 2], stride: [2, 1], pad: [1, 0] },
  { x: [1, 3, 10, 7], o: 4, k: [5, 5], stride: [3, 3], pad: [2, 2] },
  { x: [2, 6, 8, 8], o: 7, k: [2, 2], stride: [2, 2], pad: [0, 0] },
  { x: [1, 2, 3, 4], o: 3, k: [3, 3], stride: [4, 4], pad: [1, 1] }, // stride > kernel, image smaller than a stride
];

const label = (l: Layer) => `x[${l.x}] o${l.o} k${l.k} s${l.stride} p${l.pad}`;
const SENTINEL = -12345;

/**
 * The kernel `kernelFor` builds, against the CPU reference on layer `l` (gy and w from `seed`):
 * with all images on one pixel axis (the default for these sizes) and, with more than one image,
 * one per GEMM batch. No element may keep the sentinel, and the guard tail must.
 */
async function checkEveryElement(l: Layer, seed: number, kernelFor: (geo: ConvGeometry, per: number) => RawKernel): Promise<void> {
  const geo = convGeometry('conv2d', l.x, [l.o, l.x[1], ...l.k], { stride: l.stride, pad: l.pad });
  const gyShape = [geo.N, geo.O, geo.OH, geo.OW];
  const wShape = [l.o, l.x[1], ...l.k];
  const inputs: InputSpec[] = [
    { name: 'gy', shape: gyShape, data: randn(gyShape, seed) },
    { name: 'w', shape: wShape, data: randn(wShape, seed + 1, 0.5) },
  ];
  const want = cpuEval((g, [gy, w]) => g.apply('conv2d_grad_input', [gy!, w!], { stride: l.stride, pad: l.pad, inputShape: [...l.x] }), inputs);
  for (const per of geo.N > 1 ? [geo.N, 1] : [1]) {
    const got = await runRawKernel(kernelFor(geo, per), inputs.map((i) => i.data as Float32Array), want.length, 8, SENTINEL);
    expect(Array.from(got.out).filter((v) => v === SENTINEL)).toEqual([]);
    expectClose(got.out, want, { rtol: 1e-4, atol: 1e-4 }, `${label(l)}, ${per} image(s) per GEMM batch`);
    expect(Array.from(got.tail)).toEqual(new Array(8).fill(SENTINEL));
  }
}

describe('strided convolution input gradient by phases', { timeout: 300_000 }, () => {
  it('is what conv2d_grad_input runs for a strided layer other than 3x3 at stride 2 (those run the direct kernel)', () => {
    const chosen = (k: number, stride: number) => {
      const g = new Graph(OPS);
      const gy = g.input('gy', [2, 8, 4, 4]);
      const w = g.input('w', [8, 6, k, k]);
      const dx = g.apply('conv2d_grad_input', [gy, w], { stride, pad: Math.floor(k / 2), inputShape: [2, 6, 8, 8] });
      const node = g.node(dx.id);
      if (isLeaf(node)) throw new Error('not an op');
      return g.op(node).kernel!({ node, inputs: node.inputs.map((i) => g.node(i)) }).code;
    };
    expect(chosen(5, 2)).toMatch(/fn phaseOf/);
    expect(chosen(3, 2)).toMatch(/direct conv \(strided grad input\)/);
  });

  it('images share a GEMM axis in whole divisors of the batch, up to 65536 pixels', () => {
    expect(imagesPerBatch(128, 256)).toBe(128);
    expect(imagesPerBatch(128, 1024)).toBe(64);
    expect(imagesPerBatch(6, 16384)).toBe(3);
    expect(imagesPerBatch(7, 16384)).toBe(1);
    expect(imagesPerBatch(3, 100000)).toBe(1);
  });

  it('the strided forward GEMM with images split over GEMM batches matches the CPU reference', async () => {
    const l: Layer = { x: [4, 3, 9, 7], o: 5, k: [3, 3], stride: [2, 2], pad: [1, 1] };
    const inputs: InputSpec[] = [
      { name: 'x', shape: [...l.x], data: randn([...l.x], 5) },
      { name: 'w', shape: [l.o, l.x[1], ...l.k], data: randn([l.o, l.x[1], ...l.k], 6, 0.5) },
    ];
    const want = cpuEval((_g, [x, w]) => x!.conv2d(w!, { stride: l.stride, pad: l.pad }), inputs);
    const geo = convGeometry('conv2d', l.x, [l.o, l.x[1], ...l.k], { stride: l.stride, pad: l.pad });
    for (const per of [4, 2, 1]) {
      const got = await runRawKernel(conv2dForwardKernel(geo, undefined, undefined, per), inputs.map((i) => i.data as Float32Array), want.length, 8, SENTINEL);
      expectClose(got.out, want, { rtol: 1e-4, atol: 1e-4 }, `forward, ${per} image(s) per GEMM batch`);
      expect(Array.from(got.tail)).toEqual(new Array(8).fill(SENTINEL));
    }
  });

  for (const l of LAYERS) {
    it(`GPU vs CPU reference, every element written once: ${label(l)}`, () => checkEveryElement(l, 3, (geo, per) => conv2dGradInputStridedKernel(geo, undefined, undefined, per)));
  }
});

const POINTWISE: Layer[] = [
  { x: [2, 4, 7, 6], o: 5, k: [1, 1], stride: [2, 2], pad: [0, 0] }, // odd rows: the last block's lower zeros fall outside
  { x: [1, 40, 5, 5], o: 24, k: [1, 1], stride: [2, 2], pad: [0, 0] }, // more channels than pixels, K over several K-tiles
  { x: [3, 6, 8, 7], o: 9, k: [1, 1], stride: [3, 2], pad: [0, 0] },
  { x: [2, 3, 3, 4], o: 3, k: [1, 1], stride: [4, 4], pad: [0, 0] }, // image smaller than a stride
];

describe('strided 1x1 convolution input gradient', { timeout: 300_000 }, () => {
  it('is what conv2d_grad_input runs for a strided 1x1 layer', () => {
    const g = new Graph(OPS);
    const dx = g.apply('conv2d_grad_input', [g.input('gy', [2, 8, 4, 4]), g.input('w', [8, 6, 1, 1])], { stride: 2, pad: 0, inputShape: [2, 6, 8, 8] });
    const node = g.node(dx.id);
    if (isLeaf(node)) throw new Error('not an op');
    expect(g.op(node).kernel!({ node, inputs: node.inputs.map((i) => g.node(i)) }).code).toMatch(/^\/\/ gemm \(strided pointwise conv\)/);
  });

  for (const l of POINTWISE) {
    it(`GPU vs CPU reference, every element written once: ${label(l)}`, () => checkEveryElement(l, 7, (geo, per) => conv2dGradInputStridedPointwiseKernel(geo, undefined, undefined, per)));
  }
});
