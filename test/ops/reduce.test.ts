import { describe, it, expect } from 'vitest';
import { checkForward, checkGradients, randn, cpuEval } from '../helpers/op-harness.js';
import type { Tensor } from '../../src/ir/tensor.js';
import { grad } from '../../src/ir/autodiff.js';
import { planReduction, useWorkgroupPerOutput } from '../../codegen/wgsl/reduce.js';

const SHAPE = [3, 5, 7];
const x357 = randn(SHAPE, 1);
const input = (data: Float32Array | Int32Array = x357, shape = SHAPE, dtype: 'f32' | 'i32' = 'f32') => [{ name: 'x', shape, data, dtype }];

/** Every subset of {0, 1, 2}, the empty one included. */
const subsets = Array.from({ length: 8 }, (_, m) => [0, 1, 2].filter((a) => m & (1 << a)));

/** A reduction with an explicit kernel strategy (attrs beyond what Tensor.sum sets). */
const pinned = (op: 'sum' | 'max', x: Tensor, axes: number[], keepDims: boolean, strategy: 'thread' | 'workgroup') =>
  x.graph.apply(op, [x], { axes, keepDims, strategy });

describe('reduction planning', () => {
  it('merges adjacent dims of the same kind and drops size-1 dims', () => {
    const p = planReduction([128, 16, 28, 28], [0, 2, 3]);
    expect(p.kept).toEqual([{ size: 16, stride: 784 }]);
    expect(p.reduced).toEqual([
      { size: 128, stride: 12544 },
      { size: 784, stride: 1 },
    ]);
    expect(p.outCount).toBe(16);
    expect(p.reduceCount).toBe(100352);
    expect(useWorkgroupPerOutput(p)).toBe(true);
    expect(useWorkgroupPerOutput(planReduction([128, 10], [1]))).toBe(false);
    expect(planReduction([4, 1, 6], [1]).reduced).toEqual([]);
  });
});

describe('sum and max: GPU forward vs CPU reference', () => {
  for (const op of ['sum', 'max'] as const) {
    for (const keepDims of [false, true]) {
      it(`${op} over every axis subset of [3,5,7], keepDims ${keepDims}`, async () => {
        for (const axes of subsets) {
          const out = await checkForward((_g, [x]) => x![op](axes, keepDims), input());
          expect(out.length).toBe(SHAPE.filter((_, a) => !axes.includes(a)).reduce((p, d) => p * d, 1));
        }
      });
    }
    it(`${op} with both kernel strategies on the same shapes`, async () => {
      for (const axes of [[0], [1], [0, 2], [0, 1, 2]]) {
        for (const strategy of ['thread', 'workgroup'] as const) {
          await checkForward((_g, [x]) => pinned(op, x!, axes, false, strategy), input());
        }
      }
    });
  }

  it('sum and max of i32', async () => {
    const data = Int32Array.from({ length: 105 }, (_, i) => ((i * 37) % 23) - 11);
    for (const axes of [[1], [0, 2], [0, 1, 2]]) {
      await checkForward((_g, [x]) => x!.sum(axes), input(data, SHAPE, 'i32'));
      await checkForward((_g, [x]) => x!.max(axes, true), input(data, SHAPE, 'i32'));
    }
  });

  it('batch-norm sized reduction [64,16,30,30] over 0,2,3 (workgroup per output)', async () => {
    const shape = [64, 16, 30, 30];
    const data = randn(shape, 2, 1).map((v, i) => v + (Math.floor(i / 900) % 16));
    await checkForward((_g, [x]) => x!.sum([0, 2, 3]), input(data, shape), { rtol: 2e-4, atol: 1e-2 });
    await checkForward((_g, [x]) => x!.max([0, 2, 3], true), input(data, shape));
  });

  it('workgroup strategy walks several reduced dims with carries ([40,3,7,5] and [9,4,11,3,13])', async () => {
    const cases: [number[], number[]][] = [
      [[40, 3, 7, 5], [0, 2, 3]],
      [[9, 4, 11, 3, 13], [0, 2, 4]],
    ];
    for (const [shape, axes] of cases) {
      const data = randn(shape, 5);
      for (const op of ['sum', 'max'] as const) {
        for (const strategy of ['thread', 'workgroup'] as const) {
          await checkForward((_g, [x]) => pinned(op, x!, axes, true, strategy), input(data, shape), { atol: 1e-4 });
        }
      }
    }
  });

  it('sums long f32 reductions accurately (two-level summation), both strategies', async () => {
    // 0.1-ish values: a serial f32 sum of 1M of them is off by ~2e-3 relative.
    const cases: [number[], number[]][] = [
      [[1 << 20], [0]],
      [[128, 4, 32, 32], [0, 2, 3]],
    ];
    for (const [shape, axes] of cases) {
      const data = new Float32Array(shape.reduce((a, b) => a * b, 1)).map((_, i) => 0.1 + 0.01 * Math.sin(i));
      for (const strategy of ['thread', 'workgroup'] as const) {
        await checkForward((_g, [x]) => pinned('sum', x!, axes, false, strategy), input(data, shape), { rtol: 2e-5, atol: 0 });
      }
    }
  });

  it('long rows with few outputs [2, 3001] over the last axis', async () => {
    const data = randn([2, 3001], 3);
    await checkForward((_g, [x]) => x!.sum(1), input(data, [2, 3001]), { atol: 1e-4 });
    await checkForward((_g, [x]) => x!.max(1), input(data, [2, 3001]));
  });

  it('sums exactly on a hand example', () => {
    const out = cpuEval((_g, [x]) => x!.sum(0), input(Float32Array.from([1, 2, 3, 4, 5, 6]), [2, 3]));
    expect(Array.from(out)).toEqual([5, 7, 9]);
  });
});

