/**
 * Scheduling: which nodes a program needs, which of them become kernels, and which
 * elementwise nodes are fused into their consumer's kernel instead of being materialised.
 *
 * Rules (conservative, always correct):
 *  - a node is materialised if it is fetched, assigned to a variable, read by a non-elementwise
 *    kernel, read by more than one node, or read by an elementwise node of a different shape
 *    (broadcast readers index memory);
 *  - otherwise an elementwise node is computed in registers inside its only consumer;
 *  - reshape is an alias of its input's buffer, never a kernel;
 *  - epilogues: a GEMM-like kernel (an op with `fusesEpilogue`: matmul, the convolutions)
 *    whose every reader lies in one elementwise group of its own shape computes that group
 *    as it stores its output, so its own value never reaches memory (see epilogueFusions).
 */
import { isLeaf, type Graph, type Node } from '../ir/graph.js';
import { shapesEqual } from '../ir/shape.js';
import { isElementwiseNode, type ElementwiseGroup } from '../../codegen/wgsl/elementwise.js';
import { epilogueOperands } from '../../codegen/wgsl/epilogue.js';

/** Storage buffers a kernel may bind (WebGPU's default maxStorageBuffersPerShaderStage is 8; Dawn gives 16 on lavapipe). */
export const MAX_BINDINGS = 8;

export type Step =
  | { kind: 'elementwise'; node: number; group: ElementwiseGroup }
  /** `node`'s kernel; with `epilogue`, it writes the group's root (its own value stays in registers). */
  | { kind: 'kernel'; node: number; epilogue?: ElementwiseGroup };

/** The value a step writes. */
export function stepOutput(step: Step): number {
  return step.kind === 'kernel' && step.epilogue ? step.epilogue.root : step.node;
}

/** The values a step reads, in binding order. */
export function stepReads(graph: Graph, step: Step): number[] {
  if (step.kind === 'elementwise') return step.group.externals;
  const own = graph.node(step.node).inputs;
  return step.epilogue ? [...own, ...epilogueOperands(step.epilogue, step.node)] : [...own];
}

export interface ScheduleOptions {
  /** Fuse elementwise chains, and elementwise consumers into GEMM/conv epilogues (default true). */
  fuse?: boolean;
  /** With fuse: epilogue fusion alone can be turned off (default true). */
  epilogues?: boolean;
}

export interface Schedule {
  steps: Step[];
  /** Nodes that need a buffer of their own (kernel outputs, inputs, variables, data constants). */
  materialised: Set<number>;
  /** reshape node -> the node whose buffer it shares. */
  aliases: Map<number, number>;
  needed: Set<number>;
}

export function neededNodes(graph: Graph, roots: number[]): Set<number> {
  const needed = new Set<number>();
  const stack = [...roots];
  while (stack.length) {
    const id = stack.pop()!;
    if (needed.has(id)) continue;
    needed.add(id);
    stack.push(...graph.node(id).inputs);
  }
  return needed;
}

