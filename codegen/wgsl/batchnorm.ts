/**
 * Fused batch-norm kernels. A training step's batch norm costs, per layer:
 *  - forward: `stats` (two read passes per channel: mean, then centred variance) and `train`
 *    (one pass writing y);
 *  - backward: `param_grad` (one read pass over x and g: sum(g), sum(g * (x - mean))) and
 *    `input_grad` (one pass writing dx from those sums).
 * The same math from reduce + elementwise kernels materialises 3-5 full-size intermediates
 * (each a write pass, the expensive kind on lavapipe) and recomputes the statistics.
 *
 * The per-channel kernels (stats, param_grad: "channel programs" of read passes accumulating
 * sums, then a few values per channel) map channels to threads or workgroups exactly as
 * reductions map outputs (codegen/wgsl/reduce.ts): a thread per channel with nested loops, or,
 * for few channels, a small workgroup per channel with a strided walk and a shared-memory tree
 * per sum. The per-element kernels (train, input_grad) run one invocation per element of x.
 */
import type { Shape } from '../../src/ir/shape.js';
import type { Kernel } from '../../src/ir/op.js';
import { bindingsWGSL, dispatch1d, flatIndexWGSL, FLAT_BUILTINS, rolledCount } from './dispatch.js';
import { blockedElementKernel } from './element-blocks.js';
import { blockedSumWGSL, nestedSumLoopsWGSL, offsetOf, planReduction, stridedWalkWGSL, useWorkgroupPerOutput, vectorizePlan, TUNING, type ReductionPlan } from './reduce.js';

/**
 * One step of a channel program. WGSL expressions may use `i` (the element's flat offset, for
 * inputs shaped like x), `c` (the channel) and names defined by earlier steps.
 */
export type ChannelStep =
  /** One read pass accumulating f32 sums: `let <name>: f32` = sum over the channel of `expr`. */
  | { sums: { name: string; expr: string }[] }
  /** WGSL statements run once per channel (`let` scalars from the sums). */
  | { lets: string };

export interface ChannelProgram {
  /** Shape of the per-element tensors: [N, C, ...]. */
  shape: Shape;
  /** Number of input bindings (all f32). */
  inputs: number;
  /** Bindings shaped like x (read at `i`); the others are per-channel vectors. */
  perElement: number[];
  steps: ChannelStep[];
  /** Per-channel results: `out[k * C + c] = perChannel[k]`. */
  perChannel: string[];
}

/** Sum expressions are written once and work on f32 or, when the layout allows, vec4<f32>. */
export function channelKernel(p: ChannelProgram): Kernel {
  const axes = p.shape.map((_, a) => a).filter((a) => a !== 1);
  const scalarPlan = planReduction(p.shape, axes);
  const vplan = vectorizePlan(scalarPlan);
  const plan = vplan ?? scalarPlan;
  const vec = vplan !== null;
  return useWorkgroupPerOutput(scalarPlan) ? workgroupPerChannel(p, plan, vec) : threadPerChannel(p, plan, vec);
}

function header(p: ChannelProgram, vec: boolean): string {
  return bindingsWGSL(Array.from({ length: p.inputs }, (_, k) => (vec && p.perElement.includes(k) ? 'vec4<f32>' : 'f32')), 'f32');
}

function channelCount(p: ChannelProgram): number {
  return p.shape[1]!;
}

function threadPerChannel(p: ChannelProgram, plan: ReductionPlan, vec: boolean): Kernel {
  const C = channelCount(p);
  const WG = C >= TUNING.wideThreadOutputs ? TUNING.threadWorkgroupWide : TUNING.threadWorkgroupNarrow;
  const lines: string[] = [];
  for (const step of p.steps) {
    if ('lets' in step) {
      lines.push(step.lets);
      continue;
    }
    for (const s of step.sums) lines.push(`  var ${s.name}_acc: f32 = 0.0;`);
    lines.push(nestedSumLoopsWGSL(plan.reduced, 'base', step.sums.map((s) => ({ acc: `${s.name}_acc`, expr: s.expr, type: 'f32', vec }))));
    for (const s of step.sums) lines.push(`  let ${s.name}: f32 = ${s.name}_acc;`);
  }
  p.perChannel.forEach((e, k) => lines.push(`  out[${k * C}u + c] = ${e};`));
  const code = `${header(p, vec)}

@compute @workgroup_size(${WG})
fn main(${FLAT_BUILTINS}) {
  ${flatIndexWGSL('c', WG)}
  if (c >= ${C}u) { return; }
  var base: u32 = 0u;
${offsetOf(plan.kept, 'c', 'base')}
${lines.join('\n')}
}
`;
  return { code, workgroups: dispatch1d(C, WG) };
}

