/**
 * The tensor graph IR: a list of nodes in creation (hence topological) order.
 * Node kinds: `input` (fed before each run), `variable` (persistent device buffer shared by
 * programs: parameters, optimizer and BN statistics, per-example state), `const`, and ops of
 * the op table the graph is built with (src/ops/registry.ts's OPS). Side effects are explicit
 * `assign(variable, value)` updates, applied after everything else the program computes, so
 * every read in one run sees the old values.
 */
import { type Shape, ShapeError, formatShape, shapesEqual } from './shape.js';
import { Tensor } from './tensor.js';
import type { DType } from './dtype.js';
import type { AttrsOf, LeafAttrs, LeafKind, NodeKind, OpAttrs, OpName } from './op-attrs.js';
import type { OpDef, OpTable } from './op.js';
import { InternalError } from '../util/internal-error.js';

export type { DType } from './dtype.js';

interface NodeFields {
  readonly id: number;
  readonly inputs: readonly number[];
  readonly shape: Shape;
  readonly dtype: DType;
  /** For inputs and variables: the name programs and stores use to find the buffer. */
  readonly name?: string;
}

/** A node applying op K, its attrs typed by K. */
export type OpNodeOf<K extends OpName> = NodeFields & { readonly op: K; readonly attrs: OpAttrs[K] };
export type LeafNodeOf<K extends LeafKind> = NodeFields & { readonly op: K; readonly attrs: LeafAttrs[K] };

/** A node that applies an op (not a leaf). */
export type OpNode = { [K in OpName]: OpNodeOf<K> }[OpName];
export type LeafNode = { [K in LeafKind]: LeafNodeOf<K> }[LeafKind];

/** Any node: a union discriminated by `op`, so `node.op === 'conv2d'` types `node.attrs`. */
export type Node = OpNode | LeafNode;

/** `graph.apply`'s attrs: optional for ops whose attrs are all optional. */
export type AttrsArg<K extends OpName> = {} extends OpAttrs[K] ? [attrs?: OpAttrs[K]] : [attrs: OpAttrs[K]];

export function isLeaf(node: Node): node is LeafNode {
  return node.op === 'input' || node.op === 'variable' || node.op === 'const';
}

export interface Update {
  readonly variable: number;
  readonly value: number;
}

export class Graph {
  readonly nodes: Node[] = [];
  readonly updates: Update[] = [];
  private readonly named = new Map<string, number>();

  /** `ops` gives every op's rules (src/ops/registry.ts's OPS). */
  constructor(readonly ops: OpTable) {}

  /** The rules of an op node. */
  op(node: OpNode): OpDef {
    const def: OpDef | undefined = this.ops[node.op];
    if (!def) throw new Error(`unknown op '${node.op}'`);
    return def;
  }

  node(id: number): Node {
    const n = this.nodes[id];
    if (!n) throw new InternalError(`no node ${id}`);
    return n;
  }

  tensor(id: number): Tensor {
    return new Tensor(this, id);
  }

  private push<K extends NodeKind>(op: K, inputs: number[], attrs: AttrsOf<K>, shape: Shape, dtype: DType, name?: string): Tensor {
    const id = this.nodes.length;
    const fields = name === undefined ? { id, op, inputs, attrs, shape: [...shape], dtype } : { id, op, inputs, attrs, shape: [...shape], dtype, name };
    // TypeScript cannot see that a node of one kind K, with AttrsOf<K>, is a member of the union.
    this.nodes.push(fields as unknown as Node);
    return new Tensor(this, id);
  }

  /** A value fed from the host before each run (images, labels, a learning rate). */
  input(name: string, shape: Shape, dtype: DType = 'f32'): Tensor {
    return this.namedLeaf('input', name, shape, dtype);
  }

  /** A persistent buffer: parameters, momentum, BN statistics, per-example state. */
  variable(name: string, shape: Shape, dtype: DType = 'f32'): Tensor {
    return this.namedLeaf('variable', name, shape, dtype);
  }

  private namedLeaf(kind: 'input' | 'variable', name: string, shape: Shape, dtype: DType): Tensor {
    const existing = this.named.get(name);
    if (existing !== undefined) {
      const n = this.node(existing);
      if (n.op !== kind || !shapesEqual(n.shape, shape) || n.dtype !== dtype) {
        throw new ShapeError(`${kind} '${name}' redeclared as ${dtype}${formatShape(shape)}; it is ${n.op} ${n.dtype}${formatShape(n.shape)}`);
      }
      return this.tensor(existing);
    }
    const t = this.push(kind, [], {}, shape, dtype, name);
    this.named.set(name, t.id);
    return t;
  }

  /** A constant filled with one value (scalars are inlined into kernels). */
  constant(value: number, shape: Shape = [], dtype: DType = 'f32'): Tensor {
    return this.push('const', [], { value }, shape, dtype);
  }

  /** A constant tensor with explicit contents. */
  constantData(data: Float32Array | Int32Array | Uint32Array, shape: Shape): Tensor {
    const dtype: DType = data instanceof Float32Array ? 'f32' : data instanceof Int32Array ? 'i32' : 'u32';
    return this.push('const', [], { data }, shape, dtype);
  }

  /** Apply an op of the table; its shape rule validates the inputs and gives the output type. */
  apply<K extends OpName>(op: K, inputs: readonly Tensor[], ...[attrs]: AttrsArg<K>): Tensor {
    const def: OpDef<K> | undefined = this.ops[op] as OpDef<K> | undefined;
    if (!def) throw new Error(`unknown op '${op}'`);
    for (const t of inputs) {
      if (t.graph !== this) throw new Error(`op ${op}: input from another graph`);
    }
    const inNodes = inputs.map((t) => this.node(t.id));
    // AttrsArg lets attrs be left out only where every attr is optional, so {} is valid then.
    const a = (attrs ?? {}) as OpAttrs[K];
    const { shape, dtype } = def.infer(inNodes, a);
    return this.push(op, inputs.map((t) => t.id), a as AttrsOf<K>, shape, dtype);
  }

  /** Record `variable <- value`, applied at the end of a run. */
  assign(variable: Tensor, value: Tensor): void {
    const v = this.node(variable.id);
    const x = this.node(value.id);
    if (v.op !== 'variable') throw new Error(`assign: target is a ${v.op}, not a variable`);
    if (!shapesEqual(v.shape, x.shape) || v.dtype !== x.dtype) {
      throw new ShapeError(`assign to '${v.name}': value ${x.dtype}${formatShape(x.shape)} does not match ${v.dtype}${formatShape(v.shape)}`);
    }
    if (this.updates.some((u) => u.variable === v.id)) throw new Error(`variable '${v.name}' assigned twice in one graph`);
    // A value that is itself a leaf buffer (or a view of one) is copied first, so that
    // updates never read a buffer another update of the same run overwrites.
    let base = x;
    while (base.op === 'reshape') base = this.node(base.inputs[0]!);
    const leaf = base.op === 'variable' || base.op === 'input' || (base.op === 'const' && base.attrs.value !== undefined);
    const src = leaf ? this.apply('copy', [value]) : value;
    this.updates.push({ variable: v.id, value: src.id });
  }

  /** Look up an input or variable by name. */
  byName(name: string): Tensor | undefined {
    const id = this.named.get(name);
    return id === undefined ? undefined : this.tensor(id);
  }

  inputs(): Node[] {
    return this.nodes.filter((n) => n.op === 'input');
  }

  variables(): Node[] {
    return this.nodes.filter((n) => n.op === 'variable');
  }
}
