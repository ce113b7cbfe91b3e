/**
 * The tensor graph IR: a list of nodes in creation (hence topological) order.
 * Node kinds: `input` (fed before each run), `variable` (persistent device buffer shared by
 * programs: parameters, optimizer and BN statistics, per-example state), `const`, and ops from
 * the registry. Side effects are explicit `assign(variable, value)` updates, applied after
 * everything else the program computes, so every read in one run sees the old values.
 */
import { type Shape, ShapeError, formatShape, shapesEqual } from './shape.js';
import { getOp } from '../ops/registry.js';
import { Tensor } from './tensor.js';
import { InternalError } from '../util/internal-error.js';

export type DType = 'f32' | 'i32' | 'u32';

export type Attrs = Readonly<Record<string, unknown>>;

export interface Node {
  readonly id: number;
  readonly op: string;
  readonly inputs: readonly number[];
  readonly attrs: Attrs;
  readonly shape: Shape;
  readonly dtype: DType;
  /** For inputs and variables: the name programs and stores use to find the buffer. */
  readonly name?: string;
}

export interface Update {
  readonly variable: number;
  readonly value: number;
}

export class Graph {
  readonly nodes: Node[] = [];
  readonly updates: Update[] = [];
  private readonly named = new Map<string, number>();

  node(id: number): Node {
    const n = this.nodes[id];
    if (!n) throw new InternalError(`no node ${id}`);
    return n;
  }

  tensor(id: number): Tensor {
    return new Tensor(this, id);
  }

  private push(op: string, inputs: number[], attrs: Attrs, shape: Shape, dtype: DType, name?: string): Tensor {
    const id = this.nodes.length;
    const node: Node = name === undefined ? { id, op, inputs, attrs, shape: [...shape], dtype } : { id, op, inputs, attrs, shape: [...shape], dtype, name };
    this.nodes.push(node);
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

  /** Apply a registered op; its shape rule validates the inputs and gives the output type. */
  apply(op: string, inputs: readonly Tensor[], attrs: Attrs = {}): Tensor {
    const def = getOp(op);
    for (const t of inputs) {
      if (t.graph !== this) throw new Error(`op ${op}: input from another graph`);
    }
    const inNodes = inputs.map((t) => this.node(t.id));
    const { shape, dtype } = def.infer(inNodes, attrs);
    return this.push(op, inputs.map((t) => t.id), attrs, shape, dtype);
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
    const leaf = base.op === 'variable' || base.op === 'input' || (base.op === 'const' && base.attrs['value'] !== undefined);
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
