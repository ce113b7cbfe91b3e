/**
 * Counter-based random ops: random_bits (u32), random_uniform, random_normal and
 * random_bernoulli (f32). Nothing is stateful: every element is a hash of its key, so a run
 * is reproducible whatever the batch order, device or executor.
 *
 * Inputs: `step`, a u32 [1] counter the caller feeds or updates (typically the training
 * step), and optionally `rows`, i32 [B], the dataset indices of the batch. Attrs:
 * {shape, seed, stream} plus {low, high} | {mean, std} | {p}.
 *
 * Keying of element (b, j) of an output [B, ...] (j the flat offset inside the row):
 *     hashKey(seed, stream ^ mix32(step), rows[b] * rowSize + j)       with rows
 *     hashKey(seed, stream ^ mix32(step), flat index)                   without
 * all arithmetic mod 2^32. With rows, example e's noise at step s is the same wherever e
 * sits in the batch. Distinct (stream, step) pairs could in principle collide in
 * `stream ^ mix32(step)`; with a handful of streams that chance is ~2^-32 per pair.
 *
 * CPU and GPU share src/util/random.ts (WGSL_RANDOM is the twin of hashKey), so bits and
 * uniform(0, 1) samples are identical; scaled uniforms may differ in the last ulp (the GPU
 * may fuse the multiply-add) and normals by ~1e-6 (f32 log/cos on the GPU).
 */
import type { Graph, Node } from '../ir/graph.js';
import { ShapeError, formatShape, sizeOf } from '../ir/shape.js';
import type { Tensor } from '../ir/tensor.js';
import type { OpAttrs } from '../ir/op-attrs.js';
import type { KernelOpDef } from '../ir/op.js';
import { allocFor, type TypedArray } from '../ir/typed-array.js';
import { wgslLiteral } from '../../codegen/wgsl/literal.js';
import { hashKey, mix32, normal, uniformFromBits } from '../util/random.js';
import { randomKernel } from '../../codegen/wgsl/random.js';

type RandomOp = 'random_bits' | 'random_uniform' | 'random_normal' | 'random_bernoulli';

interface RandomFamily<K extends RandomOp> {
  name: K;
  dtype: 'f32' | 'u32';
  /** The sample for a key on the CPU. */
  cpu(seed: number, streamKey: number, counter: number, attrs: OpAttrs[K]): number;
  /** The same as a WGSL expression (see RandomKernelSpec.sample). */
  wgsl(attrs: OpAttrs[K]): string;
  /** Validates the distribution's attrs. */
  check(attrs: OpAttrs[K]): void;
}

/** The stream actually hashed: the caller's stream mixed with the step. */
export function streamKey(stream: number, step: number): number {
  return ((stream >>> 0) ^ mix32(step)) >>> 0;
}

/** A distribution parameter or its default; attrs come from callers, so they are checked here. */
function num(value: number | undefined, key: string, fallback: number): number {
  const v = value ?? fallback;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new ShapeError(`random: attr ${key} must be a finite number, got ${String(v)}`);
  return v;
}

function defineRandom<K extends RandomOp>(family: RandomFamily<K>): KernelOpDef<K> {
  return {
    name: family.name,
    infer: (inputs, attrs) => {
      const shape = attrs.shape;
      if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 1)) {
        throw new ShapeError(`${family.name}: shape must list positive integers, got ${JSON.stringify(shape)}`);
      }
      for (const [k, v] of [['seed', attrs.seed], ['stream', attrs.stream]] as const) {
        if (!Number.isInteger(v)) throw new ShapeError(`${family.name}: ${k} must be an integer, got ${String(v)}`);
      }
      const [step, rows, ...rest] = inputs as [Node, Node | undefined];
      if (!step || step.dtype !== 'u32' || sizeOf(step.shape) !== 1 || rest.length) {
        throw new ShapeError(`${family.name}: inputs are a u32 [1] step and optionally i32 rows [B]`);
      }
      if (rows && (rows.dtype !== 'i32' || rows.shape.length !== 1 || shape[0] !== rows.shape[0])) {
        throw new ShapeError(`${family.name}: rows ${rows.dtype}${formatShape(rows.shape)} must be i32 [B] with B = shape[0] of ${formatShape(shape)}`);
      }
      family.check(attrs);
      return { shape, dtype: family.dtype };
    },
    cpu: ([step, rows], { node }) => {
      const seed = node.attrs.seed >>> 0;
      const key = streamKey(node.attrs.stream, step![0]!);
      const n = sizeOf(node.shape);
      const rowSize = sizeOf(node.shape.slice(1));
      const result: TypedArray = allocFor(node, n);
      for (let t = 0; t < n; t++) {
        const counter = rows ? (Math.imul(rows[Math.floor(t / rowSize)]!, rowSize) + (t % rowSize)) >>> 0 : t;
        result[t] = family.cpu(seed, key, counter, node.attrs);
      }
      return result;
    },
    grad: () => [null, null],
    kernel: ({ node, inputs }) =>
      randomKernel({
        seed: node.attrs.seed,
        stream: node.attrs.stream,
        size: sizeOf(node.shape),
        rowSize: inputs.length > 1 ? sizeOf(node.shape.slice(1)) : undefined,
        outputType: family.dtype,
        sample: family.wgsl(node.attrs),
      }),
  };
}

