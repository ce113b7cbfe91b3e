/**
 * WGSL for fused elementwise groups. A group is a small DAG of elementwise nodes that all
 * have the root's output shape; only the root is written to memory. External inputs are read
 * with broadcast indexing; constants filled with a single value are inlined as literals.
 * One invocation computes one output element, so there are no cross-thread hazards.
 */
import type { Graph, Node, DType } from '../../src/graph/graph.js';
import { broadcastStrides, sizeOf, stridesOf, shapesEqual } from '../../src/graph/shape.js';
import { getOp, type Kernel } from '../../src/ops/registry.js';
import { wgslLiteral } from '../../src/ops/elementwise.js';
import { dispatch1d, flatIndexWGSL, FLAT_BUILTINS } from './dispatch.js';

export const ELEMENTWISE_WORKGROUP = 256;

export interface ElementwiseGroup {
  /** The node whose value the kernel writes. */
  root: number;
  /** Member nodes computed in registers, in topological order (root last). */
  members: number[];
  /** Nodes read from memory, in binding order. */
  externals: number[];
}

/** True for nodes the fuser may compute inside an elementwise kernel. */
export function isElementwiseNode(node: Node): boolean {
  if (node.op === 'const') return node.attrs['data'] === undefined;
  if (node.op === 'input' || node.op === 'variable') return false;
  return getOp(node.op).elementwise !== undefined;
}

/** Index expression reading `node` (external) at the output position of a kernel of `outShape`. */
function indexExpr(inShape: readonly number[], outShape: readonly number[], coords: string[]): string {
  if (shapesEqual(inShape, outShape)) return 'i';
  const strides = broadcastStrides(inShape, outShape);
  const terms = strides.map((s, d) => (s === 0 ? '' : s === 1 ? coords[d]! : `${coords[d]} * ${s}u`)).filter((t) => t);
  return terms.length ? terms.join(' + ') : '0u';
}

export function elementwiseKernel(graph: Graph, group: ElementwiseGroup): Kernel {
  const root = graph.node(group.root);
  const outShape = root.shape;
  const n = sizeOf(outShape);
  const memberSet = new Set(group.members);
  const extIndex = new Map(group.externals.map((id, k) => [id, k]));

  const needsCoords = group.externals.some((id) => !shapesEqual(graph.node(id).shape, outShape));
  const coords = outShape.map((_, d) => `c${d}`);
  const lines: string[] = [];
  if (needsCoords) {
    const st = stridesOf(outShape);
    outShape.forEach((dim, d) => {
      lines.push(`  let c${d}: u32 = (i / ${st[d]}u) % ${dim}u;`);
    });
  }

  const valueOf = new Map<number, string>();
  const read = (id: number): string => {
    const v = valueOf.get(id);
    if (v !== undefined) return v;
    const node = graph.node(id);
    if (node.op === 'const' && node.attrs['data'] === undefined) return wgslLiteral(node.attrs['value'] as number, node.dtype);
    const k = extIndex.get(id);
    if (k === undefined) throw new Error(`elementwise codegen: node ${id} is neither member nor external`);
    const expr = `in${k}[${indexExpr(node.shape, outShape, coords)}]`;
    valueOf.set(id, expr);
    return expr;
  };

  for (const id of group.members) {
    const node = graph.node(id);
    if (node.op === 'const') {
      valueOf.set(id, wgslLiteral(node.attrs['value'] as number, node.dtype));
      continue;
    }
    const def = getOp(node.op);
    const args = node.inputs.map((inp) => (memberSet.has(inp) ? valueOf.get(inp)! : read(inp)));
    const expr = def.elementwise!(args, { node, inputs: node.inputs.map((x) => graph.node(x)) });
    lines.push(`  let v${id}: ${node.dtype} = ${expr};`);
    valueOf.set(id, `v${id}`);
  }
  const rootValue = valueOf.get(group.root)!;

  const bindings = group.externals.map((id, k) => `@group(0) @binding(${k}) var<storage, read> in${k}: array<${graph.node(id).dtype}>;`);
  bindings.push(`@group(0) @binding(${group.externals.length}) var<storage, read_write> out: array<${root.dtype as DType}>;`);
  const code = `${bindings.join('\n')}

@compute @workgroup_size(${ELEMENTWISE_WORKGROUP})
fn main(${FLAT_BUILTINS}) {
  ${flatIndexWGSL('i', ELEMENTWISE_WORKGROUP)}
  if (i >= ${n}u) { return; }
${lines.join('\n')}
  out[i] = ${rootValue};
}
`;
  return { code, workgroups: dispatch1d(n, ELEMENTWISE_WORKGROUP) };
}
