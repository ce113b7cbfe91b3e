/**
 * Epilogue fusion: elementwise consumers of a GEMM/conv computed inside its kernel. The
 * schedule tests pin down when fusion is legal; the GPU tests check that the fused kernels
 * give what the unfused ones and the CPU reference give.
 */
import { describe, it, expect } from 'vitest';
import { Graph } from '../../src/ir/graph.js';
import { OPS } from '../../src/ops/registry.js';
import type { Tensor } from '../../src/ir/tensor.js';
import { grad } from '../../src/ir/autodiff.js';
import { runCpu } from '../../src/runtime/cpu-executor.js';
import { schedule, stepOutput, MAX_BINDINGS, type Schedule } from '../../src/runtime/schedule.js';
import type { CompileOptions } from '../../src/runtime/program.js';
import type { TypedArray } from '../../src/ir/typed-array.js';
import { sharedTestRuntime } from '../helpers/gpu.js';
import { expectClose, randn } from '../helpers/op-harness.js';

/** "producer+member+..." for each kernel step with an epilogue. */
function epilogueKernels(g: Graph, s: Schedule): string[] {
  return s.steps.flatMap((st) => (st.kind === 'kernel' && st.epilogue ? [[g.node(st.node).op, ...st.epilogue.members.map((m) => g.node(m).op)].join('+')] : []));
}

/** matmul -> add(bias) -> relu, the linear layer. */
function linear(g: Graph) {
  const x = g.input('x', [33, 20]);
  const w = g.input('w', [12, 20]);
  const b = g.input('b', [12]);
  const h = x.matmul(w, { transB: true });
  return { x, w, b, h, y: h.add(b).relu() };
}

/** conv2d -> add(bias reshaped [1, C, 1, 1]) -> relu, the conv layer. */
function convLayer(g: Graph, stride = 1) {
  const x = g.input('x', [2, 3, 9, 9]);
  const w = g.input('w', [5, 3, 3, 3]);
  const b = g.input('b', [5]);
  const h = x.conv2d(w, { stride, pad: 1 });
  return { x, w, b, h, y: h.add(b.reshape([1, 5, 1, 1])).relu() };
}

