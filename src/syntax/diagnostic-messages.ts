/**
 * Every diagnostic the front end can report, as one table (TypeScript's diagnosticMessages.json,
 * but a typed module). `diagnosticCodes` are the public, stable codes with their severity, listed
 * in docs/language.md; `diagnosticMessages` are the messages, each under one code, with `{name}`
 * placeholders. `diagnostic()` (diagnostic.ts) takes a message id and exactly the arguments its
 * template names, so a wrong id, a missing or a misspelt argument is a compile error, and the
 * table is the one place to read or reword what users see.
 *
 * Placeholders are `{` + a word + `}`; braces that are part of the language (`sequential { }`)
 * contain a space and stay literal. A template that is only `{message}` carries a message
 * composed where the knowledge lives: a layer kind's shape rule (src/layers), a function's type
 * rule (src/check/functions.ts), the parser, zod, a data subset check.
 */

/** The codes and their severity. Warnings do not stop a pipeline from running. */
export const diagnosticCodes = {
  'syntax-error': 'error',
  'nesting-too-deep': 'error',
  'unknown-name': 'error',
  'unknown-function': 'error',
  'unknown-layer': 'error',
  'unknown-dataset': 'error',
  'unknown-argument': 'error',
  'unknown-setting': 'error',
  'missing-argument': 'error',
  'argument-count': 'error',
  'duplicate-argument': 'error',
  'duplicate-definition': 'error',
  'reserved-name': 'error',
  'type-mismatch': 'error',
  'shape-mismatch': 'error',
  'non-scalar-objective': 'error',
  'objective-ignores-delta': 'error',
  'wrong-place': 'error',
  'not-constant': 'error',
  'not-trainable': 'error',
  'division-by-zero': 'error',
  'expected-layer': 'error',
  'recursive-module': 'error',
  'unsupported-expression': 'error',
  'invalid-setting': 'error',
  'invalid-override': 'error',
  'import-cycle': 'error',
  'import-not-found': 'error',
  'file-not-found': 'error',
  'file-refused': 'error',
  'empty-file': 'error',
  'subset-out-of-range': 'error',
  'missing-declaration': 'error',
  'ambiguous-pipeline': 'error',
  'unused-attack': 'warning',
  'subset-too-large': 'warning',
  'batch-too-large': 'warning',
} as const satisfies Record<string, 'error' | 'warning'>;

export type DiagnosticCode = keyof typeof diagnosticCodes;

export interface MessageSpec {
  code: DiagnosticCode;
  text: string;
}

