/**
 * Indexing ops, all driven by i32 index tensors:
 *  - gather(x, indices, {axis}): torch.index_select along one axis;
 *  - scatter_add(indices, g, {axis, size}): its adjoint (sums rows that share an index);
 *  - gather_rows(table, rows): gather on axis 0, the per-example state lookup (a
 *    [50000, 10] buffer read at the batch's dataset indices);
 *  - scatter_rows(table, rows, values): the table with those rows replaced (state update);
 *  - take_along_axis(x [..., C], idx [...]): x[p, idx[p]], e.g. the true-class logit;
 *  - scatter_along_axis(idx, g, {classes}): its adjoint (g[p] at column idx[p], 0 elsewhere).
 *
 * Out-of-range indices (negative ones included; nothing wraps) read as 0 in gathers and
 * are ignored by scatters, identically on the CPU and the GPU.
 */
import type { Node } from '../ir/graph.js';
import { type Shape, ShapeError, formatShape, normalizeAxes, shapesEqual, sizeOf } from '../ir/shape.js';
import type { Tensor } from '../ir/tensor.js';
import type { KernelOpDef } from '../ir/op.js';
import { allocFor, type TypedArray } from '../ir/typed-array.js';
import { wgslType } from '../../codegen/wgsl/literal.js';
import { gatherKernel, scatterAddKernel, scatterAlongKernel, scatterRowsKernel, takeAlongKernel } from '../../codegen/wgsl/indexing.js';

function checkIndexVector(op: string, what: string, idx: Node): number {
  if (idx.dtype !== 'i32' || idx.shape.length !== 1) {
    throw new ShapeError(`${op}: ${what} must be an i32 vector, got ${idx.dtype}${formatShape(idx.shape)}`);
  }
  return idx.shape[0]!;
}

/** [outer, axis, inner] view of a shape around one axis. */
function around(shape: Shape, axis: number): { outer: number; dim: number; inner: number } {
  return { outer: sizeOf(shape.slice(0, axis)), dim: shape[axis]!, inner: sizeOf(shape.slice(axis + 1)) };
}

function withAxis(shape: Shape, axis: number, dim: number): number[] {
  const s = [...shape];
  s[axis] = dim;
  return s;
}

/** CPU gather over the [outer, dim, inner] view; shared by gather and gather_rows. */
function cpuGather(out: Node, x: TypedArray, indices: TypedArray, outer: number, dim: number, inner: number): TypedArray {
  const count = indices.length;
  const result = allocFor(out, outer * count * inner);
  for (let o = 0; o < outer; o++) {
    for (let k = 0; k < count; k++) {
      const r = indices[k]!;
      if (r < 0 || r >= dim) continue; // stays 0
      const src = (o * dim + r) * inner;
      result.set(x.subarray(src, src + inner), (o * count + k) * inner);
    }
  }
  return result;
}

function axisOf(node: { attrs: { axis: number } }, rank: number): number {
  return normalizeAxes(node.attrs.axis, rank)[0]!;
}

// ---------------------------------------------------------------------------------------
// gather / scatter_add

const gatherDef: KernelOpDef<'gather'> = {
  name: 'gather',
  infer: (inputs, attrs) => {
    const [x, idx] = inputs as [Node, Node];
    if (x.shape.length === 0) throw new ShapeError('gather: cannot index a scalar');
    const count = checkIndexVector('gather', 'indices', idx);
    const axis = normalizeAxes(attrs.axis, x.shape.length)[0]!;
    return { shape: withAxis(x.shape, axis, count), dtype: x.dtype };
  },
  cpu: ([x, idx], { node, inputs: [xn] }) => {
    const { outer, dim, inner } = around(xn!.shape, axisOf(node, xn!.shape.length));
    return cpuGather(node, x!, idx!, outer, dim, inner);
  },
  grad: (g, { inputs: [x, idx], attrs }) => {
    const axis = normalizeAxes(attrs.axis, x!.rank)[0]!;
    return [g.graph.apply('scatter_add', [idx!, g], { axis, size: x!.shape[axis]! }), null];
  },
  kernel: ({ node, inputs: [x, idx] }) => {
    const { outer, dim, inner } = around(x!.shape, axisOf(node, x!.shape.length));
    return gatherKernel(wgslType(node.dtype), outer, dim, idx!.shape[0]!, inner);
  },
};

