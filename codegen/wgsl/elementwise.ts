/**
 * WGSL for fused elementwise groups. A group is a small DAG of elementwise nodes that all
 * have the root's output shape; only the root is written to memory. External inputs are read
 * with broadcast indexing; constants filled with a single value are inlined as literals.
 *
 * Performance on lavapipe (measured on a 1.6M-element ReLU: one scalar per invocation 13 ms,
 * four vec4 per invocation in workgroups of 64: 2.4 ms) drives the shape of the kernel:
 *  - every invocation handles ELEMENTS_PER_THREAD elements, as vec4 when the layout allows
 *    (the output's innermost dimension is a multiple of 4 and every input is either the same
 *    shape, broadcast along the innermost dimension (a splat), or contiguous along it);
 *  - broadcast coordinates (integer division, slow on CPUs) are computed once per vec4, not per
 *    element, and not at all for inputs of the output's shape.
 */
import type { Graph, Node, DType } from '../../src/ir/graph.js';
import { broadcastStrides, sizeOf, stridesOf, shapesEqual } from '../../src/ir/shape.js';
import type { Kernel } from '../../src/ir/op.js';
import { wgslLiteral } from './literal.js';
import { dispatch1d, flatIndexWGSL, FLAT_BUILTINS, rolledCount } from './dispatch.js';
import { InternalError } from '../../src/util/internal-error.js';

export const ELEMENTWISE_WORKGROUP = 64;
/** Elements per invocation (four vec4 in vector mode). */
export const ELEMENTS_PER_THREAD = 16;

export interface ElementwiseGroup {
  /** The node whose value the kernel writes. */
  root: number;
  /** Member nodes computed in registers, in topological order (root last). */
  members: number[];
  /** Nodes read from memory, in binding order. */
  externals: number[];
}

/** True for nodes the fuser may compute inside an elementwise kernel. */
export function isElementwiseNode(graph: Graph, node: Node): boolean {
  if (node.op === 'const') return node.attrs.data === undefined;
  if (node.op === 'input' || node.op === 'variable') return false;
  return graph.op(node).elementwise !== undefined;
}

type ReadMode = 'same' | 'splat' | 'contiguous' | 'gather';

/** How an external input is read in vector mode, or null if it cannot be. */
function vectorReadMode(inShape: readonly number[], outShape: readonly number[]): ReadMode | null {
  if (shapesEqual(inShape, outShape)) return 'same';
  const strides = broadcastStrides(inShape, outShape);
  const inner = strides[strides.length - 1]!;
  if (inner === 0) return 'splat';
  if (inner === 1 && inShape[inShape.length - 1] === outShape[outShape.length - 1]) return 'contiguous';
  return null;
}

/** Offset expression of an input at output coordinates `c0..c{r-1}` (broadcast strides). */
export function offsetExpr(inShape: readonly number[], outShape: readonly number[]): string {
  const strides = broadcastStrides(inShape, outShape);
  const terms = strides.map((s, d) => (s === 0 ? '' : s === 1 ? `c${d}` : `c${d} * ${s}u`)).filter((t) => t);
  return terms.length ? terms.join(' + ') : '0u';
}

function coordLines(outShape: readonly number[], flat: string, indent: string): string[] {
  const st = stridesOf(outShape);
  return outShape.map((dim, d) => `${indent}let c${d}: u32 = (${flat} / ${st[d]}u) % ${dim}u;`);
}

export function elementwiseKernel(graph: Graph, group: ElementwiseGroup): Kernel {
  const root = graph.node(group.root);
  const outShape = root.shape;
  const n = sizeOf(outShape);
  const inner = outShape[outShape.length - 1] ?? 1;
  const modes = group.externals.map((id) => vectorReadMode(graph.node(id).shape, outShape));
  const vectorOps = group.members.every((m) => {
    const node = graph.node(m);
    return node.op === 'const' || (node.op !== 'input' && node.op !== 'variable' && graph.op(node).vectorizable !== false);
  });
  const vector = n % 4 === 0 && inner % 4 === 0 && modes.every((m) => m !== null) && vectorOps;
  return vector ? vectorKernel(graph, group, modes as ReadMode[]) : scalarKernel(graph, group);
}

/**
 * The body computing the group's value from `read(externalIndex)` expressions (shared with
 * the GEMM epilogues of codegen/wgsl/epilogue.ts).
 */
