/**
 * End-to-end sanity of graph + autodiff + executor + SGD: small networks trained for a few hundred
 * steps on a synthetic, separable problem must drive the training loss near zero. Everything runs
 * on the GPU as one program per step (forward, backward, update).
 */
import { describe, it, expect } from 'vitest';
import { Graph } from '../../src/ir/graph.js';
import { OPS } from '../../src/ops/registry.js';
import type { Tensor } from '../../src/ir/tensor.js';
import { grad } from '../../src/ir/autodiff.js';
import { crossEntropy } from '../../src/ops/losses.js';
import { applyOptimizer, LR_VARIABLE } from '../../src/lower/optimizer.js';
import { sharedTestRuntime } from '../helpers/gpu.js';
import { randn } from '../helpers/op-harness.js';

/** Two Gaussian-free, linearly separable-by-construction classes: label = sign of a fixed projection. */
function dataset(n: number, dims: number, classes: number, seed: number) {
  const x = randn([n, dims], seed);
  const w = randn([dims, classes], seed + 1);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    let bestV = -Infinity;
    for (let c = 0; c < classes; c++) {
      let v = 0;
      for (let d = 0; d < dims; d++) v += x[i * dims + d]! * w[d * classes + c]!;
      if (v > bestV) {
        bestV = v;
        best = c;
      }
    }
    y[i] = best;
  }
  return { x, y };
}

async function train(build: (g: Graph, x: Tensor) => { logits: Tensor; params: { name: string; tensor: Tensor; init: Float32Array }[] }, xShape: number[], data: { x: Float32Array; y: Int32Array }, steps: number, lr: number) {
  const rt = await sharedTestRuntime();
  const g = new Graph(OPS);
  const x = g.input('x', xShape);
  const y = g.input('y', [xShape[0]!], 'i32');
  const { logits, params } = build(g, x);
  const loss = crossEntropy(logits, y);
  const grads = grad(loss, params.map((p) => p.tensor));
  applyOptimizer(g, { kind: 'sgd', lr, momentum: 0.9, weight_decay: 0, nesterov: false } as never, params, grads);
  for (const p of params) {
    rt.variables.write(p.name, p.init, p.tensor.shape);
    rt.variables.write(`opt/${p.name}/momentum_buffer`, new Float32Array(p.init.length), p.tensor.shape);
  }
  rt.variables.write(LR_VARIABLE, [lr], []);
  const step = await rt.compile(g, { fetch: [loss] });
  step.setInputs({ x: data.x, y: data.y });
  const first = (step.run(), (await step.read(loss))[0]!);
  for (let i = 1; i < steps; i++) rt.submit([step]);
  const last = (await step.read(loss))[0]!;
  step.destroy();
  return { first, last };
}

describe('training to near-zero loss', () => {
  it('an MLP on a separable problem', { timeout: 600_000 }, async () => {
    const data = dataset(64, 8, 3, 10);
    const init = (shape: number[], seed: number, scale: number) => randn(shape, seed, scale);
    const { first, last } = await train(
      (g, x) => {
        const w1 = g.variable('mlp/w1', [8, 32]);
        const b1 = g.variable('mlp/b1', [32]);
        const w2 = g.variable('mlp/w2', [32, 3]);
        const logits = x.matmul(w1).add(b1).relu().matmul(w2);
        return { logits, params: [
          { name: 'mlp/w1', tensor: w1, init: init([8, 32], 1, 0.35) },
          { name: 'mlp/b1', tensor: b1, init: new Float32Array(32) },
          { name: 'mlp/w2', tensor: w2, init: init([32, 3], 2, 0.18) },
        ] };
      },
      [64, 8],
      data,
      300,
      0.1,
    );
    expect(first).toBeGreaterThan(0.5);
    expect(last).toBeLessThan(0.02);
  });

  it('a small CNN (conv, relu, maxpool, linear) on a separable image problem', { timeout: 600_000 }, async () => {
    // 4x8x8 single-channel images; the label is a fixed linear function's argmax of the pixels.
    const data = dataset(32, 64, 4, 20);
    const { first, last } = await train(
      (g, x) => {
        const k = g.variable('cnn/k', [6, 1, 3, 3]);
        const kb = g.variable('cnn/kb', [6]);
        const w = g.variable('cnn/w', [4, 6 * 4 * 4]);
        const img = x.reshape([32, 1, 8, 8]);
        const h = img.conv2d(k, { stride: 1, pad: 1 }).add(kb.reshape([1, 6, 1, 1])).relu().maxPool2d(2, 2, 0).flatten(1);
        const logits = h.matmul(w, { transB: true });
        return { logits, params: [
          { name: 'cnn/k', tensor: k, init: randn([6, 1, 3, 3], 3, 0.33) },
          { name: 'cnn/kb', tensor: kb, init: new Float32Array(6) },
          { name: 'cnn/w', tensor: w, init: randn([4, 96], 4, 0.1) },
        ] };
      },
      [32, 64],
      data,
      400,
      0.05,
    );
    expect(first).toBeGreaterThan(0.5);
    expect(last).toBeLessThan(0.05);
  });
});
