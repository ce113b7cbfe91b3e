/**
 * WGSL reduction kernels (sum, max, argmax over any set of axes).
 *
 * The input shape is first simplified: size-1 dims are dropped and adjacent dims of the same
 * kind (both kept or both reduced) are merged, so [128,16,28,28] over {0,2,3} becomes
 * kept [16 @ stride 784] and reduced [128 @ stride 12544, 784 @ stride 1].
 *
 * Two strategies, because matc meets two very different shapes:
 *  - thread per output: each invocation walks its whole (short) reduction with nested loops.
 *    Right for many outputs with short reductions (softmax rows [128,10], bias gradients).
 *  - workgroup per output: a workgroup of WG threads covers one output; each thread folds a
 *    strided slice of the reduction, then a shared-memory tree combines the WG partials.
 *    Right for few outputs with huge reductions (batch-norm statistics: 16 outputs of 100k).
 * A thread folds its slice in increasing index order and the tree keeps the lower index on
 * ties, so argmax returns the first maximum in both strategies.
 */
import type { DType } from '../../src/ir/dtype.js';
import { stridesOf, type Shape } from '../../src/ir/shape.js';
import type { Kernel } from '../../src/ir/op.js';
import { wgslLiteral } from './literal.js';
import { bindingsWGSL, dispatch1d, flatIndexWGSL, FLAT_BUILTINS, rolledCount } from './dispatch.js';

export type ReduceKind = 'sum' | 'max' | 'argmax';

/** One (merged) dimension: how many steps and how far apart in the input, in elements. */
export interface Dim {
  size: number;
  stride: number;
}

export interface ReductionPlan {
  /** Kept dims, outermost first; their row-major order is the output's order. */
  kept: Dim[];
  /** Reduced dims, outermost first. */
  reduced: Dim[];
  outCount: number;
  reduceCount: number;
}

/** Simplify a reduction of `shape` over `axes` to merged kept/reduced dimension lists. */
export function planReduction(shape: Shape, axes: readonly number[]): ReductionPlan {
  const strides = stridesOf(shape);
  const kept: Dim[] = [];
  const reduced: Dim[] = [];
  let prevKind: 'kept' | 'reduced' | null = null;
  shape.forEach((size, d) => {
    if (size === 1) return;
    const kind = axes.includes(d) ? 'reduced' : 'kept';
    const list = kind === 'kept' ? kept : reduced;
    const last = list[list.length - 1];
    // Row-major: dim d-1 spans exactly size*stride of dim d, so same-kind neighbours merge.
    if (prevKind === kind && last) {
      last.size *= size;
      last.stride = strides[d]!;
    } else list.push({ size, stride: strides[d]! });
    prevKind = kind;
  });
  const outCount = kept.reduce((p, d) => p * d.size, 1);
  const reduceCount = axes.reduce((p, a) => p * shape[a]!, 1);
  return { kept, reduced, outCount, reduceCount };
}

/**
 * Sizes measured on lavapipe (llvmpipe: 2 cores, 8-wide SIMD; a workgroup runs on one core in
 * batches of 8 invocations and every barrier switches between the batches):
 *  - sum over [128,64,32,32] axes 0,2,3: thread/8 ~8-12 ms, workgroup/8 ~14 ms, workgroup/256 ~30 ms;
 *  - sum of 8M elements to 1 output: thread ~30-50 ms, workgroup/8 ~7 ms, workgroup/64 ~16-32 ms;
 *  - [4096,512] over axis 1: thread/32 ~2.3 ms, thread/8 ~2.3-3 ms, workgroup/64 ~11-15 ms.
 * So: few outputs with long reductions get a small workgroup each (8 invocations: one SIMD
 * batch, barriers nearly free); everything else a thread per output, in small workgroups when
 * outputs are few so they spread over both cores. A discrete GPU would prefer 256-wide groups;
 * retune here if matc ever targets one.
 */
export const TUNING = {
  /** Below this many outputs, a long reduction gets a workgroup per output. */
  minOutputsForThread: 64,
  /** ... if it is at least this long. */
  minLengthForGroup: 256,
  groupSize: 8,
  threadWorkgroupNarrow: 8,
  threadWorkgroupWide: 32,
  /** From this many outputs on, thread-per-output uses the wide workgroup size. */
  wideThreadOutputs: 1024,
} as const;

export function useWorkgroupPerOutput(plan: ReductionPlan): boolean {
  return plan.outCount < TUNING.minOutputsForThread && plan.reduceCount >= TUNING.minLengthForGroup;
}

export interface ReductionSpec {
  kind: ReduceKind;
  inShape: Shape;
  axes: readonly number[];
  inDtype: DType;
  /** Override the strategy (tests exercise both on the same shapes). */
  strategy?: 'thread' | 'workgroup';
}

