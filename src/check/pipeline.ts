/**
 * Checking a loaded program: registering definitions and constants of every file, then resolving
 * one pipeline into a ResolvedPipeline (resolved.ts). Declaration order inside a pipeline does not
 * matter; parts are resolved in dependency order: constants, data, models, schedules, states,
 * attacks, the outer objective, settings, evaluations.
 */
import type * as A from '../syntax/ast.js';
import type { Span } from '../syntax/span.js';
import { error, hasErrors, type Diagnostic } from '../syntax/diagnostic.js';
import { ConstScope, describeConstant, evaluateConstant, type ConstValue } from './const-eval.js';
import { datasets, isDatasetName } from './datasets.js';
import { ExpressionChecker, requireScalar, type ExpressionScope } from './expressions.js';
import type { Program } from './imports.js';
import { collectStateDict, ModelBuilder, type DefinitionEntry } from './models.js';
import { applyOverrides, overrideFile, parseOverrideExpression } from './overrides.js';
import type {
  AttackStart, PerturbationBall, ResolvedAttack, ResolvedData, ResolvedEvaluation, ResolvedModel, ResolvedPipeline,
  ResolvedSchedule, ResolvedState, Shape, TypedExpr,
} from './resolved.js';
import { someNode } from './resolved.js';
import { evaluateName, settingsFromSource } from './settings-source.js';
import { didYouMean } from './suggest.js';
import { describeType, shapeText } from './types.js';

/** Names every pipeline expression has; declaring them would shadow the data. */
const reservedNames = ['x', 'y', 'delta', 'epoch', 'step'];

export interface ProgramDefinitions {
  registry: Map<string, DefinitionEntry>;
  /** Constants of each file, by absolute path. */
  fileScopes: Map<string, ConstScope>;
}

/** Register every file's `let`s and module definitions; report duplicates. */
export function collectDefinitions(program: Program, diagnostics: Diagnostic[]): ProgramDefinitions {
  const registry = new Map<string, DefinitionEntry>();
  const fileScopes = new Map<string, ConstScope>();
  for (const file of program.files) {
    const scope = new ConstScope();
    fileScopes.set(file.path, scope);
    const seenLets = new Map<string, Span>();
    for (const item of file.ast.items) {
      if (item.kind === 'LetDeclaration') {
        const previous = seenLets.get(item.name.text);
        if (previous) {
          diagnostics.push(duplicate(item.name, previous));
          continue;
        }
        seenLets.set(item.name.text, item.name.span);
        const value = evaluateConstant(item.value, scope, diagnostics);
        if (value !== undefined) scope.set(item.name.text, value);
      } else if (item.kind === 'ModuleDefinition') {
        const previous = registry.get(item.name.text);
        if (previous) {
          diagnostics.push(duplicate(item.name, previous.definition.name.span));
          continue;
        }
        registry.set(item.name.text, { definition: item, scope });
      }
    }
  }
  return { registry, fileScopes };
}

function duplicate(name: A.Name, previous: Span): Diagnostic {
  const where = previous.file === name.span.file ? `line ${previous.line}` : `${previous.file}:${previous.line}`;
  return error('duplicate-definition', `\`${name.text}\` is already defined`, name.span, `the first definition is at ${where}`);
}

export interface PipelineCheckOptions {
  overrides?: readonly string[];
}

