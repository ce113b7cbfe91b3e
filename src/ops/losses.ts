/**
 * Losses for training and attacks, as graph-building functions (the language compiler lowers
 * `ce`, `kl`, `mse`, `margin`, `dlr`, ... to these), plus the small primitives they need:
 *
 *  - `one_hot(labels i32 [...]) -> f32 [..., classes]`, attrs `{ classes }`;
 *  - `topk_values(x f32 [..., C]) -> f32 [..., k]` and `topk_indices -> i32 [..., k]`, attrs `{ k }`,
 *    over the last axis, sorted descending, ties to the lower index;
 *  - `softmax_cross_entropy(logits f32 [..., C], labels i32 [...]) -> f32 [...]`, fused and stable.
 *
 * Sign convention: every per-example loss here is something its user maximises (attacks) or
 * minimises (training) as written in the reference code it follows; the doc of each says which.
 */
import type { Node } from '../ir/graph.js';
import { ShapeError, formatShape, shapesEqual, sizeOf } from '../ir/shape.js';
import type { Tensor } from '../ir/tensor.js';
import { oneHotKernel } from '../../codegen/wgsl/one-hot.js';
import { topkKernel, topkRow } from '../../codegen/wgsl/topk.js';
import { rowLayout, rowBase } from '../../codegen/wgsl/rows.js';
import { softmaxCrossEntropyKernel } from '../../codegen/wgsl/softmax.js';
import type { KernelOpDef } from '../ir/op.js';
import { rowStats } from './softmax.js';

// ---------------------------------------------------------------------------------------------
// Primitives

function lastDim(x: Node): number {
  return x.shape[x.shape.length - 1]!;
}

const oneHotDef: KernelOpDef<'one_hot'> = {
  name: 'one_hot',
  infer: (inputs, attrs) => {
    const labels = inputs[0]!;
    const classes = attrs.classes;
    if (labels.dtype !== 'i32') throw new ShapeError(`one_hot: labels must be i32, got ${labels.dtype}`);
    if (!Number.isInteger(classes) || classes < 1) throw new ShapeError(`one_hot: classes must be a positive integer, got ${classes}`);
    return { shape: [...labels.shape, classes], dtype: 'f32' };
  },
  cpu: (inputs, ctx) => {
    const labels = inputs[0]!;
    const classes = ctx.node.attrs.classes;
    const out = new Float32Array(labels.length * classes);
    labels.forEach((y, i) => {
      // Out-of-range labels give an all-zero row (as jax.nn.one_hot), on the GPU too.
      if (y >= 0 && y < classes) out[i * classes + y] = 1;
    });
    return out;
  },
  grad: () => [null],
  kernel: (ctx) => oneHotKernel(sizeOf(ctx.inputs[0]!.shape), ctx.node.attrs.classes),
};

function topk<K extends 'topk_values' | 'topk_indices'>(name: K): KernelOpDef<K> {
  const values = name === 'topk_values';
  return {
    name,
    infer: (inputs, attrs) => {
      const x = inputs[0]!;
      const k = attrs.k;
      if (x.dtype !== 'f32' || x.shape.length === 0) throw new ShapeError(`${name}: needs an f32 tensor of rank >= 1, got ${x.dtype}${formatShape(x.shape)}`);
      if (!Number.isInteger(k) || k < 1 || k > lastDim(x)) throw new ShapeError(`${name}: k = ${k} for a last axis of ${lastDim(x)}`);
      return { shape: [...x.shape.slice(0, -1), k], dtype: values ? 'f32' : 'i32' };
    },
    cpu: (inputs, ctx) => {
      const x = inputs[0]!;
      const size = lastDim(ctx.inputs[0]!);
      const k = ctx.node.attrs.k;
      const rows = x.length / size;
      const out = values ? new Float32Array(rows * k) : new Int32Array(rows * k);
      for (let r = 0; r < rows; r++) {
        topkRow(x, r * size, size, k).forEach((j, p) => (out[r * k + p] = values ? x[r * size + j]! : j));
      }
      return out;
    },
    // d topk_values / dx: each output's gradient goes to the position it was taken from.
    grad: values
      ? (g, ctx) => {
          const x = ctx.inputs[0]!;
          const k = ctx.attrs.k;
          const picked = oneHot(topkIndices(x, k), x.shape[x.rank - 1]!); // [..., k, C]
          return [g.reshape([...g.shape, 1]).mul(picked).sum(x.rank - 1)];
        }
      : () => [null],
    kernel: (ctx) => {
      const size = lastDim(ctx.inputs[0]!);
      return topkKernel(sizeOf(ctx.inputs[0]!.shape) / size, size, ctx.node.attrs.k, values ? 'values' : 'indices');
    },
  };
}

