import { describe, it, expect } from 'vitest';
import { checkForward, checkGradients, randn, expectClose, type InputSpec } from '../helpers/op-harness.js';
import { Graph } from '../../src/ir/graph.js';
import { OPS } from '../../src/ops/registry.js';
import {
  oneHot,
  topkValues,
  topkIndices,
  crossEntropy,
  klDiv,
  tradesKl,
  mse,
  marginLoss,
  dlrLoss,
  dlrTargetedLoss,
} from '../../src/ops/losses.js';

const f32 = (name: string, shape: number[], data: ArrayLike<number>): InputSpec => ({ name, shape, data: Float32Array.from(data) });
const i32 = (name: string, data: number[]): InputSpec => ({ name, shape: [data.length], data: Int32Array.from(data), dtype: 'i32' });

/** Logits whose entries are at least ~0.2 apart (top-k order and argmaxes stay put under finite differences). */
function separatedLogits(rows: number, classes: number, seed: number): Float32Array {
  const noise = randn([rows, classes], seed);
  const out = new Float32Array(rows * classes);
  for (let r = 0; r < rows; r++) {
    const order = Array.from({ length: classes }, (_, j) => j).sort((a, b) => noise[r * classes + a]! - noise[r * classes + b]!);
    order.forEach((j, rank) => (out[r * classes + j] = 0.7 * rank - 2 + 0.05 * noise[(r * classes + rank + 1) % noise.length]!));
  }
  return out;
}

// Hand references in f64.
const logSumExp = (z: number[]) => {
  const m = Math.max(...z);
  return m + Math.log(z.reduce((s, v) => s + Math.exp(v - m), 0));
};
const softmax = (z: number[]) => z.map((v) => Math.exp(v - logSumExp(z)));

describe('one_hot and top-k primitives', () => {
  it('one_hot, out-of-range labels give zero rows', async () => {
    const out = await checkForward((_g, [y]) => oneHot(y!, 4), [i32('y', [2, 0, -1, 3, 4])]);
    expect(Array.from(out)).toEqual([0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0]);
  });

  it('topk values and indices, descending, ties to the lower index', async () => {
    const data = [1, 3, 3, 2, 5, /**/ 0, 0, 0, 0, 0, /**/ -1, 4, -2, 4, 4];
    const v = await checkForward((_g, [x]) => topkValues(x!, 4), [f32('x', [3, 5], data)]);
    const i = await checkForward((_g, [x]) => topkIndices(x!, 4), [f32('x', [3, 5], data)]);
    expect(Array.from(v)).toEqual([5, 3, 3, 2, 0, 0, 0, 0, 4, 4, 4, -1]);
    expect(Array.from(i)).toEqual([4, 1, 2, 3, 0, 1, 2, 3, 1, 3, 4, 0]);
  });

  it('topk over a longer random axis matches a sort', async () => {
    const data = randn([6, 37], 1);
    const v = await checkForward((_g, [x]) => topkValues(x!, 5), [f32('x', [6, 37], data)]);
    for (let r = 0; r < 6; r++) {
      const sorted = Array.from(data.slice(r * 37, r * 37 + 37)).sort((a, b) => b - a);
      expect(Array.from(v.slice(r * 5, r * 5 + 5))).toEqual(sorted.slice(0, 5));
    }
  });

  it('topk_values gradient scatters back to the picked positions', async () => {
    await checkGradients((_g, [x]) => topkValues(x!, 3), [f32('x', [4, 6], separatedLogits(4, 6, 2))], { eps: 1e-3 });
  });
});

