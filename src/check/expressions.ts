/**
 * Typing objective, state and schedule expressions: names resolve to the pipeline's inputs, model,
 * attacks, states, schedules and constants; calls check against functions.ts; shapes flow through
 * the model (its output shape comes from models.ts). Produces TypedExpr trees (resolved.ts).
 */
import type * as A from '../syntax/ast.js';
import { diagnostic, type Diagnostic, type MessageId } from '../syntax/diagnostic.js';
import type { MessageArgs } from '../syntax/diagnostic-messages.js';
import { evaluateConstant, type ConstScope } from './const-eval.js';
import { arithmetic, arithmeticOpOf } from '../expr/operators.js';
import { broadcast, builtinFunctions, elementwiseBinaryResult, isFunctionName, scheduleFunctions } from './functions.js';
import type { ResolvedModel, Shape } from './resolved.js';
import type { TypedExpr } from '../typed/typed-expr.js';
import { didYouMean } from './suggest.js';
import { boolType, describeType, isScalarLike, numberType, scalarType, tensorType } from '../typed/expr-type.js';

/** Where an expression appears decides which names it may use. */
export type ExpressionPlace = 'attack' | 'minimize' | 'state' | 'schedule';

export interface ExpressionScope {
  place: ExpressionPlace;
  /** The attack whose objective this is (only then `delta` exists). */
  attack?: string;
  constants: ConstScope;
  models: ReadonlyMap<string, ResolvedModel>;
  /** Attacks whose result may be read here. */
  attacks: ReadonlySet<string>;
  /** States readable here, with their per-example shapes. */
  states: ReadonlyMap<string, Shape>;
  /** Schedules readable here. */
  schedules: ReadonlySet<string>;
  inputShape: Shape;
  classes: number;
  /** Declared names whose definitions failed to check: uses stay silent to avoid cascades. */
  failed: ReadonlySet<string>;
}

const builtinPlaceNames: Record<ExpressionPlace, string[]> = {
  attack: ['x', 'y', 'delta'],
  minimize: ['x', 'y'],
  state: ['x', 'y'],
  schedule: ['epoch', 'step'],
};

export class ExpressionChecker {
  constructor(private readonly scope: ExpressionScope, private readonly diagnostics: Diagnostic[]) {}

  private fail<K extends MessageId>(id: K, node: { span: A.Node['span'] }, args: MessageArgs<K>, hint?: string): undefined {
    this.diagnostics.push(diagnostic(id, node.span, args, hint));
    return undefined;
  }

  /** All names visible here, for suggestions. */
  private visibleNames(): string[] {
    const s = this.scope;
    return [
      ...builtinPlaceNames[s.place], ...s.constants.names(), ...s.models.keys(), ...s.attacks, ...s.states.keys(), ...s.schedules,
      ...(Object.keys(builtinFunctions) as (keyof typeof builtinFunctions)[]).filter((f) => s.place === 'schedule' || !builtinFunctions[f].scheduleOnly),
      ...(s.place === 'schedule' ? ['piecewise'] : []),
    ];
  }

  check(e: A.Expr): TypedExpr | undefined {
    const span = e.span;
    switch (e.kind) {
      case 'NumberLiteral':
        return { kind: 'constant', value: e.value, type: numberType, span };
      case 'BooleanLiteral':
        return this.scope.place === 'schedule' ? { kind: 'constant', value: e.value ? 1 : 0, type: boolType, span } : this.fail('conditionsInSchedules', e, {});
      case 'EpochExpr':
        if (e.at !== undefined) return { kind: 'constant', value: e.at, type: numberType, span };
        if (this.scope.place !== 'schedule') return this.fail('epochOnlyInSchedule', e, {}, 'declare `schedule s = ...epoch...` and use `s` here');
        return { kind: 'epoch', type: scalarType, span };
      case 'Identifier':
        return this.identifier(e);
      case 'UnaryExpr': {
        const operand = this.check(e.operand);
        if (!operand) return undefined;
        if (e.operator === 'not') {
          return operand.type.kind === 'bool' ? { kind: 'not', operand, type: boolType, span } : this.fail('notNeedsCondition', e.operand, { found: describeType(operand.type) });
        }
        if (operand.type.kind === 'labels' || operand.type.kind === 'bool') return this.fail('cannotNegate', e.operand, { found: describeType(operand.type) });
        if (e.operator === '+') return operand;
        if (operand.kind === 'constant' && operand.type.kind === 'number') return { ...operand, value: -operand.value, span };
        return { kind: 'negate', operand, type: operand.type, span };
      }
      case 'BinaryExpr':
        return this.binary(e);
      case 'ConditionalExpr': {
        if (this.scope.place !== 'schedule') return this.fail('conditionalOnlyInSchedules', e, {});
        const condition = this.check(e.condition);
        const then = this.check(e.then);
        const otherwise = this.check(e.otherwise);
        if (!condition || !then || !otherwise) return undefined;
        if (condition.type.kind !== 'bool') return this.fail('conditionNotComparison', e.condition, { found: describeType(condition.type) });
        return { kind: 'conditional', condition, then, otherwise, type: isScalarLike(then.type) && isScalarLike(otherwise.type) ? scalarType : then.type, span };
      }
      case 'CallExpr':
        return this.call(e);
      default:
        return this.fail('notAnExpression', e, {});
    }
  }

