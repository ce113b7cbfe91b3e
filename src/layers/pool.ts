/** `maxpool` and `avgpool`: square windows, stride defaulting to the kernel (nn.MaxPool2d, F.avg_pool2d). */
import { defineLayer, type ArgumentSpec } from './types.js';
import { spatial, type WindowHyper } from './helpers.js';

export type PoolHyper = WindowHyper;

const poolArguments: ArgumentSpec[] = [
  { name: 'kernel', type: 'int' },
  { name: 'stride', type: 'int', default: (a) => a.kernel! },
  { name: 'padding', type: 'int', default: 0 },
];

const poolHyper = (a: Record<string, unknown>): PoolHyper => ({ kernel: a.kernel as number, stride: a.stride as number, padding: a.padding as number });

export const maxpool = defineLayer<PoolHyper>({
  kind: 'maxpool',
  summary: 'nn.MaxPool2d(kernel, stride = kernel, padding = 0)',
  arguments: poolArguments,
  hyper: poolHyper,
  tensors: () => [],
  outputShape: (h, input) => spatial('maxpool', h, input, input[0] ?? 0),
  lower: (x, h) => x.maxPool2d(h.kernel, h.stride, h.padding),
  functional: true,
});

export const avgpool = defineLayer<PoolHyper>({
  kind: 'avgpool',
  summary: 'nn.AvgPool2d / F.avg_pool2d(kernel, stride = kernel, padding = 0)',
  arguments: poolArguments,
  hyper: poolHyper,
  tensors: () => [],
  outputShape: (h, input) => spatial('avgpool', h, input, input[0] ?? 0),
  lower: (x, h) => x.avgPool2d(h.kernel, h.stride, h.padding),
  functional: true,
});
