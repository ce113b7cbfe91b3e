/**
 * Batch normalisation with PyTorch `BatchNorm1d` / `BatchNorm2d` semantics, as graph-building
 * functions (`batchNorm`, `batchNorm2d`) and the fused primitives they use in training mode.
 * Sections: layer API; composite formulas (plain graph ops); fused primitives.
 *
 * Training: y = (x - mean) / sqrt(var + eps) * weight + bias with the batch mean and the
 * BIASED batch variance over every axis but the channel axis (1); the running statistics move
 * by running <- (1 - momentum) * running + momentum * stat, where the variance stat is the
 * UNBIASED batch variance (n / (n - 1) times the biased one), and num_batches_tracked += 1.
 * Eval: the running statistics replace the batch ones.
 *
 * PyTorch keeps num_batches_tracked as int64; here it is whatever the variable is (i32 or f32;
 * an f32 count is exact up to 2^24 batches, far beyond any run of matc).
 *
 * Training mode runs on fused primitives by default (one dispatch each, see
 * codegen/wgsl/batchnorm.ts), all over x [N, C, ...] per channel (axis 1), attrs `{ eps }`:
 *  - `batch_norm_stats(x) -> [2, C]`: (batch mean; biased batch variance), shared by everything;
 *  - `batch_norm_train(x, weight, bias, stats) -> y`;
 *  - `batch_norm_param_grad(x, g, stats) -> [2, C]` (dweight; dbias) and
 *    `batch_norm_input_grad(x, weight, g, stats, paramGrad) -> dx`: the backward of batch_norm_train.
 * Each has a CPU reference; the gradients of the stats and of the backward ops are the
 * vector-Jacobian products of their composite formulas (`composite*` below, plain graph ops),
 * so second order works too.
 * `{ fused: false }` builds the composite graph instead (tests compare the two).
 */
import type { Node } from '../ir/graph.js';
import { ShapeError, formatShape, shapesEqual } from '../ir/shape.js';
import type { Tensor } from '../ir/tensor.js';
import { grad } from '../ir/autodiff.js';
import { batchNormInputGradKernel, batchNormParamGradKernel, batchNormStatsKernel, batchNormTrainKernel } from '../../codegen/wgsl/batchnorm.js';
import type { KernelOpDef } from '../ir/op.js';
import type { TypedArray } from '../ir/typed-array.js';

export interface BatchNormParams {
  /** Per-channel scale (gamma), [C]; omitted: 1 (affine = False). */
  weight?: Tensor;
  /** Per-channel shift (beta), [C]; omitted: 0. */
  bias?: Tensor;
  /** [C]. Variables for `batchNorm2d`; any tensor for `batchNorm` (e.g. a previous call's update). */
  runningMean: Tensor;
  runningVar: Tensor;
  /** Scalar count of training batches seen (i32 or f32). */
  numBatchesTracked?: Tensor;
}

export interface BatchNormOptions {
  training: boolean;
  /**
   * Weight of the new batch statistic in the running average (PyTorch default 0.1);
   * null: cumulative average, factor 1 / num_batches_tracked (needs numBatchesTracked).
   */
  momentum?: number | null;
  eps?: number;
  /** Training mode on the fused kernels (default true); false builds it from reduce/elementwise ops. */
  fused?: boolean;
}

/** The normalised output and, in training mode, the new running statistics (not yet assigned). */
export interface BatchNormResult {
  y: Tensor;
  runningMean?: Tensor;
  runningVar?: Tensor;
  numBatchesTracked?: Tensor;
}

/** A [C] vector shaped to broadcast along axis 1 of a rank-`rank` tensor: [1, C, 1, ...]. */
function perChannel(v: Tensor, rank: number): Tensor {
  return v.reshape([1, v.shape[0]!, ...new Array<number>(rank - 2).fill(1)]);
}