describe('epilogue fusion: schedule', () => {
  it('fuses matmul -> add(bias) -> relu and conv2d -> add -> relu into one kernel each', () => {
    const g1 = new Graph(OPS);
    const l = linear(g1);
    const s1 = schedule(g1, [l.y.id]);
    expect(s1.steps).toHaveLength(1);
    expect(epilogueKernels(g1, s1)).toEqual(['matmul+add+relu']);
    expect(stepOutput(s1.steps[0]!)).toBe(l.y.id);
    expect(s1.materialised.has(l.h.id)).toBe(false);

    const g2 = new Graph(OPS);
    const c = convLayer(g2);
    const s2 = schedule(g2, [c.y.id]);
    expect(epilogueKernels(g2, s2)).toEqual(['conv2d+add+relu']);
    expect(s2.steps).toHaveLength(1);
  });

  it('is switched off with fuse: false, or with epilogues: false alone', () => {
    const g = new Graph(OPS);
    const { y } = linear(g);
    expect(schedule(g, [y.id], { fuse: false }).steps).toHaveLength(3);
    const noEpilogue = schedule(g, [y.id], { epilogues: false });
    expect(noEpilogue.steps.map((st) => st.kind)).toEqual(['kernel', 'elementwise']);
  });

  it('does not fuse when the GEMM output has a reader outside the group', () => {
    const g = new Graph(OPS);
    const { h, y } = linear(g);
    const other = h.mul(2).sum(); // a second reader of h, in another kernel
    const s = schedule(g, [y.id, other.id]);
    expect(epilogueKernels(g, s)).toEqual([]);
    expect(s.materialised.has(h.id)).toBe(true);
  });

  it('does not fuse a fetched GEMM output, a broadcasting reader, or a reshaped one', () => {
    const g1 = new Graph(OPS);
    const l = linear(g1);
    expect(epilogueKernels(g1, schedule(g1, [l.y.id, l.h.id]))).toEqual([]);

    const g2 = new Graph(OPS);
    const a = g2.input('a', [6, 4]).matmul(g2.input('b', [4, 1]));
    const wide = a.add(g2.input('c', [6, 5])); // a [6,1] read at every column: its kernel is not per element of the result
    expect(epilogueKernels(g2, schedule(g2, [wide.id]))).toEqual([]);

    const g3 = new Graph(OPS);
    const m = g3.input('a', [6, 4]).matmul(g3.input('b', [4, 8]));
    const r = m.reshape([48]).relu();
    expect(epilogueKernels(g3, schedule(g3, [r.id]))).toEqual([]);
  });

  it('keeps the binding limit: producer inputs + other operands + output <= MAX_BINDINGS', () => {
    const build = (extra: number) => {
      const g = new Graph(OPS);
      let y = g.input('a', [4, 8]).matmul(g.input('b', [8, 8]));
      for (let i = 0; i < extra; i++) y = y.add(g.input(`e${i}`, [4, 8]));
      return { g, s: schedule(g, [y.id]) };
    };
    const fits = build(MAX_BINDINGS - 3); // 2 matmul inputs + 5 operands + output = 8
    expect(epilogueKernels(fits.g, fits.s)).toHaveLength(1);
    const over = build(MAX_BINDINGS - 2);
    expect(epilogueKernels(over.g, over.s)).toEqual([]);
  });

  it('fuses through the backward: the input gradient of a layer whose pre-activation is dead, not one whose gradient reads it', () => {
    // relu's gradient reads relu's output, so conv -> add -> relu stays one kernel with its gradient built.
    const g1 = new Graph(OPS);
    const c = convLayer(g1);
    const loss1 = c.y.square().sum();
    const [dw1] = grad(loss1, [c.w]);
    expect(epilogueKernels(g1, schedule(g1, [loss1.id, dw1!.id]))).toContain('conv2d+add+relu');

    // square's gradient reads its input (the matmul output): two readers in two kernels, no fusion of h.
    const g2 = new Graph(OPS);
    const l = linear(g2);
    const loss2 = l.h.square().sum();
    const [dw2] = grad(loss2, [l.w]);
    const s2 = schedule(g2, [loss2.id, dw2!.id]);
    expect(s2.materialised.has(l.h.id)).toBe(true);
    expect(epilogueKernels(g2, s2).filter((k) => k.startsWith('matmul+square'))).toEqual([]);
  });
});

const ALL_VARIANTS: CompileOptions[] = [{}, { epilogues: false }, { fuse: false }];

/**
 * Run `outputs` compiled with each of `variants` (default: fused, epilogues off, no fusion)
 * and compare every result with the CPU reference, and the fused with the unfused ones.
 */
async function expectSameEverywhere(g: Graph, feeds: Record<string, TypedArray>, outputs: Tensor[], expectFused: string[], tol = { rtol: 1e-4, atol: 1e-4 }, variants = ALL_VARIANTS) {
  const rt = await sharedTestRuntime();
  const cpu = runCpu(g, { feeds, outputs: outputs.map((t) => t.id) });
  const results: TypedArray[][] = [];
  for (const opts of variants) {
    const p = await rt.compile(g, { fetch: outputs, ...opts });
    const names = p.steps.filter((s) => s.epilogue).map((s) => s.fusedOps.join('+'));
    if (opts.fuse === false || opts.epilogues === false) expect(names).toEqual([]);
    else for (const f of expectFused) expect(names).toContain(f);
    p.run(feeds);
    const got: TypedArray[] = [];
    for (const o of outputs) {
      const v = await p.read(o);
      expectClose(v, cpu.values.get(o.id)!, tol, `${g.node(o.id).op} #${o.id} ${JSON.stringify(opts)}`);
      got.push(v);
    }
    results.push(got);
    p.destroy();
  }
  // Fused and unfused differ by float rounding at most (the epilogue does the same operations).
  if (results.length < 3) return;
  outputs.forEach((o, k) => expectClose(results[0]![k]!, results[2]![k]!, { rtol: 1e-5, atol: 1e-6 }, `fused vs unfused #${o.id}`));
}

