/**
 * Typing of elementwise arithmetic (`+`, `-`, `*`, `/`, `^` and two-argument `max`/`min`) with
 * broadcasting. The functions themselves (signatures, type rules, lowerings, host values) are one
 * table, src/builtins/; it is re-exported here for the checker.
 */
import type { Shape } from './resolved.js';
import { isScalarLike, numberType, sameShape, scalarType, type ExprType } from '../typed/expr-type.js';
import { shapeText } from '../util/shape-text.js';

export { builtinFunctions, isFunctionName, scheduleFunctions } from '../builtins/index.js';

/** Elementwise binary result with broadcasting of scalars and per-example values. */
export function broadcast(a: ExprType, b: ExprType): ExprType | string {
  if (a.kind === 'labels' || b.kind === 'labels') return 'labels are class indices: use them in `ce` only';
  if (a.kind === 'bool' || b.kind === 'bool') return 'conditions cannot take part in arithmetic';
  if (a.kind === 'number' && b.kind === 'number') return numberType;
  if (isScalarLike(a) && isScalarLike(b)) return scalarType;
  if (isScalarLike(a)) return b;
  if (isScalarLike(b)) return a;
  const sa = (a as { shape: Shape }).shape;
  const sb = (b as { shape: Shape }).shape;
  if (sameShape(sa, sb)) return a;
  if (sa.length === 0) return b;
  if (sb.length === 0) return a;
  return `shapes ${shapeText(['B' as unknown as number, ...sa])} and ${shapeText(['B' as unknown as number, ...sb])} do not match`;
}

/** Result of a two-argument `max`/`min`: elementwise. */
export function elementwiseBinaryResult(name: string, a: ExprType, b: ExprType): ExprType | string {
  const r = broadcast(a, b);
  return typeof r === 'string' ? `\`${name}\`: ${r}` : r;
}
