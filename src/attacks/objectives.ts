/**
 * The per-example objectives the evaluation attacks maximise, as graph builders. Each returns a
 * [B] tensor; attacks sum it to differentiate (examples do not interact).
 */
import type { Tensor } from '../ir/tensor.js';
import { crossEntropy, dlrLoss, dlrTargetedLoss, marginLoss, maxOtherLogit, pickLabel } from '../ops/losses.js';

export type AttackLoss =
  | { kind: 'ce' }
  | { kind: 'cw'; kappa: number }
  | { kind: 'dlr' }
  /** Targeted DLR; `target` is an i32 [B] class per example. */
  | { kind: 'dlr-targeted' };

export function attackObjective(loss: AttackLoss, logits: Tensor, y: Tensor, target?: Tensor): Tensor {
  switch (loss.kind) {
    case 'ce':
      return crossEntropy(logits, y, 'none');
    case 'cw':
      return marginLoss(logits, y, loss.kappa);
    case 'dlr':
      return dlrLoss(logits, y);
    case 'dlr-targeted':
      if (!target) throw new Error('targeted DLR needs target classes');
      return dlrTargetedLoss(logits, y, target);
  }
}

/** z_y - max_{i != y} z_i: positive while the example is classified correctly (Square's margin). */
export function logitMargin(logits: Tensor, y: Tensor): Tensor {
  return pickLabel(logits, y).sub(maxOtherLogit(logits, y));
}

/** 1 where argmax(logits) == y (ties to the lower class, as torch.max), else 0. */
export function correctMask(logits: Tensor, y: Tensor): Tensor {
  return logits.argmax(-1).eq(y);
}