export function checkPipeline(pipeline: A.PipelineDefinition, fileScope: ConstScope, definitions: ProgramDefinitions, diagnostics: Diagnostic[], options: PipelineCheckOptions = {}): ResolvedPipeline | undefined {
  const before = diagnostics.length;
  const { members, settingOverrides } = applySourceOverrides(pipeline.members, options.overrides ?? [], diagnostics);
  const scope = new ConstScope(fileScope);

  // ---- names: one namespace for lets, models, attacks, states and schedules
  const named = new Map<string, Span>();
  for (const member of members) {
    if (!('name' in member) || member.kind === 'EvaluateDeclaration' || !member.name) continue;
    const name = member.name;
    if (reservedNames.includes(name.text)) {
      diagnostics.push(error('reserved-name', `\`${name.text}\` is a built-in name of pipelines and cannot be redefined`, name.span));
      continue;
    }
    const previous = named.get(name.text);
    if (previous) diagnostics.push(duplicate(name, previous));
    else named.set(name.text, name.span);
  }
  const single = <K extends A.PipelineMember['kind']>(kind: K, what: string): Extract<A.PipelineMember, { kind: K }> | undefined => {
    const found = members.filter((m): m is Extract<A.PipelineMember, { kind: K }> => m.kind === kind);
    for (const extra of found.slice(1)) diagnostics.push(error('duplicate-definition', `a pipeline has one ${what}`, extra.span, `the first is at line ${found[0]!.span.line}`));
    return found[0];
  };

  for (const member of members) {
    if (member.kind !== 'LetDeclaration') continue;
    const value = evaluateConstant(member.value, scope, diagnostics);
    if (value !== undefined) scope.set(member.name.text, value);
  }

  // ---- data
  const dataDecl = single('DataDeclaration', '`data` declaration');
  if (!dataDecl) {
    diagnostics.push(error('missing-declaration', `pipeline \`${pipeline.name.text}\` has no \`data\` declaration`, pipeline.name.span, 'add e.g. `data cifar10 { augment: [crop(4), flip] }`'));
    return undefined;
  }
  const datasetName = dataDecl.dataset.text;
  if (!isDatasetName(datasetName)) {
    diagnostics.push(error('unknown-dataset', `unknown dataset \`${datasetName}\``, dataDecl.dataset.span, didYouMean(datasetName, Object.keys(datasets)) ?? `the datasets are ${Object.keys(datasets).join(', ')}`));
    return undefined;
  }
  const info = datasets[datasetName];

  // ---- models
  const builder = new ModelBuilder(definitions.registry, diagnostics);
  const models = new Map<string, ResolvedModel>();
  // One model per pipeline: the lowering trains one set of parameters.
  const modelDecl = single('ModelInstance', 'model');
  if (modelDecl) {
    const model = instantiateModelInstance(modelDecl, scope, builder, info.inputShape, info.classes, datasetName, diagnostics);
    if (model) models.set(model.binding, model);
  }
  if (!modelDecl) {
    diagnostics.push(error('missing-declaration', `pipeline \`${pipeline.name.text}\` has no model`, pipeline.name.span, 'add e.g. `model f = resnet18(classes: 10)`'));
  }

  // Everything declared but not (yet) resolved stays silent in expressions; see the end of this function.
  const failed = new Set<string>();
  const baseScope = (place: ExpressionScope['place']): ExpressionScope => ({
    place, constants: scope, models, attacks: new Set(), states: new Map(), schedules: new Set(), inputShape: info.inputShape, classes: info.classes, failed,
  });
  for (const member of members) {
    if (member.kind === 'ModelInstance' && !models.has(member.name.text)) failed.add(member.name.text);
  }

  // ---- schedules: each may read the ones declared before it
  const schedules: ResolvedSchedule[] = [];
  for (const member of members) {
    if (member.kind !== 'ScheduleDeclaration') continue;
    const checker = new ExpressionChecker({ ...baseScope('schedule'), schedules: new Set(schedules.map((s) => s.name)) }, diagnostics);
    const value = checker.check(member.value);
    if (!value) { failed.add(member.name.text); continue; }
    if (value.type.kind !== 'number' && value.type.kind !== 'scalar') {
      failed.add(member.name.text);
      diagnostics.push(error('type-mismatch', `a schedule must be a number but \`${member.name.text}\` is ${describeType(value.type)}`, member.value.span));
      continue;
    }
    schedules.push({ name: member.name.text, value, perStep: someNode(value, (n) => n.kind === 'step'), span: member.span });
  }
  const scheduleNames = new Set(schedules.map((s) => s.name));

  // ---- states
  const states: ResolvedState[] = [];
  for (const member of members) {
    if (member.kind !== 'StateDeclaration') continue;
    const state = checkState(member, { ...baseScope('state'), schedules: scheduleNames }, diagnostics);
    if (state) states.push(state);
    else failed.add(member.name.text);
  }
  const stateShapes = new Map<string, Shape>(states.map((s) => [s.name, s.shape]));

  // ---- attacks
  const attacks: ResolvedAttack[] = [];
  for (const member of members) {
    if (member.kind !== 'AttackDeclaration') continue;
    const attackScope: ExpressionScope = { ...baseScope('attack'), attack: member.name.text, states: stateShapes, schedules: scheduleNames };
    const attack = checkAttack(member, attackScope, diagnostics);
    if (attack) attacks.push(attack);
    else failed.add(member.name.text);
  }

  // ---- outer objective
  const minimize = single('MinimizeDeclaration', '`minimize` objective');
  let objective: TypedExpr | undefined;
  if (!minimize) {
    diagnostics.push(error('missing-declaration', `pipeline \`${pipeline.name.text}\` has no \`minimize\` objective`, pipeline.name.span, 'add e.g. `minimize ce(f(x), y)`'));
  } else {
    const attackNames = new Set(attacks.map((a) => a.name));
    const checker = new ExpressionChecker({ ...baseScope('minimize'), attacks: attackNames, states: stateShapes, schedules: scheduleNames }, diagnostics);
    objective = checker.check(minimize.objective);
    if (objective && !requireScalar(objective, 'the `minimize` objective', diagnostics)) objective = undefined;
    for (const attack of attacks) {
      if (objective && !someNode(objective, (n) => n.kind === 'adversarial' && n.attack === attack.name)) {
        diagnostics.push({ severity: 'warning', code: 'unused-attack', message: `attack \`${attack.name}\` is never used by the \`minimize\` objective`, span: attack.span, hint: `train on its result, e.g. \`minimize ce(f(${attack.name}), y)\`` });
      }
    }
  }

  // ---- settings
  let settings = settingsFromSource(
    { data: dataDecl, train: single('TrainDeclaration', '`train` block'), evaluate: members.filter((m): m is A.EvaluateDeclaration => m.kind === 'EvaluateDeclaration') },
    scope,
    diagnostics,
  );
  if (settings && settingOverrides.length > 0) {
    const result = applyOverrides(settings, settingOverrides);
    diagnostics.push(...result.diagnostics);
    settings = result.settings;
  }
  if (settings && typeof settings.train.lr === 'string' && !scheduleNames.has(settings.train.lr)) {
    const lrSetting = members.find((m): m is A.TrainDeclaration => m.kind === 'TrainDeclaration')?.settings.settings.find((s) => s.key.text === 'lr');
    diagnostics.push(error('unknown-name', `\`lr\` names \`${settings.train.lr}\`, which is not a schedule of this pipeline`, lrSetting?.value.span ?? pipeline.name.span, didYouMean(settings.train.lr, scheduleNames)));
  }
  const evaluations = settings ? resolveEvaluations(settings, attacks, members, pipeline, diagnostics) : [];

  const model = [...models.values()][0];
  if (hasErrors(diagnostics.slice(before)) || !settings || !model || !objective) return undefined;
  const constants: Record<string, number> = {};
  for (const name of scope.names()) {
    const value = scope.get(name);
    if (typeof value === 'number') constants[name] = value;
  }
  const data: ResolvedData = { dataset: datasetName, inputShape: info.inputShape, classes: info.classes, settings: settings.data, span: dataDecl.span };
  return { name: pipeline.name.text, file: pipeline.span.file, data, model, attacks, objective, states, schedules, constants, settings, evaluations, span: pipeline.span };
}