export function schedule(graph: Graph, fetch: number[], opts: ScheduleOptions = {}): Schedule {
  const fuse = opts.fuse ?? true;
  const roots = [...fetch, ...graph.updates.map((u) => u.value)];
  const needed = neededNodes(graph, roots);
  const pinned = new Set(roots);

  const consumers = new Map<number, Node[]>();
  for (const n of graph.nodes) {
    if (!needed.has(n.id)) continue;
    for (const i of n.inputs) {
      const list = consumers.get(i) ?? [];
      list.push(n);
      consumers.set(i, list);
    }
  }

  // Resolve reshape aliases (chains included).
  const aliases = new Map<number, number>();
  const base = (id: number): number => aliases.get(id) ?? id;
  for (const n of graph.nodes) {
    if (needed.has(n.id) && n.op === 'reshape') aliases.set(n.id, base(n.inputs[0]!));
  }

  const inlinable = (n: Node): boolean => {
    if (!fuse || pinned.has(n.id) || !isElementwiseNode(graph, n)) return false;
    if (n.op === 'const') return true; // scalar fills are literals wherever they are read elementwise
    const cs = consumers.get(n.id) ?? [];
    if (cs.length !== 1) return false;
    const c = cs[0]!;
    return isElementwiseNode(graph, c) && c.op !== 'const' && shapesEqual(c.shape, n.shape) && c.inputs.filter((x) => x === n.id).length === 1;
  };

  const materialised = new Set<number>();
  const fused = new Set<number>();
  for (const n of graph.nodes) {
    if (needed.has(n.id) && n.op !== 'const' && inlinable(n)) fused.add(n.id);
  }

  // Un-fuse until every elementwise kernel fits the binding limit.
  for (;;) {
    let changed = false;
    for (const n of graph.nodes) {
      if (!needed.has(n.id) || fused.has(n.id) || !isElementwiseNode(graph, n) || n.op === 'const') continue;
      const group = collectGroup(graph, n.id, (id) => fused.has(id));
      if (group.externals.length + 1 <= MAX_BINDINGS) continue;
      for (const i of n.inputs) if (fused.delete(i)) changed = true;
    }
    if (!changed) break;
  }

  const epilogues = fuse && (opts.epilogues ?? true) ? epilogueFusions(graph, needed, pinned, consumers, fused) : new Map<number, number>();
  const producers = new Set(epilogues.values());

  const steps: Step[] = [];
  for (const n of graph.nodes) {
    if (!needed.has(n.id)) continue;
    // A producer with an epilogue runs at its group root's place, when every operand exists.
    if (producers.has(n.id)) continue;
    if (n.op === 'input' || n.op === 'variable' || (n.op === 'const' && n.attrs.data !== undefined)) {
      materialised.add(n.id);
      continue;
    }
    if (n.op === 'reshape' || fused.has(n.id)) continue;
    if (n.op === 'const') {
      // A fill constant needs memory only if something other than an elementwise kernel reads it.
      const cs = consumers.get(n.id) ?? [];
      const needsBuffer = pinned.has(n.id) || cs.some((c) => !isElementwiseNode(graph, c) || c.op === 'const');
      if (!needsBuffer) continue;
    }
    if (isElementwiseNode(graph, n)) {
      const group = collectGroup(graph, n.id, (id) => fused.has(id));
      const producer = epilogues.get(n.id);
      steps.push(producer === undefined ? { kind: 'elementwise', node: n.id, group } : { kind: 'kernel', node: producer, epilogue: group });
    } else {
      steps.push({ kind: 'kernel', node: n.id });
    }
    materialised.add(n.id);
  }
  return { steps, materialised, aliases, needed };
}

/**
 * Epilogue fusions, as group root -> producer. A producer P (an op whose kernel takes an
 * epilogue) is fused into the elementwise group rooted at R when:
 *  - P is not fetched or assigned (its value is needed only by its readers);
 *  - every reader of P is a member of R's group (so nothing else, e.g. a gradient, needs P
 *    materialised; readers outside it keep P a kernel of its own);
 *  - R has P's shape (each stored element of P yields the element of R at the same index);
 *  - R's group has no other producer fused into it, and P's inputs plus the group's other
 *    operands plus the output fit the binding limit.
 */
function epilogueFusions(graph: Graph, needed: Set<number>, pinned: Set<number>, consumers: Map<number, Node[]>, fused: Set<number>): Map<number, number> {
  // The root of the group an elementwise node belongs to: follow single consumers while fused.
  const rootOf = (id: number): number => {
    let r = id;
    while (fused.has(r)) r = consumers.get(r)![0]!.id;
    return r;
  };
  const result = new Map<number, number>();
  for (const p of graph.nodes) {
    if (!needed.has(p.id) || pinned.has(p.id) || isLeaf(p) || !graph.op(p).fusesEpilogue || p.dtype !== 'f32') continue;
    const readers = consumers.get(p.id) ?? [];
    if (readers.length === 0 || !readers.every((c) => isElementwiseNode(graph, c) && c.op !== 'const')) continue;
    const root = rootOf(readers[0]!.id);
    if (result.has(root) || !readers.every((c) => rootOf(c.id) === root)) continue;
    if (!shapesEqual(graph.node(root).shape, p.shape)) continue;
    const group = collectGroup(graph, root, (id) => fused.has(id));
    if (p.inputs.length + epilogueOperands(group, p.id).length + 1 > MAX_BINDINGS) continue;
    result.set(root, p.id);
  }
  return result;
}

/** Gather the fused members feeding `root` and the external nodes its kernel binds. */
function collectGroup(graph: Graph, root: number, isFused: (id: number) => boolean): ElementwiseGroup {
  const members: number[] = [];
  const externals: number[] = [];
  const seen = new Set<number>();
  const visit = (id: number) => {
    if (seen.has(id)) return;
    seen.add(id);
    const node = graph.node(id);
    if (id === root || isFused(id)) {
      for (const i of node.inputs) visit(i);
      members.push(id);
      return;
    }
    if (node.op === 'const' && node.attrs.data === undefined) return; // inlined literal
    externals.push(id);
  };
  visit(root);
  return { root, members, externals };
}