function workgroupPerChannel(p: ChannelProgram, plan: ReductionPlan, vec: boolean): Kernel {
  const C = channelCount(p);
  const WG = TUNING.groupSize;
  const R = plan.reduceCount;
  const shared: string[] = [];
  // Strided walk over the channel; every pass restarts from the invocation's first element.
  const walkLoop = (body: string): string => {
    const walk = stridedWalkWGSL(plan.reduced, 'lid', WG, 'off');
    return `  {\n${walk.init}\n  for (var r: u32 = lid; r < ${R}u; r += ${WG}u) {\n    let i: u32 = base + off;\n${body}\n${walk.advance}\n  }\n  }`;
  };
  const lines: string[] = [];
  for (const step of p.steps) {
    if ('lets' in step) {
      lines.push(step.lets);
      continue;
    }
    const blocked = step.sums.map((s) => blockedSumWGSL(`${s.name}_acc`, 'f32', vec));
    step.sums.forEach((s, k) => {
      shared.push(`var<workgroup> ${s.name}_part: array<f32, ${WG}>;`);
      lines.push(`  var ${s.name}_acc: f32 = 0.0;`, blocked[k]!.decl);
    });
    lines.push(walkLoop(step.sums.map((s, k) => blocked[k]!.add(s.expr)).join('\n')));
    for (const b of blocked) lines.push(b.flush);
    for (const s of step.sums) lines.push(`  ${s.name}_part[lid] = ${s.name}_acc;`);
    lines.push(`  workgroupBarrier();
  for (var s: u32 = ${WG / 2}u; s > 0u; s = s >> 1u) {
    if (lid < s) {
${step.sums.map((s) => `      ${s.name}_part[lid] += ${s.name}_part[lid + s];`).join('\n')}
    }
    workgroupBarrier();
  }`);
    for (const s of step.sums) lines.push(`  let ${s.name}: f32 = ${s.name}_part[0];`);
  }
  lines.push(`  if (lid == 0u) {\n${p.perChannel.map((e, k) => `    out[${k * C}u + c] = ${e};`).join('\n')}\n  }`);
  const code = `${header(p, vec)}

${shared.join('\n')}

@compute @workgroup_size(${WG})
fn main(${FLAT_BUILTINS}) {
  // One workgroup per channel: c is uniform across the workgroup, so returning early is safe.
  let c: u32 = wid.y * nwg.x + wid.x;
  if (c >= ${C}u) { return; }
  var base: u32 = 0u;
${offsetOf(plan.kept, 'c', 'base')}
${lines.join('\n')}
}
`;
  return { code, workgroups: dispatch1d(C, 1) };
}

// ---------------------------------------------------------------------------------------------
// The four batch-norm programs. in0 is always x [N, C, ...].

/** Per-channel mean and biased variance (two passes: the centred second pass is exact-ish). */
function statsSteps(n: number): ChannelStep[] {
  return [
    { sums: [{ name: 'sx', expr: 'in0[i]' }] },
    { lets: `  let mean: f32 = sx / ${n}.0;` },
    { sums: [{ name: 'sdd', expr: '(in0[i] - mean) * (in0[i] - mean)' }] },
    { lets: `  let variance: f32 = sdd / ${n}.0;` },
  ];
}

function countOf(shape: Shape): number {
  return shape.reduce((p, d, a) => (a === 1 ? p : p * d), 1);
}

function f32Literal(v: number): string {
  const s = String(Math.fround(v));
  return /[.eE]/.test(s) ? s : `${s}.0`;
}

/** batch_norm_stats: out [2, C] = (mean; biased variance). */
export function batchNormStatsKernel(shape: Shape): Kernel {
  return channelKernel({ shape, inputs: 1, perElement: [0], steps: statsSteps(countOf(shape)), perChannel: ['mean', 'variance'] });
}

/** WGSL reading channel c's statistics from the [2, C] stats binding `stats`. */
function readStats(stats: string, channels: number, eps: number): string {
  return `  let mean: f32 = ${stats}[c];
  let istd: f32 = 1.0 / sqrt(${stats}[${channels}u + c] + ${f32Literal(eps)});`;
}

/**
 * batch_norm_param_grad(x, g, stats): out [2, C] = (dL/dweight = sum(g * xhat); dL/dbias = sum(g)),
 * one read pass over x and g per channel.
 */
