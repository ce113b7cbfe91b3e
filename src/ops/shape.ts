/**
 * Layout ops: reshape, transpose, pad, slice and concat. They move data without arithmetic,
 * so they work for every dtype, and their gradients are layout ops again (reshape back,
 * inverse permutation, slice out the padding, pad the slice back, slice the concat apart).
 */
import type { Node } from '../ir/graph.js';
import { type Shape, ShapeError, formatShape, normalizeAxes, sizeOf, stridesOf } from '../ir/shape.js';
import type { Tensor } from '../ir/tensor.js';
import type { KernelOpDef } from '../ir/op.js';
import { allocFor, type TypedArray } from '../ir/typed-array.js';
import { wgslLiteral, wgslType } from '../../codegen/wgsl/literal.js';
import { concatKernel, copyKernel, padKernel, sliceKernel, transposeKernel } from '../../codegen/wgsl/layout.js';

/**
 * A kernel binds every input as its own storage buffer, and WebGPU guarantees only 8 storage
 * buffers per shader stage (one is the output). `concat()` nests wider concatenations.
 */
export const MAX_CONCAT_INPUTS = 7;

/**
 * CPU reference shared by the layout ops: out[c] = input[source(c)] for each output
 * coordinate c, or `fill` where source returns -1.
 */
function copyByCoords(out: Node, input: TypedArray, source: (coords: readonly number[]) => number, fill = 0): TypedArray {
  const shape = out.shape;
  const n = sizeOf(shape);
  const result = allocFor(out, n);
  const coords = new Array<number>(shape.length).fill(0);
  for (let flat = 0; flat < n; flat++) {
    const src = source(coords);
    result[flat] = src < 0 ? fill : input[src]!;
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++coords[d]! < shape[d]!) break;
      coords[d] = 0;
    }
  }
  return result;
}

function offsetOf(coords: readonly number[], strides: readonly number[]): number {
  let off = 0;
  for (let d = 0; d < coords.length; d++) off += coords[d]! * strides[d]!;
  return off;
}

function checkRank(op: string, what: string, list: readonly unknown[] | undefined, shape: Shape): void {
  if (!Array.isArray(list) || list.length !== shape.length) {
    throw new ShapeError(`${op}: ${what} needs one entry per axis of ${formatShape(shape)}, got ${JSON.stringify(list)}`);
  }
}

// ---------------------------------------------------------------------------------------
// reshape

const reshapeDef: KernelOpDef<'reshape'> = {
  name: 'reshape',
  infer: (inputs, attrs) => {
    const x = inputs[0]!;
    const shape = attrs.shape;
    if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0) || sizeOf(shape) !== sizeOf(x.shape)) {
      throw new ShapeError(`reshape: cannot reshape ${formatShape(x.shape)} (${sizeOf(x.shape)} elements) to ${JSON.stringify(shape)}`);
    }
    return { shape, dtype: x.dtype };
  },
  cpu: (inputs) => inputs[0]!.slice(),
  grad: (g, ctx) => [g.reshape(ctx.inputs[0]!.shape)],
  kernel: ({ node }) => copyKernel(wgslType(node.dtype), sizeOf(node.shape)),
};

// ---------------------------------------------------------------------------------------
// transpose

function inversePerm(perm: readonly number[]): number[] {
  const inv = new Array<number>(perm.length);
  perm.forEach((p, i) => (inv[p] = i));
  return inv;
}

const transposeDef: KernelOpDef<'transpose'> = {
  name: 'transpose',
  infer: (inputs, attrs) => {
    const x = inputs[0]!;
    const perm = attrs.perm;
    checkRank('transpose', 'perm', perm, x.shape);
    const seen = new Set(perm);
    if (seen.size !== perm.length || perm.some((p) => !Number.isInteger(p) || p < 0 || p >= perm.length)) {
      throw new ShapeError(`transpose: ${JSON.stringify(perm)} is not a permutation of the axes of ${formatShape(x.shape)}`);
    }
    return { shape: perm.map((p) => x.shape[p]!), dtype: x.dtype };
  },
  cpu: (inputs, { node, inputs: [x] }) => {
    const perm = node.attrs.perm;
    const inStrides = stridesOf(x!.shape);
    const strides = perm.map((p) => inStrides[p]!);
    return copyByCoords(node, inputs[0]!, (c) => offsetOf(c, strides));
  },
  grad: (g, ctx) => [g.transpose(inversePerm(ctx.attrs.perm))],
  kernel: ({ node, inputs: [x] }) => transposeKernel(wgslType(node.dtype), x!.shape, node.attrs.perm),
};

// ---------------------------------------------------------------------------------------
// pad (constant)

const padDef: KernelOpDef<'pad'> = {
  name: 'pad',
  infer: (inputs, attrs) => {
    const x = inputs[0]!;
    const pads = attrs.pads;
    checkRank('pad', 'pads', pads, x.shape);
    if (pads.some((p) => !Array.isArray(p) || p.length !== 2 || p.some((v) => !Number.isInteger(v) || v < 0))) {
      throw new ShapeError(`pad: pads must be non-negative integer [before, after] pairs, got ${JSON.stringify(pads)}`);
    }
    if (typeof (attrs.value ?? 0) !== 'number') throw new ShapeError('pad: value must be a number');
    return { shape: x.shape.map((d, i) => d + pads[i]![0] + pads[i]![1]), dtype: x.dtype };
  },
  cpu: (inputs, { node, inputs: [x] }) => {
    const pads = node.attrs.pads;
    const inShape = x!.shape;
    const strides = stridesOf(inShape);
    return copyByCoords(
      node,
      inputs[0]!,
      (c) => {
        let off = 0;
        for (let d = 0; d < c.length; d++) {
          const s = c[d]! - pads[d]![0];
          if (s < 0 || s >= inShape[d]!) return -1;
          off += s * strides[d]!;
        }
        return off;
      },
      node.attrs.value ?? 0,
    );
  },
  grad: (g, ctx) => {
    const pads = ctx.attrs.pads;
    return [g.slice(pads.map((p) => p[0]), [...ctx.inputs[0]!.shape])];
  },
  kernel: ({ node, inputs: [x] }) =>
    padKernel(wgslType(node.dtype), x!.shape, node.attrs.pads, wgslLiteral(node.attrs.value ?? 0, node.dtype)),
};

