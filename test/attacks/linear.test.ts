/**
 * Attacks against linear models, whose worst case is known in closed form: PGD and APGD must find
 * it (robust accuracy equal to the analytic robust accuracy, per example), and on a copy of the
 * model whose input gradients are masked, gradient attacks must fail while Square still succeeds.
 */
import { describe, expect, it } from 'vitest';
import { sharedTestRuntime } from '../helpers/gpu.js';
import { randu } from '../helpers/op-harness.js';
import { RobustEvaluator } from '../../src/attacks/robust-eval.js';
import { Apgd } from '../../src/attacks/apgd.js';
import { Square } from '../../src/attacks/square.js';
import { writeRobust } from '../../src/attacks/batch.js';
import { linearClassifier, logitsOf, worstMarginL2, worstMarginLinf, type LinearModel } from './models.js';

const SHAPE = [1, 4, 4];
const D = 16;
const B = 48;

/**
 * Four classes of which two are never competitive, so the cross-entropy gradient points exactly at
 * the worst case; with `centered`, the decision boundary passes through x = 0.5.
 */
function model(dims = D, centered = false): LinearModel {
  const w = randu([4, dims], 3, -1, 1);
  const bias = (c: number) => (centered ? -0.5 * w.slice(c * dims, (c + 1) * dims).reduce((s, v) => s + v, 0) : 0);
  const b = Float32Array.of(bias(0), bias(1), -60, -60);
  return { w, b, classes: 4, dims };
}

function batch(m: LinearModel, lo: number, hi: number, n = B) {
  const x = randu([n, m.dims], 11, lo, hi);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const z = logitsOf(m, x, i * m.dims);
    y[i] = z.indexOf(Math.max(...z));
  }
  return { x, y, index: Int32Array.from({ length: n }, (_, i) => i) };
}

/** The radius at which each example's worst-case margin reaches 0 (bisection), and their median. */
function medianCriticalEps(n: number, worst: (i: number, eps: number) => number): number {
  const critical = Array.from({ length: n }, (_, i) => {
    let lo = 0;
    let hi = 1;
    for (let k = 0; k < 40; k++) {
      const mid = (lo + hi) / 2;
      if (worst(i, mid) > 0) lo = mid;
      else hi = mid;
    }
    return lo;
  }).sort((a, b) => a - b);
  return critical[n >> 1]!;
}

/** Per example: 1 robust, 0 broken, null too close to the boundary to call in f32. */
function analytic(margins: number[], tol: number): (0 | 1 | null)[] {
  return margins.map((m) => (Math.abs(m) < tol ? null : m > 0 ? 1 : 0));
}

function expectFlags(flags: Uint8Array, expected: (0 | 1 | null)[]): void {
  const decided = expected.map((e, i) => (e === null ? null : flags[i])).filter((v) => v !== null);
  expect(decided).toEqual(expected.filter((e) => e !== null));
  expect(decided.length).toBeGreaterThan(B / 2);
}