const scatterAddDef: KernelOpDef<'scatter_add'> = {
  name: 'scatter_add',
  infer: (inputs, attrs) => {
    const [idx, g] = inputs as [Node, Node];
    const count = checkIndexVector('scatter_add', 'indices', idx);
    if (g.shape.length === 0) throw new ShapeError('scatter_add: values cannot be a scalar');
    const axis = normalizeAxes(attrs.axis, g.shape.length)[0]!;
    const size = attrs.size;
    if (g.shape[axis] !== count) throw new ShapeError(`scatter_add: values ${formatShape(g.shape)} need ${count} entries on axis ${axis}`);
    if (!Number.isInteger(size) || size < 1) throw new ShapeError(`scatter_add: size must be a positive integer, got ${size}`);
    return { shape: withAxis(g.shape, axis, size), dtype: g.dtype };
  },
  cpu: ([idx, g], { node }) => {
    const axis = axisOf(node, node.shape.length);
    const { outer, dim: size, inner } = around(node.shape, axis);
    const count = idx!.length;
    const result = allocFor(node, outer * size * inner);
    // Same order as the kernel (ascending k), each sum rounded to the dtype as it goes.
    for (let o = 0; o < outer; o++) {
      for (let k = 0; k < count; k++) {
        const j = idx![k]!;
        if (j < 0 || j >= size) continue;
        const dst = (o * size + j) * inner;
        const src = (o * count + k) * inner;
        for (let i = 0; i < inner; i++) result[dst + i] = result[dst + i]! + g![src + i]!;
      }
    }
    return result;
  },
  grad: (g, { inputs: [idx], attrs }) => [null, g.graph.apply('gather', [g, idx!], { axis: attrs.axis })],
  kernel: ({ node, inputs: [idx] }) => {
    const { outer, dim: size, inner } = around(node.shape, axisOf(node, node.shape.length));
    return scatterAddKernel(wgslType(node.dtype), outer, idx!.shape[0]!, size, inner);
  },
};

// ---------------------------------------------------------------------------------------
// gather_rows / scatter_rows

function rowSizeOf(shape: Shape): number {
  return sizeOf(shape.slice(1));
}

const gatherRowsDef: KernelOpDef<'gather_rows'> = {
  name: 'gather_rows',
  infer: (inputs) => {
    const [table, rows] = inputs as [Node, Node];
    if (table.shape.length === 0) throw new ShapeError('gather_rows: the table cannot be a scalar');
    const count = checkIndexVector('gather_rows', 'rows', rows);
    return { shape: withAxis(table.shape, 0, count), dtype: table.dtype };
  },
  cpu: ([table, rows], { node, inputs: [tn] }) => cpuGather(node, table!, rows!, 1, tn!.shape[0]!, rowSizeOf(tn!.shape)),
  grad: (g, { inputs: [table, rows] }) => [g.graph.apply('scatter_add', [rows!, g], { axis: 0, size: table!.shape[0]! }), null],
  kernel: ({ node, inputs: [table, rows] }) => gatherKernel(wgslType(node.dtype), 1, table!.shape[0]!, rows!.shape[0]!, rowSizeOf(table!.shape)),
};

/**
 * f32 mask [B]: 1 where row b's value survives in scatter_rows (it is the last b naming
 * that row), built from graph ops: scatter positions 0..B-1 into an i32 "winner" table and
 * read it back at each row.
 */
function lastWriterMask(rows: Tensor, tableRows: number): Tensor {
  const g = rows.graph;
  const count = rows.shape[0]!;
  const positions = g.constantData(Int32Array.from({ length: count }, (_, b) => b), [count]);
  const winners = g.apply('scatter_rows', [g.constant(-1, [tableRows], 'i32'), rows, positions]);
  return g.apply('gather_rows', [winners, rows]).eq(positions);
}

const scatterRowsDef: KernelOpDef<'scatter_rows'> = {
  name: 'scatter_rows',
  infer: (inputs) => {
    const [table, rows, values] = inputs as [Node, Node, Node];
    if (table.shape.length === 0) throw new ShapeError('scatter_rows: the table cannot be a scalar');
    const count = checkIndexVector('scatter_rows', 'rows', rows);
    if (values.dtype !== table.dtype || !shapesEqual(values.shape, withAxis(table.shape, 0, count))) {
      throw new ShapeError(`scatter_rows: values ${values.dtype}${formatShape(values.shape)} do not fit ${count} rows of ${table.dtype}${formatShape(table.shape)}`);
    }
    return { shape: table.shape, dtype: table.dtype };
  },
  cpu: ([table, rows, values], { node }) => {
    const result = table!.slice();
    const n = node.shape[0]!;
    const rowSize = rowSizeOf(node.shape);
    // In batch order, so a later duplicate overwrites an earlier one.
    rows!.forEach((r, b) => {
      if (r >= 0 && r < n) result.set(values!.subarray(b * rowSize, (b + 1) * rowSize), r * rowSize);
    });
    return result;
  },
  grad: (g, { inputs: [table, rows, values] }) => {
    const graph = g.graph;
    const replaced = graph.apply('scatter_rows', [g, rows!, graph.constant(0, values!.shape, g.dtype)]);
    const mask = lastWriterMask(rows!, table!.shape[0]!).reshape([rows!.shape[0]!, ...values!.shape.slice(1).map(() => 1)]);
    return [replaced, null, graph.apply('gather_rows', [g, rows!]).mul(mask)];
  },
  kernel: ({ node, inputs: [, rows] }) => scatterRowsKernel(wgslType(node.dtype), node.shape[0]!, rowSizeOf(node.shape), rows!.shape[0]!),
};

