import { describe, it, expect } from 'vitest';
import { checkForward, checkGradients, randn, randu, cpuEval, gpuRun } from '../helpers/op-harness.js';
import { Graph } from '../../src/ir/graph.js';
import { OPS } from '../../src/ops/registry.js';
import { grad } from '../../src/ir/autodiff.js';

const binaryOps = ['add', 'sub', 'mul', 'div', 'maximum', 'minimum'] as const;

describe('elementwise ops: GPU forward vs CPU reference', () => {
  for (const op of binaryOps) {
    it(`${op} with broadcasting [3,1,5] x [4,1]`, async () => {
      const a = randn([3, 1, 5], 1);
      const b = op === 'div' ? randu([4, 1], 2, 0.5, 2) : randn([4, 1], 2);
      await checkForward((_g, [x, y]) => (x as any)[op](y), [
        { name: 'a', shape: [3, 1, 5], data: a },
        { name: 'b', shape: [4, 1], data: b },
      ]);
    });
  }

  const unary: [string, (t: any) => any, () => Float32Array][] = [
    ['exp', (t) => t.exp(), () => randn([7, 13], 3)],
    ['log', (t) => t.log(), () => randu([7, 13], 4, 0.1, 3)],
    ['relu', (t) => t.relu(), () => randn([7, 13], 5)],
    ['silu', (t) => t.silu(), () => randn([7, 13], 14, 4)],
    ['sign', (t) => t.sign(), () => randn([7, 13], 6)],
    ['abs', (t) => t.abs(), () => randn([7, 13], 7)],
    ['sqrt', (t) => t.sqrt(), () => randu([7, 13], 8, 0.1, 4)],
    ['square', (t) => t.square(), () => randn([7, 13], 9)],
    ['neg', (t) => t.neg(), () => randn([7, 13], 10)],
    ['clamp', (t) => t.clamp(-0.5, 0.7), () => randn([7, 13], 11)],
    ['pow 3', (t) => t.pow(3), () => randn([7, 13], 12)],
    ['pow 0.5', (t) => t.pow(0.5), () => randu([7, 13], 13, 0.1, 2)],
  ];
  for (const [name, f, data] of unary) {
    it(name, async () => {
      await checkForward((_g, [x]) => f(x), [{ name: 'x', shape: [7, 13], data: data() }]);
    });
  }

  it('comparisons and where', async () => {
    const a = randn([5, 6], 20);
    const b = randn([6], 21);
    for (const cmp of ['lt', 'le', 'gt', 'ge', 'eq', 'ne']) {
      await checkForward((_g, [x, y]) => (x as any)[cmp](y), [
        { name: 'a', shape: [5, 6], data: a },
        { name: 'b', shape: [6], data: b },
      ]);
    }
    await checkForward((_g, [x, y]) => x!.gt(0).select(x!, y!), [
      { name: 'a', shape: [5, 6], data: a },
      { name: 'b', shape: [6], data: b },
    ]);
  });

  it('i32 arithmetic and casts', async () => {
    const out = await checkForward((_g, [x]) => x!.add(3).mul(2).cast('f32').div(4), [
      { name: 'x', shape: [9], data: Int32Array.from([-4, -3, -2, -1, 0, 1, 2, 3, 4]), dtype: 'i32' },
    ]);
    expect(Array.from(out)).toEqual([-0.5, 0, 0.5, 1, 1.5, 2, 2.5, 3, 3.5]);
  });

  it('infinite constants compile (as the largest finite f32) and order correctly', async () => {
    const g = new Graph(OPS);
    const x = g.input('x', [4]);
    const y = x.gt(0).select(x, -Infinity).maximum(x.mul(0).add(-Infinity));
    const [out] = await gpuRun(g, { x: [1, -1, 2, -3] }, [y]);
    expect(Array.from(out!)).toEqual([1, -3.4028234663852886e38, 2, -3.4028234663852886e38]);
  });

  it('reference values are the math, not just self-consistent', () => {
    const y = cpuEval((_g, [x]) => x!.mul(2).add(1).relu(), [{ name: 'x', shape: [4], data: [-2, -0.25, 0.5, 3] }]);
    expect(Array.from(y)).toEqual([0, 0.5, 2, 7]);
  });

  it('silu is x * sigmoid(x), including far into both tails', () => {
    const y = cpuEval((_g, [x]) => x!.silu(), [{ name: 'x', shape: [6], data: [-100, -3, 0, 0.5, 1, 100] }]);
    // -100 * e^-100 / (1 + e^-100) = -3.72e-42 (an f32 subnormal); the others to 6 digits.
    expect(y[0]).toBeLessThan(0);
    expect(y[0]).toBeGreaterThan(-1e-41);
    [-0.142278, 0, 0.311229, 0.731059].forEach((v, i) => expect(y[i + 1]).toBeCloseTo(v, 5));
    expect(y[5]).toBe(100);
  });

  it('a long fused chain over 300k elements (grid folding past one dispatch row)', async () => {
    const n = 300_001;
    const x = randn([n], 30);
    await checkForward((_g, [t]) => t!.mul(1.5).add(0.25).relu().sub(t!.abs().mul(0.1)).exp().log(), [{ name: 'x', shape: [n], data: x }], { rtol: 1e-4, atol: 1e-5 });
  });
});

