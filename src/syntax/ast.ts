/**
 * The abstract syntax tree of a .mat file. Every node carries a `span`. The AST is purely
 * syntactic: names are unresolved strings; src/check/ resolves and types them.
 */
import type { Span } from './span.js';

export interface Node {
  span: Span;
}

/** A name as written, with its own span (used for precise diagnostics and suggestions). */
export interface Name extends Node {
  kind: 'Name';
  text: string;
}

// ---------------------------------------------------------------- expressions

export type Expr =
  | NumberLiteral
  | StringLiteral
  | BooleanLiteral
  | NoneLiteral
  | EpochExpr
  | Identifier
  | UnaryExpr
  | BinaryExpr
  | CallExpr
  | MemberExpr
  | ListExpr
  | MapExpr
  | ConditionalExpr
  | SequentialExpr;

export interface NumberLiteral extends Node {
  kind: 'NumberLiteral';
  value: number;
  /** The digits as written, e.g. `5e-4`. */
  text: string;
}

export interface StringLiteral extends Node {
  kind: 'StringLiteral';
  /** The unescaped value, without quotes. */
  value: string;
}

export interface BooleanLiteral extends Node {
  kind: 'BooleanLiteral';
  value: boolean;
}

export interface NoneLiteral extends Node {
  kind: 'NoneLiteral';
}

/** `epoch` (the epoch variable, `at` undefined) or `epoch 90` (a literal epoch number). */
export interface EpochExpr extends Node {
  kind: 'EpochExpr';
  at?: number;
}

export interface Identifier extends Node {
  kind: 'Identifier';
  name: string;
}

export type UnaryOperator = '-' | '+' | 'not';

export interface UnaryExpr extends Node {
  kind: 'UnaryExpr';
  operator: UnaryOperator;
  operand: Expr;
}

export type BinaryOperator = '+' | '-' | '*' | '/' | '^' | '==' | '!=' | '<' | '>' | '<=' | '>=' | 'and' | 'or';

export interface BinaryExpr extends Node {
  kind: 'BinaryExpr';
  operator: BinaryOperator;
  left: Expr;
  right: Expr;
  /** Span of the operator token alone. */
  operatorSpan: Span;
}

export interface Argument extends Node {
  kind: 'Argument';
  /** Present for named arguments (`steps: 10`). */
  name?: Name;
  value: Expr;
}

export interface CallExpr extends Node {
  kind: 'CallExpr';
  callee: Expr;
  args: Argument[];
}

export interface MemberExpr extends Node {
  kind: 'MemberExpr';
  object: Expr;
  property: Name;
}

export interface ListExpr extends Node {
  kind: 'ListExpr';
  items: Expr[];
}

export interface MapEntry extends Node {
  kind: 'MapEntry';
  key: number | string;
  keySpan: Span;
  value: Expr;
}

export interface MapExpr extends Node {
  kind: 'MapExpr';
  entries: MapEntry[];
}

export interface ConditionalExpr extends Node {
  kind: 'ConditionalExpr';
  condition: Expr;
  then: Expr;
  otherwise: Expr;
}

/** `sequential { ... }`: children numbered 0, 1, 2, ... like torch.nn.Sequential. */
export interface SequentialExpr extends Node {
  kind: 'SequentialExpr';
  entries: SequentialEntry[];
}

export type SequentialEntry = Expr | RepeatEntry;

export interface RepeatEntry extends Node {
  kind: 'RepeatEntry';
  count: Expr;
  entries: SequentialEntry[];
}

// ---------------------------------------------------------------- declarations

export interface ImportDeclaration extends Node {
  kind: 'ImportDeclaration';
  /** The path as written, relative to the importing file or to the standard library. */
  path: string;
  pathSpan: Span;
}

export interface LetDeclaration extends Node {
  kind: 'LetDeclaration';
  name: Name;
  value: Expr;
}

export interface Parameter extends Node {
  kind: 'Parameter';
  name: Name;
  default?: Expr;
}

/** A child layer of a module: `conv1 = conv(3, 64, kernel: 3)`. */
export interface LayerDeclaration extends Node {
  kind: 'LayerDeclaration';
  name: Name;
  value: Expr;
}

/** `forward(x) { let h = ...  return ... }`; the `= expression` form has no lets. */
export interface ForwardDefinition extends Node {
  kind: 'ForwardDefinition';
  input: Name;
  lets: LetDeclaration[];
  result: Expr;
}

export type ModuleMember = LetDeclaration | LayerDeclaration | ForwardDefinition;

/**
 * `model NAME(params) { members }`, `block NAME(params) { members }` or `... = expression`.
 * A `model` can be instantiated by a pipeline; a `block` only inside other modules.
 */
export interface ModuleDefinition extends Node {
  kind: 'ModuleDefinition';
  moduleKind: 'model' | 'block';
  name: Name;
  parameters: Parameter[];
  /** Either `members` (braced body) or `body` (the `= expression` form) is set. */
  members?: ModuleMember[];
  body?: Expr;
}

export interface Setting extends Node {
  kind: 'Setting';
  key: Name;
  value: Expr;
}

export interface SettingsBlock extends Node {
  kind: 'SettingsBlock';
  settings: Setting[];
}

export interface DataDeclaration extends Node {
  kind: 'DataDeclaration';
  dataset: Name;
  settings?: SettingsBlock;
}

export interface ModelInstance extends Node {
  kind: 'ModelInstance';
  name: Name;
  value: Expr;
  /** `{ weights: "file.pt" }`: start from (and evaluate) these weights instead of a fresh initialization. */
  settings?: SettingsBlock;
}

export interface AttackDeclaration extends Node {
  kind: 'AttackDeclaration';
  name: Name;
  /** `pgd(ball: linf(8/255), ...)` */
  method: Expr;
  objective: Expr;
}

export interface MinimizeDeclaration extends Node {
  kind: 'MinimizeDeclaration';
  objective: Expr;
}

export interface StateDeclaration extends Node {
  kind: 'StateDeclaration';
  name: Name;
  value: Expr;
}

export interface ScheduleDeclaration extends Node {
  kind: 'ScheduleDeclaration';
  name: Name;
  value: Expr;
}

export interface TrainDeclaration extends Node {
  kind: 'TrainDeclaration';
  settings: SettingsBlock;
}

export interface EvaluateDeclaration extends Node {
  kind: 'EvaluateDeclaration';
  /** Optional name; unnamed blocks are called `default`. */
  name?: Name;
  settings: SettingsBlock;
}

export type PipelineMember =
  | LetDeclaration
  | DataDeclaration
  | ModelInstance
  | AttackDeclaration
  | MinimizeDeclaration
  | StateDeclaration
  | ScheduleDeclaration
  | TrainDeclaration
  | EvaluateDeclaration;

export interface PipelineDefinition extends Node {
  kind: 'PipelineDefinition';
  name: Name;
  members: PipelineMember[];
}

export type TopLevelItem = ImportDeclaration | LetDeclaration | ModuleDefinition | PipelineDefinition;

export interface SourceFile extends Node {
  kind: 'SourceFile';
  /** The file name diagnostics use. */
  file: string;
  items: TopLevelItem[];
}
