/**
 * The op registry. Every op is defined exactly once, with:
 *  - `infer`: its shape and dtype rule (throws ShapeError on bad inputs);
 *  - `cpu`: a straightforward CPU reference implementation (the ground truth in tests);
 *  - `grad`: its reverse-mode rule, written with graph ops so gradients run on the GPU too;
 *  - either `elementwise` (a WGSL expression; the code generator handles indexing,
 *    broadcasting and fusion) or `kernel` (a complete WGSL compute shader and its dispatch).
 */
import type { Attrs, DType, Node } from '../graph/graph.js';
import type { Tensor } from '../graph/tensor.js';
import type { Shape } from '../graph/shape.js';
import type { Epilogue } from '../../codegen/wgsl/epilogue.js';
import { InternalError } from '../util/internal-error.js';

export type TypedArray = Float32Array | Int32Array | Uint32Array;

export interface InferResult {
  shape: Shape;
  dtype: DType;
}

export interface GradContext {
  /** The node being differentiated. */
  node: Node;
  /** Its inputs and output as graph tensors (to build gradient expressions). */
  inputs: Tensor[];
  output: Tensor;
  attrs: Attrs;
}

export interface CpuContext {
  node: Node;
  inputs: Node[];
}

/** A complete compute kernel. Bindings: 0..n-1 are the inputs (read-only storage), n is the output. */
export interface Kernel {
  code: string;
  workgroups: [number, number, number];
}

export interface KernelContext {
  node: Node;
  inputs: Node[];
  /** Elementwise expressions only: 1 for scalars, 4 when the arguments are vec4 values. */
  width?: 1 | 4;
  /**
   * Kernels of ops with `fusesEpilogue` only: elementwise consumers to apply to every output
   * element as it is stored; the kernel then writes their result, not its own value.
   */
  epilogue?: Epilogue;
}

/** WGSL expression generator for elementwise ops: `args` are WGSL expressions of the input values. */
export type ElementwiseExpr = (args: string[], ctx: KernelContext) => string;

export interface OpDef {
  readonly name: string;
  infer(inputs: Node[], attrs: Attrs): InferResult;
  cpu(inputs: TypedArray[], ctx: CpuContext): TypedArray;
  /** Gradients with respect to each input (null: not differentiable / no gradient). */
  grad?(g: Tensor, ctx: GradContext): (Tensor | null)[];
  elementwise?: ElementwiseExpr;
  /** Elementwise ops whose expression cannot take vec4 arguments set this to false. */
  vectorizable?: boolean;
  kernel?(ctx: KernelContext): Kernel;
  /**
   * Its kernel honours `ctx.epilogue` (an f32 output stored element by element through one
   * place), so the scheduler may fuse its elementwise consumers into it.
   */
  fusesEpilogue?: boolean;
}

const registry = new Map<string, OpDef>();

export function registerOp(def: OpDef): OpDef {
  if (registry.has(def.name)) throw new InternalError(`op '${def.name}' registered twice`);
  if (!def.elementwise && !def.kernel) throw new InternalError(`op '${def.name}' has neither a WGSL expression nor a kernel`);
  registry.set(def.name, def);
  return def;
}

export function getOp(name: string): OpDef {
  const def = registry.get(name);
  if (!def) throw new InternalError(`unknown op '${name}'`);
  return def;
}

export function hasOp(name: string): boolean {
  return registry.has(name);
}

export function allOps(): OpDef[] {
  return [...registry.values()];
}

/** Allocate a typed array of the node's dtype. */
export function allocFor(node: { dtype: DType }, n: number): TypedArray {
  return node.dtype === 'f32' ? new Float32Array(n) : node.dtype === 'i32' ? new Int32Array(n) : new Uint32Array(n);
}

/** WGSL scalar type of a dtype. */
export function wgslType(dtype: DType): string {
  return dtype;
}
