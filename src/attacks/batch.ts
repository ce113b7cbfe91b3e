/**
 * The device variables that hold one evaluation batch, shared by every evaluation attack: the
 * images, labels and dataset indices are uploaded once per batch and each attack's programs read
 * them, so running several attacks on a batch never re-uploads it. Names are keyed by the batch
 * size because programs are compiled per batch size.
 */
import type { Graph } from '../graph/graph.js';
import type { Tensor } from '../graph/tensor.js';
import type { Runtime } from '../runtime/runtime.js';

export const batchVar = {
  x: (b: number) => `eval${b}/x`,
  y: (b: number) => `eval${b}/y`,
  index: (b: number) => `eval${b}/index`,
  /** u32 [1]: the key of the random draws of the current attack run (starts, restarts). */
  key: (b: number) => `eval${b}/key`,
  /** f32 [b]: 1 while the example resists every iterate seen so far, else 0. */
  robust: (b: number) => `eval${b}/robust`,
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
    x: g.variable(batchVar.x(b), [b, ...inputShape]),
    y: g.variable(batchVar.y(b), [b], 'i32'),
    index: g.variable(batchVar.index(b), [b], 'i32'),
    key: g.variable(batchVar.key(b), [1], 'u32'),
    robust: g.variable(batchVar.robust(b), [b]),
  };
}

/** Upload a batch: images in [0, 1] (NCHW), labels, and dataset indices (the keys of per-example randomness). */
export function writeBatch(rt: Runtime, inputShape: readonly number[], b: number, x: Float32Array, y: Int32Array, index: Int32Array): void {
  const s = rt.variables;
  s.write(batchVar.x(b), x, [b, ...inputShape], 'f32');
  s.write(batchVar.y(b), y, [b], 'i32');
  s.write(batchVar.index(b), index, [b], 'i32');
}

export function writeRobust(rt: Runtime, b: number, flags: Uint8Array): void {
  rt.variables.write(batchVar.robust(b), Float32Array.from(flags), [b], 'f32');
}

export function writeKey(rt: Runtime, b: number, key: number): void {
  rt.variables.write(batchVar.key(b), Uint32Array.of(key >>> 0), [1], 'u32');
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