describe('argmax', () => {
  it('each axis of [3,5,7], first maximum wins on ties, both strategies', async () => {
    // Rounded values make ties common.
    const data = x357.map((v) => Math.round(v * 2));
    for (const axis of [0, 1, 2]) {
      await checkForward((_g, [x]) => x!.argmax(axis), input(data));
      for (const strategy of ['thread', 'workgroup'] as const) {
        await checkForward((g, [x]) => g.apply('argmax', [x!], { axis, strategy }), input(data));
      }
    }
  });

  it('hand example with ties and -inf', async () => {
    const data = Float32Array.from([1, 3, 3, 2, -Infinity, -Infinity, -Infinity, -Infinity, 0, 5, 5, 5]);
    const out = await checkForward((_g, [x]) => x!.argmax(1), input(data, [3, 4]));
    expect(Array.from(out)).toEqual([1, 0, 1]);
  });

  it('long axis [3, 5000] with the maximum late and tied', async () => {
    const data = randn([3, 5000], 4);
    data[4321] = 10;
    data[4999] = 10;
    data[5000 + 17] = 9;
    data[10000 + 2500] = 9;
    data[10000 + 2501] = 9;
    const out = await checkForward((_g, [x]) => x!.argmax(1), input(data, [3, 5000]));
    expect(Array.from(out)).toEqual([4321, 17, 2500]);
  });
});

describe('reduction gradients (finite differences, GPU vs CPU)', () => {
  it('sum over axis subsets, keepDims both ways', async () => {
    for (const axes of [[0], [1, 2], [0, 2], [0, 1, 2]]) {
      for (const keepDims of [false, true]) {
        await checkGradients((_g, [x]) => x!.sum(axes, keepDims).square(), input());
      }
    }
  });

  it('max over axis subsets (distinct values)', async () => {
    for (const axes of [[2], [0, 1], [0, 1, 2]]) {
      await checkGradients((_g, [x]) => x!.max(axes, axes.length === 1), input(), { eps: 1e-3 });
    }
  });

  it('max splits the gradient evenly among ties', () => {
    const g = cpuEval(
      (graph, [x]) => {
        const loss = x!.max(1).mul(graph.constantData(Float32Array.from([1, 2]), [2])).sum();
        return graph.tensor(gradOf(loss, x!).id);
      },
      input(Float32Array.from([1, 3, 3, 2, 7, 7, 7, 0]), [2, 4]),
    );
    expect(Array.from(g)).toEqual([0, 0.5, 0.5, 0, 2 / 3, 2 / 3, 2 / 3, 0].map(Math.fround));
  });
});

function gradOf(loss: Tensor, x: Tensor): Tensor {
  return grad(loss, [x])[0]!;
}
