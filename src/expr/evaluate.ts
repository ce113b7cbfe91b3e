/**
 * The one walk over typed expressions (src/check/resolved.ts TypedExpr), shared by the two
 * evaluators of typed expressions: the objective lowering (values are graph tensors or numbers,
 * src/lower/objective.ts) and the schedule evaluator (values are numbers, src/train/schedule-eval.ts).
 * The walk fixes the structure (which children are evaluated, in which order, lazily for
 * conditionals); each evaluator passes in what differs: its leaves (inputs, states, schedules,
 * epoch), how values combine, and how a built-in function runs (graph ops or host numbers).
 *
 * The checker decides which forms may appear where (comparisons and conditionals only in
 * schedules, `x` only in objectives); an evaluator that meets a form it does not handle has met a
 * checker bug, and says so with an InternalError.
 */
import type { TypedExpr } from '../typed/typed-expr.js';
import { InternalError } from '../util/internal-error.js';
import type { ArithmeticOp, ComparisonOp, LogicalOp } from './operators.js';

type Node<K extends TypedExpr['kind']> = Extract<TypedExpr, { kind: K }>;

export interface Semantics<V> {
  /** What the evaluator is, for messages about forms it does not handle. */
  what: string;
  constant(value: number): V;
  /** Leaves other than constants: `x`, `y`, `delta`, states, schedules, `epoch`, `step`, ... */
  leaf(e: TypedExpr): V;
  negate(v: V): V;
  binary(op: ArithmeticOp, a: V, b: V): V;
  /** A built-in function on its evaluated arguments. */
  call(e: Node<'call'>, args: V[]): V;
  applyModel?(e: Node<'apply_model'>, input: V): V;
  not?(v: V): V;
  compare?(op: ComparisonOp, a: V, b: V): V;
  logical?(op: LogicalOp, a: V, b: V): V;
  /** Is this value true (for conditionals)? */
  truthy?(v: V): boolean;
  /** `piecewise`: the value of the milestone in force (lazy: only that one is evaluated). */
  piecewise?(e: Node<'piecewise'>, value: (e: TypedExpr) => V): V;
}

export function evaluateTyped<V>(e: TypedExpr, s: Semantics<V>): V {
  const ev = (x: TypedExpr): V => evaluateTyped(x, s);
  const needs = <F>(f: F | undefined): F => {
    if (f === undefined) throw new InternalError(`'${e.kind}' cannot appear in ${s.what}`);
    return f;
  };
  switch (e.kind) {
    case 'constant':
      return s.constant(e.value);
    case 'negate':
      return s.negate(ev(e.operand));
    case 'binary':
      return s.binary(e.op, ev(e.left), ev(e.right));
    case 'call':
      return s.call(e, e.args.map(ev));
    case 'apply_model':
      return needs(s.applyModel).call(s, e, ev(e.input));
    case 'not':
      return needs(s.not).call(s, ev(e.operand));
    case 'compare':
      return needs(s.compare).call(s, e.op, ev(e.left), ev(e.right));
    case 'logical':
      return needs(s.logical).call(s, e.op, ev(e.left), ev(e.right));
    case 'conditional':
      return needs(s.truthy).call(s, ev(e.condition)) ? ev(e.then) : ev(e.otherwise);
    case 'piecewise':
      return needs(s.piecewise).call(s, e, ev);
    default:
      return s.leaf(e);
  }
}