export function reductionKernel(spec: ReductionSpec): Kernel {
  const plan = planReduction(spec.inShape, spec.axes);
  const perWorkgroup = spec.strategy ? spec.strategy === 'workgroup' : useWorkgroupPerOutput(plan);
  return perWorkgroup ? workgroupPerOutput(spec, plan) : threadPerOutput(spec, plan);
}

export interface LoopSum {
  /** Name of the function-scope accumulator (declared by the caller). */
  acc: string;
  /** WGSL value added per element; may use `i`, the element's input offset. */
  expr: string;
  type: string;
  /** `expr` is a vec4<f32> (four consecutive elements); block partials are vec4, summed on flush. */
  vec?: boolean;
}

function blockType(type: string, vec?: boolean): string {
  return vec ? 'vec4<f32>' : type;
}

function collapse(block: string, vec?: boolean): string {
  return vec ? `dot(${block}, vec4<f32>(1.0))` : block;
}

/**
 * f32 sums are accumulated in two levels: partials over blocks of at most SUM_BLOCK elements,
 * added to the total once per block. A serial f32 sum of n values has error growing with n
 * (2e-3 relative for 1M values of ~0.1 on lavapipe); blocking bounds it by ~SUM_BLOCK + n/SUM_BLOCK
 * terms (measured 5e-7 for batch-norm statistics).
 */
export const SUM_BLOCK = 1024;

/**
 * Nested loops over `dims` (offset `let i` = base + sum of j_k * stride_k) adding `expr` into
 * each accumulator, in block partials along the innermost dim (see SUM_BLOCK).
 */
export function nestedSumLoopsWGSL(dims: Dim[], base: string, sums: LoopSum[]): string {
  const n = dims.length;
  if (n === 0) return [`  let i: u32 = ${base};`, ...sums.map((s) => `  ${s.acc} += ${collapse(s.expr, s.vec)};`)].join('\n');
  const terms = [base, ...dims.map((d, k) => (d.stride === 1 ? `j${k}` : `j${k} * ${d.stride}u`))];
  const lines: string[] = [];
  const pad = (k: number) => '  '.repeat(k + 1);
  const last = n - 1;
  const inner = dims[last]!;
  dims.slice(0, last).forEach((d, k) => lines.push(`${pad(k)}for (var j${k}: u32 = 0u; j${k} < ${rolledCount(d.size)}; j${k}++) {`));
  lines.push(`${pad(last)}for (var jb: u32 = 0u; jb < ${rolledCount(inner.size)}; jb += ${SUM_BLOCK}u) {`);
  for (const s of sums) lines.push(`${pad(last + 1)}var ${s.acc}_block: ${blockType(s.type, s.vec)} = ${blockType(s.type, s.vec)}(0);`);
  lines.push(`${pad(last + 1)}for (var j${last}: u32 = jb; j${last} < min(jb + ${SUM_BLOCK}u, ${rolledCount(inner.size)}); j${last}++) {`);
  lines.push(`${pad(last + 2)}let i: u32 = ${terms.join(' + ')};`);
  for (const s of sums) lines.push(`${pad(last + 2)}${s.acc}_block += ${s.expr};`);
  lines.push(`${pad(last + 1)}}`);
  for (const s of sums) lines.push(`${pad(last + 1)}${s.acc} += ${collapse(`${s.acc}_block`, s.vec)};`);
  for (let k = last; k >= 0; k--) lines.push(`${pad(k)}}`);
  return lines.join('\n');
}

/** The same two-level summation for a strided walk: `add` in the loop, `flush` after it. */
export function blockedSumWGSL(acc: string, type: string, vec?: boolean): { decl: string; add: (expr: string) => string; flush: string } {
  const bt = blockType(type, vec);
  const flush = `${acc} += ${collapse(`${acc}_block`, vec)};`;
  return {
    decl: `  var ${acc}_block: ${bt} = ${bt}(0);\n  var ${acc}_count: u32 = 0u;`,
    add: (expr) => `    ${acc}_block += ${expr};\n    ${acc}_count++;\n    if (${acc}_count == ${SUM_BLOCK}u) { ${flush} ${acc}_block = ${bt}(0); ${acc}_count = 0u; }`,
    flush: `  ${flush}`,
  };
}

/**
 * The plan in vec4 units, when the innermost reduced dim is contiguous and every offset stays
 * a multiple of 4: the kernel then binds the input as array<vec4<f32>> and reads four elements
 * per load (about 1.75x faster reads on lavapipe). Null when the layout does not allow it.
 */