describe('softmax cross-entropy', () => {
  const logits = [1, 2, 3, 0, 0, 0];
  const labels = [2, 1];
  const hand = [logSumExp([1, 2, 3]) - 3, Math.log(3)];

  it('per-example values vs hand computation (GPU and CPU)', async () => {
    const out = await checkForward((_g, [z, y]) => crossEntropy(z!, y!, 'none'), [f32('z', [2, 3], logits), i32('y', labels)]);
    expectClose(out, hand, { rtol: 1e-6, atol: 1e-6 });
  });

  it('mean and sum reductions', async () => {
    const mean = await checkForward((_g, [z, y]) => crossEntropy(z!, y!), [f32('z', [2, 3], logits), i32('y', labels)]);
    const sum = await checkForward((_g, [z, y]) => crossEntropy(z!, y!, 'sum'), [f32('z', [2, 3], logits), i32('y', labels)]);
    expectClose(mean, [(hand[0]! + hand[1]!) / 2], { rtol: 1e-6 });
    expectClose(sum, [hand[0]! + hand[1]!], { rtol: 1e-6 });
  });

  it('is stable for huge logits and gives NaN for out-of-range labels', async () => {
    const out = await checkForward((_g, [z, y]) => crossEntropy(z!, y!, 'none'), [f32('z', [3, 3], [1000, 0, -1000, 50, 60, 70, 1, 1, 1]), i32('y', [1, 2, 3])]);
    expectClose(out.slice(0, 2), [1000, logSumExp([50, 60, 70]) - 70], { rtol: 1e-6, atol: 1e-4 });
    expect(out[2]).toBeNaN();
  });

  it('on [128, 10] batches', async () => {
    const y = Array.from({ length: 128 }, (_, i) => (i * 7) % 10);
    await checkForward((_g, [z, l]) => crossEntropy(z!, l!, 'none'), [f32('z', [128, 10], randn([128, 10], 3, 3)), i32('y', y)]);
  });

  it('gradient (softmax - onehot) * g vs finite differences and GPU', async () => {
    await checkGradients((_g, [z, y]) => crossEntropy(z!, y!, 'none'), [f32('z', [5, 7], randn([5, 7], 4)), i32('y', [0, 6, 3, 3, 1])], { eps: 1e-3 });
    await checkGradients((_g, [z, y]) => crossEntropy(z!, y!), [f32('z', [5, 7], randn([5, 7], 5)), i32('y', [2, 1, 0, 6, 5])], { eps: 1e-3 });
  });
});

describe('KL divergences', () => {
  it('klDiv vs hand computation, zero probabilities count 0', async () => {
    const p = [0.2, 0.3, 0.5, 0, 0.5, 0.5];
    const q = [0.1, 0.6, 0.3, 0.2, 0.4, 0.4];
    const out = await checkForward((_g, [a, b]) => klDiv(a!, b!), [f32('p', [2, 3], p), f32('q', [2, 3], q)]);
    const hand = [0.2 * Math.log(2) + 0.3 * Math.log(0.5) + 0.5 * Math.log(5 / 3), Math.log(1.25)];
    expectClose(out, hand, { rtol: 1e-5, atol: 1e-6 });
  });

  it('tradesKl is the batch mean of KL(softmax(nat) || softmax(adv)), by hand', async () => {
    const nat = [1, 2, 0.5, -1, 0, 3, 2, 2];
    const adv = [0.5, 2.5, 0, -0.5, 1, 1, 1, 1];
    const out = await checkForward((_g, [a, n]) => tradesKl(a!, n!), [f32('adv', [2, 4], adv), f32('nat', [2, 4], nat)]);
    let total = 0;
    for (let r = 0; r < 2; r++) {
      const p = softmax(nat.slice(r * 4, r * 4 + 4));
      const q = softmax(adv.slice(r * 4, r * 4 + 4));
      total += p.reduce((s, pi, i) => s + pi * Math.log(pi / q[i]!), 0);
    }
    expectClose(out, [total / 2], { rtol: 1e-5, atol: 1e-6 });
    const sum = await checkForward((_g, [a, n]) => tradesKl(a!, n!, 'sum'), [f32('adv', [2, 4], adv), f32('nat', [2, 4], nat)]);
    expectClose(sum, [total], { rtol: 1e-5, atol: 1e-6 });
  });

  it('tradesKl has no NaN when a probability underflows', async () => {
    const out = await checkForward((_g, [a, n]) => tradesKl(a!, n!, 'none'), [f32('adv', [1, 3], [0, 0, 0]), f32('nat', [1, 3], [200, 0, -200])]);
    expectClose(out, [Math.log(3)], { rtol: 1e-5 });
  });

  it('gradients of klDiv and tradesKl vs finite differences and GPU', async () => {
    await checkGradients((_g, [a, b]) => klDiv(a!.softmax(-1), b!.softmax(-1)), [f32('a', [3, 5], randn([3, 5], 6)), f32('b', [3, 5], randn([3, 5], 7))], { eps: 1e-3 });
    await checkGradients((_g, [a, n]) => tradesKl(a!, n!), [f32('adv', [4, 5], randn([4, 5], 8)), f32('nat', [4, 5], randn([4, 5], 9))], { eps: 1e-3 });
  });
});

