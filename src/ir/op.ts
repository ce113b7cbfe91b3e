/**
 * What an op definition is. The IR owns this interface and the op vocabulary (op-attrs.ts);
 * src/ops implements one definition per op against it and gathers them into an explicit
 * table (src/ops/registry.ts) that a Graph is built with. Nothing below src/ops imports an
 * op: the graph, autodiff, the kernel templates and the executors reach the rules through
 * `graph.op(node)`.
 *
 * Every op has:
 *  - `infer`: its shape and dtype rule (throws ShapeError on bad inputs);
 *  - `cpu`: a straightforward CPU reference implementation (the ground truth in tests);
 *  - `grad`: its reverse-mode rule, written with graph ops so gradients run on the GPU too;
 *  - either `elementwise` (a WGSL expression; the code generator handles indexing,
 *    broadcasting and fusion) or `kernel` (a complete WGSL compute shader and its dispatch),
 *    never both: which one it has is what makes an op elementwise.
 */
import type { DType } from './dtype.js';
import type { Shape } from './shape.js';
import type { Tensor } from './tensor.js';
import type { OpAttrs, OpName } from './op-attrs.js';
import type { TypedArray } from './typed-array.js';
import type { Node, OpNodeOf } from './graph.js';

export interface InferResult {
  shape: Shape;
  dtype: DType;
}

export interface GradContext<K extends OpName = OpName> {
  /** The node being differentiated. */
  node: OpNodeOf<K>;
  /** Its inputs and output as graph tensors (to build gradient expressions). */
  inputs: Tensor[];
  output: Tensor;
  attrs: OpAttrs[K];
}

export interface CpuContext<K extends OpName = OpName> {
  node: OpNodeOf<K>;
  inputs: Node[];
}

/** A complete compute kernel. Bindings: 0..n-1 are the inputs (read-only storage), n is the output. */
export interface Kernel {
  code: string;
  workgroups: [number, number, number];
}

/**
 * What a kernel generator may know about the device beyond the shapes: facts that change which
 * code is fastest, never what it computes. Kernels generated without it (benches, tests of the
 * portable path) take the path every WebGPU device runs.
 */
export interface KernelTarget {
  /**
   * Lanes per subgroup, when the device has the `subgroups` feature enabled and all its subgroups
   * have this size (adapter info subgroupMinSize == subgroupMaxSize): 8 on lavapipe (AVX2).
   */
  subgroupSize?: number;
}

/** An elementwise group evaluated as a GEMM-like kernel stores each element (codegen/wgsl/epilogue.ts). */
export interface Epilogue {
  /** Module-scope WGSL: the epilogue's input bindings and `fn epilogue(flat: u32, acc: f32) -> T`. */
  code: string;
  /** How many bindings it declares, numbered right after the producer's inputs; the output binding follows them. */
  bindings: number;
  /** WGSL element type of the value stored (the group root's dtype). */
  outType: string;
}

export interface KernelContext<K extends OpName = OpName> {
  node: OpNodeOf<K>;
  inputs: Node[];
  /** Elementwise expressions only: 1 for scalars, 4 when the arguments are vec4 values. */
  width?: 1 | 4;
  /**
   * Kernels of ops with `fusesEpilogue` only: elementwise consumers to apply to every output
   * element as it is stored; the kernel then writes their result, not its own value.
   */
  epilogue?: Epilogue;
  /** Kernels only: what the device offers beyond WebGPU's baseline. */
  target?: KernelTarget;
}

// Members are methods, not function-valued properties: method parameters are compared
// bivariantly, which lets OpDef<'conv2d'> stand where an OpDef of any op is expected.
interface OpRules<K extends OpName> {
  readonly name: K;
  infer(inputs: readonly Node[], attrs: OpAttrs[K]): InferResult;
  cpu(inputs: TypedArray[], ctx: CpuContext<K>): TypedArray;
  /** Gradients with respect to each input (null: not differentiable / no gradient). */
  grad?(g: Tensor, ctx: GradContext<K>): (Tensor | null)[];
}

/** An op computed per element: the scheduler fuses chains of them into one kernel or a GEMM's epilogue. */
export interface ElementwiseOpDef<K extends OpName = OpName> extends OpRules<K> {
  /** The value as a WGSL expression of its arguments' values (`args`). */
  elementwise(args: string[], ctx: KernelContext<K>): string;
  /** False when the expression cannot take vec4 arguments. */
  readonly vectorizable?: boolean;
  readonly kernel?: undefined;
  readonly fusesEpilogue?: undefined;
}

/** An op with a compute shader of its own. */
export interface KernelOpDef<K extends OpName = OpName> extends OpRules<K> {
  kernel(ctx: KernelContext<K>): Kernel;
  /**
   * Its kernel honours `ctx.epilogue` (an f32 output stored element by element through one
   * place), so the scheduler may fuse its elementwise consumers into it.
   */
  readonly fusesEpilogue?: boolean;
  readonly elementwise?: undefined;
  readonly vectorizable?: undefined;
}

export type OpDef<K extends OpName = OpName> = ElementwiseOpDef<K> | KernelOpDef<K>;

/** One definition per op name: what a Graph is built with (src/ops/registry.ts makes it). */
export type OpTable = { readonly [K in OpName]: OpDef<K> };