export function batchNormParamGradKernel(shape: Shape, eps: number): Kernel {
  return channelKernel({
    shape,
    inputs: 3,
    perElement: [0, 1],
    steps: [
      { lets: readStats('in2', shape[1]!, eps) },
      { sums: [{ name: 'sg', expr: 'in1[i]' }, { name: 'sgc', expr: 'in1[i] * (in0[i] - mean)' }] },
    ],
    perChannel: ['sgc * istd', 'sg'],
  });
}

/** Rows a workgroup of the row kernel covers: about ROW_GROUP_ELEMENTS elements. */
const ROW_GROUP_ELEMENTS = 2048;
const ROW_WORKGROUP = 8;

/**
 * A kernel computing every element of x's shape from per-channel values. `perElement` lists the
 * bindings shaped like x; `value` is a WGSL expression in `i` (element index into those) and `c`.
 *
 * When the spatial size (product of dims after the channel) is at least the workgroup size, it
 * walks (n, c) rows: the channel and its statistics are read once per row, and lanes take
 * interleaved elements of the row, as vec4 when the row length allows (measured on lavapipe for
 * batch_norm_train on [128,64,32,32]: a division per element for the channel ~125 ms, vec4 rows
 * ~10-25 ms). Otherwise (BatchNorm1d, tiny maps) it is a blocked per-element kernel that divides
 * for the channel.
 */
function perElementKernel(shape: Shape, inputs: number, perElement: number[], eps: number, value: string): Kernel {
  const total = shape.reduce((p, d) => p * d, 1);
  const C = shape[1]!;
  const inner = shape.slice(2).reduce((p, d) => p * d, 1);
  const stats = readStats('in3', C, eps).replace(/^ {2}/gm, '    ');
  if (inner < ROW_WORKGROUP) {
    const channel = inner === 1 ? `i % ${C}u` : `(i / ${inner}u) % ${C}u`;
    const body = `    let c: u32 = ${channel};\n${stats}\n    out[i] = ${value};`;
    return blockedElementKernel(bindingsWGSL(new Array<string>(inputs).fill('f32'), 'f32'), total, body);
  }
  const vec = inner % 4 === 0;
  const T = vec ? 'vec4<f32>' : 'f32';
  const perRow = vec ? inner / 4 : inner;
  const rows = total / inner;
  const rowsPerGroup = Math.max(1, Math.floor(ROW_GROUP_ELEMENTS / inner));
  const decls = Array.from({ length: inputs }, (_, k) => `@group(0) @binding(${k}) var<storage, read> in${k}: array<${perElement.includes(k) ? T : 'f32'}>;`);
  decls.push(`@group(0) @binding(${inputs}) var<storage, read_write> out: array<${T}>;`);
  const code = `${decls.join('\n')}

@compute @workgroup_size(${ROW_WORKGROUP})
fn main(${FLAT_BUILTINS}) {
  let group: u32 = wid.y * nwg.x + wid.x;
  for (var rr: u32 = 0u; rr < ${rolledCount(rowsPerGroup)}; rr++) {
    let row: u32 = group * ${rowsPerGroup}u + rr;
    if (row >= ${rows}u) { break; }
    let c: u32 = row % ${C}u;
${stats}
    for (var j: u32 = lid; j < ${perRow}u; j += ${ROW_WORKGROUP}u) {
      let i: u32 = row * ${perRow}u + j;
      out[i] = ${value};
    }
  }
}
`;
  return { code, workgroups: dispatch1d(Math.ceil(rows / rowsPerGroup), 1) };
}

/** batch_norm_train(x, weight, bias, stats): y = (x - mean) * weight * istd + bias. */
export function batchNormTrainKernel(shape: Shape, eps: number): Kernel {
  return perElementKernel(shape, 4, [0], eps, '(in0[i] - mean) * (in1[c] * istd) + in2[c]');
}

/**
 * batch_norm_input_grad(x, weight, g, stats, paramGrad) = dL/dx through the batch statistics:
 * dx = w * istd * (g - dbias / n - (x - mean) * istd * dweight / n).
 */
export function batchNormInputGradKernel(shape: Shape, eps: number): Kernel {
  const n = countOf(shape);
  const C = shape[1]!;
  return perElementKernel(shape, 5, [0, 2], eps, `in1[c] * istd * (in2[i] - in4[${C}u + c] / ${n}.0 - (in0[i] - mean) * istd * in4[c] / ${n}.0)`);
}
