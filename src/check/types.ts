/** Helpers for expression types (see ExprType in resolved.ts): constructors, equality, descriptions. */
import type { ExprType, Shape } from './resolved.js';
import { shapeText } from '../util/shape-text.js';

export const numberType: ExprType = { kind: 'number' };
export const scalarType: ExprType = { kind: 'scalar' };
export const boolType: ExprType = { kind: 'bool' };
export const tensorType = (shape: Shape): ExprType => ({ kind: 'tensor', shape });

export { shapeText };

/** Number or scalar: one value for the whole batch. */
export function isScalarLike(t: ExprType): boolean {
  return t.kind === 'number' || t.kind === 'scalar';
}

export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** For messages: `a per-example tensor of shape [B, 10]`, `the labels`, `a number`. */
export function describeType(t: ExprType): string {
  switch (t.kind) {
    case 'number': return 'a number';
    case 'scalar': return 'a scalar';
    case 'bool': return 'a condition';
    case 'labels': return `the labels (class indices, ${t.classes} classes)`;
    case 'tensor': return `a per-example tensor of shape ${shapeText(['B' as unknown as number, ...t.shape])}`;
  }
}