export function vectorizePlan(plan: ReductionPlan): ReductionPlan | null {
  const r = plan.reduced;
  const inner = r[r.length - 1];
  if (!inner || inner.stride !== 1 || inner.size % 4 !== 0) return null;
  const outer = [...r.slice(0, -1), ...plan.kept];
  if (outer.some((d) => d.stride % 4 !== 0)) return null;
  const quarter = (d: Dim): Dim => ({ size: d.size, stride: d.stride / 4 });
  return {
    kept: plan.kept.map(quarter),
    reduced: [...r.slice(0, -1).map(quarter), { size: inner.size / 4, stride: 1 }],
    outCount: plan.outCount,
    reduceCount: plan.reduceCount / 4,
  };
}

/** WGSL statements adding the input offset of flat index `v` over `dims` to `off`. */
export function offsetOf(dims: Dim[], v: string, off: string): string {
  if (dims.length === 0) return '';
  const lines = [`  var ${v}_rest: u32 = ${v};`];
  for (let k = dims.length - 1; k >= 0; k--) {
    const d = dims[k]!;
    if (k === 0) lines.push(`  ${off} += ${v}_rest * ${d.stride}u;`);
    else {
      lines.push(`  ${off} += (${v}_rest % ${d.size}u) * ${d.stride}u;`);
      lines.push(`  ${v}_rest = ${v}_rest / ${d.size}u;`);
    }
  }
  return lines.join('\n');
}

/**
 * Division-free walk over the flat index space of `dims` in steps of `step`, starting at flat
 * index `start`: the start is decomposed once, then each step adds the mixed-radix digits of
 * `step` with carries. (A div/mod per element made the workgroup strategy 3x slower on lavapipe.)
 * Exposes `var <name>: u32`, the input offset of the current position.
 */
export function stridedWalkWGSL(dims: Dim[], start: string, step: number, name: string): { init: string; advance: string } {
  if (dims.length === 0) return { init: `  var ${name}: u32 = 0u;`, advance: '' };
  const init = [`  var ${name}: u32 = 0u;`, `  var ${name}_rest: u32 = ${start};`];
  const inc: number[] = new Array<number>(dims.length);
  let rem = step;
  for (let k = dims.length - 1; k >= 0; k--) {
    const d = dims[k]!;
    if (k === 0) {
      init.push(`  ${name} += ${name}_rest * ${d.stride}u;`);
      inc[k] = rem;
    } else {
      init.push(`  var ${name}_j${k}: u32 = ${name}_rest % ${d.size}u;`, `  ${name} += ${name}_j${k} * ${d.stride}u;`, `  ${name}_rest = ${name}_rest / ${d.size}u;`);
      inc[k] = rem % d.size;
      rem = Math.floor(rem / d.size);
    }
  }
  const adv = [`    var ${name}_carry: u32 = 0u;`];
  for (let k = dims.length - 1; k >= 0; k--) {
    const d = dims[k]!;
    const add = `(${inc[k]}u + ${name}_carry)`;
    if (k === 0) {
      adv.push(`    ${name} += ${add} * ${d.stride}u;`);
      continue;
    }
    adv.push(
      `    ${name}_j${k} += ${add};`,
      `    ${name} += ${add} * ${d.stride}u;`,
      `    ${name}_carry = 0u;`,
      `    if (${name}_j${k} >= ${d.size}u) { ${name}_j${k} -= ${d.size}u; ${name} -= ${d.size * d.stride}u; ${name}_carry = 1u; }`,
    );
  }
  return { init: init.join('\n'), advance: adv.join('\n') };
}

/** Identity of the fold (the value an empty reduction gives). */
function identity(kind: ReduceKind, dtype: DType): string {
  if (kind === 'sum') return wgslLiteral(0, dtype);
  if (dtype === 'f32') return 'bitcast<f32>(NEG_INF_BITS)';
  return dtype === 'i32' ? 'i32(-2147483647 - 1)' : '0u';
}

/**
 * Tint rejects any constant expression that evaluates to an infinity or NaN, so -inf is made
 * at run time from a private variable's bits.
 */
export const NEG_INF_DECL = 'var<private> NEG_INF_BITS: u32 = 0xff800000u;';

function outType(spec: ReductionSpec): DType {
  return spec.kind === 'argmax' ? 'i32' : spec.inDtype;
}

