/** Elementwise functions of numbers and tensors: `stop_gradient`, `exp`, `log`, `abs`, `sqrt`, `cos`. */
import type { Tensor } from '../ir/tensor.js';
import { InternalError } from '../util/internal-error.js';
import { elementwiseRule } from './rules.js';
import type { BuiltinFunction } from './types.js';

/** Numbers fold on the host with `host`; tensors get the graph op `op`. */
function elementwise(name: string, host: ((v: number) => number) | undefined, op: (x: Tensor) => Tensor, summary = `elementwise ${name}`): BuiltinFunction {
  return {
    parameters: ['value'],
    summary,
    result: elementwiseRule(name),
    lower: ([v]) => (typeof v === 'number' ? (host ? host(v) : v) : op(v!)),
    ...(host ? { evaluate: (args: number[]) => host(args[0]!) } : {}),
  };
}

/** Not a schedule function: a number has no gradient to stop, so it passes through. */
export const stop_gradient = elementwise('stop_gradient', undefined, (x) => x.stopGradient(), 'the value, with no gradient flowing through it');
export const exp = elementwise('exp', Math.exp, (x) => x.exp());
export const log = elementwise('log', Math.log, (x) => x.log());
export const abs = elementwise('abs', Math.abs, (x) => x.abs());
export const sqrt = elementwise('sqrt', Math.sqrt, (x) => x.sqrt());
export const cos: BuiltinFunction = {
  // The checker keeps `cos` in schedules, so a tensor never reaches its lowering.
  ...elementwise('cos', Math.cos, () => { throw new InternalError('cos of a tensor is not supported'); }),
  scheduleOnly: true,
};
