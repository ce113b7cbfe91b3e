/**
 * Every op of the table, once: GPU forward against the CPU reference, and (where the op has
 * a gradient) autodiff against finite differences and GPU gradients against CPU ones, through
 * the shared harness. The cases are keyed by op name and checked against the table, so an op
 * added without a case here fails this file. Shapes are tiny: this is coverage, the family
 * files (test/ops/*.test.ts) test edge cases and sizes.
 */
import { describe, expect, it } from 'vitest';
import { Graph } from '../../src/ir/graph.js';
import type { OpName } from '../../src/ir/op-attrs.js';
import { OPS, allOps } from '../../src/ops/registry.js';
import { checkForward, checkGradients, randn, randu, type Builder, type GradCheckOptions, type InputSpec, type Tolerance } from '../helpers/op-harness.js';

interface OpCase {
  inputs: InputSpec[];
  /** Builds a graph that ends in (or goes through) the op. */
  build: Builder;
  tol?: Tolerance;
  /** Finite-difference options, or why the op has no gradient to check. */
  grad?: GradCheckOptions | { skip: string };
  /** A different graph for the gradient check (e.g. cast to f32 instead of to i32). */
  gradBuild?: Builder;
}

const f32 = (name: string, shape: number[], data: Float32Array, differentiable?: boolean): InputSpec => ({ name, shape, data, ...(differentiable === undefined ? {} : { differentiable }) });
const i32 = (name: string, shape: number[], values: number[]): InputSpec => ({ name, shape, data: Int32Array.from(values), dtype: 'i32' });
const step = (): InputSpec => ({ name: 'step', shape: [1], data: Uint32Array.of(7), dtype: 'u32' });
/** Values at least 0.2 away from 0 (relu, abs, sign have kinks there). */
const awayFromZero = (shape: number[], seed: number) => randn(shape, seed).map((v) => (v >= 0 ? v + 0.2 : v - 0.2));

const x23 = () => f32('x', [2, 3], randn([2, 3], 1));
const y3 = () => f32('y', [3], randn([3], 2));
const positive23 = () => f32('x', [2, 3], randu([2, 3], 3, 0.5, 1.5));

const binary = (op: OpName): OpCase => ({ inputs: [x23(), y3()], build: (g, [a, b]) => g.apply(op as 'add', [a!, b!]) });
const unary = (op: OpName, input: InputSpec = x23()): OpCase => ({ inputs: [input], build: (g, [a]) => g.apply(op as 'neg', [a!]) });
const comparison = (op: OpName): OpCase => ({ ...binary(op), grad: { skip: 'piecewise constant (a 0/1 mask)' } });
const random = (op: OpName, dist: object, tol?: Tolerance): OpCase => ({
  inputs: [step(), i32('rows', [2], [5, 1])],
  build: (g, [s, rows]) => g.apply(op as 'random_uniform', [s!, rows!], { shape: [2, 3], seed: 11, stream: 3, ...dist }),
  ...(tol ? { tol } : {}),
  grad: { skip: 'random draws have no gradient' },
});
const nchw = (seed: number, shape = [1, 2, 4, 4]) => f32('x', shape, randn(shape, seed));
const window = { kernel: 2 };
const projection = (op: OpName): OpCase => ({
  inputs: [f32('t', [2, 4], randu([2, 4], 20)), f32('w', [2, 4], randn([2, 4], 21)), f32('b', [2], randn([2], 22))],
  build: (g, [t, w, b]) => g.apply(op as 'linf_hyperplane_projection', [t!, w!, b!]),
  tol: { rtol: 1e-3, atol: 1e-4 },
  grad: { skip: 'attacks only project gradients they already computed: no gradient rule' },
});