function instantiateModelInstance(member: A.ModelInstance, scope: ConstScope, builder: ModelBuilder, inputShape: Shape, classes: number, datasetName: string, diagnostics: Diagnostic[]): ResolvedModel | undefined {
  const root = builder.buildLayer(member.value, scope, '', '');
  if (!root) return undefined;
  if (root === 'none') {
    diagnostics.push(error('expected-layer', 'a model cannot be `none`', member.value.span));
    return undefined;
  }
  const where = `model \`${member.name.text}\` (input shape ${shapeText(inputShape)} from ${datasetName})`;
  const outputShape = builder.inferShapes(root, inputShape, where);
  if (!outputShape) return undefined;
  if (outputShape.length !== 1 || outputShape[0] !== classes) {
    diagnostics.push(error('shape-mismatch', `model \`${member.name.text}\` outputs shape ${shapeText(outputShape)} but ${datasetName} has ${classes} classes`, member.value.span, `the model should end in a layer with ${classes} outputs, e.g. \`classes: ${classes}\``));
    return undefined;
  }
  // Report the definition as written (`wrn34_10`, even though it is defined as a `wide_resnet`) with every argument after defaults.
  const callee = member.value.kind === 'CallExpr' && member.value.callee.kind === 'Identifier' ? member.value.callee.name : member.value.kind === 'Identifier' ? member.value.name : undefined;
  const entry = callee ? builder.definition(callee) : undefined;
  const callArgs = member.value.kind === 'CallExpr' ? member.value.args : [];
  const args = entry ? (builder.bindDefinitionArguments(entry, callArgs, member.value.span, scope) ?? {}) : {};
  return {
    binding: member.name.text,
    definition: entry ? callee! : (root.definition ?? root.kind),
    args,
    root,
    inputShape,
    outputShape,
    stateDict: collectStateDict(root),
  };
}