const softmaxCrossEntropyDef: KernelOpDef<'softmax_cross_entropy'> = {
  name: 'softmax_cross_entropy',
  infer: (inputs) => {
    const [logits, labels] = inputs as [Node, Node];
    if (logits.dtype !== 'f32' || labels.dtype !== 'i32') {
      throw new ShapeError(`softmax_cross_entropy: needs f32 logits and i32 labels, got ${logits.dtype} and ${labels.dtype}`);
    }
    if (logits.shape.length < 1 || !shapesEqual(logits.shape.slice(0, -1), labels.shape)) {
      throw new ShapeError(`softmax_cross_entropy: logits ${formatShape(logits.shape)} do not match labels ${formatShape(labels.shape)} (classes on the last axis)`);
    }
    return { shape: labels.shape, dtype: 'f32' };
  },
  cpu: (inputs, ctx) => {
    const [z, labels] = inputs as [Float32Array, Int32Array];
    const l = rowLayout(ctx.inputs[0]!.shape, ctx.inputs[0]!.shape.length - 1);
    const out = new Float32Array(l.rows);
    for (let r = 0; r < l.rows; r++) {
      const base = rowBase(l, r);
      const y = labels[r]!;
      const { max, sumExp } = rowStats(z, l, base);
      // Invalid labels give NaN, as the kernel does: loud rather than silently wrong.
      out[r] = y >= 0 && y < l.size ? max + Math.log(sumExp) - z[base + y]! : NaN;
    }
    return out;
  },
  grad: (g, ctx) => {
    const [z, labels] = ctx.inputs as [Tensor, Tensor];
    const classes = z.shape[z.rank - 1]!;
    return [z.softmax(-1).sub(oneHot(labels, classes)).mul(g.reshape([...g.shape, 1])), null];
  },
  kernel: (ctx) => softmaxCrossEntropyKernel(rowLayout(ctx.inputs[0]!.shape, ctx.inputs[0]!.shape.length - 1)),
};

export const lossOps = {
  one_hot: oneHotDef,
  topk_values: topk('topk_values'),
  topk_indices: topk('topk_indices'),
  softmax_cross_entropy: softmaxCrossEntropyDef,
};

// ---------------------------------------------------------------------------------------------
// Building blocks

/** f32 one-hot rows of i32 labels: [...] -> [..., classes]. Out-of-range labels give zero rows. */
export function oneHot(labels: Tensor, classes: number): Tensor {
  return labels.graph.apply('one_hot', [labels], { classes });
}

/** The k largest values along the last axis, descending. */
export function topkValues(x: Tensor, k: number): Tensor {
  return x.graph.apply('topk_values', [x], { k });
}

/** Positions (i32) of the k largest values along the last axis; ties go to the lower index. */
export function topkIndices(x: Tensor, k: number): Tensor {
  return x.graph.apply('topk_indices', [x], { k });
}

export type Reduction = 'mean' | 'sum' | 'none';

/** Reduce per-example losses over every axis ('none' returns them unchanged). */
export function reduce(perExample: Tensor, reduction: Reduction): Tensor {
  if (reduction === 'none') return perExample;
  return reduction === 'sum' ? perExample.sum() : perExample.mean();
}

/** z[..., labels] as [...]: the logit of each example's label (gradient to that position only). */
export function pickLabel(logits: Tensor, labels: Tensor): Tensor {
  return logits.mul(oneHot(labels, logits.shape[logits.rank - 1]!)).sum(-1);
}

/**
 * Stands in for -inf when masking a class out of a max: Tint rejects infinite constants in
 * WGSL, and the finite f32 minimum loses every comparison against a real logit.
 */
const MASKED_OUT = -3.4028234663852886e38;

/** max_{i != label} z_i per example (the strongest wrong class). */
export function maxOtherLogit(logits: Tensor, labels: Tensor): Tensor {
  const isLabel = oneHot(labels, logits.shape[logits.rank - 1]!);
  return isLabel.select(MASKED_OUT, logits).max(-1);
}

function requireClasses(what: string, logits: Tensor, min: number): void {
  const c = logits.shape[logits.rank - 1]!;
  if (logits.rank < 1 || c < min) throw new ShapeError(`${what} needs at least ${min} classes on the last axis, got ${formatShape(logits.shape)}`);
}

// ---------------------------------------------------------------------------------------------
// Losses

