/**
 * The shape every layout, indexing and random kernel shares: a 1-D logical grid of threads
 * (folded into 2-D by dispatch1d when large), each computing one output element or one
 * small chunk of them. Shapes are baked in as literals, so index arithmetic is constant
 * division the shader compiler can strength-reduce.
 */
import type { Kernel } from '../../src/ir/op.js';
import type { Shape } from '../../src/ir/shape.js';
import { stridesOf } from '../../src/ir/shape.js';
import { bindingsWGSL, dispatch1d, flatIndexWGSL, FLAT_BUILTINS } from './dispatch.js';

export const THREADS_PER_WORKGROUP = 256;

export interface ThreadKernelSpec {
  /** WGSL element types of the inputs, in binding order. */
  inputTypes: string[];
  outputType: string;
  /** Number of logical threads; the body runs with `t: u32` in [0, threads). */
  threads: number;
  /** Statements of the body; they read `in{i}` and write `out`. */
  body: string;
  /** Module-scope WGSL (helper functions) placed before the entry point. */
  helpers?: string;
}

export function threadKernel(spec: ThreadKernelSpec): Kernel {
  const code = [
    bindingsWGSL(spec.inputTypes, spec.outputType),
    spec.helpers ?? '',
    `@compute @workgroup_size(${THREADS_PER_WORKGROUP})`,
    `fn main(${FLAT_BUILTINS}) {`,
    `  ${flatIndexWGSL('t', THREADS_PER_WORKGROUP)}`,
    `  if (t >= ${u32(spec.threads)}) { return; }`,
    indent(spec.body),
    '}',
    '',
  ].join('\n');
  return { code, workgroups: dispatch1d(spec.threads, THREADS_PER_WORKGROUP) };
}

/** A u32 literal. */
export function u32(n: number): string {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new Error(`not a u32: ${n}`);
  return `${n}u`;
}

/**
 * `let <prefix><d>: u32 = ...;` for every axis d of `shape`: the row-major coordinates of
 * the flat index expression `flat`.
 */
export function coordsWGSL(shape: Shape, flat: string, prefix: string): string {
  const strides = stridesOf(shape);
  return shape
    .map((dim, d) => {
      const div = strides[d] === 1 ? flat : `(${flat} / ${u32(strides[d]!)})`;
      // The leading axis needs no modulo: flat < size.
      const expr = d === 0 ? div : `${div} % ${u32(dim)}`;
      return `let ${prefix}${d}: u32 = ${expr};`;
    })
    .join('\n');
}

/** `sum(terms[d] * strides[d])` as a WGSL u32 expression, skipping zero strides. */
export function dotWGSL(terms: string[], strides: number[]): string {
  const parts = terms.flatMap((term, d) => (strides[d] === 0 ? [] : [strides[d] === 1 ? term : `${term} * ${u32(strides[d]!)}`]));
  return parts.length ? parts.join(' + ') : '0u';
}

function indent(s: string): string {
  return s
    .split('\n')
    .map((l) => (l.length ? `  ${l}` : l))
    .join('\n');
}