// ---------------------------------------------------------------- states

function checkState(member: A.StateDeclaration, scope: ExpressionScope, diagnostics: Diagnostic[]): ResolvedState | undefined {
  const value = member.value;
  if (value.kind !== 'CallExpr' || value.callee.kind !== 'Identifier' || value.callee.name !== 'ema') {
    const callee = value.kind === 'CallExpr' && value.callee.kind === 'Identifier' ? value.callee : undefined;
    diagnostics.push(error('unknown-function', callee ? `unknown state kind \`${callee.name}\`` : 'a state is defined by `ema(...)`', callee?.span ?? value.span, callee ? didYouMean(callee.name, ['ema']) : 'e.g. `state p = ema(softmax(f(x)), momentum: 0.9, normalize: sum, from: epoch 90)`'));
    return undefined;
  }
  const [first, ...named] = value.args;
  if (!first || first.name) {
    diagnostics.push(error('missing-argument', '`ema` needs the per-example value to average, e.g. `ema(softmax(f(x)), ...)`', value.span));
    return undefined;
  }
  const typed = new ExpressionChecker(scope, diagnostics).check(first.value);
  if (!typed) return undefined;
  if (typed.type.kind !== 'tensor') {
    diagnostics.push(error('type-mismatch', `\`ema\` averages a per-example tensor but receives ${describeType(typed.type)}`, first.value.span));
    return undefined;
  }
  const state: ResolvedState = { name: member.name.text, kind: 'ema', value: typed, momentum: 0.9, normalize: 'sum', fromEpoch: 1, shape: typed.type.shape, span: member.span };
  for (const arg of named) {
    if (!arg.name) {
      diagnostics.push(error('argument-count', '`ema` takes one positional argument; name the others (momentum:, normalize:, from:)', arg.span));
      return undefined;
    }
    const option = arg.name.text;
    const constant = evaluateConstant(arg.value, scope.constants, diagnostics, { symbols: option === 'normalize' });
    if (constant === undefined) return undefined;
    if (option === 'momentum' && typeof constant === 'number' && constant >= 0 && constant < 1) state.momentum = constant;
    else if (option === 'normalize' && (constant === 'sum' || constant === 'l2' || constant === 'none')) state.normalize = constant;
    else if (option === 'from' && typeof constant === 'number' && Number.isInteger(constant) && constant >= 1) state.fromEpoch = constant;
    else if (!['momentum', 'normalize', 'from'].includes(option)) {
      diagnostics.push(error('unknown-argument', `\`ema\` has no argument \`${option}\``, arg.name.span, didYouMean(option, ['momentum', 'normalize', 'from'])));
      return undefined;
    } else {
      const expected = option === 'momentum' ? 'a number in [0, 1)' : option === 'normalize' ? '`sum`, `l2` or `none`' : 'an epoch such as `epoch 90` (1-based)';
      diagnostics.push(error('type-mismatch', `\`${option}\` of \`ema\` must be ${expected} but is ${describeConstant(constant)}`, arg.value.span));
      return undefined;
    }
  }
  if (someNode(typed, (n) => n.kind === 'delta' || n.kind === 'adversarial' || n.kind === 'state')) {
    diagnostics.push(error('type-mismatch', 'a state averages a function of the clean input `x` only', first.value.span));
    return undefined;
  }
  return state;
}