const CASES: Record<OpName, OpCase> = {
  add: binary('add'),
  sub: binary('sub'),
  mul: binary('mul'),
  div: { inputs: [x23(), f32('y', [3], randu([3], 2, 0.5, 1.5))], build: (g, [a, b]) => a!.div(b!) },
  pow: { inputs: [positive23(), f32('e', [3], Float32Array.of(2, 0.5, 3), false)], build: (g, [a, e]) => a!.pow(e!) },
  maximum: binary('maximum'),
  minimum: binary('minimum'),
  less: comparison('less'),
  less_equal: comparison('less_equal'),
  greater: comparison('greater'),
  greater_equal: comparison('greater_equal'),
  equal: { inputs: [x23(), f32('y', [2, 3], Float32Array.of(0, 0, 0, 0, 0, 0))], build: (g, [a, b]) => a!.eq(b!).add(a!.eq(a!)), grad: { skip: 'piecewise constant (a 0/1 mask)' } },
  not_equal: comparison('not_equal'),
  neg: unary('neg'),
  exp: unary('exp'),
  log: unary('log', positive23()),
  relu: unary('relu', f32('x', [2, 3], awayFromZero([2, 3], 4))),
  silu: unary('silu'),
  sign: { ...unary('sign', f32('x', [2, 3], awayFromZero([2, 3], 5))), grad: { skip: 'piecewise constant' } },
  abs: unary('abs', f32('x', [2, 3], awayFromZero([2, 3], 6))),
  sqrt: unary('sqrt', positive23()),
  square: unary('square'),
  clamp: { inputs: [f32('x', [2, 3], Float32Array.of(-1, -0.3, 0.1, 0.4, 0.9, -0.8))], build: (g, [a]) => a!.clamp(-0.5, 0.5) },
  stop_gradient: { ...unary('stop_gradient'), grad: { skip: 'no gradient by definition' } },
  cast: {
    inputs: [f32('x', [2, 3], Float32Array.of(-2.7, -0.2, 0, 0.6, 1.5, 3.9))],
    build: (g, [a]) => a!.cast('i32'),
    gradBuild: (g, [a]) => a!.cast('f32').mul(3),
  },
  where: {
    inputs: [f32('c', [2, 1], Float32Array.of(1, 0), false), x23(), y3()],
    build: (g, [c, a, b]) => c!.select(a!, b!),
  },
  copy: unary('copy'),
  broadcast_to: { inputs: [y3()], build: (g, [a]) => a!.broadcastTo([2, 3]) },

  reshape: { inputs: [x23()], build: (g, [a]) => a!.reshape([3, 2]).mul(2) },
  transpose: { inputs: [f32('x', [2, 3, 4], randn([2, 3, 4], 7))], build: (g, [a]) => a!.transpose([2, 0, 1]) },
  pad: { inputs: [x23()], build: (g, [a]) => a!.pad([[1, 0], [0, 2]], 0.5) },
  slice: { inputs: [f32('x', [3, 4], randn([3, 4], 8))], build: (g, [a]) => a!.slice([1, 1], [2, -1]) },
  concat: { inputs: [x23(), f32('y', [2, 2], randn([2, 2], 9))], build: (g, [a, b]) => g.apply('concat', [a!, b!], { axis: 1 }) },

  gather: { inputs: [f32('x', [4, 3], randn([4, 3], 10)), i32('idx', [5], [3, 0, 3, 1, 2])], build: (g, [x, idx]) => x!.gather(idx!, 0) },
  scatter_add: {
    inputs: [i32('idx', [5], [3, 0, 3, 1, 2]), f32('v', [5, 3], randn([5, 3], 11))],
    build: (g, [idx, v]) => g.apply('scatter_add', [idx!, v!], { axis: 0, size: 4 }),
  },
  gather_rows: { inputs: [f32('t', [4, 3], randn([4, 3], 12)), i32('rows', [2], [2, 0])], build: (g, [t, rows]) => t!.gatherRows(rows!) },
  scatter_rows: {
    inputs: [f32('t', [4, 3], randn([4, 3], 13)), i32('rows', [2], [2, 0]), f32('v', [2, 3], randn([2, 3], 14))],
    build: (g, [t, rows, v]) => t!.scatterRows(rows!, v!),
  },
  take_along_axis: { inputs: [f32('x', [3, 4], randn([3, 4], 15)), i32('idx', [3], [1, 3, 0])], build: (g, [x, idx]) => x!.takeAlongAxis(idx!) },
  scatter_along_axis: {
    inputs: [i32('idx', [3], [1, 3, 0]), f32('v', [3], randn([3], 16))],
    build: (g, [idx, v]) => g.apply('scatter_along_axis', [idx!, v!], { classes: 4 }),
  },

  random_bits: random('random_bits', {}),
  random_uniform: random('random_uniform', { low: -1, high: 2 }, { rtol: 1e-6, atol: 1e-6 }),
  random_normal: random('random_normal', { mean: 0.5, std: 2 }, { rtol: 1e-5, atol: 1e-5 }),
  random_bernoulli: random('random_bernoulli', { p: 0.3 }),

  sum: { inputs: [f32('x', [2, 3, 4], randn([2, 3, 4], 17))], build: (g, [a]) => a!.sum(1) },
  max: { inputs: [f32('x', [2, 3, 4], randn([2, 3, 4], 18))], build: (g, [a]) => a!.max([0, 2]) },
  argmax: { inputs: [f32('x', [2, 5], randn([2, 5], 19))], build: (g, [a]) => a!.argmax(1), grad: { skip: 'integer output' } },

  softmax: { inputs: [f32('x', [2, 5], randn([2, 5], 23))], build: (g, [a]) => a!.softmax(1) },
  log_softmax: { inputs: [f32('x', [2, 5], randn([2, 5], 24))], build: (g, [a]) => a!.logSoftmax(1) },
  one_hot: { inputs: [i32('y', [3], [2, 0, 3])], build: (g, [y]) => g.apply('one_hot', [y!], { classes: 4 }), grad: { skip: 'integer input' } },
  topk_values: { inputs: [f32('x', [2, 5], randn([2, 5], 25))], build: (g, [a]) => g.apply('topk_values', [a!], { k: 2 }) },
  topk_indices: { inputs: [f32('x', [2, 5], randn([2, 5], 26))], build: (g, [a]) => g.apply('topk_indices', [a!], { k: 2 }), grad: { skip: 'integer output' } },
  softmax_cross_entropy: {
    inputs: [f32('z', [3, 4], randn([3, 4], 27)), i32('y', [3], [1, 3, 0])],
    build: (g, [z, y]) => g.apply('softmax_cross_entropy', [z!, y!]),
  },

  batch_norm_stats: { inputs: [nchw(28, [4, 3, 2, 2])], build: (g, [x]) => g.apply('batch_norm_stats', [x!]), grad: { eps: 1e-3 } },
  batch_norm_train: {
    inputs: [nchw(29, [4, 3, 2, 2]), f32('w', [3], randu([3], 30, 0.5, 1.5)), f32('b', [3], randn([3], 31))],
    build: (g, [x, w, b]) => g.apply('batch_norm_train', [x!, w!, b!, g.apply('batch_norm_stats', [x!])], { eps: 1e-5 }),
    grad: { eps: 1e-3 },
  },
  batch_norm_param_grad: {
    inputs: [nchw(32, [4, 3, 2, 2]), f32('gy', [4, 3, 2, 2], randn([4, 3, 2, 2], 33))],
    build: (g, [x, gy]) => g.apply('batch_norm_param_grad', [x!, gy!, g.apply('batch_norm_stats', [x!])], { eps: 1e-5 }),
    grad: { eps: 1e-3, fdRtol: 5e-2 },
  },
  batch_norm_input_grad: {
    inputs: [nchw(34, [4, 3, 2, 2]), f32('w', [3], randu([3], 35, 0.5, 1.5)), f32('gy', [4, 3, 2, 2], randn([4, 3, 2, 2], 36))],
    build: (g, [x, w, gy]) => {
      const stats = g.apply('batch_norm_stats', [x!]);
      const params = g.apply('batch_norm_param_grad', [x!, gy!, stats], { eps: 1e-5 });
      return g.apply('batch_norm_input_grad', [x!, w!, gy!, stats, params], { eps: 1e-5 });
    },
    grad: { eps: 1e-3, fdRtol: 5e-2 },
  },

  matmul: { inputs: [f32('a', [2, 3], randn([2, 3], 37)), f32('b', [4, 3], randn([4, 3], 38))], build: (g, [a, b]) => a!.matmul(b!, { transB: true }) },
  conv2d: { inputs: [nchw(39), f32('w', [3, 2, 3, 3], randn([3, 2, 3, 3], 40))], build: (g, [x, w]) => x!.conv2d(w!, { pad: 1 }) },
  conv2d_grad_input: {
    inputs: [f32('gy', [1, 3, 4, 4], randn([1, 3, 4, 4], 41)), f32('w', [3, 2, 3, 3], randn([3, 2, 3, 3], 42))],
    build: (g, [gy, w]) => g.apply('conv2d_grad_input', [gy!, w!], { pad: 1, inputShape: [1, 2, 4, 4] }),
  },
  conv2d_grad_weight: {
    inputs: [nchw(43), f32('gy', [1, 3, 4, 4], randn([1, 3, 4, 4], 44))],
    build: (g, [x, gy]) => g.apply('conv2d_grad_weight', [x!, gy!], { pad: 1, kernel: [3, 3] }),
  },

  maxpool2d_argmax: { inputs: [nchw(45)], build: (g, [x]) => g.apply('maxpool2d_argmax', [x!], window), grad: { skip: 'integer output' } },
  maxpool2d: { inputs: [nchw(46)], build: (g, [x]) => x!.maxPool2d(2) },
  maxpool2d_grad: {
    inputs: [f32('x', [1, 2, 4, 4], randn([1, 2, 4, 4], 47), false), f32('gy', [1, 2, 2, 2], randn([1, 2, 2, 2], 48))],
    build: (g, [x, gy]) => g.apply('maxpool2d_grad', [g.apply('maxpool2d_argmax', [x!], window), gy!], { ...window, inputShape: [1, 2, 4, 4] }),
  },
  avgpool2d: { inputs: [nchw(49)], build: (g, [x]) => x!.avgPool2d(2) },
  avgpool2d_grad: {
    inputs: [f32('gy', [1, 2, 2, 2], randn([1, 2, 2, 2], 50))],
    build: (g, [gy]) => g.apply('avgpool2d_grad', [gy!], { ...window, inputShape: [1, 2, 4, 4] }),
  },

  linf_hyperplane_projection: projection('linf_hyperplane_projection'),
  l2_hyperplane_projection: projection('l2_hyperplane_projection'),
};

describe('every op of the table', () => {
  it('has a case here, and every case names an op of the table', () => {
    expect(allOps().map((d) => d.name).filter((n) => !(n in CASES))).toEqual([]);
    expect(Object.keys(CASES).filter((n) => !(n in OPS))).toEqual([]);
  });

  for (const [name, c] of Object.entries(CASES) as [OpName, OpCase][]) {
    it(name, async () => {
      // The case must exercise the op it is filed under.
      const g = new Graph(OPS);
      c.build(g, c.inputs.map((i) => g.input(i.name, i.shape, i.dtype ?? 'f32')));
      expect(g.nodes.map((n) => n.op)).toContain(name);

      await checkForward(c.build, c.inputs, c.tol);
      if (c.grad && 'skip' in c.grad) return;
      await checkGradients(c.gradBuild ?? c.build, c.inputs, c.grad ?? {});
    });
  }
});