  private identifier(e: A.Identifier): TypedExpr | undefined {
    const s = this.scope;
    const span = e.span;
    const name = e.name;
    const builtins = builtinPlaceNames[s.place];
    if (s.failed.has(name)) return undefined;
    if (name === 'x' || name === 'y' || name === 'delta' || name === 'step') {
      if (builtins.includes(name)) {
        if (name === 'x') return { kind: 'input', type: tensorType(s.inputShape), span };
        if (name === 'y') return { kind: 'labels', type: { kind: 'labels', classes: s.classes }, span };
        if (name === 'delta') return { kind: 'delta', attack: s.attack!, type: tensorType(s.inputShape), span };
        return { kind: 'step', type: scalarType, span };
      }
      if (name === 'delta') return this.fail('deltaOutsideAttack', e, {}, 'outside the attack, use the attack\'s name for the adversarial input, e.g. `f(adv)`');
      if (name === 'step' && !s.constants.has('step')) return this.fail('stepOnlyInSchedule', e, {});
      if (name === 'x' || name === 'y') return this.fail('dataInSchedule', e, { name });
    }
    const constant = s.constants.get(name);
    if (constant !== undefined) {
      if (typeof constant !== 'number') return this.fail('constantNotNumber', e, { name });
      return { kind: 'constant', value: constant, type: numberType, span };
    }
    const stateShape = s.states.get(name);
    if (stateShape) return { kind: 'state', name, type: tensorType(stateShape), span };
    if (s.schedules.has(name)) return { kind: 'schedule', name, type: scalarType, span };
    if (s.attacks.has(name)) return { kind: 'adversarial', attack: name, type: tensorType(s.inputShape), span };
    if (s.models.has(name)) return this.fail('modelNotValue', e, { name });
    if (isFunctionName(name)) return this.fail('functionNotValue', e, { name });
    return this.fail('unknownName', e, { name }, didYouMean(name, this.visibleNames()));
  }

  private binary(e: A.BinaryExpr): TypedExpr | undefined {
    const left = this.check(e.left);
    const right = this.check(e.right);
    if (!left || !right) return undefined;
    const span = e.span;
    switch (e.operator) {
      case 'and':
      case 'or':
        if (left.type.kind !== 'bool' || right.type.kind !== 'bool') return this.fail('logicalNeedsConditions', e, { operator: e.operator });
        return { kind: 'logical', op: e.operator, left, right, type: boolType, span };
      case '==': case '!=': case '<': case '>': case '<=': case '>=':
        if (this.scope.place !== 'schedule') return this.fail('comparisonsOnlyInSchedules', { span: e.operatorSpan }, {});
        if (!isScalarLike(left.type) || !isScalarLike(right.type)) return this.fail('comparisonNeedsNumbers', e, {});
        return { kind: 'compare', op: e.operator, left, right, type: boolType, span };
      default: {
        if (e.operator === '^' && !isScalarLike(right.type)) return this.fail('exponentNotNumber', e.right, { found: describeType(right.type) });
        const type = broadcast(left.type, right.type);
        if (typeof type === 'string') return this.fail('operatorShapes', { span: e.operatorSpan }, { operator: e.operator, problem: type });
        const op = arithmeticOpOf[e.operator];
        if (left.kind === 'constant' && right.kind === 'constant' && type.kind === 'number') {
          return { kind: 'constant', value: arithmetic(op, left.value, right.value), type, span };
        }
        return { kind: 'binary', op, left, right, type, span };
      }
    }
  }

