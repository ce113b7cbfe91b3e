/** Layers without arguments or tensors that keep the shape: `relu`, `silu`, `identity`; and `flatten`. */
import { defineLayer, type LayerKindSpec } from './types.js';
import type { Tensor } from '../ir/tensor.js';
import type { Shape } from './types.js';

type NoHyper = Record<string, never>;

function simple(kind: string, summary: string, lower: (x: Tensor) => Tensor, outputShape: (input: Shape) => Shape = (input) => input): LayerKindSpec {
  return defineLayer<NoHyper>({ kind, summary, arguments: [], hyper: () => ({}), tensors: () => [], outputShape: (_h, input) => outputShape(input), lower: (x) => lower(x), functional: true });
}

export const relu = simple('relu', 'nn.ReLU', (x) => x.relu());
/** x * sigmoid(x), one fused op with its own gradient (src/ops/elementwise.ts). */
export const silu = simple('silu', 'nn.SiLU: x * sigmoid(x) (the swish activation)', (x) => x.silu());
export const identity = simple('identity', 'nn.Identity', (x) => x);
export const flatten = simple('flatten', 'nn.Flatten: [c, h, w] -> [c * h * w]', (x) => x.flatten(1), (input) => [input.reduce((a, b) => a * b, 1)]);
