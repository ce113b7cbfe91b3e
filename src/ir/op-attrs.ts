/**
 * The closed op set of the IR: every op's name and the attrs it carries, keyed by name (as
 * tinygrad's Ops or TF.js's kernel_names). The rules of each op (shape, CPU reference,
 * gradient, WGSL) live in src/ops and are typed against this table, so `node.attrs.stride`
 * of a conv2d node is known to the compiler and a new op starts here.
 */
import type { DType } from './dtype.js';
import type { TypedArray } from './typed-array.js';

/** No attrs. */
export type NoAttrs = Readonly<Record<string, never>>;

/** A window size, stride or padding: one number for both dims, or [h, w]. */
export type Pair = number | readonly number[];

export interface ConvAttrs {
  readonly stride?: Pair;
  readonly pad?: Pair;
}

/** Pooling windows; stride defaults to the kernel. */
export interface WindowAttrs {
  readonly kernel: Pair;
  readonly stride?: Pair;
  readonly pad?: Pair;
}

export interface RandomAttrs {
  readonly shape: readonly number[];
  readonly seed: number;
  readonly stream: number;
}

export type ReduceStrategy = 'thread' | 'workgroup';

export interface ReduceAttrs {
  /** Normalised (non-negative) and sorted. */
  readonly axes: readonly number[];
  readonly keepDims?: boolean;
  /** Pins the kernel strategy (tests run both on the same shapes); by default the shape decides. */
  readonly strategy?: ReduceStrategy;
}

export type Pads = readonly (readonly [number, number])[];

type Elementwise<N extends string> = { readonly [K in N]: NoAttrs };

export interface OpAttrs
  extends Elementwise<
    | 'add' | 'sub' | 'mul' | 'div' | 'pow' | 'maximum' | 'minimum'
    | 'less' | 'less_equal' | 'greater' | 'greater_equal' | 'equal' | 'not_equal'
    | 'neg' | 'exp' | 'log' | 'relu' | 'silu' | 'sign' | 'abs' | 'sqrt' | 'square'
    | 'stop_gradient' | 'where' | 'copy'
  > {
  readonly clamp: { readonly min: number; readonly max: number };
  readonly cast: { readonly dtype: DType };
  readonly broadcast_to: { readonly shape: readonly number[] };

  readonly reshape: { readonly shape: readonly number[] };
  readonly transpose: { readonly perm: readonly number[] };
  readonly pad: { readonly pads: Pads; readonly value?: number };
  readonly slice: { readonly begin: readonly number[]; readonly size: readonly number[] };
  readonly concat: { readonly axis: number };

  readonly gather: { readonly axis: number };
  readonly scatter_add: { readonly axis: number; readonly size: number };
  readonly gather_rows: NoAttrs;
  readonly scatter_rows: NoAttrs;
  readonly take_along_axis: NoAttrs;
  readonly scatter_along_axis: { readonly classes: number };

  readonly random_bits: RandomAttrs;
  readonly random_uniform: RandomAttrs & { readonly low?: number; readonly high?: number };
  readonly random_normal: RandomAttrs & { readonly mean?: number; readonly std?: number };
  readonly random_bernoulli: RandomAttrs & { readonly p?: number };

  readonly sum: ReduceAttrs;
  readonly max: ReduceAttrs;
  readonly argmax: { readonly axis: number; readonly keepDims?: boolean; readonly strategy?: ReduceStrategy };

  readonly softmax: { readonly axis: number };
  readonly log_softmax: { readonly axis: number };
  readonly one_hot: { readonly classes: number };
  readonly topk_values: { readonly k: number };
  readonly topk_indices: { readonly k: number };
  readonly softmax_cross_entropy: NoAttrs;

  readonly batch_norm_stats: NoAttrs;
  readonly batch_norm_train: { readonly eps: number };
  readonly batch_norm_param_grad: { readonly eps: number };
  readonly batch_norm_input_grad: { readonly eps: number };

  readonly matmul: { readonly transA?: boolean; readonly transB?: boolean };
  readonly conv2d: ConvAttrs;
  readonly conv2d_grad_input: ConvAttrs & { readonly inputShape: readonly number[] };
  /** With splits = S > 1 the output is [S, O, C, kh, kw], one slice per group of images. */
  readonly conv2d_grad_weight: ConvAttrs & { readonly kernel: Pair; readonly splits?: number };

  readonly maxpool2d_argmax: WindowAttrs;
  readonly maxpool2d: WindowAttrs;
  readonly maxpool2d_grad: WindowAttrs & { readonly inputShape: readonly number[] };
  readonly avgpool2d: WindowAttrs;
  readonly avgpool2d_grad: WindowAttrs & { readonly inputShape: readonly number[] };

  readonly linf_hyperplane_projection: NoAttrs;
  readonly l2_hyperplane_projection: NoAttrs;
}

export type OpName = keyof OpAttrs;

/** Leaves: fed inputs, persistent variables, constants (one value, or explicit contents). */
export interface LeafAttrs {
  readonly input: NoAttrs;
  readonly variable: NoAttrs;
  readonly const: { readonly value: number; readonly data?: undefined } | { readonly data: TypedArray; readonly value?: undefined };
}

export type LeafKind = keyof LeafAttrs;
export type NodeKind = OpName | LeafKind;
export type AttrsOf<K extends NodeKind> = K extends OpName ? OpAttrs[K] : K extends LeafKind ? LeafAttrs[K] : never;