function checkParams(x: Tensor, p: BatchNormParams): number {
  if (x.rank < 2) throw new ShapeError(`batchNorm: input must be [N, C, ...] (channels on axis 1), got ${formatShape(x.shape)}`);
  const c = x.shape[1]!;
  const named: [string, Tensor | undefined][] = [['weight', p.weight], ['bias', p.bias], ['runningMean', p.runningMean], ['runningVar', p.runningVar]];
  for (const [name, t] of named) {
    if (t && (t.rank !== 1 || t.shape[0] !== c || t.dtype !== 'f32')) {
      throw new ShapeError(`batchNorm: ${name} must be f32[${c}] for ${formatShape(x.shape)}, got ${t.dtype}${formatShape(t.shape)}`);
    }
  }
  return c;
}

/**
 * Pure batch norm: returns y and (training) the updated running statistics without assigning
 * them. Use this directly when one graph normalises several batches with the same layer in
 * training mode (TRADES runs the model on x and x' in one step): feed each call's updates as
 * the next call's running statistics and assign the last, as PyTorch's sequential updates do.
 */
export function batchNorm(x: Tensor, params: BatchNormParams, opts: BatchNormOptions): BatchNormResult {
  const c = checkParams(x, params);
  const eps = opts.eps ?? 1e-5;
  const rank = x.rank;
  const affine = (normalised: Tensor, invStd: Tensor): Tensor => {
    // Fold weight into the [1,C,1,1] scale so only one full-size multiply-add remains.
    const scale = params.weight ? invStd.mul(perChannel(params.weight, rank)) : invStd;
    const y = normalised.mul(scale);
    return params.bias ? y.add(perChannel(params.bias, rank)) : y;
  };

  if (!opts.training) {
    const mean = perChannel(params.runningMean, rank);
    const invStd = reciprocal(perChannel(params.runningVar, rank).add(eps).sqrt());
    return { y: affine(x.sub(mean), invStd) };
  }

  const n = x.size / c;
  if (n <= 1) throw new ShapeError(`batchNorm: training needs more than 1 value per channel, got ${formatShape(x.shape)}`);
  const fused = opts.fused ?? true;
  const weight = params.weight ?? x.graph.constant(1, [c]);
  const bias = params.bias ?? x.graph.constant(0, [c]);
  const stats = fused ? x.graph.apply('batch_norm_stats', [x]) : compositeStats(x);
  const y = fused ? x.graph.apply('batch_norm_train', [x, weight, bias, stats], { eps }) : compositeTrain(x, weight, bias, eps);
  const mean = row(stats, 0);
  const variance = row(stats, 1);

  const factor = momentumFactor(params, opts);
  const keep = typeof factor === 'number' ? 1 - factor : factor.neg().add(1);
  // Running statistics are buffers, not functions of the parameters: no gradient flows into them.
  const blend = (running: Tensor, stat: Tensor): Tensor => running.mul(keep).add(stat.stopGradient().mul(factor));
  const result: BatchNormResult = {
    y,
    runningMean: blend(params.runningMean, mean),
    runningVar: blend(params.runningVar, variance.mul(n / (n - 1))),
  };
  if (params.numBatchesTracked) result.numBatchesTracked = params.numBatchesTracked.add(1);
  return result;
}

/** The running-average weight: momentum, or 1 / (batches tracked after this one) when null. */
function momentumFactor(params: BatchNormParams, opts: BatchNormOptions): number | Tensor {
  const momentum = opts.momentum === undefined ? 0.1 : opts.momentum;
  if (momentum !== null) return momentum;
  if (!params.numBatchesTracked) throw new Error('batchNorm: momentum null (cumulative average) needs numBatchesTracked');
  const count = params.numBatchesTracked.dtype === 'f32' ? params.numBatchesTracked : params.numBatchesTracked.cast('f32');
  return reciprocal(count.add(1)).reshape([]);
}

function reciprocal(t: Tensor): Tensor {
  return t.graph.constant(1).div(t);
}

/**
 * Batch norm layer over [N, C, H, W] (or [N, C]) whose running statistics are graph variables:
 * in training mode it records their updates with `graph.assign` (applied after the step).
 */
