/**
 * The table of built-in functions of objectives, states and schedules. Adding a function means
 * writing one entry (in the file of its family here), listing it below and naming it in
 * src/typed/function-names.ts (the table's type requires exactly those names): the checker (its
 * signature and type rule), the lowering (src/lower/objective.ts) and the schedule evaluator
 * (src/train/schedule-eval.ts) all read this table. See types.ts for why it lives here.
 *
 * The order is the order of suggestions and of the list of schedule functions in messages.
 */
import { ce, kl, mse } from './losses.js';
import { log_softmax, softmax } from './class-axis.js';
import { max, mean, min, norm, sum } from './reductions.js';
import { abs, cos, exp, log, sqrt, stop_gradient } from './elementwise.js';
import { linear_ramp, sigmoid_ramp } from './ramps.js';
import type { BuiltinFunction } from './types.js';
import type { FunctionName } from '../typed/function-names.js';

export const builtinFunctions = {
  ce, kl, mse, softmax, log_softmax, sum, mean, norm, stop_gradient, exp, log, abs, sqrt, cos, max, min, ramp: linear_ramp, sigmoid_ramp,
} satisfies { readonly [F in FunctionName]: BuiltinFunction };

export function isFunctionName(name: string): name is FunctionName {
  return Object.hasOwn(builtinFunctions, name);
}

/** The functions a schedule may use: those with a host value (schedules are evaluated on the host, on numbers). */
export const scheduleFunctions: ReadonlySet<FunctionName> = new Set((Object.keys(builtinFunctions) as FunctionName[]).filter((f) => builtinFunctions[f].evaluate));

export type { BuiltinFunction, FunctionLowering, CallSite, Lowered } from './types.js';
export { sigmoidRamp, linearRamp } from './ramps.js';