describe('mse', () => {
  it('mean over all elements, value and gradients', async () => {
    const out = await checkForward((_g, [a, b]) => mse(a!, b!), [f32('a', [2, 2], [1, 2, 3, 4]), f32('b', [2, 2], [0, 0, 5, 4])]);
    expectClose(out, [(1 + 4 + 4 + 0) / 4]);
    await checkGradients((_g, [a, b]) => mse(a!, b!), [f32('a', [3, 4], randn([3, 4], 10)), f32('b', [3, 4], randn([3, 4], 11))]);
  });
});

describe('margin and DLR losses', () => {
  // One logits vector, sorted descending 4, 3, 2, 1, 0.
  const z = [1, 4, 2, 3, 0];
  const row = (labels: number[]) => f32('z', [labels.length, 5], labels.flatMap(() => z));

  it('C&W margin: -max(z_y - max_{i!=y} z_i + kappa, 0) by hand', async () => {
    const k50 = await checkForward((_g, [x, y]) => marginLoss(x!, y!, 50), [row([2, 1]), i32('y', [2, 1])]);
    expectClose(k50, [-(2 - 4 + 50), -(4 - 3 + 50)]);
    const k0 = await checkForward((_g, [x, y]) => marginLoss(x!, y!, 0), [row([2, 1]), i32('y', [2, 1])]);
    expectClose(k0, [0, -1]);
  });

  it('DLR: -(z_y - max_{i!=y} z_i) / (z_pi1 - z_pi3 + 1e-12) by hand', async () => {
    const out = await checkForward((_g, [x, y]) => dlrLoss(x!, y!), [row([2, 1, 4]), i32('y', [2, 1, 4])]);
    // y=2: -(2-4)/(4-2); y=1 (the top class): -(4-3)/2; y=4: -(0-4)/2.
    expectClose(out, [1, -0.5, 2], { rtol: 1e-6 });
  });

  it('targeted DLR: -(z_y - z_t) / (z_pi1 - (z_pi3 + z_pi4)/2 + 1e-12) by hand', async () => {
    const out = await checkForward((_g, [x, y, t]) => dlrTargetedLoss(x!, y!, t!), [row([2, 1, 0]), i32('y', [2, 1, 0]), i32('t', [1, 3, 4])]);
    // denominator 4 - (2 + 1)/2 = 2.5
    expectClose(out, [-(2 - 4) / 2.5, -(4 - 3) / 2.5, -(1 - 0) / 2.5], { rtol: 1e-6 });
  });

  it('need enough classes', () => {
    const g = new Graph(OPS);
    const x = g.input('z', [1, 3]);
    const y = g.input('y', [1], 'i32');
    expect(() => dlrTargetedLoss(x, y, y)).toThrow(/at least 4 classes/);
    expect(() => dlrLoss(x.slice([0, 0], [1, 2]), y)).toThrow(/at least 3 classes/);
  });

  const labels = [0, 3, 5, 1];
  const inputs = () => [f32('z', [4, 6], separatedLogits(4, 6, 12)), i32('y', labels)];
  it('margin gradient vs finite differences and GPU', async () => {
    await checkGradients((_g, [x, y]) => marginLoss(x!, y!, 1.1), inputs(), { eps: 1e-3 });
  });
  it('DLR gradient vs finite differences and GPU', async () => {
    await checkGradients((_g, [x, y]) => dlrLoss(x!, y!), inputs(), { eps: 1e-3 });
  });
  it('targeted DLR gradient vs finite differences and GPU', async () => {
    await checkGradients((_g, [x, y, t]) => dlrTargetedLoss(x!, y!, t!), [...inputs(), i32('t', [2, 2, 0, 4])], { eps: 1e-3 });
  });
});
