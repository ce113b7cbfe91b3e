/** `maxpool` and `avgpool`: square windows, stride defaulting to the kernel (nn.MaxPool2d, F.avg_pool2d). */
import { defineLayer, type ArgumentSpec, type LayerKindSpec } from './types.js';
import type { Tensor } from '../ir/tensor.js';
import { spatial, type WindowHyper } from './helpers.js';

export type PoolHyper = WindowHyper;

const poolArguments: ArgumentSpec[] = [
  { name: 'kernel', type: 'int' },
  { name: 'stride', type: 'int', default: (a) => a.kernel! },
  { name: 'padding', type: 'int', default: 0 },
];

const poolHyper = (a: Record<string, unknown>): PoolHyper => ({ kernel: a.kernel as number, stride: a.stride as number, padding: a.padding as number });

/** A pooling layer kind: the same arguments and window shape rule, its own graph op. */
function pool(kind: 'maxpool' | 'avgpool', summary: string, lower: (x: Tensor, h: PoolHyper) => Tensor): LayerKindSpec {
  return defineLayer<PoolHyper>({
    kind,
    summary,
    arguments: poolArguments,
    hyper: poolHyper,
    tensors: () => [],
    outputShape: (h, input) => spatial(kind, h, input, input[0] ?? 0),
    lower: (x, h) => lower(x, h),
    functional: true,
  });
}

export const maxpool = pool('maxpool', 'nn.MaxPool2d(kernel, stride = kernel, padding = 0)', (x, h) => x.maxPool2d(h.kernel, h.stride, h.padding));
export const avgpool = pool('avgpool', 'nn.AvgPool2d / F.avg_pool2d(kernel, stride = kernel, padding = 0)', (x, h) => x.avgPool2d(h.kernel, h.stride, h.padding));
