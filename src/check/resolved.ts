/**
 * The checker's output: a fully resolved, typed pipeline. This is the contract with the lowering
 * stage (pipeline -> tensor graph), so everything here is explicit data: no AST, no unresolved names,
 * every compile-time constant folded. Spans point back to the source for later diagnostics.
 *
 * Conventions:
 * - Shapes exclude the batch dimension: an image batch is `[B, ...inputShape]`.
 * - Epochs are 1-based everywhere (the first epoch is epoch 1), as in the reference training loop.
 */
import type { Span } from '../syntax/span.js';
import type { PipelineSettings, EvaluateSettings, EvaluationAttackSettings } from './settings.js';
import type { ForwardArithmeticOp, LayerHyper, LeafKind, Shape, TensorSpec } from '../layers/index.js';
import type { TypedExpr } from '../typed/typed-expr.js';

// The types a layer kind's table entry speaks in live with the table (src/layers/types.ts).
export type { Shape, LayerHyper, InitScheme, TensorSpec, ConvHyper, BatchNormHyper, LinearHyper, PoolHyper, NormalizeHyper, DropoutHyper, LeafKind } from '../layers/index.js';

// ---------------------------------------------------------------- models

export type LayerKind = LeafKind | 'sequential' | 'block';

/**
 * A module in the model tree. Leaves are layers with a kind-specific computation; containers
 * (`sequential`, `block`) compute their `forward` graph over their children.
 */
export interface ResolvedLayer {
  /** The name within the parent: an attribute name (`conv1`) or a Sequential index (`0`); `` for the root. */
  name: string;
  /** Full dotted path, the prefix of its state_dict names (`layer1.0`); `` for the root. */
  path: string;
  kind: LayerKind;
  /** For blocks and models written in the language: the definition's name, e.g. `basic_block`. */
  definition?: string;
  hyper: LayerHyper;
  /** Set by shape inference; absent when the model was instantiated without an input shape. */
  inputShape?: Shape;
  outputShape?: Shape;
  /** The layer's own tensors (not its children's), in state_dict order. */
  tensors: TensorSpec[];
  children: ResolvedLayer[];
  /** Containers only: how the children combine. Leaves compute their kind's function. */
  forward?: ForwardGraph;
  span: Span;
}

/** A container's forward computation as a list of steps in evaluation order (SSA form). */
export interface ForwardGraph {
  steps: ForwardStep[];
  /** Id of the step whose value the container returns. */
  output: number;
}

export type ForwardStep = { id: number; shape?: Shape; span: Span } & (
  | { op: 'input' }
  /** Apply the child with this local name. */
  | { op: 'child'; child: string; input: number }
  /** A tensor-free layer kind called as a function (`relu(x)`, `maxpool(x, 2)`), with its hyperparameters. */
  | { op: LeafKind; input: number; hyper: LayerHyper }
  /** Tensor arithmetic of two steps of one shape (src/layers/forward-ops.ts). */
  | { op: ForwardArithmeticOp; inputs: [number, number] }
  | { op: 'scale'; input: number; factor: number }
);

export interface ResolvedModel {
  /** The pipeline's name for it, e.g. `f`. */
  binding: string;
  /** The model definition instantiated, e.g. `resnet18`, and its arguments after defaults. */
  definition: string;
  args: Record<string, number | boolean | string | readonly number[]>;
  root: ResolvedLayer;
  inputShape: Shape;
  outputShape: Shape;
  /** Every state_dict entry of the whole model, in PyTorch order. */
  stateDict: TensorSpec[];
  /** Absolute path of the checkpoint the model starts from (`{ weights: "file.pt" }`), if any. */
  weights?: string;
}

// ---------------------------------------------------------------- expressions

// ---------------------------------------------------------------- pipeline parts

export type DatasetName = 'fashion_mnist' | 'mnist' | 'cifar10' | 'cifar100' | 'svhn';

export interface ResolvedData {
  dataset: DatasetName;
  /** Per-example input shape `[C, H, W]`; inputs are in [0, 1]. */
  inputShape: Shape;
  classes: number;
  /** The validated `data { ... }` settings (the same object as `settings.data`). */
  settings: PipelineSettings['data'];
  span: Span;
}

export type PerturbationBall = { norm: 'linf'; eps: number } | { norm: 'l2'; eps: number };
export type AttackStart = { kind: 'uniform' } | { kind: 'none' } | { kind: 'normal'; std: number };

/**
 * `attack NAME = pgd(...) { maximize objective }`: projected gradient ascent on `objective` over
 * `delta` in `ball`, with x + delta clipped to [0, 1] after every step; the model runs in eval mode.
 */
export interface ResolvedAttack {
  name: string;
  method: 'pgd';
  ball: PerturbationBall;
  step: number;
  steps: number;
  start: AttackStart;
  /** `sign` (L-inf default): delta += step * sign(g); `normalized` (L2 default): delta += step * g / ||g||. */
  stepRule: 'sign' | 'normalized';
  objective: TypedExpr;
  span: Span;
}

/**
 * `state NAME = ema(value, momentum, normalize, from)`: a per-example buffer (indexed by dataset
 * index, zeros at first). From epoch `fromEpoch` on, each batch first evaluates `value` on the clean
 * input in eval mode without gradient and updates buf <- momentum * buf + (1 - momentum) * value;
 * reads return buf / sum(buf) (`sum`), buf / ||buf|| (`l2`) or buf (`none`).
 * Before `fromEpoch` the state is inactive: every additive term of an objective that reads it
 * contributes 0 (this is the `if epoch >= es` of the reference code).
 */
export interface ResolvedState {
  name: string;
  kind: 'ema';
  value: TypedExpr;
  momentum: number;
  normalize: 'sum' | 'l2' | 'none';
  /** 1-based first epoch in which the state is updated and read. */
  fromEpoch: number;
  /** Per-example shape of the buffer, e.g. `[10]`. */
  shape: Shape;
  span: Span;
}

/** `schedule NAME = expression of epoch and step`; evaluated on the host once per step. */
export interface ResolvedSchedule {
  name: string;
  value: TypedExpr;
  /** True if the value depends on `step` (otherwise it is constant within an epoch). */
  perStep: boolean;
  span: Span;
}

/** An evaluation attack with every default filled in from the pipeline's training attack. */
export interface ResolvedEvaluationAttack {
  /** Unique label within its evaluation, e.g. `natural`, `pgd`, `cw`; used by `select`. */
  label: string;
  settings: EvaluationAttackSettings;
  ball?: PerturbationBall;
}

export interface ResolvedEvaluation {
  name: string;
  settings: EvaluateSettings;
  attacks: ResolvedEvaluationAttack[];
}

export interface ResolvedPipeline {
  name: string;
  file: string;
  data: ResolvedData;
  model: ResolvedModel;
  /** In declaration order; the outer objective may read any of them. */
  attacks: ResolvedAttack[];
  /** The outer objective, minimized over the model parameters in train mode. */
  objective: TypedExpr;
  states: ResolvedState[];
  schedules: ResolvedSchedule[];
  /** `let` constants of the file and pipeline, folded. */
  constants: Record<string, number>;
  /** The validated settings (after overrides): data, train, evaluate. */
  settings: PipelineSettings;
  evaluations: ResolvedEvaluation[];
  span: Span;
}