// ---------------------------------------------------------------- attacks

function checkAttack(member: A.AttackDeclaration, scope: ExpressionScope, diagnostics: Diagnostic[]): ResolvedAttack | undefined {
  const method = member.method;
  const callee = method.kind === 'CallExpr' && method.callee.kind === 'Identifier' ? method.callee : method.kind === 'Identifier' ? method : undefined;
  if (!callee || callee.name !== 'pgd') {
    diagnostics.push(error('unknown-function', callee ? `unknown attack method \`${callee.name}\`` : 'expected an attack method such as `pgd(...)`', callee?.span ?? method.span, callee ? didYouMean(callee.name, ['pgd']) ?? 'the attack method is `pgd(ball:, step:, steps:, start:)`' : undefined));
    return undefined;
  }
  const args = method.kind === 'CallExpr' ? method.args : [];
  const known = ['ball', 'step', 'steps', 'start', 'step_rule'];
  const values = new Map<string, A.Expr>();
  for (const arg of args) {
    if (!arg.name) {
      diagnostics.push(error('argument-count', '`pgd` takes named arguments only: ball:, step:, steps:, start:, step_rule:', arg.span));
      return undefined;
    }
    if (!known.includes(arg.name.text)) {
      diagnostics.push(error('unknown-argument', `\`pgd\` has no argument \`${arg.name.text}\``, arg.name.span, didYouMean(arg.name.text, known)));
      return undefined;
    }
    values.set(arg.name.text, arg.value);
  }
  const ballExpr = values.get('ball');
  if (!ballExpr) {
    diagnostics.push(error('missing-argument', '`pgd` needs `ball:`, e.g. `ball: linf(8/255)`', method.span));
    return undefined;
  }
  const ball = parseBall(ballExpr, scope.constants, diagnostics);
  const positive = (name: string, integer: boolean, fallback?: number): number | undefined => {
    const expr = values.get(name);
    if (!expr) {
      if (fallback === undefined) diagnostics.push(error('missing-argument', `\`pgd\` needs \`${name}:\``, method.span));
      return fallback;
    }
    const v = evaluateConstant(expr, scope.constants, diagnostics);
    if (typeof v === 'number' && v > 0 && (!integer || Number.isInteger(v))) return v;
    if (v !== undefined) diagnostics.push(error('type-mismatch', `\`${name}\` of \`pgd\` must be a positive ${integer ? 'whole number' : 'number'} but is ${describeConstant(v)}`, expr.span));
    return undefined;
  };
  const step = positive('step', false);
  const steps = positive('steps', true, 10);
  const start = parseStart(values.get('start'), scope.constants, diagnostics);
  let stepRule: 'sign' | 'normalized' | undefined = ball?.norm === 'l2' ? 'normalized' : 'sign';
  const ruleExpr = values.get('step_rule');
  if (ruleExpr) {
    const rule = evaluateConstant(ruleExpr, scope.constants, diagnostics, { symbols: true });
    if (rule === 'sign' || rule === 'normalized') stepRule = rule;
    else {
      diagnostics.push(error('type-mismatch', '`step_rule` must be `sign` or `normalized`', ruleExpr.span, didYouMean(String(rule), ['sign', 'normalized'])));
      stepRule = undefined;
    }
  }
  const objective = new ExpressionChecker(scope, diagnostics).check(member.objective);
  if (!objective) return undefined;
  const what = `the objective of attack \`${member.name.text}\``;
  if (!requireScalar(objective, what, diagnostics)) return undefined;
  if (!someNode(objective, (n) => n.kind === 'delta')) {
    diagnostics.push(error('objective-ignores-delta', `${what} does not depend on \`delta\``, member.objective.span, 'apply the model to the perturbed input, e.g. `ce(f(x + delta), y)`'));
    return undefined;
  }
  if (!ball || step === undefined || steps === undefined || !start || !stepRule) return undefined;
  return { name: member.name.text, method: 'pgd', ball, step, steps, start, stepRule, objective, span: member.span };
}

