/**
 * Reverse-mode automatic differentiation over the graph IR.
 *
 * `grad(loss, wrt)` walks the nodes that lie between `wrt` and `loss` in reverse creation
 * order (creation order is topological), asks each op's gradient rule for the gradients of
 * its inputs and sums contributions. The result is more graph: gradients run on the GPU in
 * the same program as the forward pass, and can themselves be differentiated where the
 * rules used are differentiable.
 */
import { isLeaf } from './graph.js';
import { shapesEqual, formatShape, sizeOf } from './shape.js';
import type { Tensor } from './tensor.js';
import { InternalError } from '../util/internal-error.js';

export interface GradOptions {
  /** Seed gradient d(output)/d(loss); defaults to 1 for a scalar loss. */
  seed?: Tensor;
}

export function grad(loss: Tensor, wrt: readonly Tensor[], opts: GradOptions = {}): Tensor[] {
  const graph = loss.graph;
  if (!opts.seed && sizeOf(loss.shape) !== 1) {
    throw new Error(`grad: loss must be a scalar, got shape ${formatShape(loss.shape)}; pass a seed gradient`);
  }
  const lossNode = graph.node(loss.id);

  // Nodes that depend on any wrt tensor (forward reachability).
  const wrtIds = new Set(wrt.map((t) => t.id));
  const dependsOnWrt = new Set<number>(wrtIds);
  for (let id = 0; id <= loss.id; id++) {
    const n = graph.node(id);
    if (n.op === 'stop_gradient') continue;
    if (n.inputs.some((i) => dependsOnWrt.has(i))) dependsOnWrt.add(id);
  }

  const grads = new Map<number, Tensor>();
  const seed = opts.seed ?? graph.constant(1, lossNode.shape, lossNode.dtype);
  grads.set(loss.id, seed);

  for (let id = loss.id; id >= 0; id--) {
    const g = grads.get(id);
    if (!g) continue;
    const node = graph.node(id);
    if (isLeaf(node) || node.inputs.length === 0) continue;
    if (!node.inputs.some((i) => dependsOnWrt.has(i))) continue;
    const def = graph.op(node);
    if (!def.grad) throw new InternalError(`grad: op '${node.op}' has no gradient rule`);
    const inputs = node.inputs.map((i) => graph.tensor(i));
    const inGrads = def.grad(g, { node, inputs, output: graph.tensor(id), attrs: node.attrs });
    node.inputs.forEach((inputId, k) => {
      const gi = inGrads[k];
      if (!gi || !dependsOnWrt.has(inputId)) return;
      const inNode = graph.node(inputId);
      if (!shapesEqual(gi.shape, inNode.shape)) {
        throw new InternalError(`grad: rule of '${node.op}' gave ${formatShape(gi.shape)} for an input of ${formatShape(inNode.shape)}`);
      }
      const prev = grads.get(inputId);
      grads.set(inputId, prev ? prev.add(gi) : gi);
    });
  }

  return wrt.map((t) => grads.get(t.id) ?? graph.constant(0, t.shape, t.dtype));
}
