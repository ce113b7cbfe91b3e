/** `linear`: nn.Linear on flat inputs. */
import { defineLayer } from './types.js';
import { initScheme, shapeText, tensor } from './helpers.js';

export interface LinearHyper { inFeatures: number; outFeatures: number; bias: boolean }

export const linear = defineLayer<LinearHyper>({
  kind: 'linear',
  summary: 'nn.Linear: weight [out, in] and optional bias [out]',
  arguments: [
    { name: 'in_features', type: 'int' },
    { name: 'out_features', type: 'int' },
    { name: 'bias', type: 'bool', default: true },
    { name: 'weight_init', type: 'init', default: 'kaiming_uniform' },
    { name: 'bias_init', type: 'init', default: 'uniform_fan_in' },
  ],
  hyper: (a) => ({ inFeatures: a.in_features as number, outFeatures: a.out_features as number, bias: a.bias as boolean }),
  tensors: (h, a, prefix) => {
    const out = [tensor(prefix, 'weight', [h.outFeatures, h.inFeatures], initScheme(a.weight_init!, h.inFeatures, h.outFeatures))];
    if (h.bias) out.push(tensor(prefix, 'bias', [h.outFeatures], initScheme(a.bias_init!, h.inFeatures, h.outFeatures)));
    return out;
  },
  outputShape: (h, input) => {
    if (input.length !== 1) {
      const n = input.reduce((a, b) => a * b, 1);
      return `linear expects a flat input of ${h.inFeatures} features but receives shape ${shapeText(input)} (${n} values); add \`flatten\` before it`;
    }
    if (input[0] !== h.inFeatures) return `linear expects ${h.inFeatures} input features but receives ${input[0]}`;
    return [h.outFeatures];
  },
  lower: (x, h, ctx) => {
    const y = x.matmul(ctx.tensor('weight'), { transB: true });
    return h.bias ? y.add(ctx.tensor('bias')) : y;
  },
});
