/** Type rules that several built-in functions share. */
import type { Shape } from '../layers/index.js';
import { describeType, isScalarLike, numberType, scalarType, tensorType, type ExprType } from '../typed/expr-type.js';
import type { BuiltinFunction } from './types.js';

/** Why `t` is not a per-example vector (logits or probabilities), or undefined if it is one. */
export const perExampleVector = (what: string, t: ExprType, position: string): string | undefined =>
  t.kind === 'tensor' && t.shape.length === 1 ? undefined : `${position} of \`${what}\` must be a per-example vector such as logits or probabilities (shape [B, classes]) but is ${describeType(t)}`;

/** An elementwise function of one number or tensor: the result has the argument's type. */
export function elementwiseRule(name: string): BuiltinFunction['result'] {
  return ([t]) => (t!.kind === 'labels' || t!.kind === 'bool' ? `\`${name}\` needs numbers or tensors but receives ${describeType(t!)}` : t!);
}

/** Reduce over everything (a scalar) or over `dim` (dim 0 is the batch and cannot be reduced). */
export function reductionRule(name: string): BuiltinFunction['result'] {
  return ([t], options) => {
    if (isScalarLike(t!)) return t!.kind === 'number' ? numberType : scalarType;
    if (t!.kind !== 'tensor') return `\`${name}\` needs a tensor but receives ${describeType(t!)}`;
    const dim = options.dim;
    if (dim === undefined) return scalarType;
    if (typeof dim !== 'number' || dim < 1 || dim > t!.shape.length) return `\`dim\` of \`${name}\` must be between 1 and ${t!.shape.length} (dimension 0 is the batch)`;
    return tensorType(t!.shape.filter((_, i) => i !== dim - 1));
  };
}

export const shapeOf = (t: ExprType): Shape => (t as { shape: Shape }).shape;