function threadPerOutput(spec: ReductionSpec, scalarPlan: ReductionPlan): Kernel {
  const vplan = spec.kind === 'sum' && spec.inDtype === 'f32' ? vectorizePlan(scalarPlan) : null;
  const plan = vplan ?? scalarPlan;
  const WG = plan.outCount >= TUNING.wideThreadOutputs ? TUNING.threadWorkgroupWide : TUNING.threadWorkgroupNarrow;
  const T = spec.inDtype;
  const loops: string[] = [];
  const closes: string[] = [];
  const terms: string[] = ['base'];
  plan.reduced.forEach((d, k) => {
    const pad = '  '.repeat(k + 1);
    loops.push(`${pad}for (var j${k}: u32 = 0u; j${k} < ${rolledCount(d.size)}; j${k}++) {`);
    closes.unshift(`${pad}}`);
    terms.push(d.stride === 1 ? `j${k}` : `j${k} * ${d.stride}u`);
  });
  const pad = '  '.repeat(plan.reduced.length + 1);
  // For argmax (one axis) j0 is the position along that axis.
  const foldLoops =
    spec.kind === 'sum'
      ? nestedSumLoopsWGSL(plan.reduced, 'base', [{ acc: 'acc', expr: 'in0[i]', type: T, vec: vplan !== null }])
      : [
          ...loops,
          spec.kind === 'max'
            ? `${pad}acc = max(acc, in0[${terms.join(' + ')}]);`
            : `${pad}let v = in0[${terms.join(' + ')}];\n${pad}if (v > acc) { acc = v; best = i32(${plan.reduced.length ? 'j0' : '0u'}); }`,
          ...closes,
        ].join('\n');
  const code = `${bindingsWGSL([vplan ? 'vec4<f32>' : T], outType(spec))}
${NEG_INF_DECL}

@compute @workgroup_size(${WG})
fn main(${FLAT_BUILTINS}) {
  ${flatIndexWGSL('o', WG)}
  if (o >= ${plan.outCount}u) { return; }
  var base: u32 = 0u;
${offsetOf(plan.kept, 'o', 'base')}
  var acc: ${T} = ${identity(spec.kind, T)};
  var best: i32 = 0;
${foldLoops}
  out[o] = ${spec.kind === 'argmax' ? 'best' : 'acc'};
}
`;
  return { code, workgroups: dispatch1d(plan.outCount, WG) };
}

function workgroupPerOutput(spec: ReductionSpec, scalarPlan: ReductionPlan): Kernel {
  const vplan = spec.kind === 'sum' && spec.inDtype === 'f32' ? vectorizePlan(scalarPlan) : null;
  const plan = vplan ?? scalarPlan;
  const WG = TUNING.groupSize;
  const T = spec.inDtype;
  const argmax = spec.kind === 'argmax';
  const blocked = blockedSumWGSL('acc', T, vplan !== null);
  const fold =
    spec.kind === 'sum'
      ? blocked.add('v')
      : spec.kind === 'max'
        ? '    acc = max(acc, v);'
        : '    if (v > acc) { acc = v; best = r; }';
  // Tree step: combine slot lid with slot lid + s; argmax keeps the lower index on equal values.
  const combine =
    spec.kind === 'sum'
      ? '      partial[lid] += partial[lid + s];'
      : spec.kind === 'max'
        ? '      partial[lid] = max(partial[lid], partial[lid + s]);'
        : `      let v = partial[lid + s];
      let i = partialIdx[lid + s];
      if (v > partial[lid] || (v == partial[lid] && i < partialIdx[lid])) { partial[lid] = v; partialIdx[lid] = i; }`;
  const walk = stridedWalkWGSL(plan.reduced, 'lid', WG, 'off');
  const code = `${bindingsWGSL([vplan ? 'vec4<f32>' : T], outType(spec))}
${NEG_INF_DECL}

var<workgroup> partial: array<${T}, ${WG}>;
${argmax ? `var<workgroup> partialIdx: array<u32, ${WG}>;` : ''}

@compute @workgroup_size(${WG})
fn main(${FLAT_BUILTINS}) {
  // One workgroup per output: o is uniform across the workgroup, so returning early is safe.
  let o: u32 = wid.y * nwg.x + wid.x;
  if (o >= ${plan.outCount}u) { return; }
  var base: u32 = 0u;
${offsetOf(plan.kept, 'o', 'base')}
  var acc: ${T} = ${identity(spec.kind, T)};
  var best: u32 = 0xffffffffu;
${spec.kind === 'sum' ? blocked.decl : ''}
${walk.init}
  for (var r: u32 = lid; r < ${plan.reduceCount}u; r += ${WG}u) {
    let v = in0[base + off];
${fold}
${walk.advance}
  }
${spec.kind === 'sum' ? blocked.flush : ''}
  partial[lid] = acc;
  ${argmax ? 'partialIdx[lid] = best;' : ''}
  workgroupBarrier();
  for (var s: u32 = ${WG / 2}u; s > 0u; s = s >> 1u) {
    if (lid < s) {
${combine}
    }
    workgroupBarrier();
  }
  if (lid == 0u) {
    ${argmax ? 'out[o] = i32(select(partialIdx[0], 0u, partialIdx[0] == 0xffffffffu));' : 'out[o] = partial[0];'}
  }
}
`;
  return { code, workgroups: dispatch1d(plan.outCount, 1) };
}