export function batchNorm2d(x: Tensor, params: BatchNormParams, opts: BatchNormOptions): Tensor {
  const r = batchNorm(x, params, opts);
  const g = x.graph;
  if (r.runningMean) g.assign(params.runningMean, r.runningMean);
  if (r.runningVar) g.assign(params.runningVar, r.runningVar);
  if (r.numBatchesTracked && params.numBatchesTracked) g.assign(params.numBatchesTracked, r.numBatchesTracked);
  return r.y;
}

// ---------------------------------------------------------------------------------------------
// Composite formulas (graph ops): the unfused path, and the definitions the fused ops'
// second-order gradients differentiate.

function channelAxes(x: Tensor): number[] {
  return x.shape.map((_, a) => a).filter((a) => a !== 1);
}

/** Row k of a [2, C] tensor as [C]. */
function row(t: Tensor, k: number): Tensor {
  const c = t.shape[1]!;
  return t.slice([k, 0], [1, c]).reshape([c]);
}

function stack2(a: Tensor, b: Tensor): Tensor {
  const c = a.size;
  return a.graph.apply('concat', [a.reshape([1, c]), b.reshape([1, c])], { axis: 0 });
}

/** (mean; biased variance) per channel, [2, C]. */
export function compositeStats(x: Tensor): Tensor {
  const axes = channelAxes(x);
  const mean = x.mean(axes, true);
  const variance = x.sub(mean).square().mean(axes, true);
  return stack2(mean, variance);
}

export function compositeTrain(x: Tensor, weight: Tensor, bias: Tensor, eps: number): Tensor {
  const axes = channelAxes(x);
  const mean = x.mean(axes, true);
  const centred = x.sub(mean);
  const variance = centred.square().mean(axes, true);
  // Fold weight into the [1,C,1,1] scale so only one full-size multiply-add remains.
  const scale = reciprocal(variance.add(eps).sqrt()).mul(perChannel(weight, x.rank));
  return centred.mul(scale).add(perChannel(bias, x.rank));
}

/** The input gradient of compositeTrain for output gradient g, in closed form. */
export function compositeTrainGrad(x: Tensor, weight: Tensor, g: Tensor, eps: number): Tensor {
  const axes = channelAxes(x);
  const mean = x.mean(axes, true);
  const centred = x.sub(mean);
  const istd = reciprocal(centred.square().mean(axes, true).add(eps).sqrt());
  const gMean = g.mean(axes, true);
  const proj = istd.square().mul(g.mul(centred).mean(axes, true));
  return g.sub(gMean).sub(centred.mul(proj)).mul(istd.mul(perChannel(weight, x.rank)));
}

/** (dweight; dbias) of compositeTrain for output gradient g, [2, C]. */
export function compositeParamGrad(x: Tensor, g: Tensor, eps: number): Tensor {
  const axes = channelAxes(x);
  const mean = x.mean(axes, true);
  const centred = x.sub(mean);
  const istd = reciprocal(centred.square().mean(axes, true).add(eps).sqrt());
  return stack2(g.mul(centred).mul(istd).sum(axes), g.sum(axes));
}

// ---------------------------------------------------------------------------------------------
// Fused primitives

function checkPerChannel(op: string, x: Node, vectors: Node[], perElement: Node[]): void {
  if (x.shape.length < 2 || x.dtype !== 'f32') throw new ShapeError(`${op}: x must be f32 [N, C, ...], got ${x.dtype}${formatShape(x.shape)}`);
  for (const v of vectors) {
    if (v.dtype !== 'f32' || v.shape.length !== 1 || v.shape[0] !== x.shape[1]) throw new ShapeError(`${op}: per-channel input must be f32[${x.shape[1]}], got ${v.dtype}${formatShape(v.shape)}`);
  }
  for (const t of perElement) {
    if (t.dtype !== 'f32' || !shapesEqual(t.shape, x.shape)) throw new ShapeError(`${op}: gradient must be f32${formatShape(x.shape)}, got ${t.dtype}${formatShape(t.shape)}`);
  }
}

