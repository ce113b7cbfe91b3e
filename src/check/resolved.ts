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
import type { FunctionName } from '../builtins/index.js';

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

/**
 * Types of objective and schedule expressions:
 * - `number`: a compile-time constant;
 * - `scalar`: one runtime number per step (a loss, a schedule value);
 * - `tensor`: one tensor of `shape` per example, i.e. a `[B, ...shape]` batch;
 * - `labels`: the integer class labels `[B]` with `classes` classes;
 * - `bool`: a schedule-time condition.
 */
export type ExprType =
  | { kind: 'number' }
  | { kind: 'scalar' }
  | { kind: 'tensor'; shape: Shape }
  | { kind: 'labels'; classes: number }
  | { kind: 'bool' };

/** Functions of objectives and schedules: the keys of the table in src/builtins/ (docs/language.md defines them). */
export type { FunctionName } from '../builtins/index.js';

export type TypedExpr = { type: ExprType; span: Span } & (
  | { kind: 'constant'; value: number }
  /** The clean input batch `x`. */
  | { kind: 'input' }
  /** The labels `y`. */
  | { kind: 'labels' }
  /** The perturbation variable of the attack being defined. */
  | { kind: 'delta'; attack: string }
  /** The adversarial input an attack produced: clip01(x + delta*). */
  | { kind: 'adversarial'; attack: string }
  /** The normalized per-example target of a state, gathered for the batch's example indices. */
  | { kind: 'state'; name: string }
  | { kind: 'schedule'; name: string }
  /** Schedules only: the 1-based epoch and the 0-based global optimizer step. */
  | { kind: 'epoch' }
  | { kind: 'step' }
  | { kind: 'apply_model'; model: string; input: TypedExpr }
  /** `options` holds named compile-time arguments: `dim` (a number >= 1) or `norm`'s `p` (1, 2 or Infinity). */
  | { kind: 'call'; fn: FunctionName; args: TypedExpr[]; options: Record<string, number | string> }
  /** `piecewise(v0, {k: v})`: v0 for epochs 1..k1, then the value of the last milestone k < epoch. */
  | { kind: 'piecewise'; initial: TypedExpr; milestones: { epoch: number; value: TypedExpr }[] }
  | { kind: 'negate'; operand: TypedExpr }
  | { kind: 'binary'; op: 'add' | 'sub' | 'mul' | 'div' | 'pow'; left: TypedExpr; right: TypedExpr }
  | { kind: 'compare'; op: '==' | '!=' | '<' | '>' | '<=' | '>='; left: TypedExpr; right: TypedExpr }
  | { kind: 'logical'; op: 'and' | 'or'; left: TypedExpr; right: TypedExpr }
  | { kind: 'not'; operand: TypedExpr }
  | { kind: 'conditional'; condition: TypedExpr; then: TypedExpr; otherwise: TypedExpr }
);

/** The direct sub-expressions of a node, for generic walks. */
export function childrenOf(e: TypedExpr): TypedExpr[] {
  switch (e.kind) {
    case 'apply_model': return [e.input];
    case 'call': return e.args;
    case 'piecewise': return [e.initial, ...e.milestones.map((m) => m.value)];
    case 'negate': case 'not': return [e.operand];
    case 'binary': case 'compare': case 'logical': return [e.left, e.right];
    case 'conditional': return [e.condition, e.then, e.otherwise];
    default: return [];
  }
}

/** True if some node of `e` satisfies `test` (pre-order). */
export function someNode(e: TypedExpr, test: (node: TypedExpr) => boolean): boolean {
  return test(e) || childrenOf(e).some((c) => someNode(c, test));
}

/** The state names an expression reads. */
export function statesRead(e: TypedExpr): string[] {
  const names = new Set<string>();
  const visit = (n: TypedExpr): void => {
    if (n.kind === 'state') names.add(n.name);
    childrenOf(n).forEach(visit);
  };
  visit(e);
  return [...names];
}

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
