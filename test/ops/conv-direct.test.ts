/**
 * The direct stride-1 3x3 convolution kernel (codegen/wgsl/conv-direct.ts): chosen by shape
 * for conv2d and conv2d_grad_input (and for narrow pointwise input gradients), checked against the CPU reference and finite differences
 * on sizes that are not multiples of its tiles, and run with explicit tilings directly on the
 * device so that every tail (rows, columns, channel blocks, staged channel chunks) is hit.
 */
import { describe, it, expect } from 'vitest';
import { checkForward, checkGradients, cpuEval, expectClose, randn, type Builder, type InputSpec } from '../helpers/op-harness.js';
import { runRawKernel } from '../helpers/raw-kernel.js';
import { sharedTestRuntime } from '../helpers/gpu.js';
import { broadcastsBySubgroup } from '../../codegen/wgsl/subgroups.js';
import { Graph, isLeaf } from '../../src/ir/graph.js';
import { OPS } from '../../src/ops/registry.js';
import type { Tensor } from '../../src/ir/tensor.js';
import type { ConvGeometry } from '../../codegen/wgsl/conv.js';
import { conv2dForwardDirectKernel, conv2dGradInputDirectKernel, directConvApplies, directForwardApplies, directPointwiseGradInputApplies, directStridedGradInputApplies, stripWidth, type DirectTiling } from '../../codegen/wgsl/conv-direct.js';
import { conv2dForwardKernel } from '../../codegen/wgsl/conv.js';
import { convGeometry } from '../../src/ops/conv.js';

type Shape4 = [number, number, number, number];

interface Layer {
  x: Shape4;
  o: number;
  pad: number;
}

const geometry = ({ x: [N, C, H, W], o, pad }: Layer): ConvGeometry => ({
  N, C, H, W, O: o, kh: 3, kw: 3, sh: 1, sw: 1, ph: pad, pw: pad, OH: H + 2 * pad - 2, OW: W + 2 * pad - 2,
});

const forward = (l: Layer): Builder => (_g, [x, w]) => x!.conv2d(w!, { pad: l.pad });
const gradInput = (l: Layer): Builder => (g, [gy, w]) => g.apply('conv2d_grad_input', [gy!, w!], { stride: 1, pad: l.pad, inputShape: [...l.x] });

function forwardInputs(l: Layer, seed: number): InputSpec[] {
  return [
    { name: 'x', shape: [...l.x], data: randn([...l.x], seed) },
    { name: 'w', shape: [l.o, l.x[1], 3, 3], data: randn([l.o, l.x[1], 3, 3], seed + 1, 0.5) },
  ];
}

function gradInputs(l: Layer, seed: number): InputSpec[] {
  const g = geometry(l);
  const gy: Shape4 = [g.N, g.O, g.OH, g.OW];
  return [
    { name: 'gy', shape: gy, data: randn(gy, seed) },
    { name: 'w', shape: [l.o, l.x[1], 3, 3], data: randn([l.o, l.x[1], 3, 3], seed + 1, 0.5) },
  ];
}

/** The WGSL the op would run for this graph's output node. */
function chosenKernel(build: Builder, inputs: InputSpec[]): string {
  const g = new Graph(OPS);
  const ts = inputs.map((i) => g.input(i.name, i.shape));
  const out: Tensor = build(g, ts);
  const node = g.node(out.id);
  if (isLeaf(node)) throw new Error(`built a ${node.op}, not an op`);
  return g.op(node).kernel!({ node, inputs: node.inputs.map((i) => g.node(i)) }).code;
}

const label = (l: Layer) => `x[${l.x}] o${l.o} pad ${l.pad}`;

// Odd sizes: H, W not multiples of the strip, C and O not multiples of 4, batch 1 and 3, pad 0 and 2.
const LAYERS: Layer[] = [
  { x: [1, 5, 7, 9], o: 6, pad: 1 },
  { x: [3, 6, 11, 13], o: 7, pad: 1 },
  { x: [3, 7, 6, 5], o: 5, pad: 0 },
  { x: [1, 5, 4, 6], o: 9, pad: 2 },
  { x: [1, 16, 14, 14], o: 32, pad: 1 },
];

