/**
 * What an expression of an objective, a state or a schedule is (ExprType), with its constructors,
 * equality and descriptions for messages. Part of the typed-tree vocabulary (src/typed/) that the
 * checker produces and the built-in functions, the expression walk and the lowering consume.
 */
import type { Shape } from '../layers/index.js';
import { shapeText } from '../util/shape-text.js';

/**
 * Types of objective and schedule expressions:
 * - `number`: a compile-time constant;
 * - `scalar`: one runtime number per step (a loss, a schedule value);
 * - `tensor`: one tensor of `shape` per example, i.e. a `[B, ...shape]` batch;
 * - `labels`: the integer class labels `[B]` with `classes` classes;
 * - `bool`: a schedule-time condition.
 */
export type ExprType =
  | { kind: 'number' }
  | { kind: 'scalar' }
  | { kind: 'tensor'; shape: Shape }
  | { kind: 'labels'; classes: number }
  | { kind: 'bool' };

export const numberType: ExprType = { kind: 'number' };
export const scalarType: ExprType = { kind: 'scalar' };
export const boolType: ExprType = { kind: 'bool' };
export const tensorType = (shape: Shape): ExprType => ({ kind: 'tensor', shape });

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
