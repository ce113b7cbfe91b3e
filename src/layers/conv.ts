/** `conv`: nn.Conv2d with square kernels. */
import { defineLayer } from './types.js';
import { initScheme, shapeText, spatial, tensor } from './helpers.js';

export interface ConvHyper { inChannels: number; outChannels: number; kernel: number; stride: number; padding: number; bias: boolean }

export const conv = defineLayer<ConvHyper>({
  kind: 'conv',
  summary: 'nn.Conv2d: weight [out, in, k, k] and optional bias [out]',
  arguments: [
    { name: 'in_channels', type: 'int' },
    { name: 'out_channels', type: 'int' },
    { name: 'kernel', type: 'int' },
    { name: 'stride', type: 'int', default: 1 },
    { name: 'padding', type: 'int', default: 0 },
    { name: 'bias', type: 'bool', default: true },
    { name: 'weight_init', type: 'init', default: 'kaiming_uniform' },
    { name: 'bias_init', type: 'init', default: 'uniform_fan_in' },
  ],
  hyper: (a) => ({
    inChannels: a.in_channels as number,
    outChannels: a.out_channels as number,
    kernel: a.kernel as number,
    stride: a.stride as number,
    padding: a.padding as number,
    bias: a.bias as boolean,
  }),
  tensors: (h, a, prefix) => {
    const fanIn = h.inChannels * h.kernel * h.kernel;
    const fanOut = h.outChannels * h.kernel * h.kernel;
    const out = [tensor(prefix, 'weight', [h.outChannels, h.inChannels, h.kernel, h.kernel], initScheme(a.weight_init!, fanIn, fanOut))];
    if (h.bias) out.push(tensor(prefix, 'bias', [h.outChannels], initScheme(a.bias_init!, fanIn, fanOut)));
    return out;
  },
  outputShape: (h, input) => {
    if (input.length === 3 && input[0] !== h.inChannels) {
      return `conv expects ${h.inChannels} input channel${h.inChannels === 1 ? '' : 's'} but receives ${input[0]} (input shape ${shapeText(input)})`;
    }
    return spatial('conv', h, input, h.outChannels);
  },
  lower: (x, h, ctx) => {
    const y = x.conv2d(ctx.tensor('weight'), { stride: h.stride, pad: h.padding });
    return h.bias ? y.add(ctx.tensor('bias').reshape([1, h.outChannels, 1, 1])) : y;
  },
});