describe('direct 3x3 stride-1 convolution kernel', { timeout: 900_000 }, () => {
  it('is chosen by shape: 3x3 stride 1 only; thin input gradients keep the pixel-strip kernel', () => {
    const l = LAYERS[0]!;
    expect(directConvApplies(geometry(l))).toBe(true);
    expect(directConvApplies({ ...geometry(l), sh: 2, sw: 2 })).toBe(false);
    expect(directConvApplies({ ...geometry(l), kh: 5, kw: 5 })).toBe(false);
    expect(directConvApplies({ ...geometry(l), C: 512, O: 512 })).toBe(true); // ResNet's widths too
    expect(chosenKernel(forward(l), forwardInputs(l, 1))).toMatch(/direct conv \(forward\)/);
    expect(chosenKernel(gradInput(l), gradInputs(l, 1))).toMatch(/direct conv \(grad input\)/);
    const thin: Layer = { x: [2, 3, 7, 9], o: 6, pad: 1 };
    expect(chosenKernel(gradInput(thin), gradInputs(thin, 1))).toMatch(/thin layer/);
    // Small problems take the block that compiles in half a second; the reference CNN's 16->32
    // layer at a training batch takes the measured 2 rows x 7 pixels x 16 channels.
    expect(chosenKernel(forward(l), forwardInputs(l, 1))).toMatch(/1 row\(s\) x 5 pixels x 4 channels per thread/);
    const big: Layer = { x: [64, 16, 14, 14], o: 32, pad: 1 };
    expect(chosenKernel(forward(big), forwardInputs(big, 1))).toMatch(/2 row\(s\) x 7 pixels x 16 channels per thread/);
    // An RGB first layer: 4 rows of 8 channels.
    const rgb: Layer = { x: [8, 3, 32, 32], o: 64, pad: 1 };
    expect(chosenKernel(forward(rgb), forwardInputs(rgb, 1))).toMatch(/4 row\(s\) x 8 pixels x 8 channels per thread/);
    // A 4-pixel-wide image (ResNet's last stage) takes 4 rows, in workgroups no wider than its items.
    const last: Layer = { x: [8, 128, 4, 4], o: 128, pad: 1 };
    const lastKernel = chosenKernel(forward(last), forwardInputs(last, 1));
    expect(lastKernel).toMatch(/4 row\(s\) x 4 pixels x 16 channels per thread/);
    expect(lastKernel).toMatch(/@workgroup_size\(8\)/);
    expect(stripWidth(14)).toBe(7);
    expect(stripWidth(28)).toBe(7);
    expect(stripWidth(3)).toBe(3);
  });

  for (const l of LAYERS) {
    it(`forward and input gradient, GPU vs CPU reference: ${label(l)}`, async () => {
      await checkForward(forward(l), forwardInputs(l, 3), { rtol: 1e-4, atol: 1e-4 });
      await checkForward(gradInput(l), gradInputs(l, 5), { rtol: 1e-4, atol: 1e-4 });
    });
  }

  it('a pointwise input gradient with fewer than 64 channels runs the direct kernel, one row per thread; GPU vs CPU, ragged tiles', async () => {
    // 20 filters (input channels of the sweep) over two staged chunks of 16, 6 channels (a tail
    // of the 16-channel block), 9-pixel rows (a tail of the strip), batch 2.
    const x: Shape4 = [2, 6, 5, 9];
    const gyShape: Shape4 = [2, 20, 5, 9];
    const inputs: InputSpec[] = [
      { name: 'gy', shape: gyShape, data: randn(gyShape, 23) },
      { name: 'w', shape: [20, 6, 1, 1], data: randn([20, 6, 1, 1], 24, 0.5) },
    ];
    const build: Builder = (g, [gy, w]) => g.apply('conv2d_grad_input', [gy!, w!], { stride: 1, pad: 0, inputShape: [...x] });
    expect(chosenKernel(build, inputs)).toMatch(/direct conv \(grad input\)/);
    const want = cpuEval(build, inputs);
    const geo: ConvGeometry = { N: 2, C: 6, H: 5, W: 9, O: 20, kh: 1, kw: 1, sh: 1, sw: 1, ph: 0, pw: 0, OH: 5, OW: 9 };
    expect(directPointwiseGradInputApplies(geo)).toBe(true);
    expect(directPointwiseGradInputApplies({ ...geo, C: 64 })).toBe(false);
    for (const t of [undefined, { rows: 1, pixels: 8, channels: 16 }]) {
      const got = await runRawKernel(conv2dGradInputDirectKernel(geo, undefined, t), inputs.map((i) => i.data as Float32Array), want.length, 8, -12345);
      expectClose(got.out, want, { rtol: 1e-4, atol: 1e-4 }, `pointwise grad input, tiling ${JSON.stringify(t)}`);
      expect(Array.from(got.tail)).toEqual(new Array(8).fill(-12345));
    }
  });

  it('finite differences through conv2d on the direct path (5 channels: not the thin kernel)', async () => {
    const l: Layer = { x: [1, 5, 4, 5], o: 3, pad: 1 };
    await checkGradients(forward(l), forwardInputs(l, 7));
  });

  it('every tiling tail: 1, 2 and 4 rows per thread, 4 to 16 channels, staged input channels in several chunks', async () => {
    // Each tiling runs on one of two ragged layers (forward and input gradient): every tiling
    // leaves a tail on its axes (rows: 7 and 5 output rows, 1, 2 and 4 per thread; pixels: 9 and 11 columns; channels: 6
    // and 19 outputs, 23 and 5 inputs), and 23 input channels with 16-channel blocks stage 21
    // channels at a time (a chunk of 2 follows). Each kernel is a separate lavapipe compile of
    // 0.5-12 s, so the pairs are chosen to hit every tail once rather than every tiling twice.
    const ragged23: Layer = { x: [3, 23, 7, 9], o: 6, pad: 1 };
    const ragged19: Layer = { x: [1, 5, 5, 11], o: 19, pad: 1 };
    const runs: [Layer, DirectTiling][] = [
      [ragged23, { rows: 1, pixels: 4, channels: 4 }],
      [ragged23, { rows: 2, pixels: 5, channels: 16 }],
      [ragged19, { rows: 2, pixels: 7, channels: 8 }],
      [ragged19, { rows: 1, pixels: 8, channels: 16 }],
      [ragged23, { rows: 4, pixels: 4, channels: 8 }],
    ];
    // `npm run test:slow` runs every tiling on both layers, and the trained CNN's 2x7x16 block.
    if (process.env['MATC_SLOW']) {
      const tilings = [...runs.map(([, t]) => t), { rows: 2, pixels: 7, channels: 16 }];
      runs.splice(0, runs.length, ...[ragged23, ragged19].flatMap((l) => tilings.map((t): [Layer, DirectTiling] => [l, t])));
    }
    for (const [l, t] of runs) {
      const g = geometry(l);
      const fIn = forwardInputs(l, 11);
      const gIn = gradInputs(l, 13);
      const y = cpuEval(forward(l), fIn);
      const dx = cpuEval(gradInput(l), gIn);
      const what = `${label(l)} tiling ${t.rows}x${t.pixels}x${t.channels}`;
      const gotY = (await runRawKernel(conv2dForwardDirectKernel(g, undefined, t), fIn.map((i) => i.data as Float32Array), y.length)).out;
      expectClose(gotY, y, { rtol: 1e-4, atol: 1e-4 }, `forward ${what}`);
      const gotDx = (await runRawKernel(conv2dGradInputDirectKernel(g, undefined, t), gIn.map((i) => i.data as Float32Array), dx.length)).out;
      expectClose(gotDx, dx, { rtol: 1e-4, atol: 1e-4 }, `grad input ${what}`);
    }
  });
});