/** Channel (axis 1) of flat element i of a tensor of `shape`. */
function channelOf(shape: readonly number[]): (i: number) => number {
  const c = shape[1]!;
  const inner = shape.slice(2).reduce((p, d) => p * d, 1);
  return (i) => Math.floor(i / inner) % c;
}

/** Per-channel mean and biased variance in f64 (two passes, as the kernel). */
function channelSums(x: TypedArray, shape: readonly number[]) {
  const c = shape[1]!;
  const n = x.length / c;
  const channel = channelOf(shape);
  const mean = new Float64Array(c);
  x.forEach((v, i) => (mean[channel(i)]! += v / n));
  const variance = new Float64Array(c);
  x.forEach((v, i) => (variance[channel(i)]! += (v - mean[channel(i)]!) ** 2 / n));
  return { mean, variance };
}

/** Vector-Jacobian product of a composite formula: second-order gradients of fused ops. */
function vjp(composite: (inputs: Tensor[]) => Tensor, inputs: Tensor[], g: Tensor, differentiable: boolean[]): (Tensor | null)[] {
  const wrt = inputs.filter((_, k) => differentiable[k]);
  const grads = grad(composite(inputs), wrt, { seed: g });
  let next = 0;
  return inputs.map((_, k) => (differentiable[k] ? grads[next++]! : null));
}

/**
 * The fused ops take the statistics (and the parameter gradients) as inputs to share them, but
 * their gradient rules account for how those depend on x and g. That is only right if the inputs
 * really are derived from x (and g) that way, so the shape rules check the graph structure.
 */
