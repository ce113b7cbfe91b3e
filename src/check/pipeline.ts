/**
 * Resolving one pipeline into a ResolvedPipeline (resolved.ts). Declaration order inside a pipeline does not
 * matter; parts are resolved in dependency order: constants, data, models, schedules, states,
 * attacks, the outer objective, settings, evaluations.
 */
import { dirname, resolve } from 'node:path';
import type * as A from '../syntax/ast.js';
import type { Span } from '../syntax/span.js';
import { diagnostic, hasErrors, type Diagnostic } from '../syntax/diagnostic.js';
import { ConstScope, evaluateConstant } from './const-eval.js';
import { datasets, isDatasetName } from './datasets.js';
import { checkDataSizes } from './data-sizes.js';
import { checkAttack } from './attacks.js';
import { duplicate, type ProgramDefinitions } from './definitions.js';
import { resolveEvaluations } from './evaluations.js';
import { ExpressionChecker, requireScalar, type ExpressionScope } from './expressions.js';
import { collectStateDict, ModelBuilder } from './models.js';
import { inferShapes } from './shapes.js';
import { untrainableLayers } from './trainable.js';
import { applyOverrides } from './overrides.js';
import type { ResolvedAttack, ResolvedData, ResolvedModel, ResolvedPipeline, ResolvedSchedule, ResolvedState, Shape } from './resolved.js';
import { someNode, type TypedExpr } from '../typed/typed-expr.js';
import { settingsFromSource } from './settings-source.js';
import { applySourceOverrides } from './source-overrides.js';
import { checkState } from './states.js';
import { didYouMean } from './suggest.js';
import { describeType } from '../typed/expr-type.js';
import { shapeText } from '../util/shape-text.js';

export { collectDefinitions, type ProgramDefinitions } from './definitions.js';

