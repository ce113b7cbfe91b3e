/**
 * `softmax` and `log_softmax` along one axis (attrs `{ axis }`, normalised), as primitives so
 * their kernels can be numerically stable (row max subtracted) and their gradients cheap.
 */
import { ShapeError, formatShape } from '../ir/shape.js';
import type { KernelOpDef } from '../ir/op.js';
import type { TypedArray } from '../ir/typed-array.js';
import { rowLayout, rowBase, type RowLayout } from '../../codegen/wgsl/rows.js';
import { softmaxKernel } from '../../codegen/wgsl/softmax.js';


export interface RowStats {
  /** Row maximum. */
  max: number;
  /** sum_j exp(x_j - max), in f64. */
  sumExp: number;
}

/** Stable row statistics for the CPU references (softmax family and cross-entropy). */
export function rowStats(x: TypedArray, l: RowLayout, base: number): RowStats {
  let max = -Infinity;
  for (let j = 0; j < l.size; j++) max = Math.max(max, x[base + j * l.inner]!);
  let sumExp = 0;
  for (let j = 0; j < l.size; j++) sumExp += Math.exp(x[base + j * l.inner]! - max);
  return { max, sumExp };
}

function softmaxFamily<K extends 'softmax' | 'log_softmax'>(name: K): KernelOpDef<K> {
  const log = name === 'log_softmax';
  return {
    name,
    infer: (inputs, attrs) => {
      const x = inputs[0]!;
      const axis = attrs.axis;
      if (!Number.isInteger(axis) || axis < 0 || axis >= x.shape.length) {
        throw new ShapeError(`${name}: axis ${axis} is out of range for ${formatShape(x.shape)}`);
      }
      if (x.dtype !== 'f32') throw new ShapeError(`${name}: needs f32 input, got ${x.dtype}`);
      return { shape: x.shape, dtype: 'f32' };
    },
    cpu: (inputs, ctx) => {
      const x = inputs[0]!;
      const l = rowLayout(ctx.inputs[0]!.shape, ctx.node.attrs.axis);
      const out = new Float32Array(x.length);
      for (let r = 0; r < l.rows; r++) {
        const base = rowBase(l, r);
        const { max, sumExp } = rowStats(x, l, base);
        const logSum = Math.log(sumExp);
        for (let j = 0; j < l.size; j++) {
          const i = base + j * l.inner;
          out[i] = log ? x[i]! - max - logSum : Math.exp(x[i]! - max) / sumExp;
        }
      }
      return out;
    },
    grad: (g, ctx) => {
      const axis = ctx.attrs.axis;
      const y = ctx.output;
      // softmax: dx = y * (g - sum(g * y)); log_softmax: dx = g - softmax(x) * sum(g).
      if (!log) {
        const gy = g.mul(y);
        return [gy.sub(y.mul(gy.sum(axis, true)))];
      }
      return [g.sub(y.exp().mul(g.sum(axis, true)))];
    },
    kernel: (ctx) => softmaxKernel(rowLayout(ctx.inputs[0]!.shape, ctx.node.attrs.axis), log),
  };
}

export const softmaxOps = { softmax: softmaxFamily('softmax'), log_softmax: softmaxFamily('log_softmax') };