export function groupBody(graph: Graph, group: ElementwiseGroup, read: (k: number) => string, width: 1 | 4, indent: string): { lines: string[]; value: string } {
  const memberSet = new Set(group.members);
  const extIndex = new Map(group.externals.map((id, k) => [id, k]));
  const valueOf = new Map<number, string>();
  const lines: string[] = [];
  const literal = (value: number, dtype: DType) => {
    const l = wgslLiteral(value, dtype);
    return width === 1 ? l : `vec4<${dtype}>(${l})`;
  };
  const valueOfInput = (id: number): string => {
    const v = valueOf.get(id);
    if (v !== undefined) return v;
    const node = graph.node(id);
    if (node.op === 'const' && node.attrs.data === undefined) return literal(node.attrs.value, node.dtype);
    const k = extIndex.get(id);
    if (k === undefined) throw new InternalError(`elementwise codegen: node ${id} is neither member nor external`);
    lines.push(`${indent}let e${k} = ${read(k)};`);
    valueOf.set(id, `e${k}`);
    return `e${k}`;
  };
  for (const id of group.members) {
    const node = graph.node(id);
    if (node.op === 'const') {
      if (node.attrs.data !== undefined) throw new Error(`elementwise codegen: constant ${id} has contents; it must be read from memory`);
      valueOf.set(id, literal(node.attrs.value, node.dtype));
      continue;
    }
    if (node.op === 'input' || node.op === 'variable') throw new Error(`elementwise codegen: leaf ${id} cannot be a member`);
    const def = graph.op(node);
    if (!def.elementwise) throw new Error(`elementwise codegen: op '${node.op}' has a kernel of its own`);
    const args = node.inputs.map((inp) => (memberSet.has(inp) ? valueOf.get(inp)! : valueOfInput(inp)));
    const expr = def.elementwise(args, { node, inputs: node.inputs.map((x) => graph.node(x)), width });
    const type = width === 1 ? node.dtype : `vec4<${node.dtype}>`;
    lines.push(`${indent}let v${id}: ${type} = ${expr};`);
    valueOf.set(id, `v${id}`);
  }
  return { lines, value: valueOf.get(group.root)! };
}

function vectorKernel(graph: Graph, group: ElementwiseGroup, modes: ReadMode[]): Kernel {
  const root = graph.node(group.root);
  const outShape = root.shape;
  const n = sizeOf(outShape);
  const nv = n / 4;
  const perThread = ELEMENTS_PER_THREAD / 4;
  const needsCoords = modes.some((m) => m === 'splat' || m === 'contiguous');
  const bindings = group.externals.map((id, k) => {
    const dt = graph.node(id).dtype;
    return `@group(0) @binding(${k}) var<storage, read> in${k}: array<${modes[k] === 'splat' ? dt : `vec4<${dt}>`}>;`;
  });
  bindings.push(`@group(0) @binding(${group.externals.length}) var<storage, read_write> out: array<vec4<${root.dtype}>>;`);
  const read = (k: number): string => {
    const inShape = graph.node(group.externals[k]!).shape;
    switch (modes[k]) {
      case 'same':
        return `in${k}[j]`;
      case 'splat':
        return `vec4<${graph.node(group.externals[k]!).dtype}>(in${k}[${offsetExpr(inShape, outShape)}])`;
      default:
        return `in${k}[(${offsetExpr(inShape, outShape)}) / 4u]`;
    }
  };
  const body = groupBody(graph, group, read, 4, '    ');
  return kernelShell(bindings, { index: 'j', count: nv, perThread, coordsOf: needsCoords ? 'j * 4u' : null, outShape, body });
}

function scalarKernel(graph: Graph, group: ElementwiseGroup): Kernel {
  const root = graph.node(group.root);
  const outShape = root.shape;
  const n = sizeOf(outShape);
  const perThread = ELEMENTS_PER_THREAD;
  const needsCoords = group.externals.some((id) => !shapesEqual(graph.node(id).shape, outShape));
  const bindings = group.externals.map((id, k) => `@group(0) @binding(${k}) var<storage, read> in${k}: array<${graph.node(id).dtype}>;`);
  bindings.push(`@group(0) @binding(${group.externals.length}) var<storage, read_write> out: array<${root.dtype as DType}>;`);
  const read = (k: number): string => {
    const inShape = graph.node(group.externals[k]!).shape;
    return shapesEqual(inShape, outShape) ? `in${k}[i]` : `in${k}[${offsetExpr(inShape, outShape)}]`;
  };
  const body = groupBody(graph, group, read, 1, '    ');
  return kernelShell(bindings, { index: 'i', count: n, perThread, coordsOf: needsCoords ? 'i' : null, outShape, body });
}

/**
 * The loop both kernel flavours share: each invocation handles `perThread` consecutive items
 * (elements or vec4s) named `index`, computes broadcast coordinates from `coordsOf` when some
 * input needs them, evaluates the group's body and stores the root value.
 */
function kernelShell(
  bindings: string[],
  k: { index: string; count: number; perThread: number; coordsOf: string | null; outShape: readonly number[]; body: { lines: string[]; value: string } },
): Kernel {
  const code = `${bindings.join('\n')}

@compute @workgroup_size(${ELEMENTWISE_WORKGROUP})
fn main(${FLAT_BUILTINS}) {
  ${flatIndexWGSL('t', ELEMENTWISE_WORKGROUP)}
  for (var u = 0u; u < ${rolledCount(k.perThread)}; u++) {
    let ${k.index} = t * ${k.perThread}u + u;
    if (${k.index} >= ${k.count}u) { return; }
${k.coordsOf ? coordLines(k.outShape, k.coordsOf, '    ').join('\n') : ''}
${k.body.lines.join('\n')}
    out[${k.index}] = ${k.body.value};
  }
}
`;
  return { code, workgroups: dispatch1d(Math.ceil(k.count / k.perThread), ELEMENTWISE_WORKGROUP) };
}
