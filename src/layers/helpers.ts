/** What several layer kinds share: tensor specs, init schemes, shape text and window arithmetic. */
import type { InitScheme, LayerArgValue, Shape, TensorSpec } from './types.js';
import { outputExtent } from '../util/window.js';
import { shapeText } from '../util/shape-text.js';

export const initSchemeNames = ['kaiming_uniform', 'uniform_fan_in', 'kaiming_normal_fan_out', 'zeros', 'ones'] as const;

export function initScheme(name: LayerArgValue, fanIn: number, fanOut: number): InitScheme {
  switch (name) {
    case 'kaiming_normal_fan_out': return { kind: 'kaiming_normal_fan_out', fanOut };
    case 'uniform_fan_in': return { kind: 'uniform_fan_in', fanIn };
    case 'zeros': return { kind: 'zeros' };
    case 'ones': return { kind: 'ones' };
    default: return { kind: 'kaiming_uniform', a: Math.sqrt(5), fanIn };
  }
}

export function tensor(prefix: string, role: TensorSpec['role'], shape: Shape, init: InitScheme, trainable = true): TensorSpec {
  return { name: `${prefix}${role}`, role, shape, trainable, dtype: role === 'num_batches_tracked' ? 'int64' : 'float32', init };
}

export { shapeText };

/** Hyperparameters of a convolution or pooling window. */
export interface WindowHyper { kernel: number; stride: number; padding: number }

/** The [channels, h', w'] output of a square window over a [c, h, w] input, or why it does not fit. */
export function spatial(what: string, h: WindowHyper, input: Shape, channels: number): Shape | string {
  if (input.length !== 3) return `${what} expects an input of shape [channels, height, width] but receives ${shapeText(input)}`;
  const [, height, width] = input as [number, number, number];
  if (height + 2 * h.padding < h.kernel || width + 2 * h.padding < h.kernel) {
    return `${what} has a ${h.kernel}x${h.kernel} window but its input ${shapeText(input)} is only ${height}x${width} (padding ${h.padding})`;
  }
  return [channels, outputExtent(height, h.kernel, h.stride, h.padding), outputExtent(width, h.kernel, h.stride, h.padding)];
}