// Each variant compiles fresh pipelines; on a loaded software adapter that can take minutes.
describe('epilogue fusion: GPU results', { timeout: 300_000 }, () => {
  it('matmul + bias + relu (uneven tiles, transposed and batched operands)', async () => {
    const g = new Graph(OPS);
    const { y } = linear(g);
    // Batched, broadcast batch, a per-row operand of the full shape and a scalar.
    const a = g.input('a', [3, 7, 5]);
    const bm = g.input('bm', [5, 9]);
    const z = g.input('z', [3, 7, 9]);
    const y2 = a.matmul(bm).mul(z).sub(0.25).abs();
    const feeds = { x: randn([33, 20], 1), w: randn([12, 20], 2), b: randn([12], 3), a: randn([3, 7, 5], 4), bm: randn([5, 9], 5), z: randn([3, 7, 9], 6) };
    await expectSameEverywhere(g, feeds, [y, y2], ['matmul+add+relu', 'matmul+mul+sub+abs']);
  });

  it('conv2d + per-channel bias + relu, stride 1 and 2', async () => {
    for (const stride of [1, 2]) {
      const g = new Graph(OPS);
      const { y } = convLayer(g, stride);
      const feeds = { x: randn([2, 3, 9, 9], 7), w: randn([5, 3, 3, 3], 8), b: randn([5], 9) };
      await expectSameEverywhere(g, feeds, [y], ['conv2d+add+relu']);
    }
  });

  it('conv2d + batch-norm-style affine + residual + relu (a residual block\'s tail)', async () => {
    const g = new Graph(OPS);
    const { x, w } = convLayer(g);
    const scale = g.input('s', [1, 5, 1, 1]);
    const shift = g.input('t', [1, 5, 1, 1]);
    const res = g.input('r', [2, 5, 9, 9]);
    const y = x.conv2d(w, { pad: 1 }).mul(scale).add(shift).add(res).relu();
    const feeds = { x: randn([2, 3, 9, 9], 30), w: randn([5, 3, 3, 3], 31), b: randn([5], 32), s: randn([1, 5, 1, 1], 33), t: randn([1, 5, 1, 1], 34), r: randn([2, 5, 9, 9], 35) };
    await expectSameEverywhere(g, feeds, [y], ['conv2d+mul+add+add+relu']);
  });

  it('convolution gradients with epilogues (thin, direct, GEMM and strided 1x1 input gradients; GEMM, pointwise and thin weight gradients)', async () => {
    const g = new Graph(OPS);
    const gy = g.input('gy', [2, 6, 8, 8]);
    const wThin = g.input('wt', [6, 2, 3, 3]);
    const wWide = g.input('ww', [6, 7, 3, 3]);
    const x = g.input('x', [2, 7, 8, 8]);
    const d = g.input('d', [2, 2, 8, 8]);
    // A PGD-like update on the thin input gradient, a scaled ReLU mask on the wide one.
    const dxThin = g.apply('conv2d_grad_input', [gy, wThin], { stride: 1, pad: 1, inputShape: [2, 2, 8, 8] });
    const step = d.add(dxThin.sign().mul(0.1)).clamp(-0.3, 0.3);
    const dxWide = g.apply('conv2d_grad_input', [gy, wWide], { stride: 1, pad: 1, inputShape: [2, 7, 8, 8] });
    const masked = dxWide.mul(x.gt(0));
    // Stride 2 keeps the implicit GEMM.
    const gyHalf = g.input('gh', [2, 6, 4, 4]);
    const dxStrided = g.apply('conv2d_grad_input', [gyHalf, wWide], { stride: 2, pad: 1, inputShape: [2, 7, 8, 8] });
    const maskedStrided = dxStrided.mul(x.gt(0)).mul(0.5);
    const dw = g.apply('conv2d_grad_weight', [x, gy], { stride: 1, pad: 1, kernel: [3, 3] });
    const decayed = dw.add(wWide.mul(5e-4)).mul(0.9);
    // A strided 1x1 shortcut (its stores write the zeros between values: the epilogue sees them
    // too), and a pointwise weight gradient split over the images (per-image matrices).
    const w1x1 = g.input('w1', [6, 7, 1, 1]);
    const dxShortcut = g.apply('conv2d_grad_input', [gyHalf, w1x1], { stride: 2, pad: 0, inputShape: [2, 7, 8, 8] }).add(x.mul(0.25));
    const dwPointwise = g.apply('conv2d_grad_weight', [x, gy], { stride: 1, pad: 0, kernel: [1, 1], splits: 2 }).mul(0.5);
    // A thin layer's weight gradient (no GEMM: pixel strips, summed in workgroup memory).
    const dwThin = g.apply('conv2d_grad_weight', [d, gy], { stride: 1, pad: 1, kernel: [3, 3] }).mul(0.5).add(wThin);
    const feeds = { gy: randn([2, 6, 8, 8], 10), wt: randn([6, 2, 3, 3], 11), ww: randn([6, 7, 3, 3], 12), x: randn([2, 7, 8, 8], 13), d: randn([2, 2, 8, 8], 14, 0.1), gh: randn([2, 6, 4, 4], 15), w1: randn([6, 7, 1, 1], 16) };
    await expectSameEverywhere(g, feeds, [step, masked, maskedStrided, decayed, dxShortcut, dwPointwise, dwThin], [
      'conv2d_grad_input+sign+mul+add+clamp',
      'conv2d_grad_input+greater+mul',
      'conv2d_grad_input+greater+mul+mul',
      'conv2d_grad_weight+mul+add+mul',
      'conv2d_grad_input+mul+add',
      'conv2d_grad_weight+mul',
      'conv2d_grad_weight+mul+add',
    ], { rtol: 1e-4, atol: 2e-4 });
  });

  it('gives the same results where fusion must not happen (the GEMM output read elsewhere)', async () => {
    const g = new Graph(OPS);
    const { h, y } = linear(g);
    const other = h.mul(2).sum();
    const feeds = { x: randn([33, 20], 15), w: randn([12, 20], 16), b: randn([12], 17) };
    await expectSameEverywhere(g, feeds, [y, other], [], { rtol: 1e-4, atol: 1e-3 });
  });

  it('a small CNN: forward and backward with fused epilogues match the CPU reference', async () => {
    const g = new Graph(OPS);
    const x = g.input('x', [4, 1, 12, 12]);
    const onehot = g.input('t', [4, 10]);
    const w1 = g.input('w1', [6, 1, 3, 3]);
    const b1 = g.input('b1', [6]);
    const w2 = g.input('w2', [8, 6, 3, 3]);
    const b2 = g.input('b2', [8]);
    const w3 = g.input('w3', [16, 72]);
    const b3 = g.input('b3', [16]);
    const w4 = g.input('w4', [10, 16]);
    const b4 = g.input('b4', [10]);
    const c1 = x.conv2d(w1, { pad: 1 }).add(b1.reshape([1, 6, 1, 1])).relu().maxPool2d(2);
    const c2 = c1.conv2d(w2, { pad: 1 }).add(b2.reshape([1, 8, 1, 1])).relu().maxPool2d(2);
    const f = c2.reshape([4, 72]).matmul(w3, { transB: true }).add(b3).relu();
    const logits = f.matmul(w4, { transB: true }).add(b4);
    const loss = logits.logSoftmax(1).mul(onehot).sum().neg().mul(0.25);
    const grads = grad(loss, [x, w1, b1, w2, b2, w3, b3, w4, b4]);
    const labels = new Float32Array(40);
    for (let i = 0; i < 4; i++) labels[i * 10 + ((i * 3) % 10)] = 1;
    const feeds = {
      x: randn([4, 1, 12, 12], 20), t: labels,
      w1: randn([6, 1, 3, 3], 21, 0.5), b1: randn([6], 22, 0.1), w2: randn([8, 6, 3, 3], 23, 0.3), b2: randn([8], 24, 0.1),
      w3: randn([16, 72], 25, 0.2), b3: randn([16], 26, 0.1), w4: randn([10, 16], 27, 0.3), b4: randn([10], 28, 0.1),
    };
    // Fused only: the unfused variants are covered above, and each variant compiles some 40 pipelines.
    await expectSameEverywhere(g, feeds, [loss, ...grads.map((t) => t!)], ['conv2d+add+relu', 'matmul+add+relu', 'matmul+add'], { rtol: 1e-3, atol: 1e-4 }, [{}]);
  });
});
