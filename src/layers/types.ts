/**
 * The contract of a built-in layer kind: one object holds its arguments, hyperparameters,
 * state_dict tensors, shape rule and lowering to graph ops (src/layers/index.ts lists them).
 *
 * Why here and not in src/check or src/lower: the checker needs the first four and the lowering
 * needs the last, and src/check must not import src/lower. This folder sits below both: it imports
 * nothing from either, and only *types* from src/ir, so the checker that imports the table loads
 * no graph code at run time. What a lowering needs beyond its input tensor (its variables, the
 * mode, batch-norm running statistics chained across applications) comes through `LayerLowering`,
 * which src/lower/model.ts implements.
 */
import type { Tensor } from '../ir/tensor.js';

/** A shape without the batch dimension. `[]` is one number per example. */
export type Shape = number[];

/** A compile-time value: what layer arguments and module parameters hold. Lists are lists of numbers. */
export type LayerArgValue = number | boolean | string | readonly number[];

/** How a tensor is initialized; the PyTorch defaults unless a layer asks otherwise. */
export type InitScheme =
  /** PyTorch's default for conv/linear weights: kaiming_uniform(a = sqrt(5)), i.e. U(-1/sqrt(fanIn), 1/sqrt(fanIn)). */
  | { kind: 'kaiming_uniform'; a: number; fanIn: number }
  /** PyTorch's default for conv/linear biases: U(-1/sqrt(fanIn), 1/sqrt(fanIn)). */
  | { kind: 'uniform_fan_in'; fanIn: number }
  /** N(0, 2 / fanOut) with fanOut = out_channels * kh * kw (the WideResNet reference init). */
  | { kind: 'kaiming_normal_fan_out'; fanOut: number }
  | { kind: 'ones' }
  | { kind: 'zeros' };

/**
 * One entry of the PyTorch `state_dict()`: trainable parameters and buffers (BN running statistics).
 * `name` is the full dotted name, e.g. `layer2.0.shortcut.1.running_var`.
 */
export interface TensorSpec {
  name: string;
  /** The attribute name within its layer: weight, bias, running_mean, running_var, num_batches_tracked. */
  role: 'weight' | 'bias' | 'running_mean' | 'running_var' | 'num_batches_tracked';
  shape: Shape;
  /** Parameters are trained; buffers are updated by batch norm in train mode only. */
  trainable: boolean;
  /** `num_batches_tracked` is an int64 in PyTorch; everything else float32. */
  dtype: 'float32' | 'int64';
  init: InitScheme;
}

/** `numbers`: a list of numbers, written `[0.5, 0.25]`. */
export type ArgumentType = 'int' | 'number' | 'bool' | 'init' | 'numbers';

export interface ArgumentSpec {
  name: string;
  type: ArgumentType;
  /** Absent: the argument is required. */
  default?: LayerArgValue | ((args: Record<string, LayerArgValue>) => LayerArgValue);
}

export type ModelMode = 'train' | 'eval';

/** What a layer's lowering may ask of the model being lowered (implemented in src/lower/model.ts). */
export interface LayerLowering {
  mode: ModelMode;
  /** The variable of this layer's state_dict entry with `role`; throws if the layer has none. */
  tensor(role: TensorSpec['role']): Tensor;
  hasTensor(role: TensorSpec['role']): boolean;
  /**
   * PyTorch batch norm on this layer's tensors: batch statistics in train mode, chaining the
   * updated running statistics to the next application in the graph; running statistics in eval.
   */
  batchNorm(x: Tensor, options: { eps: number; momentum: number }): Tensor;
}

/** A layer's resolved hyperparameters; each kind has its own interface (ConvHyper, ...). */
export type LayerHyper = object;

/** One built-in layer kind; `H` is its resolved hyperparameters. */
export interface LayerKindSpec<H extends object = object> {
  kind: string;
  /** One line for hovers and docs. */
  summary: string;
  arguments: ArgumentSpec[];
  hyper(args: Record<string, LayerArgValue>): H;
  /** The layer's state_dict entries; `prefix` is its dotted path plus `.` (empty at the root). */
  tensors(hyper: H, args: Record<string, LayerArgValue>, prefix: string): TensorSpec[];
  /** The output shape, or a message saying why the input does not fit. */
  outputShape(hyper: H, input: Shape): Shape | string;
  /** The graph ops of the layer on a batch `x` of shape [B, ...input]. */
  lower(x: Tensor, hyper: H, ctx: LayerLowering): Tensor;
  /**
   * Also usable as a function inside `forward` (`relu(x)`, `maxpool(x, 2)`), with the same
   * arguments after the tensor. Only kinds without tensors can be: a function owns no state_dict entry.
   */
  functional?: boolean;
  /**
   * A problem with this layer in a pipeline that trains it (e.g. dropout's train mode is not
   * implemented), reported where the layer is written; undefined when it can be trained.
   */
  trainingProblem?(hyper: H): { message: string; hint?: string } | undefined;
}

/** Keeps each entry's hyper type checked while the table holds them uniformly. */
export function defineLayer<H extends object>(spec: LayerKindSpec<H>): LayerKindSpec {
  return spec as unknown as LayerKindSpec;
}