// ---------------------------------------------------------------------------------------
// take_along_axis / scatter_along_axis (last axis)

const takeAlongAxisDef: KernelOpDef<'take_along_axis'> = {
  name: 'take_along_axis',
  infer: (inputs) => {
    const [x, idx] = inputs as [Node, Node];
    if (idx.dtype !== 'i32' || x.shape.length !== idx.shape.length + 1 || !shapesEqual(x.shape.slice(0, -1), idx.shape)) {
      throw new ShapeError(`take_along_axis: need x [..., C] and i32 idx [...], got ${x.dtype}${formatShape(x.shape)} and ${idx.dtype}${formatShape(idx.shape)}`);
    }
    return { shape: idx.shape, dtype: x.dtype };
  },
  cpu: ([x, idx], { node, inputs: [xn] }) => {
    const classes = xn!.shape[xn!.shape.length - 1]!;
    const result = allocFor(node, idx!.length);
    idx!.forEach((c, p) => {
      if (c >= 0 && c < classes) result[p] = x![p * classes + c]!;
    });
    return result;
  },
  grad: (g, { inputs: [x, idx] }) => [g.graph.apply('scatter_along_axis', [idx!, g], { classes: x!.shape[x!.rank - 1]! }), null],
  kernel: ({ node, inputs: [x] }) => takeAlongKernel(wgslType(node.dtype), sizeOf(node.shape), x!.shape[x!.shape.length - 1]!),
};

const scatterAlongAxisDef: KernelOpDef<'scatter_along_axis'> = {
  name: 'scatter_along_axis',
  infer: (inputs, attrs) => {
    const [idx, g] = inputs as [Node, Node];
    const classes = attrs.classes;
    if (idx.dtype !== 'i32' || !shapesEqual(idx.shape, g.shape)) {
      throw new ShapeError(`scatter_along_axis: need i32 idx and values of one shape, got ${idx.dtype}${formatShape(idx.shape)} and ${formatShape(g.shape)}`);
    }
    if (!Number.isInteger(classes) || classes < 1) throw new ShapeError(`scatter_along_axis: classes must be a positive integer, got ${classes}`);
    return { shape: [...g.shape, classes], dtype: g.dtype };
  },
  cpu: ([idx, g], { node }) => {
    const classes = node.attrs.classes;
    const result = allocFor(node, idx!.length * classes);
    idx!.forEach((c, p) => {
      if (c >= 0 && c < classes) result[p * classes + c] = g![p]!;
    });
    return result;
  },
  grad: (g, { inputs: [idx] }) => [null, g.graph.apply('take_along_axis', [g, idx!])],
  kernel: ({ node }) => scatterAlongKernel(wgslType(node.dtype), sizeOf(node.shape.slice(0, -1)), node.attrs.classes),
};

export const indexingOps = {
  gather: gatherDef,
  scatter_add: scatterAddDef,
  gather_rows: gatherRowsDef,
  scatter_rows: scatterRowsDef,
  take_along_axis: takeAlongAxisDef,
  scatter_along_axis: scatterAlongAxisDef,
};

// ---------------------------------------------------------------------------------------
// Builder helpers

/** torch.index_select: `x` at `indices` (i32 [K]) along `axis`. */
export function gather(x: Tensor, indices: Tensor, axis: number): Tensor {
  return x.graph.apply('gather', [x, indices], { axis });
}

/** Rows `rows` (i32 [B]) of `table` [N, ...]: [B, ...]. */
export function gatherRows(table: Tensor, rows: Tensor): Tensor {
  return table.graph.apply('gather_rows', [table, rows]);
}

/** `table` with row rows[b] replaced by values[b]; for a repeated row the last b wins. */
export function scatterRows(table: Tensor, rows: Tensor, values: Tensor): Tensor {
  return table.graph.apply('scatter_rows', [table, rows, values]);
}

/** x[..., idx[...]] along the last axis: the picked entry per leading position. */
export function takeAlongAxis(x: Tensor, idx: Tensor): Tensor {
  return x.graph.apply('take_along_axis', [x, idx]);
}