// ---------------------------------------------------------------------------------------
// slice

const sliceDef: KernelOpDef<'slice'> = {
  name: 'slice',
  infer: (inputs, attrs) => {
    const x = inputs[0]!;
    const { begin, size } = attrs;
    checkRank('slice', 'begin', begin, x.shape);
    checkRank('slice', 'size', size, x.shape);
    // size -1 means "to the end of the axis" (TensorFlow's convention).
    const resolved = size.map((s, d) => (s === -1 ? x.shape[d]! - begin[d]! : s));
    const bad = resolved.some((s, d) => !Number.isInteger(s) || !Number.isInteger(begin[d]) || begin[d]! < 0 || s < 1 || begin[d]! + s > x.shape[d]!);
    if (bad) throw new ShapeError(`slice: begin ${JSON.stringify(begin)} size ${JSON.stringify(size)} is not a non-empty box inside ${formatShape(x.shape)}`);
    return { shape: resolved, dtype: x.dtype };
  },
  cpu: (inputs, { node, inputs: [x] }) => {
    const begin = node.attrs.begin;
    const strides = stridesOf(x!.shape);
    const base = offsetOf(begin, strides);
    return copyByCoords(node, inputs[0]!, (c) => base + offsetOf(c, strides));
  },
  grad: (g, ctx) => {
    const begin = ctx.attrs.begin;
    const inShape = ctx.inputs[0]!.shape;
    const size = ctx.output.shape;
    return [g.pad(inShape.map((d, i) => [begin[i]!, d - begin[i]! - size[i]!] as [number, number]), 0)];
  },
  kernel: ({ node, inputs: [x] }) => sliceKernel(wgslType(node.dtype), x!.shape, node.attrs.begin, node.shape),
};

// ---------------------------------------------------------------------------------------
// concat

function concatAxis(attrs: { axis: number }, rank: number): number {
  return normalizeAxes(attrs.axis, rank)[0]!;
}

const concatDef: KernelOpDef<'concat'> = {
  name: 'concat',
  infer: (inputs, attrs) => {
    if (inputs.length === 0) throw new ShapeError('concat: no inputs');
    if (inputs.length > MAX_CONCAT_INPUTS) {
      throw new ShapeError(`concat: ${inputs.length} inputs exceed ${MAX_CONCAT_INPUTS} storage bindings; use concat() from src/ops/shape.ts, which nests`);
    }
    const first = inputs[0]!;
    if (first.shape.length === 0) throw new ShapeError('concat: cannot concatenate scalars');
    const axis = concatAxis(attrs, first.shape.length);
    for (const x of inputs) {
      const same = x.shape.length === first.shape.length && x.shape.every((d, i) => i === axis || d === first.shape[i]);
      if (!same || x.dtype !== first.dtype) {
        throw new ShapeError(`concat on axis ${axis}: ${inputs.map((i) => i.dtype + formatShape(i.shape)).join(', ')} do not match off the axis`);
      }
    }
    const shape = [...first.shape];
    shape[axis] = inputs.reduce((a, x) => a + x.shape[axis]!, 0);
    return { shape, dtype: first.dtype };
  },
  cpu: (inputs, { node, inputs: ins }) => {
    const axis = concatAxis(node.attrs, node.shape.length);
    const outer = sizeOf(node.shape.slice(0, axis));
    const inner = sizeOf(node.shape.slice(axis + 1));
    const result = allocFor(node, sizeOf(node.shape));
    let pos = 0;
    for (let o = 0; o < outer; o++) {
      ins.forEach((x, k) => {
        const chunk = x.shape[axis]! * inner;
        result.set(inputs[k]!.subarray(o * chunk, (o + 1) * chunk), pos);
        pos += chunk;
      });
    }
    return result;
  },
  grad: (g, ctx) => {
    const axis = concatAxis(ctx.attrs, g.rank);
    let start = 0;
    return ctx.inputs.map((x) => {
      const begin = x.shape.map((_, i) => (i === axis ? start : 0));
      start += x.shape[axis]!;
      return x.dtype === 'f32' ? g.slice(begin, [...x.shape]) : null;
    });
  },
  kernel: ({ node, inputs }) => concatKernel(wgslType(node.dtype), inputs.map((i) => i.shape), concatAxis(node.attrs, node.shape.length)),
};

export const layoutOps = { reshape: reshapeDef, transpose: transposeDef, pad: padDef, slice: sliceDef, concat: concatDef };

/**
 * Concatenate any number of tensors along `axis` (negative counts from the end). More than
 * MAX_CONCAT_INPUTS inputs become a concat of concats; a single tensor is returned as is.
 */
export function concat(tensors: readonly Tensor[], axis: number): Tensor {
  if (tensors.length === 0) throw new ShapeError('concat: no tensors');
  if (tensors.length === 1) return tensors[0]!;
  if (tensors.length <= MAX_CONCAT_INPUTS) return tensors[0]!.graph.apply('concat', tensors, { axis });
  const groups: Tensor[] = [];
  for (let i = 0; i < tensors.length; i += MAX_CONCAT_INPUTS) groups.push(concat(tensors.slice(i, i + MAX_CONCAT_INPUTS), axis));
  return concat(groups, axis);
}
