/**
 * `normalize(mean: [..], std: [..])`: per-channel (x - mean) / std with constants, no state_dict
 * entries. RobustBench models take pixels in [0, 1] and normalise inside the model this way.
 */
import { defineLayer } from './types.js';
import { shapeText } from './helpers.js';

export interface NormalizeHyper { mean: readonly number[]; std: readonly number[] }

export const normalize = defineLayer<NormalizeHyper>({
  kind: 'normalize',
  summary: 'per-channel (x - mean) / std with constant mean and std lists; no tensors',
  arguments: [
    { name: 'mean', type: 'numbers' },
    { name: 'std', type: 'numbers' },
  ],
  hyper: (a) => ({ mean: a.mean as readonly number[], std: a.std as readonly number[] }),
  tensors: () => [],
  outputShape: (h, input) => {
    if (h.mean.length !== h.std.length) return `normalize has ${h.mean.length} means but ${h.std.length} standard deviations`;
    if (h.std.some((s) => !(s > 0))) return `normalize needs positive standard deviations but has [${h.std.join(', ')}]`;
    if (input.length !== 1 && input.length !== 3) return `normalize expects [channels] or [channels, height, width] but receives ${shapeText(input)}`;
    if (input[0] !== h.mean.length) return `normalize has ${h.mean.length} channel statistics but its input has ${input[0]} channels (input shape ${shapeText(input)})`;
    return input;
  },
  lower: (x, h) => {
    const perChannel = [1, h.mean.length, ...Array(x.rank - 2).fill(1)];
    const mean = x.graph.constantData(Float32Array.from(h.mean), perChannel);
    const invStd = x.graph.constantData(Float32Array.from(h.std, (s) => 1 / s), perChannel);
    return x.sub(mean).mul(invStd);
  },
  functional: true,
});
