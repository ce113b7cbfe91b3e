/**
 * Reductions: `sum` and `max` over any set of axes, `argmax` over one axis.
 * Attrs: sum/max `{ axes: number[] (normalised, sorted), keepDims: boolean }`; argmax `{ axis }`.
 * Optional attr `strategy: 'thread' | 'workgroup'` pins the kernel strategy (tests use it to
 * run both strategies on the same shapes); by default the shape decides.
 * Kernels come from codegen/wgsl/reduce.ts (thread or workgroup per output, by shape).
 */
import type { Node } from '../ir/graph.js';
import { reducedShape, ShapeError, shapesEqual, formatShape } from '../ir/shape.js';
import type { Tensor } from '../ir/tensor.js';
import { planReduction, reductionKernel, type ReduceKind } from '../../codegen/wgsl/reduce.js';
import type { OpName } from '../ir/op-attrs.js';
import type { CpuContext, GradContext, KernelOpDef } from '../ir/op.js';
import { allocFor, type TypedArray } from '../ir/typed-array.js';

function checkAxes(op: string, x: Node, axes: readonly number[]): void {
  for (const a of axes) {
    if (!Number.isInteger(a) || a < 0 || a >= x.shape.length) {
      throw new ShapeError(`${op}: axis ${a} is out of range for ${formatShape(x.shape)} (attrs must be normalised)`);
    }
  }
}

/**
 * CPU reference for every reduction: visit each output, fold its inputs in increasing
 * flat order (so argmax keeps the first maximum, as the kernels do).
 */
function cpuReduce<K extends OpName>(kind: ReduceKind, axes: readonly number[]) {
  return (inputs: TypedArray[], ctx: CpuContext<K>): TypedArray => {
    const x = inputs[0]!;
    const inNode = ctx.inputs[0]!;
    const plan = planReduction(inNode.shape, axes);
    const out = allocFor(ctx.node, plan.outCount);
    const keptIdx = new Array<number>(plan.kept.length).fill(0);
    const redIdx = new Array<number>(plan.reduced.length).fill(0);
    // The kernels' identity for max: what an empty max gives, and what argmax starts from.
    const lowest = inNode.dtype === 'f32' ? -Infinity : inNode.dtype === 'i32' ? -2147483648 : 0;
    const wrap = inNode.dtype === 'i32' ? (v: number) => v | 0 : inNode.dtype === 'u32' ? (v: number) => v >>> 0 : Math.fround;
    for (let o = 0; o < plan.outCount; o++) {
      let base = 0;
      plan.kept.forEach((d, k) => (base += keptIdx[k]! * d.stride));
      redIdx.fill(0);
      // f32 sums accumulate in f64 and round once: the reference is the exact-ish answer.
      let acc = kind === 'sum' ? 0 : lowest;
      let best = 0;
      for (let r = 0; r < plan.reduceCount; r++) {
        let off = base;
        plan.reduced.forEach((d, k) => (off += redIdx[k]! * d.stride));
        const v = x[off]!;
        if (kind === 'sum') acc = inNode.dtype === 'f32' ? acc + v : wrap(acc + v);
        else if (v > acc) {
          acc = v;
          best = r;
        }
        increment(redIdx, plan.reduced);
      }
      out[o] = kind === 'argmax' ? best : wrap(acc);
      increment(keptIdx, plan.kept);
    }
    return out;
  };
}

/** Row-major increment of a multi-index over `dims`. */
function increment(idx: number[], dims: readonly { size: number }[]): void {
  for (let k = dims.length - 1; k >= 0; k--) {
    idx[k]!++;
    if (idx[k]! < dims[k]!.size) return;
    idx[k] = 0;
  }
}

/** The reduced value, or gradient, reshaped to keep the reduced axes as size 1 (for broadcasting). */
function withKeptDims(t: Tensor, inShape: readonly number[], axes: readonly number[]): Tensor {
  const keep = reducedShape(inShape, axes, true);
  return shapesEqual(t.shape, keep) ? t : t.reshape(keep);
}

function reduction<K extends 'sum' | 'max'>(kind: K, grad: (g: Tensor, ctx: GradContext<K>) => (Tensor | null)[]): KernelOpDef<K> {
  return {
    name: kind,
    infer: (inputs, attrs) => {
      const x = inputs[0]!;
      const axes = attrs.axes;
      checkAxes(kind, x, axes);
      return { shape: reducedShape(x.shape, axes, attrs.keepDims === true), dtype: x.dtype };
    },
    cpu: (inputs, ctx) => cpuReduce<K>(kind, ctx.node.attrs.axes)(inputs, ctx),
    grad,
    kernel: (ctx) => reductionKernel({ kind, inShape: ctx.inputs[0]!.shape, axes: ctx.node.attrs.axes, inDtype: ctx.inputs[0]!.dtype, strategy: ctx.node.attrs.strategy }),
  };
}

// d sum / dx = 1 everywhere: broadcast the output gradient back over the reduced axes.
const sumDef = reduction('sum', (g, ctx) => {
  const x = ctx.inputs[0]!;
  return [withKeptDims(g, x.shape, ctx.attrs.axes).broadcastTo(x.shape)];
});

// Subgradient of max: the gradient is shared equally among the positions that attain the
// maximum (mask / tie count). This is what JAX's reduce_max gradient and NumPy-style
// autodiff (autograd) do; PyTorch's amax also splits evenly. It keeps sum-of-gradient equal
// to g, and is symmetric in the tied positions.
const maxDef = reduction('max', (g, ctx) => {
  const x = ctx.inputs[0]!;
  const axes = ctx.attrs.axes;
  const mask = x.eq(withKeptDims(ctx.output, x.shape, axes));
  const ties = mask.sum([...axes], true);
  return [mask.mul(withKeptDims(g, x.shape, axes).div(ties))];
});

const argmaxDef: KernelOpDef<'argmax'> = {
  name: 'argmax',
  infer: (inputs, attrs) => {
    const x = inputs[0]!;
    const axis = attrs.axis;
    checkAxes('argmax', x, [axis]);
    if (x.shape[axis] === 0) throw new ShapeError(`argmax: axis ${axis} of ${formatShape(x.shape)} is empty`);
    return { shape: reducedShape(x.shape, [axis], attrs.keepDims === true), dtype: 'i32' };
  },
  cpu: (inputs, ctx) => cpuReduce<'argmax'>('argmax', [ctx.node.attrs.axis])(inputs, ctx),
  grad: () => [null],
  kernel: (ctx) =>
    reductionKernel({ kind: 'argmax', inShape: ctx.inputs[0]!.shape, axes: [ctx.node.attrs.axis], inDtype: ctx.inputs[0]!.dtype, strategy: ctx.node.attrs.strategy }),
};

export const reduceOps = { sum: sumDef, max: maxDef, argmax: argmaxDef };