const f32 = (v: number): string => wgslLiteral(v, 'f32');
const UNIFORM_WGSL = 'rng_uniform_bits(rng_hash_key(seed, stream_key, counter))';

const randomBitsDef = defineRandom({
  name: 'random_bits',
  dtype: 'u32',
  cpu: (seed, key, counter) => hashKey(seed, key, counter),
  wgsl: () => 'rng_hash_key(seed, stream_key, counter)',
  check: () => {},
});

// low + (high - low) * u with u in [0, 1) on a 2^-24 grid; f32 rounding can reach `high`.
const randomUniformDef = defineRandom({
  name: 'random_uniform',
  dtype: 'f32',
  cpu: (seed, key, counter, at) => {
    const low = Math.fround(num(at.low, 'low', 0));
    const scale = Math.fround(num(at.high, 'high', 1) - num(at.low, 'low', 0));
    return low + scale * uniformFromBits(hashKey(seed, key, counter));
  },
  wgsl: (at) => `${f32(num(at.low, 'low', 0))} + ${f32(num(at.high, 'high', 1) - num(at.low, 'low', 0))} * ${UNIFORM_WGSL}`,
  check: (at) => {
    if (!(num(at.high, 'high', 1) > num(at.low, 'low', 0))) throw new ShapeError('random_uniform: need low < high');
  },
});

const randomNormalDef = defineRandom({
  name: 'random_normal',
  dtype: 'f32',
  cpu: (seed, key, counter, at) => Math.fround(num(at.mean, 'mean', 0)) + Math.fround(num(at.std, 'std', 1)) * Math.fround(normal(seed, key, counter)),
  wgsl: (at) => `${f32(num(at.mean, 'mean', 0))} + ${f32(num(at.std, 'std', 1))} * rng_normal(seed, stream_key, counter)`,
  check: (at) => {
    if (!(num(at.std, 'std', 1) >= 0)) throw new ShapeError('random_normal: std must be non-negative');
  },
});

// 1 with probability p: u < p, compared in f32 on both sides so CPU and GPU agree exactly.
const randomBernoulliDef = defineRandom({
  name: 'random_bernoulli',
  dtype: 'f32',
  cpu: (seed, key, counter, at) => (uniformFromBits(hashKey(seed, key, counter)) < Math.fround(num(at.p, 'p', 0.5)) ? 1 : 0),
  wgsl: (at) => `select(0.0, 1.0, ${UNIFORM_WGSL} < ${f32(num(at.p, 'p', 0.5))})`,
  check: (at) => {
    const p = num(at.p, 'p', 0.5);
    if (p < 0 || p > 1) throw new ShapeError(`random_bernoulli: p must lie in [0, 1], got ${p}`);
  },
});

export const randomOps = {
  random_bits: randomBitsDef,
  random_uniform: randomUniformDef,
  random_normal: randomNormalDef,
  random_bernoulli: randomBernoulliDef,
};

// ---------------------------------------------------------------------------------------
// Builder helpers

export interface RandomKey {
  seed: number;
  stream: number;
  /** u32 [1] step counter. */
  step: Tensor;
  /** i32 [B] dataset indices of the batch; shape[0] must be B. */
  rows?: Tensor;
}

function draw(g: Graph, op: RandomOp, shape: readonly number[], key: RandomKey, dist: Record<string, number>): Tensor {
  const inputs = key.rows ? [key.step, key.rows] : [key.step];
  return g.apply(op, inputs, { shape: [...shape], seed: key.seed, stream: key.stream, ...dist });
}

export function uniformLike(g: Graph, shape: readonly number[], opts: RandomKey & { low?: number; high?: number }): Tensor {
  return draw(g, 'random_uniform', shape, opts, { low: opts.low ?? 0, high: opts.high ?? 1 });
}

export function normalLike(g: Graph, shape: readonly number[], opts: RandomKey & { mean?: number; std?: number }): Tensor {
  return draw(g, 'random_normal', shape, opts, { mean: opts.mean ?? 0, std: opts.std ?? 1 });
}

export function bernoulliLike(g: Graph, shape: readonly number[], opts: RandomKey & { p: number }): Tensor {
  return draw(g, 'random_bernoulli', shape, opts, { p: opts.p });
}

/** Raw u32 hashes (for integer draws: crops, labels). */
export function bitsLike(g: Graph, shape: readonly number[], opts: RandomKey): Tensor {
  return draw(g, 'random_bits', shape, opts, {});
}
