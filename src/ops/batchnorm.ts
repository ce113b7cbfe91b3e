/**
 * Batch normalisation (PyTorch `BatchNorm2d` / `BatchNorm1d` semantics) built from primitive
 * graph ops, so autodiff differentiates through the batch statistics in training mode and the
 * GPU runs it with the reduction and elementwise kernels.
 *
 * Training: y = (x - mean) / sqrt(var + eps) * weight + bias with the batch mean and the
 * BIASED batch variance over every axis but the channel axis (1); the running statistics move
 * by running <- (1 - momentum) * running + momentum * stat, where the variance stat is the
 * UNBIASED batch variance (n / (n - 1) times the biased one), and num_batches_tracked += 1.
 * Eval: the running statistics replace the batch ones.
 *
 * PyTorch keeps num_batches_tracked as int64; here it is whatever the variable is (i32 or f32;
 * an f32 count is exact up to 2^24 batches, far beyond any run of matc).
 */
import { ShapeError, formatShape } from '../graph/shape.js';
import type { Tensor } from '../graph/tensor.js';

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
  if (x.rank !== 2 && x.rank !== 4) throw new ShapeError(`batchNorm: input must be [N, C] or [N, C, H, W], got ${formatShape(x.shape)}`);
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

  const axes = rank === 4 ? [0, 2, 3] : [0];
  const n = x.size / c;
  if (n <= 1) throw new ShapeError(`batchNorm: training needs more than 1 value per channel, got ${formatShape(x.shape)}`);
  const mean = x.mean(axes, true);
  const centred = x.sub(mean);
  const variance = centred.square().mean(axes, true); // biased: divides by n
  const y = affine(centred, reciprocal(variance.add(eps).sqrt()));

  const factor = momentumFactor(params, opts);
  const keep = typeof factor === 'number' ? 1 - factor : factor.neg().add(1);
  // Running statistics are buffers, not functions of the parameters: no gradient flows into them.
  const blend = (running: Tensor, stat: Tensor): Tensor => running.mul(keep).add(stat.stopGradient().reshape([c]).mul(factor));
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
