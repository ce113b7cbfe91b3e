/**
 * Runs a graph on the CPU with every op's reference implementation. This is the ground
 * truth the GPU kernels are tested against, and a debugging aid; it is not fast.
 */
import type { Graph, Node } from '../ir/graph.js';
import { sizeOf, formatShape } from '../ir/shape.js';
import { allocFor, type TypedArray } from '../ir/typed-array.js';
import { neededNodes } from './schedule.js';
import { InternalError } from '../util/internal-error.js';

export interface CpuRunOptions {
  /** Values for inputs and variables, by name. */
  feeds: Record<string, TypedArray | number[]>;
  /** Nodes to compute (ids); defaults to every node. */
  outputs?: number[];
}

export interface CpuRunResult {
  values: Map<number, TypedArray>;
  /** New variable values after the graph's assignments, by name. */
  updated: Map<string, TypedArray>;
}

function toTyped(node: Node, v: TypedArray | number[]): TypedArray {
  const n = sizeOf(node.shape);
  if (v.length !== n) throw new Error(`feed '${node.name}': ${v.length} values for shape ${formatShape(node.shape)}`);
  const out = allocFor(node, n);
  out.set(v as ArrayLike<number>);
  return out;
}

export function runCpu(graph: Graph, opts: CpuRunOptions): CpuRunResult {
  const needed = neededNodes(graph, [...(opts.outputs ?? graph.nodes.map((n) => n.id)), ...graph.updates.map((u) => u.value)]);
  const values = new Map<number, TypedArray>();
  for (const node of graph.nodes) {
    if (!needed.has(node.id)) continue;
    values.set(node.id, evalNode(graph, node, values, opts.feeds));
  }
  const updated = new Map<string, TypedArray>();
  for (const u of graph.updates) {
    const v = values.get(u.value);
    if (v) updated.set(graph.node(u.variable).name!, v);
  }
  return { values, updated };
}


function evalNode(graph: Graph, node: Node, values: Map<number, TypedArray>, feeds: CpuRunOptions['feeds']): TypedArray {
  switch (node.op) {
    case 'input':
    case 'variable': {
      const v = feeds[node.name!];
      if (v === undefined) throw new Error(`no value fed for ${node.op} '${node.name}'`);
      return toTyped(node, v);
    }
    case 'const': {
      if (node.attrs.data) return node.attrs.data;
      const out = allocFor(node, sizeOf(node.shape));
      out.fill(node.attrs.value);
      return out;
    }
    default: {
      const def = graph.op(node);
      const ins = node.inputs.map((i) => values.get(i)!);
      const out = def.cpu(ins, { node, inputs: node.inputs.map((i) => graph.node(i)) });
      if (out.length !== sizeOf(node.shape)) {
        throw new InternalError(`cpu reference of '${node.op}' returned ${out.length} values for shape ${formatShape(node.shape)}`);
      }
      return out;
    }
  }
}
