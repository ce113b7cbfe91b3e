/**
 * The device variables that hold one evaluation batch, shared by every evaluation attack: the
 * images, labels and dataset indices are uploaded once per batch and each attack's programs read
 * them, so running several attacks on a batch never re-uploads it.
 *
 * Every evaluation variable (the batch and each attack's per-batch state) lives under
 * `eval/<key>/`, where the key is the full batch shape, e.g. `eval/b128x1x28x28/x`: programs are
 * compiled per batch size, and one runtime may evaluate models of different input shapes (a sweep
 * over data sets, the trainer and `matc eval` side by side). Keyed by the batch size alone, two
 * shapes at the same size would ask for one variable with two shapes.
 */
import type { Graph } from '../ir/graph.js';
import type { Tensor } from '../ir/tensor.js';
import type { Runtime } from '../runtime/runtime.js';

/** `b128x1x28x28`: the batch size and the input shape, the key of every evaluation variable. */
export function evalBatchKey(b: number, inputShape: readonly number[]): string {
  return `b${[b, ...inputShape].join('x')}`;
}

/**
 * The name of an evaluation variable of a batch: `eval/b128x1x28x28/<name>`. Attacks name their
 * per-batch state with it under their own prefix (`pgd/delta`, `apgd/x_adv`, `square/x_best`).
 */
export function evalVar(b: number, inputShape: readonly number[], name: string): string {
  return `eval/${evalBatchKey(b, inputShape)}/${name}`;
}

export const batchVar = {
  x: (b: number, inputShape: readonly number[]) => evalVar(b, inputShape, 'x'),
  y: (b: number, inputShape: readonly number[]) => evalVar(b, inputShape, 'y'),
  index: (b: number, inputShape: readonly number[]) => evalVar(b, inputShape, 'index'),
  /** u32 [1]: the key of the random draws of the current attack run (starts, restarts). */
  key: (b: number, inputShape: readonly number[]) => evalVar(b, inputShape, 'key'),
  /** f32 [b]: 1 while the example resists every iterate seen so far, else 0. */
  robust: (b: number, inputShape: readonly number[]) => evalVar(b, inputShape, 'robust'),
};

export interface BatchTensors {
  x: Tensor;
  y: Tensor;
  index: Tensor;
  key: Tensor;
  robust: Tensor;
}

export function batchTensors(g: Graph, b: number, inputShape: readonly number[]): BatchTensors {
  return {
    x: g.variable(batchVar.x(b, inputShape), [b, ...inputShape]),
    y: g.variable(batchVar.y(b, inputShape), [b], 'i32'),
    index: g.variable(batchVar.index(b, inputShape), [b], 'i32'),
    key: g.variable(batchVar.key(b, inputShape), [1], 'u32'),
    robust: g.variable(batchVar.robust(b, inputShape), [b]),
  };
}

/** Upload a batch: images in [0, 1] (NCHW), labels, and dataset indices (the keys of per-example randomness). */
export function writeBatch(rt: Runtime, inputShape: readonly number[], b: number, x: Float32Array, y: Int32Array, index: Int32Array): void {
  const s = rt.variables;
  s.write(batchVar.x(b, inputShape), x, [b, ...inputShape], 'f32');
  s.write(batchVar.y(b, inputShape), y, [b], 'i32');
  s.write(batchVar.index(b, inputShape), index, [b], 'i32');
}

/** Set the robust flags an attack starts from (and narrows). */
export function writeRobust(rt: Runtime, inputShape: readonly number[], b: number, flags: Uint8Array): void {
  rt.variables.write(batchVar.robust(b, inputShape), Float32Array.from(flags), [b], 'f32');
}

export function writeKey(rt: Runtime, inputShape: readonly number[], b: number, key: number): void {
  rt.variables.write(batchVar.key(b, inputShape), Uint32Array.of(key >>> 0), [1], 'u32');
}

export async function readFlags(rt: Runtime, name: string): Promise<Uint8Array> {
  return toFlags(await rt.variables.read(name));
}

export function toFlags(a: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! > 0.5 ? 1 : 0;
  return out;
}

/** Axes 1..rank-1 of a [B, ...] tensor: the per-example reduction axes. */
export function exampleAxes(t: Tensor): number[] {
  return Array.from({ length: t.rank - 1 }, (_, i) => i + 1);
}

/** A per-example [B] value as [B, 1, ..., 1] to scale a [B, ...] tensor. */
export function perExample(v: Tensor, like: Tensor): Tensor {
  return v.reshape([v.shape[0]!, ...Array.from({ length: like.rank - 1 }, () => 1)]);
}