  private call(e: A.CallExpr): TypedExpr | undefined {
    if (e.callee.kind !== 'Identifier') return this.fail('calleeNotName', e.callee, {});
    const name = e.callee.name;
    const span = e.span;
    if (this.scope.failed.has(name)) return undefined;
    const model = this.scope.models.get(name);
    if (model) {
      const [arg, ...rest] = e.args;
      if (!arg || arg.name || rest.length > 0) return this.fail('modelTakesOneInput', e, { name });
      const input = this.check(arg.value);
      if (!input) return undefined;
      if (input.type.kind !== 'tensor' || input.type.shape.join(',') !== model.inputShape.join(',')) {
        return this.fail('modelInputShape', arg.value, { name, expected: describeType(tensorType(model.inputShape)).replace('a per-example tensor of shape ', ''), found: describeType(input.type) });
      }
      return { kind: 'apply_model', model: name, input, type: tensorType(model.outputShape), span };
    }
    if (name === 'piecewise') return this.piecewise(e);
    if (name === 'ema') return this.fail('emaOutsideState', e.callee, {});
    if (!isFunctionName(name)) {
      return this.fail('unknownFunction', e.callee, { name }, didYouMean(name, this.visibleNames()));
    }
    const rule = builtinFunctions[name];
    if (rule.scheduleOnly && this.scope.place !== 'schedule') return this.fail('onlyInSchedule', e.callee, { name });
    if (this.scope.place === 'schedule' && !scheduleFunctions.has(name)) {
      return this.fail('notInSchedule', e.callee, { name }, `schedules are numbers of the epoch and step; they may use ${[...scheduleFunctions, 'piecewise'].map((f) => `\`${f}\``).join(', ')}`);
    }
    const positional = e.args.filter((a) => !a.name);
    const binaryMinMax = (name === 'max' || name === 'min') && positional.length === 2;
    const expected = binaryMinMax ? 2 : name === 'max' || name === 'min' ? 1 : rule.parameters.length;
    if (positional.length !== expected) {
      return this.fail('functionArgumentCount', e, { name, expected, arguments: expected === 1 ? 'argument' : 'arguments', parameters: rule.parameters.slice(0, expected).join(', '), count: positional.length });
    }
    const options: Record<string, number | string> = {};
    for (const arg of e.args.filter((a) => a.name)) {
      const optionName = arg.name!.text;
      const kind = rule.options?.[optionName];
      if (!kind) return this.fail('noSuchOption', arg.name!, { name, option: optionName }, didYouMean(optionName, Object.keys(rule.options ?? {})));
      const value = evaluateConstant(arg.value, this.scope.constants, this.diagnostics, { symbols: true });
      if (value === undefined) return undefined;
      const accepted = kind === 'int' ? typeof value === 'number' && Number.isInteger(value) : kind === 'number' ? typeof value === 'number' : kind.includes(String(value));
      if (!accepted || typeof value === 'object') return this.fail('optionType', arg.value, { option: optionName, name, expected: typeof kind === 'string' ? `a ${kind === 'int' ? 'whole number' : 'number'}` : kind.map((k) => `\`${k}\``).join(' or ') });
      // Word options that name numbers are stored as numbers: `p: inf` is Infinity, `p: 2` is 2.
      options[optionName] = value === 'inf' ? Infinity : typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : typeof value === 'boolean' ? String(value) : value;
    }
    const args: TypedExpr[] = [];
    for (const arg of positional) {
      const typed = this.check(arg.value);
      if (!typed) return undefined;
      args.push(typed);
    }
    const result = binaryMinMax ? elementwiseBinaryResult(name, args[0]!.type, args[1]!.type) : rule.result(args.map((a) => a.type), options);
    if (typeof result === 'string') return this.fail('functionType', e, { message: result });
    return { kind: 'call', fn: name, args, options, type: result, span };
  }

  /** `piecewise(v0, {k1: v1, k2: v2})`: v0 up to epoch k1, v1 after epoch k1, v2 after epoch k2. */
  private piecewise(e: A.CallExpr): TypedExpr | undefined {
    if (this.scope.place !== 'schedule') return this.fail('piecewiseOnlyInSchedule', e.callee, {});
    const [initialArg, mapArg] = e.args;
    if (e.args.length !== 2 || !initialArg || !mapArg || initialArg.name || mapArg.name || mapArg.value.kind !== 'MapExpr') {
      return this.fail('piecewiseArguments', e, {});
    }
    const initial = this.check(initialArg.value);
    if (!initial) return undefined;
    const milestones: { epoch: number; value: TypedExpr }[] = [];
    for (const entry of mapArg.value.entries) {
      if (typeof entry.key !== 'number' || !Number.isInteger(entry.key) || entry.key < 1) return this.fail('milestoneEpoch', { span: entry.keySpan }, {});
      const value = this.check(entry.value);
      if (!value) return undefined;
      milestones.push({ epoch: entry.key, value });
    }
    milestones.sort((a, b) => a.epoch - b.epoch);
    return { kind: 'piecewise', initial, milestones, type: scalarType, span: e.span };
  }
}

/** A type for objectives: the scalar requirement, with the message used for non-scalar objectives. */
export function requireScalar(expr: TypedExpr, what: string, diagnostics: Diagnostic[]): boolean {
  if (isScalarLike(expr.type)) return true;
  diagnostics.push(diagnostic('notScalar', expr.span, { what, found: describeType(expr.type) }, 'reduce it to one number, e.g. with a loss such as `ce(...)` or with `mean(...)`'));
  return false;
}