describe('direct kernel with filter taps broadcast across 8-lane subgroups', async () => {
  // On devices with 8-lane subgroups (lavapipe) the runtime generates this variant, so the op-level
  // tests above run it there; these pin it against the staged kernel, tail by tail.
  const rt = await sharedTestRuntime();
  const lanes8 = broadcastsBySubgroup(rt.ctx.target);
  const SG = { subgroupSize: 8 };
  const runs: [Layer, DirectTiling | undefined][] = [
    [{ x: [3, 23, 7, 9], o: 6, pad: 1 }, { rows: 2, pixels: 5, channels: 16 }], // 6 of 16 channels: lanes past the filters load nothing
    [{ x: [1, 5, 5, 11], o: 19, pad: 1 }, { rows: 4, pixels: 4, channels: 8 }], // 18 tap vec4s: the third register half used
    [{ x: [2, 3, 6, 7], o: 5, pad: 0 }, { rows: 1, pixels: 4, channels: 4 }], // 9 tap vec4s: one lane's second register
    [{ x: [1, 4, 4, 4], o: 16, pad: 2 }, undefined], // the op's own choice, a small problem
  ];
  for (const [l, t] of runs) {
    it.runIf(lanes8)(`${label(l)} tiling ${t ? `${t.rows}x${t.pixels}x${t.channels}` : 'chosen'}: forward and input gradient against the CPU reference, and bit for bit the staged kernel`, async () => {
      const g = geometry(l);
      const fIn = forwardInputs(l, 17).map((i) => i.data as Float32Array);
      const gIn = gradInputs(l, 19).map((i) => i.data as Float32Array);
      const y = cpuEval(forward(l), forwardInputs(l, 17));
      const dx = cpuEval(gradInput(l), gradInputs(l, 19));
      for (const [what, make, inputs, want] of [
        ['forward', (target?: typeof SG) => conv2dForwardDirectKernel(g, undefined, t, target), fIn, y],
        ['grad input', (target?: typeof SG) => conv2dGradInputDirectKernel(g, undefined, t, target), gIn, dx],
      ] as const) {
        const broadcast = make(SG);
        expect(broadcast.code).toContain('subgroupBroadcast(');
        expect(broadcast.code).not.toContain('workgroupBarrier');
        const got = await runRawKernel(broadcast, [...inputs], want.length, 8, -12345);
        const staged = await runRawKernel(make(), [...inputs], want.length, 8, -12345);
        expectClose(got.out, want, { rtol: 1e-4, atol: 1e-4 }, `${what} ${label(l)}`);
        expect(Array.from(got.out)).toEqual(Array.from(staged.out));
        expect(Array.from(got.tail)).toEqual(new Array(8).fill(-12345));
      }
    });
  }

  it('is what the op generates exactly when the device has 8-lane subgroups, and only then', () => {
    const l: Layer = { x: [2, 8, 6, 6], o: 8, pad: 1 };
    const g = geometry(l);
    expect(conv2dForwardDirectKernel(g, undefined, undefined, SG).code).toContain('enable subgroups;');
    expect(conv2dForwardDirectKernel(g, undefined, undefined, { subgroupSize: 32 }).code).not.toContain('subgroup');
    expect(conv2dForwardDirectKernel(g).code).not.toContain('subgroup');
    const gr = new Graph(OPS);
    const out = gr.input('x', [...l.x]).conv2d(gr.input('w', [8, 8, 3, 3]), { pad: 1 });
    const node = gr.node(out.id);
    if (isLeaf(node)) throw new Error('not an op');
    const code = gr.op(node).kernel!({ node, inputs: node.inputs.map((i) => gr.node(i)), target: rt.ctx.target }).code;
    expect(code.includes('subgroupBroadcast(')).toBe(lanes8);
  });
});

