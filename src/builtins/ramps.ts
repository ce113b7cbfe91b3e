/** The ramps of schedules: `ramp` (linear) and `sigmoid_ramp` (the TE reference's). Host only. */
import { isScalarLike, scalarType } from '../typed/expr-type.js';
import type { BuiltinFunction } from './types.js';

/** The reference's sigmoid_rampup: 0 before start, 1 after end, exp(-5 (1 - t)^2) between. */
export function sigmoidRamp(current: number, start: number, end: number): number {
  if (current < start) return 0;
  if (current > end) return 1;
  if (end === start) return 1;
  const phase = 1 - (current - start) / (end - start);
  return Math.exp(-5 * phase * phase);
}

/** Linear ramp from 0 at `start` to 1 at `end`, clamped. */
export function linearRamp(current: number, start: number, end: number): number {
  if (end === start) return current >= end ? 1 : 0;
  return Math.min(1, Math.max(0, (current - start) / (end - start)));
}

function ramp(name: string, summary: string, f: (current: number, start: number, end: number) => number): BuiltinFunction {
  return {
    parameters: ['value', 'start', 'end'],
    scheduleOnly: true,
    summary,
    result: (args) => (args.every(isScalarLike) ? scalarType : `\`${name}\` needs numbers, e.g. \`${name}(epoch, 90, 150)\``),
    evaluate: ([current, start, end]) => f(current!, start!, end!),
  };
}

export const linear_ramp = ramp('ramp', 'linear ramp: 0 before start, (value - start) / (end - start) between, 1 after end', linearRamp);
export const sigmoid_ramp = ramp('sigmoid_ramp', 'the TE ramp: 0 before start, exp(-5 (1 - t)^2) with t = (value - start) / (end - start) up to end, 1 after', sigmoidRamp);
