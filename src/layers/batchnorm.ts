/** `batchnorm`: nn.BatchNorm2d on [c, h, w] inputs, nn.BatchNorm1d on flat ones. */
import { defineLayer } from './types.js';
import { shapeText, tensor } from './helpers.js';

export interface BatchNormHyper { features: number; eps: number; momentum: number }

export const batchnorm = defineLayer<BatchNormHyper>({
  kind: 'batchnorm',
  summary: 'nn.BatchNorm2d (or 1d on flat inputs): weight, bias, running_mean, running_var, num_batches_tracked',
  arguments: [
    { name: 'features', type: 'int' },
    { name: 'eps', type: 'number', default: 1e-5 },
    { name: 'momentum', type: 'number', default: 0.1 },
  ],
  hyper: (a) => ({ features: a.features as number, eps: a.eps as number, momentum: a.momentum as number }),
  tensors: (h, _a, prefix) => [
    tensor(prefix, 'weight', [h.features], { kind: 'ones' }),
    tensor(prefix, 'bias', [h.features], { kind: 'zeros' }),
    tensor(prefix, 'running_mean', [h.features], { kind: 'zeros' }, false),
    tensor(prefix, 'running_var', [h.features], { kind: 'ones' }, false),
    tensor(prefix, 'num_batches_tracked', [], { kind: 'zeros' }, false),
  ],
  outputShape: (h, input) => {
    if (input.length !== 1 && input.length !== 3) return `batchnorm expects [features] or [channels, height, width] but receives ${shapeText(input)}`;
    if (input[0] !== h.features) return `batchnorm expects ${h.features} channels but receives ${input[0]} (input shape ${shapeText(input)})`;
    return input;
  },
  // The running statistics chain across applications of the model, so the lowering keeps them.
  lower: (x, h, ctx) => ctx.batchNorm(x, { eps: h.eps, momentum: h.momentum }),
});
