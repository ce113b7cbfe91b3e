/**
 * The checker's typed expression tree (objectives, state updates, schedules): every name resolved,
 * every node typed, spans back to the source; and the generic walks over it.
 */
import type { Span } from '../syntax/span.js';
import type { ExprType } from './expr-type.js';
import type { FunctionName } from './function-names.js';

export type TypedExpr = { type: ExprType; span: Span } & (
  | { kind: 'constant'; value: number }
  /** The clean input batch `x`. */
  | { kind: 'input' }
  /** The labels `y`. */
  | { kind: 'labels' }
  /** The perturbation variable of the attack being defined. */
  | { kind: 'delta'; attack: string }
  /** The adversarial input an attack produced: clip01(x + delta*). */
  | { kind: 'adversarial'; attack: string }
  /** The normalized per-example target of a state, gathered for the batch's example indices. */
  | { kind: 'state'; name: string }
  | { kind: 'schedule'; name: string }
  /** Schedules only: the 1-based epoch and the 0-based global optimizer step. */
  | { kind: 'epoch' }
  | { kind: 'step' }
  | { kind: 'apply_model'; model: string; input: TypedExpr }
  /** `options` holds named compile-time arguments: `dim` (a number >= 1) or `norm`'s `p` (1, 2 or Infinity). */
  | { kind: 'call'; fn: FunctionName; args: TypedExpr[]; options: Record<string, number | string> }
  /** `piecewise(v0, {k: v})`: v0 for epochs 1..k1, then the value of the last milestone k < epoch. */
  | { kind: 'piecewise'; initial: TypedExpr; milestones: { epoch: number; value: TypedExpr }[] }
  | { kind: 'negate'; operand: TypedExpr }
  | { kind: 'binary'; op: 'add' | 'sub' | 'mul' | 'div' | 'pow'; left: TypedExpr; right: TypedExpr }
  | { kind: 'compare'; op: '==' | '!=' | '<' | '>' | '<=' | '>='; left: TypedExpr; right: TypedExpr }
  | { kind: 'logical'; op: 'and' | 'or'; left: TypedExpr; right: TypedExpr }
  | { kind: 'not'; operand: TypedExpr }
  | { kind: 'conditional'; condition: TypedExpr; then: TypedExpr; otherwise: TypedExpr }
);

/** The direct sub-expressions of a node, for generic walks. */
export function childrenOf(e: TypedExpr): TypedExpr[] {
  switch (e.kind) {
    case 'apply_model': return [e.input];
    case 'call': return e.args;
    case 'piecewise': return [e.initial, ...e.milestones.map((m) => m.value)];
    case 'negate': case 'not': return [e.operand];
    case 'binary': case 'compare': case 'logical': return [e.left, e.right];
    case 'conditional': return [e.condition, e.then, e.otherwise];
    default: return [];
  }
}

/** True if some node of `e` satisfies `test` (pre-order). */
export function someNode(e: TypedExpr, test: (node: TypedExpr) => boolean): boolean {
  return test(e) || childrenOf(e).some((c) => someNode(c, test));
}

/** The state names an expression reads. */
export function statesRead(e: TypedExpr): string[] {
  const names = new Set<string>();
  const visit = (n: TypedExpr): void => {
    if (n.kind === 'state') names.add(n.name);
    childrenOf(n).forEach(visit);
  };
  visit(e);
  return [...names];
}
