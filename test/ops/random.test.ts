import { describe, expect, it } from 'vitest';
import { Graph } from '../../src/ir/graph.js';
import { OPS } from '../../src/ops/registry.js';
import { ShapeError } from '../../src/ir/shape.js';
import type { Tensor } from '../../src/ir/tensor.js';
import type { TypedArray } from '../../src/ir/typed-array.js';
import { bernoulliLike, bitsLike, normalLike, uniformLike, type RandomKey } from '../../src/ops/random.js';
import { hashKey, mix32, Streams } from '../../src/util/random.js';
import { runCpu } from '../../src/runtime/cpu-executor.js';
import { checkGradients, expectClose, gpuRun, randn } from '../helpers/op-harness.js';

type Draw = (g: Graph, shape: number[], key: RandomKey) => Tensor;

interface Run {
  cpu: TypedArray;
  gpu: TypedArray;
}

/** Draw once on the CPU reference and once on the GPU with the same key. */
async function draw(make: Draw, shape: number[], opts: { seed?: number; stream?: number; step?: number; rows?: number[] } = {}): Promise<Run> {
  const g = new Graph(OPS);
  const step = g.input('step', [1], 'u32');
  const rows = opts.rows ? g.input('rows', [opts.rows.length], 'i32') : undefined;
  const out = make(g, shape, { seed: opts.seed ?? 1234, stream: opts.stream ?? Streams.dropout, step, rows });
  const feeds: Record<string, TypedArray> = { step: Uint32Array.of(opts.step ?? 0) };
  if (opts.rows) feeds['rows'] = Int32Array.from(opts.rows);
  const cpu = runCpu(g, { feeds, outputs: [out.id] }).values.get(out.id)!;
  const [gpu] = await gpuRun(g, feeds, [out]);
  return { cpu, gpu: gpu! };
}

const bits: Draw = (g, shape, key) => bitsLike(g, shape, key);
const unit: Draw = (g, shape, key) => uniformLike(g, shape, key);

function fractionEqual(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let same = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === b[i]) same++;
  return same / a.length;
}

function moments(x: ArrayLike<number>): { mean: number; variance: number; min: number; max: number } {
  let s = 0;
  let s2 = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    s += v;
    s2 += v * v;
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  const mean = s / x.length;
  return { mean, variance: s2 / x.length - mean * mean, min, max };
}

describe('keying', () => {
  it('GPU and CPU give identical bits, equal to hashKey(seed, stream ^ mix32(step), rows[b] * rowSize + j)', async () => {
    const rows = [7, 0, 49999, 3];
    const { cpu, gpu } = await draw(bits, [4, 3, 5], { seed: 99, stream: 4, step: 123456, rows });
    expect([...gpu]).toEqual([...cpu]);
    const key = (4 ^ mix32(123456)) >>> 0;
    const expected = rows.flatMap((r) => Array.from({ length: 15 }, (_, j) => hashKey(99, key, r * 15 + j)));
    expect([...cpu]).toEqual(expected);
  });
  it('without rows, the counter is the flat index', async () => {
    const { cpu, gpu } = await draw(bits, [10, 7], { seed: 5, stream: 2, step: 0xffffffff });
    expect([...gpu]).toEqual([...cpu]);
    const key = (2 ^ mix32(0xffffffff)) >>> 0;
    expect([...cpu]).toEqual(Array.from({ length: 70 }, (_, t) => hashKey(5, key, t)));
  });
  it('uniform(0, 1) and bernoulli are bit-identical on GPU and CPU', async () => {
    const u = await draw(unit, [64, 33], { rows: Array.from({ length: 64 }, (_, b) => 1000 - 3 * b), step: 17 });
    expect([...u.gpu]).toEqual([...u.cpu]);
    const b = await draw((g, s, k) => bernoulliLike(g, s, { ...k, p: 0.3 }), [2000], { step: 3 });
    expect([...b.gpu]).toEqual([...b.cpu]);
  });
  it('scaled uniforms and normals agree to float rounding', async () => {
    const u = await draw((g, s, k) => uniformLike(g, s, { ...k, low: -2, high: 3 }), [5000], { step: 8 });
    expectClose(u.gpu, u.cpu, { rtol: 1e-6, atol: 1e-6 }, 'uniform(-2, 3)');
    const n = await draw((g, s, k) => normalLike(g, s, { ...k, mean: 1, std: 0.5 }), [5000], { step: 8, rows: undefined });
    expectClose(n.gpu, n.cpu, { rtol: 1e-4, atol: 1e-4 }, 'normal(1, 0.5)');
  });
  it('different steps, seeds and streams give different samples', async () => {
    const base = await draw(bits, [4000], { seed: 1, stream: 8, step: 10 });
    for (const other of [{ seed: 1, stream: 8, step: 11 }, { seed: 2, stream: 8, step: 10 }, { seed: 1, stream: 9, step: 10 }]) {
      const o = await draw(bits, [4000], other);
      expect(fractionEqual(o.gpu, base.gpu), JSON.stringify(other)).toBeLessThan(0.001);
    }
    const again = await draw(bits, [4000], { seed: 1, stream: 8, step: 10 });
    expect([...again.gpu]).toEqual([...base.gpu]);
  });
  it('permuting the batch rows permutes the samples exactly', async () => {
    const rows = [12, 5, 40000, 7, 3, 99];
    const perm = [3, 0, 5, 1, 4, 2];
    const a = await draw(unit, [6, 2, 3], { rows, step: 77 });
    const b = await draw(unit, [6, 2, 3], { rows: perm.map((p) => rows[p]!), step: 77 });
    const permuted = perm.flatMap((p) => [...a.gpu.subarray(p * 6, (p + 1) * 6)]);
    expect([...b.gpu]).toEqual(permuted);
    // An example keeps its noise in a batch of a different size too.
    const c = await draw(unit, [2, 2, 3], { rows: [99, 12], step: 77 });
    expect([...c.gpu]).toEqual([...a.gpu.subarray(30, 36), ...a.gpu.subarray(0, 6)]);
  });
});

