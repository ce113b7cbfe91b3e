/** The lowering of the new layer kinds, run on the CPU reference: normalize, dropout (eval), silu. */
import { describe, expect, it } from 'vitest';
import { instantiateModel, type ResolvedModel } from '../../src/check/index.js';
import { ModelLowering } from '../../src/lower/model.js';
import { Graph } from '../../src/ir/graph.js';
import { OPS } from '../../src/ops/registry.js';
import { runCpu } from '../../src/runtime/cpu-executor.js';

function run(source: string, input: number[], shape: number[], mode: 'train' | 'eval' = 'eval'): number[] {
  const { model, diagnostics } = instantiateModel('m.mat', 'm', {}, shape, { files: { 'm.mat': source } });
  expect(diagnostics).toEqual([]);
  const g = new Graph(OPS);
  const x = g.input('x', [1, ...shape]);
  const y = new ModelLowering(model as ResolvedModel, g).apply(x, mode);
  return Array.from(runCpu(g, { feeds: { x: input }, outputs: [y.id] }).values.get(y.id)!);
}

describe('lowering of normalize, dropout and silu', () => {
  it('normalize subtracts each channel mean and divides by its std', () => {
    const out = run('model m = sequential { normalize(mean: [1, 10], std: [2, 4]) }\n', [1, 3, 10, 18], [2, 1, 2]);
    expect(out).toEqual([0, 1, 0, 2]);
  });

  it('dropout is the identity in eval mode, and silu is x * sigmoid(x) in a forward', () => {
    const out = run('model m {\n  d = dropout(0.5)\n  forward(x) = silu(d(x))\n}\n', [-2, 0, 2], [3]);
    [-2, 0, 2].forEach((v, i) => expect(out[i]).toBeCloseTo(v / (1 + Math.exp(-v)), 6));
  });

  it('dropout with p = 0 lowers in train mode too', () => {
    expect(run('model m = sequential { dropout(0) }\n', [1, 2], [2], 'train')).toEqual([1, 2]);
  });
});