export const diagnosticMessages = {
  // ---- syntax (src/syntax)
  unexpectedCharacters: { code: 'syntax-error', text: 'unexpected {characters} `{image}`' },
  parserError: { code: 'syntax-error', text: '{message}' },
  parserTooDeep: { code: 'nesting-too-deep', text: '{message}' },
  expressionTooDeep: { code: 'nesting-too-deep', text: 'expression nested deeper than {limit} levels' },

  // ---- files and imports (src/check/imports.ts, index.ts)
  fileRefused: { code: 'file-refused', text: 'cannot read `{path}`: {reason}' },
  fileNotFound: { code: 'file-not-found', text: 'cannot read `{path}`' },
  importNotFound: { code: 'import-not-found', text: 'cannot find `{path}`' },
  importCycle: { code: 'import-cycle', text: 'import cycle: {cycle}' },
  emptyFile: { code: 'empty-file', text: '{file} defines nothing: no pipeline, model, block or constant' },
  noSuchPipeline: { code: 'unknown-name', text: 'no pipeline `{name}` in {file}' },
  ambiguousPipeline: { code: 'ambiguous-pipeline', text: '{file} defines {count} pipelines; choose one' },
  noSuchModel: { code: 'unknown-name', text: 'no model `{name}` in {file}' },

  // ---- definitions and names
  alreadyDefined: { code: 'duplicate-definition', text: '`{name}` is already defined' },
  alreadyDefinedIn: { code: 'duplicate-definition', text: '`{name}` is already defined in `{definition}`' },
  forwardTwice: { code: 'duplicate-definition', text: '`{definition}` defines `forward` twice' },
  pipelineHasOne: { code: 'duplicate-definition', text: 'a pipeline has one {what}' },
  settingTwice: { code: 'duplicate-definition', text: 'setting `{key}` is given twice in `{block}`' },
  evaluateTwice: { code: 'duplicate-definition', text: 'there are two `evaluate {name}{ }` blocks' },
  reservedName: { code: 'reserved-name', text: '`{name}` is a built-in name of pipelines and cannot be redefined' },
  unknownName: { code: 'unknown-name', text: 'unknown name `{name}`' },

  // ---- constants (src/check/const-eval.ts)
  epochNotConstant: { code: 'not-constant', text: '`epoch` varies during training and cannot be used here' },
  notConstant: { code: 'not-constant', text: 'expected a constant (a number, string, boolean or arithmetic on them)' },
  divisionByZero: { code: 'division-by-zero', text: 'division by zero' },
  expectedNumber: { code: 'type-mismatch', text: 'expected a number but found {found}' },
  expectedCondition: { code: 'type-mismatch', text: 'expected a condition (true or false) but found {found}' },

  // ---- calls and arguments (src/check/arguments.ts)
  tooManyArguments: { code: 'argument-count', text: '`{callee}` takes at most {max} {arguments} but receives {count}' },
  noSuchArgument: { code: 'unknown-argument', text: '`{callee}` has no argument `{name}`' },
  argumentTwice: { code: 'duplicate-argument', text: 'argument `{name}` of `{callee}` is given twice' },
  missingArgument: { code: 'missing-argument', text: '`{callee}` needs the argument `{name}`' },

  // ---- models (src/check/models.ts, shapes.ts, trainable.ts)
  expectedLayer: { code: 'expected-layer', text: 'expected a layer (a built-in layer, a block or model call, `sequential { }` or `none`)' },
  noneInSequential: { code: 'expected-layer', text: '`none` cannot be an entry of `sequential`; leave it out' },
  modelIsNone: { code: 'expected-layer', text: 'a model cannot be `none`' },
  unknownLayer: { code: 'unknown-layer', text: 'unknown layer `{name}`' },
  layerArgumentType: { code: 'type-mismatch', text: 'argument `{name}` of `{callee}` {problem}' },
  recursiveModule: { code: 'recursive-module', text: '`{name}` contains itself ({chain})' },
  repeatCount: { code: 'type-mismatch', text: '`repeat` needs a whole number of times but receives {found}' },
  layerNotTensor: { code: 'type-mismatch', text: '`{name}` is a layer; apply it to a tensor, e.g. `{name}(x)`' },
  forwardNeedsTensor: { code: 'missing-argument', text: '`{callee}` needs a tensor as its first argument' },
  layerTakesOneTensor: { code: 'argument-count', text: 'layer `{callee}` takes one tensor' },
  functionTakesOneTensor: { code: 'argument-count', text: '`{callee}` takes one tensor' },
  unknownForwardFunction: { code: 'unknown-function', text: 'unknown layer or function `{name}` in `forward`' },
  unsupportedInForward: { code: 'unsupported-expression', text: 'not supported in `forward`: use layers, {functions}, `+`, `-`, `*` and `if then else`' },
  layerShape: { code: 'shape-mismatch', text: '{message}' },
  forwardShapes: { code: 'shape-mismatch', text: 'cannot {verb} tensors of shapes {left} and {right}' },
  modelClasses: { code: 'shape-mismatch', text: 'model `{model}` outputs shape {shape} but {dataset} has {classes} classes' },
  notTrainable: { code: 'not-trainable', text: '{message}' },

  // ---- pipelines (src/check/pipeline.ts)
  noData: { code: 'missing-declaration', text: 'pipeline `{pipeline}` has no `data` declaration' },
  noModel: { code: 'missing-declaration', text: 'pipeline `{pipeline}` has no model' },
  noObjective: { code: 'missing-declaration', text: 'pipeline `{pipeline}` has no `minimize` objective' },
  unknownDataset: { code: 'unknown-dataset', text: 'unknown dataset `{name}`' },
  scheduleNotNumber: { code: 'type-mismatch', text: 'a schedule must be a number but `{name}` is {found}' },
  unusedAttack: { code: 'unused-attack', text: 'attack `{name}` is never used by the `minimize` objective' },
  lrNotSchedule: { code: 'unknown-name', text: '`lr` names `{name}`, which is not a schedule of this pipeline' },
  unknownModelSetting: { code: 'unknown-setting', text: 'a model has no setting `{key}`' },
  weightsNotFile: { code: 'type-mismatch', text: '`weights` must be a file name in quotes' },

  // ---- attacks (src/check/attacks.ts)
  unknownAttackMethod: { code: 'unknown-function', text: 'unknown attack method `{name}`' },
  expectedAttackMethod: { code: 'unknown-function', text: 'expected an attack method such as `pgd(...)`' },
  pgdNamedOnly: { code: 'argument-count', text: '`pgd` takes named arguments only: ball:, step:, steps:, start:, step_rule:' },
  pgdNoArgument: { code: 'unknown-argument', text: '`pgd` has no argument `{name}`' },
  pgdNeedsBall: { code: 'missing-argument', text: '`pgd` needs `ball:`, e.g. `ball: linf(8/255)`' },
  pgdNeeds: { code: 'missing-argument', text: '`pgd` needs `{name}:`' },
  pgdPositive: { code: 'type-mismatch', text: '`{name}` of `pgd` must be a positive {kind} but is {found}' },
  stepRule: { code: 'type-mismatch', text: '`step_rule` must be `sign` or `normalized`' },
  ignoresDelta: { code: 'objective-ignores-delta', text: '{what} does not depend on `delta`' },
  ballRadiusCount: { code: 'argument-count', text: '`{ball}` takes the radius, e.g. `{ball}({example})`' },
  ballRadius: { code: 'type-mismatch', text: 'the radius must be a positive number but is {found}' },
  ballKind: { code: 'type-mismatch', text: '`ball` must be `linf(eps)` or `l2(eps)`' },
  attackStart: { code: 'type-mismatch', text: '`start` must be `uniform`, `none` or `normal(std)`' },

  // ---- states (src/check/states.ts)
  unknownStateKind: { code: 'unknown-function', text: 'unknown state kind `{name}`' },
  expectedStateKind: { code: 'unknown-function', text: 'a state is defined by `ema(...)`' },
  emaNeedsValue: { code: 'missing-argument', text: '`ema` needs the per-example value to average, e.g. `ema(softmax(f(x)), ...)`' },
  emaValueType: { code: 'type-mismatch', text: '`ema` averages a per-example tensor but receives {found}' },
  emaPositional: { code: 'argument-count', text: '`ema` takes one positional argument; name the others (momentum:, normalize:, from:)' },
  emaNoArgument: { code: 'unknown-argument', text: '`ema` has no argument `{name}`' },
  emaOptionType: { code: 'type-mismatch', text: '`{name}` of `ema` must be {expected} but is {found}' },
  stateOfCleanInput: { code: 'type-mismatch', text: 'a state averages a function of the clean input `x` only' },

  // ---- objective and schedule expressions (src/check/expressions.ts)
  conditionsInSchedules: { code: 'type-mismatch', text: 'conditions are only allowed in schedules' },
  epochOnlyInSchedule: { code: 'wrong-place', text: '`epoch` can only be used in a `schedule`' },
  notNeedsCondition: { code: 'type-mismatch', text: '`not` needs a condition but receives {found}' },
  cannotNegate: { code: 'type-mismatch', text: 'cannot negate {found}' },
  conditionalOnlyInSchedules: { code: 'wrong-place', text: '`if then else` is only allowed in schedules (and in models)' },
  conditionNotComparison: { code: 'type-mismatch', text: 'the condition must be a comparison but is {found}' },
  notAnExpression: { code: 'unsupported-expression', text: 'not an expression of numbers and tensors' },
  deltaOutsideAttack: { code: 'wrong-place', text: '`delta` only exists inside an `attack` objective' },
  stepOnlyInSchedule: { code: 'wrong-place', text: '`step` can only be used in a `schedule`' },
  dataInSchedule: { code: 'wrong-place', text: 'schedules depend only on `epoch` and `step`, not on `{name}`' },
  constantNotNumber: { code: 'type-mismatch', text: '`{name}` is not a number' },
  modelNotValue: { code: 'type-mismatch', text: '`{name}` is a model; apply it to an input, e.g. `{name}(x)`' },
  functionNotValue: { code: 'type-mismatch', text: '`{name}` is a function; call it, e.g. `{name}(...)`' },
  logicalNeedsConditions: { code: 'type-mismatch', text: '`{operator}` needs conditions on both sides' },
  comparisonsOnlyInSchedules: { code: 'wrong-place', text: 'comparisons are only allowed in schedules' },
  comparisonNeedsNumbers: { code: 'type-mismatch', text: 'comparisons need numbers on both sides' },
  exponentNotNumber: { code: 'type-mismatch', text: 'the exponent must be a number but is {found}' },
  operatorShapes: { code: 'shape-mismatch', text: 'cannot apply `{operator}`: {problem}' },
  calleeNotName: { code: 'unsupported-expression', text: 'only named functions and models can be called' },
  modelTakesOneInput: { code: 'argument-count', text: 'model `{name}` takes exactly one input, e.g. `{name}(x)`' },
  modelInputShape: { code: 'type-mismatch', text: 'model `{name}` expects inputs of shape {expected} but receives {found}' },
  emaOutsideState: { code: 'wrong-place', text: '`ema` defines a state: write `state p = ema(...)`' },
  unknownFunction: { code: 'unknown-function', text: 'unknown function `{name}`' },
  onlyInSchedule: { code: 'wrong-place', text: '`{name}` can only be used in a `schedule`' },
  notInSchedule: { code: 'wrong-place', text: '`{name}` cannot be used in a schedule' },
  functionArgumentCount: { code: 'argument-count', text: '`{name}` takes {expected} {arguments} ({parameters}) but receives {count}' },
  noSuchOption: { code: 'unknown-argument', text: '`{name}` has no option `{option}`' },
  optionType: { code: 'type-mismatch', text: 'option `{option}` of `{name}` must be {expected}' },
  functionType: { code: 'type-mismatch', text: '{message}' },
  piecewiseOnlyInSchedule: { code: 'wrong-place', text: '`piecewise` can only be used in a `schedule` (or as `lr:`)' },
  piecewiseArguments: { code: 'argument-count', text: '`piecewise` takes an initial value and a map of milestones, e.g. `piecewise(0.1, {100: 0.01, 150: 0.001})`' },
  milestoneEpoch: { code: 'type-mismatch', text: 'milestones must be epoch numbers (1-based)' },
  notScalar: { code: 'non-scalar-objective', text: '{what} must be a scalar, but this expression is {found}' },

  // ---- settings, overrides and evaluations
  unknownSetting: { code: 'unknown-setting', text: 'unknown setting `{key}` in `{block}`' },
  invalidSetting: { code: 'invalid-setting', text: 'invalid value for `{key}`: {problem}' },
  expectedNameBeforeParen: { code: 'invalid-setting', text: 'expected a name before `(`' },
  notASettingsValue: { code: 'invalid-setting', text: 'this is not a settings value' },
  overrideValue: { code: 'invalid-override', text: 'cannot read `{value}` as a value' },
  overrideForm: { code: 'invalid-override', text: '`{text}` is not of the form key=value' },
  unknownOverrideSetting: { code: 'unknown-setting', text: 'unknown setting `{key}`' },
  overrideNotGroup: { code: 'unknown-setting', text: '`{key}` is a value, not a group of settings' },
  overrideInvalidValue: { code: 'invalid-setting', text: 'invalid value `{value}` for `{key}`: {problem}' },
  overrideNotDataset: { code: 'invalid-override', text: '`{name}` is not a dataset name' },
  overrideShape: { code: 'invalid-override', text: '`{key}` should be {form}' },
  overrideNoSuchName: { code: 'unknown-name', text: 'the pipeline has no {what} `{name}`' },
  evaluationNeedsBall: { code: 'missing-argument', text: 'evaluation attack `{attack}` needs `ball:` because the pipeline has no attack to take it from' },
  evaluationNeedsStep: { code: 'missing-argument', text: 'evaluation attack `{attack}` needs `step:` because the pipeline has no attack to take it from' },
  selectNotAttack: { code: 'unknown-name', text: '`select` names `{name}`, which is not an attack of this evaluation' },

  // ---- data sizes (src/check/data-sizes.ts)
  subsetOutOfRange: { code: 'subset-out-of-range', text: '{message}' },
  subsetTooLarge: { code: 'subset-too-large', text: '{message}' },
  batchTooLarge: { code: 'batch-too-large', text: 'batch {batch} is larger than the {examples} training examples; every step uses all {examples} (one step per epoch)' },
} as const satisfies Record<string, MessageSpec>;

export type MessageId = keyof typeof diagnosticMessages;

/** The placeholder names of a template: `{word}`, not braces around spaces or punctuation. */
type Placeholders<T extends string> = T extends `${string}{${infer P}}${infer Rest}`
  ? (P extends `${string}${' ' | ':' | ','}${string}` | '' ? never : P) | Placeholders<Rest>
  : never;

/** Exactly the arguments the message `K` names. */
export type MessageArgs<K extends MessageId> = { readonly [P in Placeholders<(typeof diagnosticMessages)[K]['text']>]: string | number };

const PLACEHOLDER = /\{(\w+)\}/g;

/** The placeholder names of a template at run time (the same rule as the type above). */
export function placeholdersOf(template: string): string[] {
  return [...template.matchAll(PLACEHOLDER)].map((m) => m[1]!);
}

/** Fill a template's placeholders. */
export function formatMessage(template: string, args: Readonly<Record<string, string | number>>): string {
  return template.replace(PLACEHOLDER, (whole, name: string) => (Object.hasOwn(args, name) ? String(args[name]) : whole));
}