describe('distributions (100k samples on the GPU)', () => {
  const N = 100_000;
  it('uniform(low, high): range, mean and variance', async () => {
    const { gpu } = await draw((g, s, k) => uniformLike(g, s, { ...k, low: -1, high: 3 }), [N], { step: 1 });
    const m = moments(gpu);
    expect(m.min).toBeGreaterThanOrEqual(-1);
    expect(m.max).toBeLessThan(3);
    expect(Math.abs(m.mean - 1)).toBeLessThan(0.02); // sd of the mean: 4 / sqrt(12 N) ~ 0.0037
    expect(Math.abs(m.variance - 16 / 12)).toBeLessThan(0.03);
  });
  it('normal: mean ~ 0, std ~ 1, and mean/std attrs shift and scale', async () => {
    const { gpu } = await draw((g, s, k) => normalLike(g, s, k), [N], { step: 2, rows: undefined });
    const m = moments(gpu);
    expect(Math.abs(m.mean)).toBeLessThan(0.015);
    expect(Math.abs(Math.sqrt(m.variance) - 1)).toBeLessThan(0.015);
    const shifted = moments((await draw((g, s, k) => normalLike(g, s, { ...k, mean: 5, std: 2 }), [N], { step: 2 })).gpu);
    expect(Math.abs(shifted.mean - 5)).toBeLessThan(0.03);
    expect(Math.abs(Math.sqrt(shifted.variance) - 2)).toBeLessThan(0.03);
  });
  it('bernoulli: rate ~ p, and exactly 0/1', async () => {
    for (const p of [0.1, 0.5, 0.9]) {
      const { gpu } = await draw((g, s, k) => bernoulliLike(g, s, { ...k, p }), [N], { step: 3 });
      expect(gpu.every((v) => v === 0 || v === 1)).toBe(true);
      expect(Math.abs(moments(gpu).mean - p)).toBeLessThan(0.006); // sd <= 0.0016
    }
    const never = await draw((g, s, k) => bernoulliLike(g, s, { ...k, p: 0 }), [1000]);
    const always = await draw((g, s, k) => bernoulliLike(g, s, { ...k, p: 1 }), [1000]);
    expect(never.gpu.every((v) => v === 0) && always.gpu.every((v) => v === 1)).toBe(true);
  });
});

describe('use in graphs', () => {
  it('noise is a constant to autodiff (dropout-style mask)', async () => {
    await checkGradients(
      (g, [x, step]) => x!.mul(bernoulliLike(g, [4, 6], { seed: 3, stream: Streams.dropout, step: step!, p: 0.5 })).square(),
      [
        { name: 'x', shape: [4, 6], data: randn([4, 6], 1) },
        { name: 'step', shape: [1], dtype: 'u32', data: [42] },
      ],
    );
  });
  it('rejects bad keys and attrs', () => {
    const g = new Graph(OPS);
    const step = g.input('step', [1], 'u32');
    const rows = g.input('rows', [4], 'i32');
    const key = { seed: 1, stream: 2, step };
    expect(() => uniformLike(g, [5, 2], { ...key, rows })).toThrow(ShapeError);
    expect(() => uniformLike(g, [4, 2], { ...key, step: g.input('s', [1], 'i32') })).toThrow(ShapeError);
    expect(() => uniformLike(g, [4], { ...key, low: 1, high: 1 })).toThrow(ShapeError);
    expect(() => bernoulliLike(g, [4], { ...key, p: 1.5 })).toThrow(ShapeError);
    expect(() => normalLike(g, [4], { ...key, seed: 0.5 })).toThrow(ShapeError);
  });
});