describe('direct kernel, stride-2 forward', async () => {
  // ResNet's and WRN's downsampling 3x3 layers: each thread's windows 2 apart, 2*(P-1)+3 input
  // columns and 2*(R-1)+3 input rows a block. Against the CPU reference, and bit for bit the
  // implicit GEMM it replaces (the same products in the same order), every tiling tail.
  const rt = await sharedTestRuntime();
  const cases: { x: Shape4; o: number; t?: DirectTiling }[] = [
    { x: [2, 5, 11, 13], o: 6 }, // 6x7 output: ragged strips and rows; the op's own (small) block
    { x: [1, 7, 8, 9], o: 19, t: { rows: 2, pixels: 3, channels: 16 } }, // 4x5 output, 19 filters: a channel tail
    { x: [3, 4, 9, 10], o: 8, t: { rows: 4, pixels: 4, channels: 8 } }, // 5 output rows: a row tail; pad 1, odd height
  ];
  it('is chosen for 3x3 layers of stride 1 or 2 (the same along both axes), and only those', () => {
    const g = (stride: number, k = 3) => convGeometry('conv2d', [2, 8, 9, 9], [8, 8, k, k], { stride, pad: 1 });
    expect(directForwardApplies(g(2))).toBe(true);
    expect(directForwardApplies(g(1))).toBe(true);
    expect(directForwardApplies(g(3))).toBe(false);
    expect(directForwardApplies(g(2, 5))).toBe(false);
    expect(directForwardApplies(convGeometry('conv2d', [2, 8, 9, 9], [8, 8, 3, 3], { stride: [2, 1], pad: 1 }))).toBe(false);
    expect(directConvApplies(g(2))).toBe(false); // a strided input gradient: directStridedGradInputApplies
    const l = cases[0]!;
    const build: Builder = (_g, [x, w]) => x!.conv2d(w!, { stride: 2, pad: 1 });
    expect(chosenKernel(build, [{ name: 'x', shape: [...l.x], data: randn([...l.x], 1) }, { name: 'w', shape: [l.o, l.x[1], 3, 3], data: randn([l.o, l.x[1], 3, 3], 2) }])).toMatch(/direct conv \(forward\)/);
  });
  for (const c of cases) {
    it(`x[${c.x}] o${c.o} tiling ${c.t ? `${c.t.rows}x${c.t.pixels}x${c.t.channels}` : 'chosen'}: GPU vs CPU, bit for bit the implicit GEMM, every element written`, async () => {
      const g = convGeometry('conv2d', c.x, [c.o, c.x[1], 3, 3], { stride: 2, pad: 1 });
      const inputs: InputSpec[] = [
        { name: 'x', shape: [...c.x], data: randn([...c.x], 41) },
        { name: 'w', shape: [c.o, c.x[1], 3, 3], data: randn([c.o, c.x[1], 3, 3], 42, 0.5) },
      ];
      const want = cpuEval((_g, [x, w]) => x!.conv2d(w!, { stride: 2, pad: 1 }), inputs);
      const data = inputs.map((i) => i.data as Float32Array);
      const gemm = await runRawKernel(conv2dForwardKernel(g), data, want.length, 8, -12345);
      for (const target of [undefined, rt.ctx.target]) {
        const got = await runRawKernel(conv2dForwardDirectKernel(g, undefined, c.t, target), data, want.length, 8, -12345);
        expectClose(got.out, want, { rtol: 1e-4, atol: 1e-4 }, `stride-2 forward x[${c.x}]`);
        expect(Array.from(got.out)).toEqual(Array.from(gemm.out));
        expect(Array.from(got.tail)).toEqual(new Array(8).fill(-12345));
      }
    });
  }
});