/**
 * Softmax cross-entropy of logits [B, C] against i32 labels [B] (PyTorch `F.cross_entropy`):
 * per example log(sum_c exp z_c) - z_y, then 'mean' (default), 'sum' or 'none' ([B]).
 * Minimised by training, maximised by PGD / APGD-CE.
 */
export function crossEntropy(logits: Tensor, labels: Tensor, reduction: Reduction = 'mean'): Tensor {
  return reduce(logits.graph.apply('softmax_cross_entropy', [logits, labels]), reduction);
}

/**
 * KL(p || q) = sum_c p_c (log p_c - log q_c) over the last axis, per example, from
 * probabilities; terms with p_c = 0 count 0 (PyTorch's xlogy convention, without the NaN
 * gradient a plain `where` around log p would leak). Prefer `tradesKl` when you have logits.
 */
export function klDiv(p: Tensor, q: Tensor): Tensor {
  const positive = p.gt(0);
  // Where p = 0 both logs read 1 instead (log 1 = 0), so 0 * (log 0 - log q) never forms.
  const logP = positive.select(p, 1).log();
  const logQ = positive.select(q, 1).log();
  return p.mul(logP.sub(logQ)).sum(-1);
}

/**
 * The TRADES robust term from logits: KL(softmax(nat) || softmax(adv)) per example, which is
 * what torch `KLDivLoss(size_average=False)(log_softmax(f(x')), softmax(f(x)))` sums; the
 * TRADES outer loss divides that sum by the batch size, hence 'mean' by default ('sum' is the
 * inner-maximisation value, 'none' gives [B]). Computed with log_softmax on both sides, so
 * an underflowed probability contributes exactly 0. Gradients flow to both logits; callers
 * wrap `logitsNat` in stopGradient where the reference detaches it.
 */
export function tradesKl(logitsAdv: Tensor, logitsNat: Tensor, reduction: Reduction = 'mean'): Tensor {
  const logP = logitsNat.logSoftmax(-1);
  const logQ = logitsAdv.logSoftmax(-1);
  const perExample = logP.exp().mul(logP.sub(logQ)).sum(-1);
  return reduce(perExample, reduction);
}

/** Mean squared error over all elements (TE's mean over batch and classes). */
export function mse(a: Tensor, b: Tensor): Tensor {
  return a.sub(b).square().mean();
}

/**
 * The C&W margin loss as PGD maximises it (memorization-AT / CAT `cwloss`), per example:
 *   -max(z_y - max_{i != y} z_i + kappa, 0).
 * It is 0 once the example is misclassified with margin kappa; the reference sums it over
 * the batch (`reduce(marginLoss(...), 'sum')`). At the kink the gradient passes (as torch.clamp).
 */
export function marginLoss(logits: Tensor, labels: Tensor, kappa = 50): Tensor {
  requireClasses('marginLoss', logits, 2);
  const margin = pickLabel(logits, labels).sub(maxOtherLogit(logits, labels)).add(kappa);
  return margin.maximum(0).neg();
}

/** Dot product of the top-len(w) sorted logits with the weights w (no slicing needed). */
function sortedCombination(logits: Tensor, weights: number[]): Tensor {
  const w = logits.graph.constantData(Float32Array.from(weights), [weights.length]);
  return topkValues(logits, weights.length).mul(w).sum(-1);
}

/**
 * AutoAttack's DLR loss (fra31/auto-attack `dlr_loss`), per example, maximised by APGD-DLR:
 *   -(z_y - max_{i != y} z_i) / (z_pi1 - z_pi3 + 1e-12),  z_pi sorted descending.
 * Needs >= 3 classes.
 */
export function dlrLoss(logits: Tensor, labels: Tensor): Tensor {
  requireClasses('dlrLoss', logits, 3);
  const scale = sortedCombination(logits, [1, 0, -1]).add(1e-12);
  return pickLabel(logits, labels).sub(maxOtherLogit(logits, labels)).div(scale).neg();
}

/**
 * AutoAttack's targeted DLR loss (`dlr_loss_targeted`), per example, maximised by APGD-T:
 *   -(z_y - z_t) / (z_pi1 - (z_pi3 + z_pi4) / 2 + 1e-12).
 * Needs >= 4 classes.
 */
export function dlrTargetedLoss(logits: Tensor, labels: Tensor, targets: Tensor): Tensor {
  requireClasses('dlrTargetedLoss', logits, 4);
  const scale = sortedCombination(logits, [1, 0, -0.5, -0.5]).add(1e-12);
  return pickLabel(logits, labels).sub(pickLabel(logits, targets)).div(scale).neg();
}
