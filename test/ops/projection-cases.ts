/** What the L-inf and L2 hyperplane-projection tests share: the op run on the CPU reference, and a row's dot product. */
import { cpuEval } from '../helpers/op-harness.js';
import type { Tensor } from '../../src/ir/tensor.js';

type Projection = (points: Tensor, normals: Tensor, offsets: Tensor) => Tensor;

/** The projection's CPU result for `rows` rows of width n. */
export const cpuProjection = (op: Projection) => (rows: number, n: number, t: Float32Array, w: Float32Array, b: Float32Array) =>
  cpuEval((_g, [pt, pw, pb]) => op(pt!, pw!, pb!), [
    { name: 't', shape: [rows, n], data: t },
    { name: 'w', shape: [rows, n], data: w },
    { name: 'b', shape: [rows], data: b },
  ]);

/** sum_i a[base + i] c[base + i] over one row of width n. */
export const rowDot = (a: ArrayLike<number>, c: ArrayLike<number>, base: number, n: number) => {
  let s = 0;
  for (let i = 0; i < n; i++) s += a[base + i]! * c[base + i]!;
  return s;
};
