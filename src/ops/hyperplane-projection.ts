/**
 * What the L-inf and L2 hyperplane projections share: the op signature
 * `(t [R, n], w [R, n], b [R]) -> d [R, n]` (its shape rule), the CPU reference applied row by row,
 * and a kernel built from the row count and width. Each norm supplies its row solver and kernel.
 */
import { ShapeError, formatShape } from '../ir/shape.js';
import type { Kernel, KernelOpDef } from '../ir/op.js';

/** Writes row `base / n`'s step into out[base, base + n), given the row's points t, normals w and offset b. */
export type ProjectRow = (t: ArrayLike<number>, w: ArrayLike<number>, b: number, base: number, n: number, out: Float32Array) => void;

type ProjectionOp = 'linf_hyperplane_projection' | 'l2_hyperplane_projection';

export function hyperplaneProjection<K extends ProjectionOp>(name: K, projectRow: ProjectRow, kernel: (rows: number, n: number) => Kernel): KernelOpDef<K> {
  return {
    name,
    infer: ([t, w, b]) => {
      if (t!.shape.length !== 2) throw new ShapeError(`${name}: points must be [rows, n], got ${formatShape(t!.shape)}`);
      if (w!.shape.join() !== t!.shape.join()) throw new ShapeError(`${name}: normals ${formatShape(w!.shape)} must match points ${formatShape(t!.shape)}`);
      if (b!.shape.length !== 1 || b!.shape[0] !== t!.shape[0]) throw new ShapeError(`${name}: offsets must be [${t!.shape[0]}], got ${formatShape(b!.shape)}`);
      if (t!.dtype !== 'f32' || w!.dtype !== 'f32' || b!.dtype !== 'f32') throw new ShapeError(`${name}: needs f32 inputs`);
      return { shape: t!.shape, dtype: 'f32' };
    },
    cpu: ([t, w, b], ctx) => {
      const [rows, n] = ctx.inputs[0]!.shape as [number, number];
      const out = new Float32Array(rows * n);
      for (let r = 0; r < rows; r++) projectRow(t!, w!, b![r]!, r * n, n, out);
      return out;
    },
    kernel: (ctx) => {
      const [rows, n] = ctx.inputs[0]!.shape as [number, number];
      return kernel(rows, n);
    },
  };
}