function parseBall(expr: A.Expr, constants: ConstScope, diagnostics: Diagnostic[]): PerturbationBall | undefined {
  if (expr.kind === 'CallExpr' && expr.callee.kind === 'Identifier' && (expr.callee.name === 'linf' || expr.callee.name === 'l2')) {
    const arg = expr.args[0];
    if (expr.args.length !== 1 || !arg || (arg.name && arg.name.text !== 'eps')) {
      diagnostics.push(error('argument-count', `\`${expr.callee.name}\` takes the radius, e.g. \`${expr.callee.name}(${expr.callee.name === 'linf' ? '8/255' : '0.5'})\``, expr.span));
      return undefined;
    }
    const eps = evaluateConstant(arg.value, constants, diagnostics);
    if (typeof eps === 'number' && eps > 0) return { norm: expr.callee.name, eps };
    if (eps !== undefined) diagnostics.push(error('type-mismatch', `the radius must be a positive number but is ${describeConstant(eps)}`, arg.value.span));
    return undefined;
  }
  const name = expr.kind === 'CallExpr' && expr.callee.kind === 'Identifier' ? expr.callee : expr.kind === 'Identifier' ? expr : undefined;
  diagnostics.push(error('type-mismatch', '`ball` must be `linf(eps)` or `l2(eps)`', name?.span ?? expr.span, name ? didYouMean(name.name, ['linf', 'l2']) : undefined));
  return undefined;
}

function parseStart(expr: A.Expr | undefined, constants: ConstScope, diagnostics: Diagnostic[]): AttackStart | undefined {
  if (!expr) return { kind: 'uniform' };
  if (expr.kind === 'NoneLiteral') return { kind: 'none' };
  if (expr.kind === 'Identifier' && expr.name === 'uniform') return { kind: 'uniform' };
  if (expr.kind === 'CallExpr' && expr.callee.kind === 'Identifier' && expr.callee.name === 'normal' && expr.args.length === 1) {
    const std = evaluateConstant(expr.args[0]!.value, constants, diagnostics);
    if (typeof std === 'number' && std > 0) return { kind: 'normal', std };
  }
  const name = expr.kind === 'Identifier' ? expr.name : expr.kind === 'CallExpr' && expr.callee.kind === 'Identifier' ? expr.callee.name : '';
  diagnostics.push(error('type-mismatch', '`start` must be `uniform`, `none` or `normal(std)`', expr.span, didYouMean(name, ['uniform', 'none', 'normal'])));
  return undefined;
}

// ---------------------------------------------------------------- evaluations