describe('attacks on a linear model', () => {
  const m = model();
  const ones = new Uint8Array(B).fill(1);

  it('L-inf: PGD-20 and APGD-CE reach the analytic worst case', async () => {
    const rt = await sharedTestRuntime();
    const { x, y, index } = batch(m, 0, 1);
    const eps = medianCriticalEps(B, (i, e) => worstMarginLinf(m, x, i * D, y[i]!, e));
    const expected = analytic(Array.from({ length: B }, (_, i) => worstMarginLinf(m, x, i * D, y[i]!, eps)), 1e-3);
    expect(expected.filter((e) => e === 0).length).toBeGreaterThan(3);
    expect(expected.filter((e) => e === 1).length).toBeGreaterThan(3);

    const evaluator = new RobustEvaluator(rt, linearClassifier(m), SHAPE, 1);
    evaluator.setBatch(B, x, y, index);
    expect(Array.from(await evaluator.naturalCorrect(B))).toEqual(Array.from(ones));
    const pgd = await evaluator.pgdRobust(B, { ball: { norm: 'linf', eps }, step: eps / 4, steps: 20, start: { kind: 'uniform' }, restarts: 1, loss: 'ce' }, ones, 7);
    expectFlags(pgd, expected);

    const apgd = new Apgd(rt, linearClassifier(m), SHAPE);
    writeRobust(rt, SHAPE, B, ones);
    const r = await apgd.run(B, { norm: 'linf', eps, iterations: 10, loss: 'ce' }, 5);
    expectFlags(r.robust, expected);
    expect(r.zeroGradient.every((z) => z === 0)).toBe(true);
  });

  it('L2: PGD-20 and APGD-CE reach the analytic worst case', async () => {
    const rt = await sharedTestRuntime();
    const m = model(D, true);
    const { x, y, index } = batch(m, 0.35, 0.65);
    const eps = medianCriticalEps(B, (i, e) => worstMarginL2(m, x, i * D, y[i]!, e));
    expect(eps).toBeLessThan(0.3); // the [0, 1] box stays inactive
    const expected = analytic(Array.from({ length: B }, (_, i) => worstMarginL2(m, x, i * D, y[i]!, eps)), 2e-2);
    expect(expected.filter((e) => e === 0).length).toBeGreaterThan(3);

    const evaluator = new RobustEvaluator(rt, linearClassifier(m), SHAPE, 1);
    evaluator.setBatch(B, x, y, index);
    const pgd = await evaluator.pgdRobust(B, { ball: { norm: 'l2', eps }, step: eps / 4, steps: 20, start: { kind: 'uniform' }, restarts: 1, loss: 'ce' }, ones, 7);
    expectFlags(pgd, expected);

    const apgd = new Apgd(rt, linearClassifier(m), SHAPE);
    writeRobust(rt, SHAPE, B, ones);
    expectFlags((await apgd.run(B, { norm: 'l2', eps, iterations: 20, loss: 'ce' }, 5)).robust, expected);
  });

  it('masked gradients: PGD and APGD are blind, the zero-gradient check fires, Square still breaks points', async () => {
    const rt = await sharedTestRuntime();
    const dims = 144; // Square needs room for its windows: a 12 x 12 image
    const shape = [1, 12, 12];
    const m = model(dims);
    // Batch variables are named by batch size; another size keeps this test's 12 x 12 images apart.
    const n = 40;
    const ones40 = new Uint8Array(n).fill(1);
    const { x, y, index } = batch(m, 0, 1, n);
    const eps = 2 * medianCriticalEps(n, (i, e) => worstMarginLinf(m, x, i * dims, y[i]!, e));
    const masked = linearClassifier(m, { masked: true });
    const analyticRobust = Array.from({ length: n }, (_, i) => (worstMarginLinf(m, x, i * dims, y[i]!, eps) > 0 ? 1 : 0)).reduce<number>((s, v) => s + v, 0);

    const evaluator = new RobustEvaluator(rt, masked, shape, 1);
    evaluator.setBatch(n, x, y, index);
    const pgd = await evaluator.pgdRobust(n, { ball: { norm: 'linf', eps }, step: eps / 4, steps: 10, start: { kind: 'none' }, restarts: 1, loss: 'ce' }, ones40, 7);
    expect(pgd.reduce((s, v) => s + v, 0)).toBe(n);

    const apgd = new Apgd(rt, masked, shape);
    writeRobust(rt, shape, n, ones40);
    const r = await apgd.run(n, { norm: 'linf', eps, iterations: 10, loss: 'ce' }, 5);
    expect(r.zeroGradient.every((z) => z === 1)).toBe(true);

    const square = new Square(rt, masked, shape);
    writeRobust(rt, shape, n, ones40);
    const sq = await square.run(n, { eps, queries: 300 }, 1, 3, ones40);
    const squareRobust = sq.reduce((s, v) => s + v, 0);
    expect(squareRobust).toBeLessThan(n - 10);
    expect(squareRobust).toBeGreaterThanOrEqual(analyticRobust);
  });
});
