/**
 * The contract of a built-in function of objective, state and schedule expressions (`ce`, `kl`,
 * `exp`, `ramp`, ...): one object holds its signature, its type rule, its lowering to graph ops
 * and its value on the host (src/builtins/index.ts lists them).
 *
 * Why here and not in src/check or src/lower: the checker needs the signature and the type
 * rule, the lowering (src/lower/objective.ts) the graph ops and the schedule evaluator
 * (src/train/schedule-eval.ts) the host value. Like src/layers, this folder imports only *types*
 * from src/ir and src/ops: what a lowering needs beyond its arguments (graph constants, the
 * composite losses) comes through `FunctionLowering`, so the checker loads no graph code.
 */
import type { Tensor } from '../ir/tensor.js';
import type { ExprType } from '../typed/expr-type.js';
import type { TypedExpr } from '../typed/typed-expr.js';
import type * as Losses from '../ops/losses.js';

/** A lowered argument: a graph tensor, or a number folded on the host. */
export type Lowered = Tensor | number;

/** What a function's lowering may ask of the objective being lowered (src/lower/objective.ts). */
export interface FunctionLowering {
  /** A lowered value as a tensor (numbers become graph constants). */
  tensor(v: Lowered): Tensor;
  /** Lower a sub-expression again, e.g. the logits inside `softmax(...)` for a stable `kl`. */
  lowerTensor(e: TypedExpr): Tensor;
  /** The composite losses of src/ops/losses.ts. */
  losses: Pick<typeof Losses, 'crossEntropy' | 'tradesKl' | 'klDiv' | 'mse'>;
}

/** The call being lowered: its typed arguments (for look-through rules) and named options. */
export interface CallSite {
  args: readonly TypedExpr[];
  options: Readonly<Record<string, number | string>>;
}

export interface BuiltinFunction {
  /** Positional parameter names, for messages and counts. */
  parameters: string[];
  /** Named options and the values they accept (numbers, or a fixed set of words). */
  options?: Record<string, 'int' | 'number' | readonly string[]>;
  /** Only usable in schedules. */
  scheduleOnly?: boolean;
  /** One line for docs and hovers; docs/language.md defines each function. */
  summary: string;
  /** The result type for these argument types and options, or a message saying why they do not fit. */
  result(args: ExprType[], options: Record<string, number | string>): ExprType | string;
  /** Graph ops on lowered arguments; absent for functions of schedules only. */
  lower?(args: Lowered[], call: CallSite, ctx: FunctionLowering): Lowered;
  /** The value on the host, on numbers; present exactly for the functions a schedule may use. */
  evaluate?(args: number[]): number;
}
