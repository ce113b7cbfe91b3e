/**
 * "Rows" along one axis: a tensor of shape [...outer, size, ...inner] seen as outer*inner rows
 * of `size` elements `inner` apart. Softmax, cross-entropy and top-k work row by row, one
 * invocation per row; this file gives the layout and the WGSL that locates a row.
 */
import { sizeOf, type Shape } from '../../src/ir/shape.js';

export interface RowLayout {
  /** Product of the dims before the axis. */
  outer: number;
  /** Length of the axis (elements per row). */
  size: number;
  /** Product of the dims after the axis: the distance between a row's elements. */
  inner: number;
  rows: number;
}

export function rowLayout(shape: Shape, axis: number): RowLayout {
  const outer = sizeOf(shape.slice(0, axis));
  const inner = sizeOf(shape.slice(axis + 1));
  return { outer, size: shape[axis]!, inner, rows: outer * inner };
}

/** Flat offset of element 0 of row `row` (CPU side). */
export function rowBase(l: RowLayout, row: number): number {
  return l.inner === 1 ? row * l.size : Math.floor(row / l.inner) * l.size * l.inner + (row % l.inner);
}

/** WGSL: `let base: u32` (offset of element 0 of row `row`) for the layout; elements are `inner` apart. */
export function rowBaseWGSL(l: RowLayout, row: string): string {
  if (l.inner === 1) return `let base: u32 = ${row} * ${l.size}u;`;
  return `let base: u32 = (${row} / ${l.inner}u) * ${l.size * l.inner}u + (${row} % ${l.inner}u);`;
}

/** WGSL index of element `j` of the row that starts at `base`. */
export function rowElemWGSL(l: RowLayout, j: string): string {
  return l.inner === 1 ? `base + ${j}` : `base + ${j} * ${l.inner}u`;
}
