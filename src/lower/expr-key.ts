/** Structural identity of typed expressions (spans and types ignored), for memoising model applications. */
import type { TypedExpr } from '../typed/typed-expr.js';

export function exprKey(e: TypedExpr): string {
  return JSON.stringify(e, (k, v) => (k === 'span' || k === 'type' ? undefined : v));
}