/** Push values within 0.05 of zero away from it (kinks of abs and relu). */
function awayFromZero(a: Float32Array): Float32Array {
  return a.map((v) => (Math.abs(v) < 0.05 ? (v < 0 ? -0.05 : 0.05) + v : v));
}

describe('elementwise ops: gradients', () => {
  it('binary ops with broadcasting', async () => {
    for (const op of binaryOps) {
      const b = op === 'div' ? randu([1, 4], 41, 0.5, 2) : randn([1, 4], 41);
      await checkGradients((_g, [x, y]) => (x as any)[op](y), [
        { name: 'a', shape: [3, 4], data: randn([3, 4], 40) },
        { name: 'b', shape: [1, 4], data: b },
      ]);
    }
  });

  it('unary ops', async () => {
    const pos = randu([3, 5], 50, 0.3, 2);
    const any = randn([3, 5], 51);
    await checkGradients((_g, [x]) => x!.exp(), [{ name: 'x', shape: [3, 5], data: any }]);
    await checkGradients((_g, [x]) => x!.log(), [{ name: 'x', shape: [3, 5], data: pos }]);
    await checkGradients((_g, [x]) => x!.sqrt(), [{ name: 'x', shape: [3, 5], data: pos }]);
    await checkGradients((_g, [x]) => x!.square(), [{ name: 'x', shape: [3, 5], data: any }]);
    await checkGradients((_g, [x]) => x!.abs(), [{ name: 'x', shape: [3, 5], data: awayFromZero(any) }]);
    await checkGradients((_g, [x]) => x!.relu(), [{ name: 'x', shape: [3, 5], data: awayFromZero(any) }]);
    await checkGradients((_g, [x]) => x!.silu(), [{ name: 'x', shape: [3, 5], data: randn([3, 5], 52, 3) }]);
    await checkGradients((_g, [x]) => x!.pow(3), [{ name: 'x', shape: [3, 5], data: any }]);
    // Keep every point at least 0.05 from the clamp edges so finite differences do not straddle a kink.
    const awayFromEdges = Float32Array.from([-1.2, -0.8, -0.4, -0.2, 0, 0.1, 0.3, 0.44, 0.56, 0.9, -0.56, -0.3, 0.2, 1.5, -0.05]);
    await checkGradients((_g, [x]) => x!.clamp(-0.5, 0.5), [{ name: 'x', shape: [3, 5], data: awayFromEdges }]);
  });

  it('stop_gradient blocks the gradient: d/dx [stop(x) * x] = x, not 2x', async () => {
    const g = new Graph(OPS);
    const x = g.input('x', [4]);
    const loss = x.stopGradient().mul(x).sum();
    const [dx] = grad(loss, [x]);
    const [gpu] = await gpuRun(g, { x: [1, -2, 3, 0.5] }, [dx!]);
    expect(Array.from(gpu!)).toEqual([1, -2, 3, 0.5]);
  });

  it('where routes gradients to the chosen branch', async () => {
    await checkGradients((_g, [x, y]) => x!.gt(0).select(x!.mul(3), y!), [
      { name: 'a', shape: [2, 5], data: randn([2, 5], 60) },
      { name: 'b', shape: [2, 5], data: randn([2, 5], 61) },
    ]);
  });
});