function requireDerived(op: string, node: Node, from: string, inputs: readonly Node[]): void {
  if (node.op !== from || node.inputs.length !== inputs.length || node.inputs.some((id, k) => id !== inputs[k]!.id)) {
    throw new ShapeError(`${op}: expects ${from}(${inputs.map((n) => `#${n.id}`).join(', ')}) as an input, got ${node.op} #${node.id}`);
  }
}

function statsOf(stats: TypedArray, c: number, eps: number) {
  const mean = stats.subarray(0, c);
  const istd = Array.from(stats.subarray(c, 2 * c), (v) => 1 / Math.sqrt(v + eps));
  return { mean, istd };
}

const batchNormStatsDef: KernelOpDef<'batch_norm_stats'> = {
  name: 'batch_norm_stats',
  infer: (inputs) => {
    checkPerChannel('batch_norm_stats', inputs[0]!, [], []);
    return { shape: [2, inputs[0]!.shape[1]!], dtype: 'f32' };
  },
  cpu: (inputs, ctx) => {
    const { mean, variance } = channelSums(inputs[0]!, ctx.inputs[0]!.shape);
    return Float32Array.from([...mean, ...variance]);
  },
  grad: (g, ctx) => vjp(([x]) => compositeStats(x!), ctx.inputs, g, [true]),
  kernel: (ctx) => batchNormStatsKernel(ctx.inputs[0]!.shape),
};

const batchNormTrainDef: KernelOpDef<'batch_norm_train'> = {
  name: 'batch_norm_train',
  infer: (inputs) => {
    const [x, w, b, stats] = inputs as [Node, Node, Node, Node];
    checkPerChannel('batch_norm_train', x, [w, b], []);
    requireDerived('batch_norm_train', stats, 'batch_norm_stats', [x]);
    return { shape: x.shape, dtype: 'f32' };
  },
  cpu: (inputs, ctx) => {
    const [x, w, b, stats] = inputs as [TypedArray, TypedArray, TypedArray, TypedArray];
    const shape = ctx.inputs[0]!.shape;
    const { mean, istd } = statsOf(stats, shape[1]!, ctx.node.attrs.eps);
    const channel = channelOf(shape);
    return x.map((v, i) => {
      const k = channel(i);
      return (v - mean[k]!) * (w[k]! * istd[k]!) + b[k]!;
    });
  },
  grad: (g, ctx) => {
    const [x, w, , stats] = ctx.inputs as [Tensor, Tensor, Tensor, Tensor];
    const eps = ctx.attrs.eps;
    const params = x.graph.apply('batch_norm_param_grad', [x, g, stats], { eps });
    // The statistics' dependence on x is inside batch_norm_input_grad: no gradient to `stats`.
    return [x.graph.apply('batch_norm_input_grad', [x, w, g, stats, params], { eps }), row(params, 0), row(params, 1), null];
  },
  kernel: (ctx) => batchNormTrainKernel(ctx.inputs[0]!.shape, ctx.node.attrs.eps),
};

const batchNormParamGradDef: KernelOpDef<'batch_norm_param_grad'> = {
  name: 'batch_norm_param_grad',
  infer: (inputs) => {
    const [x, g, stats] = inputs as [Node, Node, Node];
    checkPerChannel('batch_norm_param_grad', x, [], [g]);
    requireDerived('batch_norm_param_grad', stats, 'batch_norm_stats', [x]);
    return { shape: [2, x.shape[1]!], dtype: 'f32' };
  },
  cpu: (inputs, ctx) => {
    const [x, g, stats] = inputs as [TypedArray, TypedArray, TypedArray];
    const shape = ctx.inputs[0]!.shape;
    const c = shape[1]!;
    const { mean, istd } = statsOf(stats, c, ctx.node.attrs.eps);
    const channel = channelOf(shape);
    const dw = new Float64Array(c);
    const db = new Float64Array(c);
    x.forEach((v, i) => {
      const k = channel(i);
      dw[k]! += g[i]! * (v - mean[k]!);
      db[k]! += g[i]!;
    });
    return Float32Array.from([...Array.from(dw, (s, k) => s * istd[k]!), ...db]);
  },
  grad: (gg, ctx) => vjp(([x, g]) => compositeParamGrad(x!, g!, ctx.attrs.eps), ctx.inputs, gg, [true, true, false]),
  kernel: (ctx) => batchNormParamGradKernel(ctx.inputs[0]!.shape, ctx.node.attrs.eps),
};

const batchNormInputGradDef: KernelOpDef<'batch_norm_input_grad'> = {
  name: 'batch_norm_input_grad',
  infer: (inputs) => {
    const [x, w, g, stats, params] = inputs as [Node, Node, Node, Node, Node];
    checkPerChannel('batch_norm_input_grad', x, [w], [g]);
    requireDerived('batch_norm_input_grad', stats, 'batch_norm_stats', [x]);
    requireDerived('batch_norm_input_grad', params, 'batch_norm_param_grad', [x, g, stats]);
    return { shape: x.shape, dtype: 'f32' };
  },
  cpu: (inputs, ctx) => {
    const [x, w, g, stats, params] = inputs as [TypedArray, TypedArray, TypedArray, TypedArray, TypedArray];
    const shape = ctx.inputs[0]!.shape;
    const c = shape[1]!;
    const n = x.length / c;
    const { mean, istd } = statsOf(stats, c, ctx.node.attrs.eps);
    const channel = channelOf(shape);
    return x.map((v, i) => {
      const k = channel(i);
      return w[k]! * istd[k]! * (g[i]! - params[c + k]! / n - (v - mean[k]!) * istd[k]! * (params[k]! / n));
    });
  },
  grad: (gg, ctx) => vjp(([x, w, g]) => compositeTrainGrad(x!, w!, g!, ctx.attrs.eps), ctx.inputs, gg, [true, true, true, false, false]),
  kernel: (ctx) => batchNormInputGradKernel(ctx.inputs[0]!.shape, ctx.node.attrs.eps),
};

export const batchNormOps = {
  batch_norm_stats: batchNormStatsDef,
  batch_norm_train: batchNormTrainDef,
  batch_norm_param_grad: batchNormParamGradDef,
  batch_norm_input_grad: batchNormInputGradDef,
};
