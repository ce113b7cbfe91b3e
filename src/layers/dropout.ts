/**
 * `dropout(p)`: nn.Dropout. The identity in evaluation, which is how attacks and evaluations run
 * the model. Training with p > 0 would need per-step random masks threaded into the model's
 * lowering; until then a pipeline that trains such a model is refused where the layer is written.
 */
import { defineLayer } from './types.js';
import { InternalError } from '../util/internal-error.js';

export interface DropoutHyper { p: number }

export const dropout = defineLayer<DropoutHyper>({
  kind: 'dropout',
  summary: 'nn.Dropout(p): the identity in eval mode; training with p > 0 is not supported yet',
  arguments: [{ name: 'p', type: 'number', default: 0.5 }],
  hyper: (a) => ({ p: a.p as number }),
  tensors: () => [],
  outputShape: (h, input) => (h.p >= 0 && h.p < 1 ? input : `dropout needs a probability p in [0, 1) but has ${h.p}`),
  lower: (x, h, ctx) => {
    // The checker refuses this (trainingProblem); reaching it is a bug in the caller.
    if (ctx.mode === 'train' && h.p > 0) throw new InternalError('dropout with p > 0 cannot be lowered in train mode');
    return x;
  },
  trainingProblem: (h) =>
    h.p > 0
      ? {
          message: `dropout(p: ${h.p}) cannot be trained yet: matc implements dropout in evaluation only (where it is the identity)`,
          hint: 'use `p: 0` to train, or to evaluate a checkpoint trained with dropout (the evaluated model is the same)',
        }
      : undefined,
  functional: true,
});
