import { describe, it, expect } from 'vitest';
import { checkForward, checkGradients, randn, expectClose } from '../helpers/op-harness.js';
import { grad } from '../../src/ir/autodiff.js';
import type { Tensor } from '../../src/ir/tensor.js';

const ops = ['softmax', 'log_softmax'] as const;
const apply = (op: (typeof ops)[number]) => (x: Tensor, axis: number) =>
  op === 'softmax' ? x.softmax(axis) : x.logSoftmax(axis);

describe('softmax and log_softmax: GPU forward vs CPU reference', () => {
  for (const op of ops) {
    it(`${op} on classifier rows [128, 10]`, async () => {
      await checkForward((_g, [x]) => apply(op)(x!, -1), [{ name: 'x', shape: [128, 10], data: randn([128, 10], 1, 3) }]);
    });
    it(`${op} along each axis of [3, 5, 7]`, async () => {
      for (const axis of [0, 1, 2]) {
        await checkForward((_g, [x]) => apply(op)(x!, axis), [{ name: 'x', shape: [3, 5, 7], data: randn([3, 5, 7], 2) }]);
      }
    });
  }

  it('is stable for huge logits (no overflow) and matches hand values', async () => {
    const data = Float32Array.from([1000, 1001, 1002, -1000, -1001, -1002]);
    const p = await checkForward((_g, [x]) => x!.softmax(-1), [{ name: 'x', shape: [2, 3], data }]);
    const lp = await checkForward((_g, [x]) => x!.logSoftmax(-1), [{ name: 'x', shape: [2, 3], data }]);
    const e = [Math.exp(-2), Math.exp(-1), 1];
    const s = e[0]! + e[1]! + e[2]!;
    expectClose(p, [...e.map((v) => v / s), ...[...e].reverse().map((v) => v / s)], { rtol: 1e-5, atol: 1e-7 });
    expectClose(lp, [-2, -1, 0, 0, -1, -2].map((v) => v - Math.log(s)), { rtol: 1e-5, atol: 1e-5 });
    expect(Array.from(p).every(Number.isFinite)).toBe(true);
  });

  it('softmax rows sum to one', async () => {
    const p = await checkForward((_g, [x]) => x!.softmax(1), [{ name: 'x', shape: [4, 6, 3], data: randn([4, 6, 3], 3, 4) }]);
    for (let o = 0; o < 4; o++) {
      for (let i = 0; i < 3; i++) {
        let s = 0;
        for (let j = 0; j < 6; j++) s += p[o * 18 + j * 3 + i]!;
        expect(s).toBeCloseTo(1, 5);
      }
    }
  });
});

describe('softmax and log_softmax gradients (finite differences, GPU vs CPU)', () => {
  for (const op of ops) {
    it(`${op} along the last axis of [4, 6]`, async () => {
      await checkGradients((_g, [x]) => apply(op)(x!, -1), [{ name: 'x', shape: [4, 6], data: randn([4, 6], 4) }], { eps: 1e-3 });
    });
    it(`${op} along axis 1 of [2, 5, 3]`, async () => {
      await checkGradients((_g, [x]) => apply(op)(x!, 1), [{ name: 'x', shape: [2, 5, 3], data: randn([2, 5, 3], 5) }], { eps: 1e-3 });
    });
  }

  it('second order: the gradient of softmax is itself differentiable', async () => {
    await checkGradients(
      (g, [x]) => {
        const y = x!.softmax(-1);
        const w = g.constantData(randn([3, 4], 6), [3, 4]);
        const [dx] = grad(y.mul(w).sum(), [x!]);
        return dx!.square().sum();
      },
      [{ name: 'x', shape: [3, 4], data: randn([3, 4], 7) }],
      { eps: 1e-3 },
    );
  });
});
