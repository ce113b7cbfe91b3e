/**
 * Parameter initialisation on the host, with PyTorch's default schemes and the counter-based
 * generator (so the same seed gives the same weights on any machine):
 *  - conv/linear weights: kaiming_uniform(a = sqrt(5)) = U(-1/sqrt(fan_in), 1/sqrt(fan_in));
 *  - conv/linear biases: U(-1/sqrt(fan_in), 1/sqrt(fan_in));
 *  - kaiming_normal(fan_out) = N(0, 2 / fan_out) (WideResNet reference);
 *  - batch norm: weight 1, bias 0, running_mean 0, running_var 1, num_batches_tracked 0.
 */
import type { TensorSpec, InitScheme } from '../check/resolved.js';
import { hashKey, mix32, uniformFromBits, normal, Streams } from '../util/random.js';

function count(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** The initial values of one state_dict entry; `index` is its position in the state_dict. */
export function initialValues(spec: TensorSpec, index: number, seed: number): Float32Array {
  const n = count(spec.shape);
  const out = new Float32Array(n);
  const stream = mix32((Streams.init * 65536 + index) >>> 0);
  const scheme: InitScheme = spec.init;
  switch (scheme.kind) {
    case 'zeros':
      return out;
    case 'ones':
      return out.fill(1);
    case 'kaiming_uniform': {
      // gain = sqrt(2 / (1 + a^2)); bound = gain * sqrt(3 / fan_in)
      const gain = Math.sqrt(2 / (1 + scheme.a * scheme.a));
      const bound = gain * Math.sqrt(3 / scheme.fanIn);
      for (let i = 0; i < n; i++) out[i] = (2 * uniformFromBits(hashKey(seed, stream, i)) - 1) * bound;
      return out;
    }
    case 'uniform_fan_in': {
      const bound = 1 / Math.sqrt(scheme.fanIn);
      for (let i = 0; i < n; i++) out[i] = (2 * uniformFromBits(hashKey(seed, stream, i)) - 1) * bound;
      return out;
    }
    case 'kaiming_normal_fan_out': {
      const std = Math.sqrt(2 / scheme.fanOut);
      for (let i = 0; i < n; i++) out[i] = normal(seed, stream, i) * std;
      return out;
    }
  }
}
