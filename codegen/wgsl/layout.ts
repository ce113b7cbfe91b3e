/**
 * WGSL for the layout ops (reshape, transpose, pad, slice, concat). All are pure data
 * movement: one thread per output element works out where its value comes from. They are
 * dtype-agnostic; `type` is the WGSL element type of input and output alike.
 */
import type { Kernel } from '../../src/ir/op.js';
import type { Shape } from '../../src/ir/shape.js';
import { sizeOf, stridesOf } from '../../src/ir/shape.js';
import { threadKernel, coordsWGSL, dotWGSL, u32 } from './thread-kernel.js';

/** Contiguous copy (reshape never moves data; the executor may alias it away instead). */
export function copyKernel(type: string, size: number): Kernel {
  return threadKernel({ inputTypes: [type], outputType: type, threads: size, body: 'out[t] = in0[t];' });
}

/** out[c] = in[c permuted back]: output axis i is input axis perm[i]. */
export function transposeKernel(type: string, inShape: Shape, perm: readonly number[]): Kernel {
  const outShape = perm.map((p) => inShape[p]!);
  const inStrides = stridesOf(inShape);
  const src = dotWGSL(
    outShape.map((_, i) => `c${i}`),
    perm.map((p) => (inShape[p] === 1 ? 0 : inStrides[p]!)),
  );
  return threadKernel({
    inputTypes: [type],
    outputType: type,
    threads: sizeOf(outShape),
    body: `${coordsWGSL(outShape, 't', 'c')}\nout[t] = in0[${src}];`,
  });
}

/** Constant padding; `valueLiteral` is the fill value as a WGSL literal of `type`. */
export function padKernel(type: string, inShape: Shape, pads: readonly (readonly [number, number])[], valueLiteral: string): Kernel {
  const outShape = inShape.map((d, i) => d + pads[i]![0] + pads[i]![1]);
  const inStrides = stridesOf(inShape);
  const lines = [coordsWGSL(outShape, 't', 'c'), 'var inside = true;'];
  inShape.forEach((dim, d) => {
    const before = pads[d]![0];
    // u32 wrap-around: a coordinate left of the input becomes huge and fails `< dim` too.
    lines.push(`let s${d}: u32 = c${d} - ${u32(before)};`);
    if (before > 0 || pads[d]![1] > 0) lines.push(`inside = inside && s${d} < ${u32(dim)};`);
  });
  const src = dotWGSL(
    inShape.map((_, d) => `s${d}`),
    inStrides.map((s, d) => (inShape[d] === 1 ? 0 : s)),
  );
  lines.push(`if (inside) { out[t] = in0[${src}]; } else { out[t] = ${valueLiteral}; }`);
  return threadKernel({ inputTypes: [type], outputType: type, threads: sizeOf(outShape), body: lines.join('\n') });
}

export function sliceKernel(type: string, inShape: Shape, begin: readonly number[], size: readonly number[]): Kernel {
  const inStrides = stridesOf(inShape);
  const src = dotWGSL(
    size.map((_, d) => (begin[d] === 0 ? `c${d}` : `(c${d} + ${u32(begin[d]!)})`)),
    inStrides.map((s, d) => (inShape[d] === 1 ? 0 : s)),
  );
  return threadKernel({
    inputTypes: [type],
    outputType: type,
    threads: sizeOf(size),
    body: `${coordsWGSL(size, 't', 'c')}\nout[t] = in0[${src}];`,
  });
}

/**
 * Concatenation along `axis`: the output is viewed as [outer, total, inner]; the thread's
 * position along the axis picks the input (a chain of comparisons against running offsets).
 */
export function concatKernel(type: string, inShapes: readonly Shape[], axis: number): Kernel {
  const first = inShapes[0]!;
  const outer = sizeOf(first.slice(0, axis));
  const inner = sizeOf(first.slice(axis + 1));
  const widths = inShapes.map((s) => s[axis]!);
  const total = widths.reduce((a, b) => a + b, 0);
  const lines = [
    `let inner: u32 = t % ${u32(inner)};`,
    `let a: u32 = (t / ${u32(inner)}) % ${u32(total)};`,
    `let outer: u32 = t / ${u32(inner * total)};`,
  ];
  let start = 0;
  const branches = widths.map((w, k) => {
    const read = `in${k}[outer * ${u32(w * inner)} + (a - ${u32(start)}) * ${u32(inner)} + inner]`;
    const cond = k === widths.length - 1 ? '' : `if (a < ${u32(start + w)}) `;
    start += w;
    return `${cond}{ out[t] = ${read}; }`;
  });
  lines.push(branches.join(' else '));
  return threadKernel({ inputTypes: inShapes.map(() => type), outputType: type, threads: outer * total * inner, body: lines.join('\n') });
}
