/** Host storage of graph values, by dtype. */
import type { DType } from './dtype.js';

export type TypedArray = Float32Array | Int32Array | Uint32Array;

/** Allocate a typed array of the node's dtype. */
export function allocFor(node: { dtype: DType }, n: number): TypedArray {
  return node.dtype === 'f32' ? new Float32Array(n) : node.dtype === 'i32' ? new Int32Array(n) : new Uint32Array(n);
}
