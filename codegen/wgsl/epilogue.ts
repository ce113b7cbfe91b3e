/**
 * Elementwise epilogues: a fused elementwise group (codegen/wgsl/elementwise.ts) evaluated
 * inside the kernel that produces one of its operands, a GEMM or a convolution, at the moment
 * that kernel stores an output element. conv2d -> add(bias) -> relu then writes relu's value
 * once instead of writing the conv output, reading it back for the add, and so on.
 *
 * The producer's kernel only has to route every output element through
 * `fn epilogue(flat: u32, acc: f32) -> T`, `flat` being the element's row-major index in the
 * producer's output (which has the group's shape, so it is also the index of the result).
 * The group's other operands are bound after the producer's own inputs and read with
 * broadcast indexing, e.g. a per-channel bias [1, C, 1, 1] at coordinate c1 of flat.
 */
import type { Graph } from '../../src/ir/graph.js';
import type { Epilogue } from '../../src/ir/op.js';
import { broadcastStrides, shapesEqual, stridesOf } from '../../src/ir/shape.js';
import { groupBody, offsetExpr, type ElementwiseGroup } from './elementwise.js';

export type { Epilogue };

/** The group's operands other than the producer, in binding order (after the producer's inputs). */
export function epilogueOperands(group: ElementwiseGroup, producer: number): number[] {
  return group.externals.filter((id) => id !== producer);
}

/** Epilogue code for `group` fused into the kernel of `producer` (one of the group's externals). */
export function buildEpilogue(graph: Graph, producer: number, group: ElementwiseGroup): Epilogue {
  const root = graph.node(group.root);
  const outShape = root.shape;
  const first = graph.node(producer).inputs.length;
  const operands = epilogueOperands(group, producer);
  const bindingOf = new Map(operands.map((id, k) => [id, first + k]));
  const decls = operands.map((id) => `@group(0) @binding(${bindingOf.get(id)}) var<storage, read> in${bindingOf.get(id)}: array<${graph.node(id).dtype}>;`);

  // Coordinates of flat only along the axes a broadcast operand varies on (integer division
  // per stored element; operands of the full shape are read at flat directly).
  const axes = new Set<number>();
  for (const id of operands) {
    const shape = graph.node(id).shape;
    if (shapesEqual(shape, outShape)) continue;
    broadcastStrides(shape, outShape).forEach((s, d) => s !== 0 && axes.add(d));
  }
  const st = stridesOf(outShape);
  const coords = [...axes].sort((a, b) => a - b).map((d) => `  let c${d}: u32 = (flat / ${st[d]}u) % ${outShape[d]}u;`);

  const read = (k: number): string => {
    const id = group.externals[k]!;
    if (id === producer) return 'acc';
    const shape = graph.node(id).shape;
    return `in${bindingOf.get(id)}[${shapesEqual(shape, outShape) ? 'flat' : offsetExpr(shape, outShape)}]`;
  };
  const body = groupBody(graph, group, read, 1, '  ');
  const fn = `fn epilogue(flat: u32, acc: f32) -> ${root.dtype} {\n${[...coords, ...body.lines].join('\n')}\n  return ${body.value};\n}`;
  return { code: `${decls.join('\n')}\n${fn}`, bindings: operands.length, outType: root.dtype };
}
