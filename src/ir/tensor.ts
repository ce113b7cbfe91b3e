/**
 * Tensor handles: the builder API that reads like math (`x.matmul(w).add(b).relu()`).
 * A Tensor is only a (graph, node id) pair; all methods append nodes to the graph.
 * Numbers passed where a tensor is expected become scalar constants of the same dtype.
 */
import type { AttrsArg, DType, Graph } from './graph.js';
import type { OpName, Pair } from './op-attrs.js';
import type { Shape } from './shape.js';
import { normalizeAxes, sizeOf } from './shape.js';

export type TensorLike = Tensor | number;

export class Tensor {
  constructor(
    readonly graph: Graph,
    readonly id: number,
  ) {}

  get shape(): Shape {
    return this.graph.node(this.id).shape;
  }
  get dtype(): DType {
    return this.graph.node(this.id).dtype;
  }
  get rank(): number {
    return this.shape.length;
  }
  get size(): number {
    return sizeOf(this.shape);
  }

  private lift(v: TensorLike): Tensor {
    return typeof v === 'number' ? this.graph.constant(v, [], this.dtype) : v;
  }
  private op<K extends OpName>(name: K, inputs: TensorLike[], ...attrs: AttrsArg<K>): Tensor {
    return this.graph.apply(name, inputs.map((v) => this.lift(v)), ...attrs);
  }

  // Elementwise arithmetic (NumPy broadcasting).
  add(o: TensorLike): Tensor { return this.op('add', [this, o]); }
  sub(o: TensorLike): Tensor { return this.op('sub', [this, o]); }
  mul(o: TensorLike): Tensor { return this.op('mul', [this, o]); }
  div(o: TensorLike): Tensor { return this.op('div', [this, o]); }
  pow(o: TensorLike): Tensor { return this.op('pow', [this, o]); }
  maximum(o: TensorLike): Tensor { return this.op('maximum', [this, o]); }
  minimum(o: TensorLike): Tensor { return this.op('minimum', [this, o]); }
  neg(): Tensor { return this.op('neg', [this]); }
  exp(): Tensor { return this.op('exp', [this]); }
  log(): Tensor { return this.op('log', [this]); }
  relu(): Tensor { return this.op('relu', [this]); }
  /** x * sigmoid(x). */
  silu(): Tensor { return this.op('silu', [this]); }
  sign(): Tensor { return this.op('sign', [this]); }
  abs(): Tensor { return this.op('abs', [this]); }
  sqrt(): Tensor { return this.op('sqrt', [this]); }
  square(): Tensor { return this.op('square', [this]); }
  clamp(min: number, max: number): Tensor { return this.op('clamp', [this], { min, max }); }
  cast(dtype: DType): Tensor { return this.op('cast', [this], { dtype }); }
  /** Identity forward, no gradient backward. */
  stopGradient(): Tensor { return this.op('stop_gradient', [this]); }

  // Comparisons give f32 masks (1 where true, 0 where false).
  lt(o: TensorLike): Tensor { return this.op('less', [this, o]); }
  le(o: TensorLike): Tensor { return this.op('less_equal', [this, o]); }
  gt(o: TensorLike): Tensor { return this.op('greater', [this, o]); }
  ge(o: TensorLike): Tensor { return this.op('greater_equal', [this, o]); }
  eq(o: TensorLike): Tensor { return this.op('equal', [this, o]); }
  ne(o: TensorLike): Tensor { return this.op('not_equal', [this, o]); }
  /** `cond ? a : b` elementwise, with `this` as the condition (non-zero is true). */
  select(a: TensorLike, b: TensorLike): Tensor { return this.op('where', [this, a, b]); }

  // Reductions.
  sum(axes?: number | number[], keepDims = false): Tensor {
    return this.op('sum', [this], { axes: normalizeAxes(axes, this.rank), keepDims });
  }
  max(axes?: number | number[], keepDims = false): Tensor {
    return this.op('max', [this], { axes: normalizeAxes(axes, this.rank), keepDims });
  }
  mean(axes?: number | number[], keepDims = false): Tensor {
    const ax = normalizeAxes(axes, this.rank);
    const n = ax.reduce((p, a) => p * this.shape[a]!, 1);
    return this.sum(ax, keepDims).mul(1 / n);
  }
  argmax(axis = -1): Tensor {
    return this.op('argmax', [this], { axis: normalizeAxes(axis, this.rank)[0]! });
  }