describe('direct kernel, strided input gradient (gy upsampled by the stride)', async () => {
  // ResNet's and WRN's downsampling 3x3 layers differentiate their input through this sweep. The
  // kernel is general (any stride, filter and padding); the cases below hit stride 2 with pads 0,
  // 1 and 2, odd image sizes (rows and columns that no window covers get 0), ragged blocks and a
  // channel tail, and a 5x5 filter at stride 3. Against the CPU reference, every element written,
  // and with subgroup broadcasts bit for bit the staged kernel.
  const rt = await sharedTestRuntime();
  const cases: { x: Shape4; o: number; k?: number; stride?: number; pad: number; t?: DirectTiling }[] = [
    { x: [2, 5, 11, 13], o: 6, pad: 1 }, // the op's own (small) block: 2 rows x 8 pixels, ragged both ways
    { x: [1, 7, 8, 9], o: 19, pad: 1, t: { rows: 2, pixels: 4, channels: 16 } }, // 19 gy channels, 7 dx channels: a tail
    { x: [3, 4, 9, 10], o: 8, pad: 0, t: { rows: 4, pixels: 6, channels: 8 } }, // unpadded: the last dx row meets no window
    { x: [1, 6, 7, 7], o: 5, pad: 2, t: { rows: 2, pixels: 8, channels: 4 } },
    { x: [1, 5, 6, 6], o: 50, pad: 1, t: { rows: 2, pixels: 4, channels: 8 } }, // 50 gy channels: staged 42 at a time, then 8
    { x: [1, 3, 10, 11], o: 4, k: 5, stride: 3, pad: 2, t: { rows: 3, pixels: 6, channels: 4 } },
  ];
  it('is chosen for 3x3 layers of stride 2, and blocks are whole multiples of the stride', () => {
    const geo = (stride: number, k = 3) => convGeometry('conv2d', [2, 8, 9, 9], [8, 8, k, k], { stride, pad: 1 });
    expect(directStridedGradInputApplies(geo(2))).toBe(true);
    expect(directStridedGradInputApplies(geo(1))).toBe(false);
    expect(directStridedGradInputApplies(geo(2, 1))).toBe(false);
    expect(directStridedGradInputApplies(convGeometry('conv2d', [2, 8, 9, 9], [8, 8, 3, 3], { stride: [2, 1], pad: 1 }))).toBe(false);
    const c = cases[0]!;
    const build: Builder = (g, [gy, w]) => g.apply('conv2d_grad_input', [gy!, w!], { stride: 2, pad: 1, inputShape: [...c.x] });
    const g = convGeometry('conv2d', c.x, [c.o, c.x[1], 3, 3], { stride: 2, pad: 1 });
    const kernel = chosenKernel(build, [{ name: 'gy', shape: [g.N, g.O, g.OH, g.OW], data: randn([g.N, g.O, g.OH, g.OW], 1) }, { name: 'w', shape: [c.o, c.x[1], 3, 3], data: randn([c.o, c.x[1], 3, 3], 2) }]);
    expect(kernel).toMatch(/direct conv \(strided grad input\).*input upsampled x2, 2 row\(s\) x 8 pixels x 4 channels per thread/);
    expect(stripWidth(13, 2)).toBe(8);
    expect(stripWidth(7, 2)).toBe(8);
    expect(stripWidth(6, 2)).toBe(6);
    expect(() => conv2dGradInputDirectKernel(g, undefined, { rows: 3, pixels: 8, channels: 4 })).toThrow(/whole multiples/);
  });
  it('finite differences through a stride-2 conv2d, whose input gradient runs this kernel', async () => {
    const l = { x: [1, 5, 7, 6] as Shape4, o: 3 };
    await checkGradients((_g, [x, w]) => x!.conv2d(w!, { stride: 2, pad: 1 }), [
      { name: 'x', shape: [...l.x], data: randn([...l.x], 61) },
      { name: 'w', shape: [l.o, l.x[1], 3, 3], data: randn([l.o, l.x[1], 3, 3], 62, 0.5) },
    ]);
  });
  for (const c of cases) {
    const k = c.k ?? 3;
    const stride = c.stride ?? 2;
    it(`x[${c.x}] o${c.o} ${k}x${k} stride ${stride} pad ${c.pad} tiling ${c.t ? `${c.t.rows}x${c.t.pixels}x${c.t.channels}` : 'chosen'}: GPU vs CPU, every element written, broadcasts bit for bit the staged kernel`, async () => {
      const g = convGeometry('conv2d', c.x, [c.o, c.x[1], k, k], { stride, pad: c.pad });
      const gyShape: Shape4 = [g.N, g.O, g.OH, g.OW];
      const inputs: InputSpec[] = [
        { name: 'gy', shape: gyShape, data: randn(gyShape, 51) },
        { name: 'w', shape: [c.o, c.x[1], k, k], data: randn([c.o, c.x[1], k, k], 52, 0.5) },
      ];
      const want = cpuEval((gr, [gy, w]) => gr.apply('conv2d_grad_input', [gy!, w!], { stride, pad: c.pad, inputShape: [...c.x] }), inputs);
      const data = inputs.map((i) => i.data as Float32Array);
      const staged = await runRawKernel(conv2dGradInputDirectKernel(g, undefined, c.t), data, want.length, 8, -12345);
      expectClose(staged.out, want, { rtol: 1e-4, atol: 1e-4 }, `strided grad input x[${c.x}]`);
      expect(Array.from(staged.tail)).toEqual(new Array(8).fill(-12345));
      if (broadcastsBySubgroup(rt.ctx.target)) {
        const got = await runRawKernel(conv2dGradInputDirectKernel(g, undefined, c.t, rt.ctx.target), data, want.length, 8, -12345);
        expect(Array.from(got.out)).toEqual(Array.from(staged.out));
      }
    });
  }
});