function resolveEvaluations(settings: NonNullable<ResolvedPipeline['settings']>, attacks: readonly ResolvedAttack[], members: readonly A.PipelineMember[], pipeline: A.PipelineDefinition, diagnostics: Diagnostic[]): ResolvedEvaluation[] {
  const inherited = attacks[0];
  // A declared training attack that failed to check was reported already: do not cascade.
  const attackFailed = !inherited && members.some((m) => m.kind === 'AttackDeclaration');
  const out: ResolvedEvaluation[] = [];
  for (const [name, evaluation] of Object.entries(settings.evaluate)) {
    const decl = members.find((m): m is A.EvaluateDeclaration => m.kind === 'EvaluateDeclaration' && evaluateName(m) === name);
    const settingSpan = (key: string): Span => decl?.settings.settings.find((s) => s.key.text === key)?.value.span ?? decl?.span ?? pipeline.name.span;
    const counts = new Map<string, number>();
    const resolved = evaluation.attacks.map((attack) => {
      const seen = (counts.get(attack.kind) ?? 0) + 1;
      counts.set(attack.kind, seen);
      const label = seen === 1 ? attack.kind : `${attack.kind}_${seen}`;
      if (attack.kind === 'natural') return { label, settings: attack };
      const ball = attack.ball ? { norm: attack.ball.kind, eps: attack.ball.eps } : inherited?.ball;
      if (!ball && !attackFailed) diagnostics.push(error('missing-argument', `evaluation attack \`${attack.kind}\` needs \`ball:\` because the pipeline has no attack to take it from`, settingSpan('attacks'), 'e.g. `pgd(steps: 10, ball: linf(8/255), step: 2/255)`'));
      if ((attack.kind === 'pgd' || attack.kind === 'cw') && attack.step === undefined && !inherited && !attackFailed) {
        diagnostics.push(error('missing-argument', `evaluation attack \`${attack.kind}\` needs \`step:\` because the pipeline has no attack to take it from`, settingSpan('attacks')));
      }
      const settingsWithStep = (attack.kind === 'pgd' || attack.kind === 'cw') && attack.step === undefined && inherited ? { ...attack, step: inherited.step } : attack;
      return ball ? { label, settings: settingsWithStep, ball } : { label, settings: settingsWithStep };
    });
    if (evaluation.select !== undefined && !resolved.some((a) => a.label === evaluation.select)) {
      diagnostics.push(error('unknown-name', `\`select\` names \`${evaluation.select}\`, which is not an attack of this evaluation`, settingSpan('select'), didYouMean(evaluation.select, resolved.map((a) => a.label)) ?? `its attacks are ${resolved.map((a) => `\`${a.label}\``).join(', ')}`));
    }
    out.push({ name, settings: evaluation, attacks: resolved });
  }
  return out;
}

export type { ConstValue };

// ---------------------------------------------------------------- source-level overrides

/**
 * Overrides of the form `attack.NAME.ARG=value` (an argument of an attack's `pgd(...)`) and
 * `let.NAME=value` (a pipeline constant) rewrite the pipeline's AST before checking, so their values
 * are checked exactly like source text; all other overrides are settings (overrides.ts).
 */
function applySourceOverrides(members: readonly A.PipelineMember[], overrides: readonly string[], diagnostics: Diagnostic[]): { members: A.PipelineMember[]; settingOverrides: string[] } {
  const out = [...members];
  const settingOverrides: string[] = [];
  for (const text of overrides) {
    const eq = text.indexOf('=');
    const key = eq > 0 ? text.slice(0, eq).trim() : '';
    const segments = key.split('.');
    if (segments[0] !== 'attack' && segments[0] !== 'let') {
      settingOverrides.push(text);
      continue;
    }
    const keySpan = (start: number, length: number): Span => ({ file: overrideFile, line: 1, col: start + 1, endLine: 1, endCol: start + length + 1, offset: start, endOffset: start + length });
    const expected = segments[0] === 'attack' ? 3 : 2;
    if (segments.length !== expected) {
      diagnostics.push(error('invalid-override', `\`${key}\` should be ${segments[0] === 'attack' ? '`attack.NAME.ARGUMENT`' : '`let.NAME`'}`, keySpan(0, key.length), segments[0] === 'attack' ? 'e.g. `attack.adv.steps=5`' : 'e.g. `let.beta=3`'));
      continue;
    }
    const value = parseOverrideExpression(text, eq + 1);
    if ('severity' in value) {
      diagnostics.push(value);
      continue;
    }
    const name = segments[1]!;
    const nameSpan = keySpan(segments[0].length + 1, name.length);
    const index = out.findIndex((m) => (segments[0] === 'attack' ? m.kind === 'AttackDeclaration' : m.kind === 'LetDeclaration') && 'name' in m && m.name?.text === name);
    if (index < 0) {
      const candidates = out.filter((m) => m.kind === (segments[0] === 'attack' ? 'AttackDeclaration' : 'LetDeclaration')).map((m) => (m as A.AttackDeclaration | A.LetDeclaration).name.text);
      diagnostics.push(error('unknown-name', `the pipeline has no ${segments[0] === 'attack' ? 'attack' : 'constant'} \`${name}\``, nameSpan, didYouMean(name, candidates)));
      continue;
    }
    const member = out[index]!;
    if (member.kind === 'LetDeclaration') {
      out[index] = { ...member, value };
      continue;
    }
    const attack = member as A.AttackDeclaration;
    const method = attack.method;
    if (method.kind !== 'CallExpr') continue;
    const argument = segments[2]!;
    const argName: A.Name = { kind: 'Name', text: argument, span: keySpan(key.length - argument.length, argument.length) };
    const args = [...method.args.filter((a) => a.name?.text !== argument), { kind: 'Argument' as const, name: argName, value, span: value.span }];
    out[index] = { ...attack, method: { ...method, args } };
  }
  return { members: out, settingOverrides };
}