/** Names every pipeline expression has; declaring them would shadow the data. */
const reservedNames = ['x', 'y', 'delta', 'epoch', 'step'];

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
      diagnostics.push(diagnostic('reservedName', name.span, { name: name.text }));
      continue;
    }
    const previous = named.get(name.text);
    if (previous) diagnostics.push(duplicate(name, previous));
    else named.set(name.text, name.span);
  }
  const single = <K extends A.PipelineMember['kind']>(kind: K, what: string): Extract<A.PipelineMember, { kind: K }> | undefined => {
    const found = members.filter((m): m is Extract<A.PipelineMember, { kind: K }> => m.kind === kind);
    for (const extra of found.slice(1)) diagnostics.push(diagnostic('pipelineHasOne', extra.span, { what }, `the first is at line ${found[0]!.span.line}`));
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
    diagnostics.push(diagnostic('noData', pipeline.name.span, { pipeline: pipeline.name.text }, 'add e.g. `data cifar10 { augment: [crop(4), flip] }`'));
    return undefined;
  }
  const datasetName = dataDecl.dataset.text;
  if (!isDatasetName(datasetName)) {
    diagnostics.push(diagnostic('unknownDataset', dataDecl.dataset.span, { name: datasetName }, didYouMean(datasetName, Object.keys(datasets)) ?? `the datasets are ${Object.keys(datasets).join(', ')}`));
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
    diagnostics.push(diagnostic('noModel', pipeline.name.span, { pipeline: pipeline.name.text }, 'add e.g. `model f = resnet18(classes: 10)`'));
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
      diagnostics.push(diagnostic('scheduleNotNumber', member.value.span, { name: member.name.text, found: describeType(value.type) }));
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
    diagnostics.push(diagnostic('noObjective', pipeline.name.span, { pipeline: pipeline.name.text }, 'add e.g. `minimize ce(f(x), y)`'));
  } else {
    const attackNames = new Set(attacks.map((a) => a.name));
    const checker = new ExpressionChecker({ ...baseScope('minimize'), attacks: attackNames, states: stateShapes, schedules: scheduleNames }, diagnostics);
    objective = checker.check(minimize.objective);
    if (objective && !requireScalar(objective, 'the `minimize` objective', diagnostics)) objective = undefined;
    for (const attack of attacks) {
      if (objective && !someNode(objective, (n) => n.kind === 'adversarial' && n.attack === attack.name)) {
        diagnostics.push(diagnostic('unusedAttack', attack.span, { name: attack.name }, `train on its result, e.g. \`minimize ce(f(${attack.name}), y)\``));
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
    diagnostics.push(diagnostic('lrNotSchedule', lrSetting?.value.span ?? pipeline.name.span, { name: settings.train.lr }, didYouMean(settings.train.lr, scheduleNames)));
  }
  const evaluations = settings ? resolveEvaluations(settings, attacks, members, pipeline, diagnostics) : [];
  if (settings) {
    const trainDecl = members.find((m): m is A.TrainDeclaration => m.kind === 'TrainDeclaration');
    checkDataSizes(settings, info, { data: dataDecl, train: trainDecl, evaluate: members.filter((m): m is A.EvaluateDeclaration => m.kind === 'EvaluateDeclaration') }, diagnostics);
  }

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
    diagnostics.push(diagnostic('modelIsNone', member.value.span, {}));
    return undefined;
  }
  const where = `model \`${member.name.text}\` (input shape ${shapeText(inputShape)} from ${datasetName})`;
  const outputShape = inferShapes(root, inputShape, where, diagnostics);
  if (!outputShape) return undefined;
  if (outputShape.length !== 1 || outputShape[0] !== classes) {
    diagnostics.push(diagnostic('modelClasses', member.value.span, { model: member.name.text, shape: shapeText(outputShape), dataset: datasetName, classes }, `the model should end in a layer with ${classes} outputs, e.g. \`classes: ${classes}\``));
    return undefined;
  }
  const untrainable = untrainableLayers(root, where);
  if (untrainable.length > 0) {
    diagnostics.push(...untrainable);
    return undefined;
  }
  // Report the definition as written (`wrn34_10`, even though it is defined as a `wide_resnet`) with every argument after defaults.
  const callee = member.value.kind === 'CallExpr' && member.value.callee.kind === 'Identifier' ? member.value.callee.name : member.value.kind === 'Identifier' ? member.value.name : undefined;
  const entry = callee ? builder.definition(callee) : undefined;
  const callArgs = member.value.kind === 'CallExpr' ? member.value.args : [];
  const args = entry ? (builder.bindDefinitionArguments(entry, callArgs, member.value.span, scope) ?? {}) : {};
  const weights = modelWeights(member, diagnostics);
  if (weights === null) return undefined;
  return {
    binding: member.name.text,
    definition: entry ? callee! : (root.definition ?? root.kind),
    args,
    root,
    inputShape,
    outputShape,
    stateDict: collectStateDict(root),
    ...(weights !== undefined ? { weights } : {}),
  };
}

/**
 * A model's `{ weights: "file.pt" }`: the checkpoint to start from, resolved relative to the .mat file.
 * Undefined when there is none; null (with a diagnostic) when the block is wrong.
 */
function modelWeights(member: A.ModelInstance, diagnostics: Diagnostic[]): string | undefined | null {
  let weights: string | undefined;
  for (const setting of member.settings?.settings ?? []) {
    if (setting.key.text !== 'weights') {
      diagnostics.push(diagnostic('unknownModelSetting', setting.key.span, { key: setting.key.text }, 'the only model setting is `weights: "file.pt"` (a .pt, .pth or .safetensors checkpoint)'));
      return null;
    }
    if (setting.value.kind !== 'StringLiteral') {
      diagnostics.push(diagnostic('weightsNotFile', setting.value.span, {}, 'e.g. `weights: "checkpoints/robust.pt"`'));
      return null;
    }
    weights = resolve(dirname(setting.span.file), setting.value.value);
  }
  return weights;
}