  // Linear algebra and neural-network primitives.
  matmul(o: Tensor, opts: { transA?: boolean; transB?: boolean } = {}): Tensor {
    return this.op('matmul', [this, o], { transA: opts.transA ?? false, transB: opts.transB ?? false });
  }
  softmax(axis = -1): Tensor {
    return this.op('softmax', [this], { axis: normalizeAxes(axis, this.rank)[0]! });
  }
  logSoftmax(axis = -1): Tensor {
    return this.op('log_softmax', [this], { axis: normalizeAxes(axis, this.rank)[0]! });
  }

  // Layout.
  reshape(shape: readonly number[]): Tensor {
    const known = shape.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
    const resolved = shape.map((d) => (d === -1 ? this.size / known : d));
    return this.op('reshape', [this], { shape: resolved });
  }
  flatten(fromAxis = 1): Tensor {
    const head = this.shape.slice(0, fromAxis);
    return this.reshape([...head, -1]);
  }
  transpose(perm?: number[]): Tensor {
    const p = perm ?? [...this.shape.keys()].reverse();
    return this.op('transpose', [this], { perm: p });
  }
  broadcastTo(shape: readonly number[]): Tensor {
    return this.op('broadcast_to', [this], { shape: [...shape] });
  }
  /** `pads[i] = [before, after]` for each axis. */
  pad(pads: [number, number][], value = 0): Tensor {
    return this.op('pad', [this], { pads, value });
  }
  slice(begin: number[], size: number[]): Tensor {
    return this.op('slice', [this], { begin, size });
  }

  // Indexing (src/ops/indexing.ts): index tensors are i32; out-of-range indices read as 0.
  /** torch.index_select: entries `indices` (i32 [K]) along `axis`. */
  gather(indices: Tensor, axis = 0): Tensor {
    return this.op('gather', [this, indices], { axis });
  }
  /** Rows `rows` (i32 [B]) of this [N, ...] table: [B, ...]. */
  gatherRows(rows: Tensor): Tensor {
    return this.op('gather_rows', [this, rows]);
  }
  /** This [N, ...] table with row rows[b] replaced by values[b]; of repeated rows the last wins. */
  scatterRows(rows: Tensor, values: Tensor): Tensor {
    return this.op('scatter_rows', [this, rows, values]);
  }
  /** this[..., idx[...]] along the last axis (e.g. the true-class logit of [B, C] logits). */
  takeAlongAxis(idx: Tensor): Tensor {
    return this.op('take_along_axis', [this, idx]);
  }
  /** NCHW convolution with [O, C, kh, kw] weights (no bias); stride and pad per dim or one number. */
  conv2d(w: Tensor, opts: { stride?: Pair; pad?: Pair } = {}): Tensor {
    return this.op('conv2d', [this, w], { stride: opts.stride ?? 1, pad: opts.pad ?? 0 });
  }
  /**
   * Max pooling (PyTorch semantics); stride defaults to the kernel. Two nodes: each window's
   * argmax, then the gather through it; the backward reuses the argmax (src/ops/pool.ts).
   */
  maxPool2d(kernel: Pair, stride?: Pair, pad: Pair = 0): Tensor {
    const attrs = { kernel, stride: stride ?? kernel, pad };
    const idx = this.op('maxpool2d_argmax', [this], attrs);
    return this.op('maxpool2d', [this, idx], attrs);
  }
  /** Average pooling counting padding in the divisor (PyTorch default); stride defaults to the kernel. */
  avgPool2d(kernel: Pair, stride?: Pair, pad: Pair = 0): Tensor {
    return this.op('avgpool2d', [this], { kernel, stride: stride ?? kernel, pad });
  }
}
