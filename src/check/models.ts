/**
 * Models: instantiating `model`/`block` definitions into a resolved layer tree (names, kinds,
 * hyperparameters, state_dict tensors, forward graphs), then inferring shapes through it.
 *
 * Names follow PyTorch: a layer declared `conv1 = conv(...)` inside a block is the attribute
 * `conv1`; the entries of `sequential { ... }` are `0`, `1`, ... (layers without parameters such as
 * `relu` are numbered too, exactly like torch.nn.Sequential); `none` registers nothing; an empty
 * `sequential {}` registers an empty container (an identity, like the shortcut of a ResNet block).
 */
import type * as A from '../syntax/ast.js';
import type { Span } from '../syntax/span.js';
import { diagnostic, type Diagnostic } from '../syntax/diagnostic.js';
import { bindArguments } from './arguments.js';
import { ConstScope, describeConstant, evaluateConstant, type ConstValue } from './const-eval.js';
import { functionalKinds, initSchemeNames, isLeafKind, layerKinds, type ArgumentSpec, type LeafKind } from '../layers/index.js';
import type { ForwardGraph, ForwardStep, ResolvedLayer, TensorSpec } from './resolved.js';
import { didYouMean } from './suggest.js';
import { arithmeticOpOf } from '../expr/operators.js';

/** A definition and the constants of the file that defines it. */
export interface DefinitionEntry {
  definition: A.ModuleDefinition;
  scope: ConstScope;
}
export type ModuleRegistry = ReadonlyMap<string, DefinitionEntry>;

/** Tensor-free layer kinds, usable as functions inside `forward`. */
const forwardFunctions: readonly string[] = functionalKinds;

const joinPath = (parent: string, name: string): string => (parent ? `${parent}.${name}` : name);

export class ModelBuilder {
  /** Definitions being instantiated, to report recursion instead of looping. */
  private readonly active: string[] = [];

  constructor(private readonly registry: ModuleRegistry, private readonly diagnostics: Diagnostic[]) {}

  definition(name: string): DefinitionEntry | undefined {
    return this.registry.get(name);
  }

  /** Names that can start a layer expression, for suggestions. */
  layerNames(): string[] {
    return [...Object.keys(layerKinds), ...this.registry.keys()];
  }

  /**
   * Build the layer that `expr` denotes: a built-in layer, a definition call, `sequential { }`,
   * `if c then a else b`, or `none` (returned as the string 'none').
   */
  buildLayer(expr: A.Expr, scope: ConstScope, path: string, name: string): ResolvedLayer | 'none' | undefined {
    switch (expr.kind) {
      case 'NoneLiteral':
        return 'none';
      case 'ConditionalExpr': {
        const condition = evaluateConstant(expr.condition, scope, this.diagnostics);
        if (condition === undefined) return undefined;
        if (typeof condition !== 'boolean') {
          this.diagnostics.push(diagnostic('expectedCondition', expr.condition.span, { found: describeConstant(condition) }));
          return undefined;
        }
        return this.buildLayer(condition ? expr.then : expr.otherwise, scope, path, name);
      }
      case 'SequentialExpr':
        return this.buildSequential(expr, scope, path, name);
      case 'Identifier':
        return this.buildCall(expr.name, expr.span, [], expr.span, scope, path, name);
      case 'CallExpr':
        if (expr.callee.kind === 'Identifier') return this.buildCall(expr.callee.name, expr.callee.span, expr.args, expr.span, scope, path, name);
        break;
      default:
        break;
    }
    this.diagnostics.push(diagnostic('expectedLayer', expr.span, {}));
    return undefined;
  }

  private buildCall(callee: string, calleeSpan: Span, args: readonly A.Argument[], span: Span, scope: ConstScope, path: string, name: string): ResolvedLayer | 'none' | undefined {
    if (isLeafKind(callee)) return this.buildLeaf(callee, args, span, scope, path, name);
    const entry = this.registry.get(callee);
    if (entry) return this.instantiate(entry, args, span, scope, path, name);
    this.diagnostics.push(diagnostic('unknownLayer', calleeSpan, { name: callee }, didYouMean(callee, this.layerNames())));
    return undefined;
  }

  private buildLeaf(kind: LeafKind, args: readonly A.Argument[], span: Span, scope: ConstScope, path: string, name: string): ResolvedLayer | undefined {
    const spec = layerKinds[kind];
    const values = this.bindTyped(kind, spec.arguments, args, span, scope);
    if (!values) return undefined;
    const hyper = spec.hyper(values);
    return { name, path, kind, hyper, tensors: spec.tensors(hyper, values, path ? `${path}.` : ''), children: [], span };
  }

  /** Bind and type-check the arguments of a built-in layer, filling defaults. */
  private bindTyped(callee: string, specs: readonly ArgumentSpec[], args: readonly A.Argument[], span: Span, scope: ConstScope): Record<string, ConstValue> | undefined {
    const bound = bindArguments(callee, specs.map((s) => ({ name: s.name, required: s.default === undefined })), args, span, this.diagnostics);
    if (!bound) return undefined;
    const values: Record<string, ConstValue> = {};
    let ok = true;
    for (const spec of specs) {
      const arg = bound.get(spec.name);
      if (!arg) continue;
      const value = evaluateConstant(arg.value, scope, this.diagnostics, spec.type === 'init' ? { symbols: true } : {});
      if (value === undefined) { ok = false; continue; }
      const problem = typeProblem(spec, value);
      if (problem) {
        this.diagnostics.push(diagnostic('layerArgumentType', arg.value.span, { name: spec.name, callee, problem }, spec.type === 'init' ? didYouMean(String(value), initSchemeNames) : undefined));
        ok = false;
        continue;
      }
      values[spec.name] = value;
    }
    if (!ok) return undefined;
    for (const spec of specs) {
      if (values[spec.name] === undefined && spec.default !== undefined) {
        values[spec.name] = typeof spec.default === 'function' ? spec.default(values) : spec.default;
      }
    }
    return values;
  }

  /** Instantiate a `model`/`block` definition with arguments evaluated in the caller's scope. */
  instantiate(entry: DefinitionEntry, args: readonly A.Argument[], span: Span, callerScope: ConstScope, path: string, name: string): ResolvedLayer | 'none' | undefined {
    const def = entry.definition;
    const defName = def.name.text;
    if (this.active.includes(defName)) {
      this.diagnostics.push(diagnostic('recursiveModule', span, { name: defName, chain: [...this.active.slice(this.active.indexOf(defName)), defName].join(' -> ') }));
      return undefined;
    }
    const values = this.bindDefinitionArguments(entry, args, span, callerScope);
    if (!values) return undefined;
    const scope = new ConstScope(entry.scope);
    for (const [parameter, value] of Object.entries(values)) scope.set(parameter, value);
    this.active.push(defName);
    try {
      if (def.body) {
        const layer = this.buildLayer(def.body, scope, path, name);
        if (layer && layer !== 'none' && layer.definition === undefined) layer.definition = defName;
        return layer;
      }
      return this.buildBlock(def, scope, span, path, name);
    } finally {
      this.active.pop();
    }
  }

  /** The parameter values of a definition call: arguments evaluated in the caller's scope, then defaults. */
  bindDefinitionArguments(entry: DefinitionEntry, args: readonly A.Argument[], span: Span, callerScope: ConstScope): Record<string, ConstValue> | undefined {
    const def = entry.definition;
    const bound = bindArguments(def.name.text, def.parameters.map((p) => ({ name: p.name.text, required: p.default === undefined })), args, span, this.diagnostics);
    if (!bound) return undefined;
    // Defaults may refer to earlier parameters and to the defining file's constants.
    const scope = new ConstScope(entry.scope);
    const values: Record<string, ConstValue> = {};
    for (const parameter of def.parameters) {
      const arg = bound.get(parameter.name.text);
      const value = arg ? evaluateConstant(arg.value, callerScope, this.diagnostics) : evaluateConstant(parameter.default!, scope, this.diagnostics);
      if (value === undefined) return undefined;
      scope.set(parameter.name.text, value);
      values[parameter.name.text] = value;
    }
    return values;
  }

  private buildBlock(def: A.ModuleDefinition, scope: ConstScope, span: Span, path: string, name: string): ResolvedLayer | undefined {
    const children = new Map<string, ResolvedLayer>();
    const declared = new Map<string, Span>();
    let forward: A.ForwardDefinition | undefined;
    let ok = true;
    for (const member of def.members ?? []) {
      if (member.kind === 'ForwardDefinition') {
        if (forward) this.diagnostics.push(diagnostic('forwardTwice', member.span, { definition: def.name.text }));
        forward = member;
        continue;
      }
      const memberName = member.name.text;
      const previous = declared.get(memberName);
      if (previous) {
        this.diagnostics.push(diagnostic('alreadyDefinedIn', member.name.span, { name: memberName, definition: def.name.text }, `the first definition is at line ${previous.line}`));
        ok = false;
        continue;
      }
      declared.set(memberName, member.name.span);
      if (member.kind === 'LetDeclaration') {
        const value = evaluateConstant(member.value, scope, this.diagnostics);
        if (value === undefined) ok = false;
        else scope.set(memberName, value);
        continue;
      }
      const child = this.buildLayer(member.value, scope, joinPath(path, memberName), memberName);
      if (child === undefined) ok = false;
      else if (child !== 'none') children.set(memberName, child);
    }
    if (!ok) return undefined;
    const childList = [...children.values()];
    const graph = forward ? this.buildForward(forward, children, scope) : chainGraph(childList, span);
    if (!graph) return undefined;
    return { name, path, kind: 'block', definition: def.name.text, hyper: {}, tensors: [], children: childList, forward: graph, span };
  }

  private buildSequential(expr: A.SequentialExpr, scope: ConstScope, path: string, name: string): ResolvedLayer | undefined {
    const children: ResolvedLayer[] = [];
    let ok = true;
    const addEntries = (entries: readonly A.SequentialEntry[]): void => {
      for (const entry of entries) {
        if (entry.kind === 'RepeatEntry') {
          const count = evaluateConstant(entry.count, scope, this.diagnostics);
          if (count === undefined) { ok = false; continue; }
          if (typeof count !== 'number' || !Number.isInteger(count) || count < 0) {
            this.diagnostics.push(diagnostic('repeatCount', entry.count.span, { found: describeConstant(count) }));
            ok = false;
            continue;
          }
          for (let i = 0; i < count; i++) addEntries(entry.entries);
          continue;
        }
        const index = String(children.length);
        const child = this.buildLayer(entry, scope, joinPath(path, index), index);
        if (child === undefined) ok = false;
        else if (child === 'none') {
          this.diagnostics.push(diagnostic('noneInSequential', entry.span, {}));
          ok = false;
        } else children.push(child);
      }
    };
    addEntries(expr.entries);
    if (!ok) return undefined;
    return { name, path, kind: 'sequential', hyper: {}, tensors: [], children, forward: chainGraph(children, expr.span), span: expr.span };
  }

  // ---- forward graphs

  private buildForward(def: A.ForwardDefinition, children: ReadonlyMap<string, ResolvedLayer>, scope: ConstScope): ForwardGraph | undefined {
    const steps: ForwardStep[] = [{ id: 0, op: 'input', span: def.input.span }];
    const variables = new Map<string, number>([[def.input.text, 0]]);
    const context: ForwardContext = { steps, variables, children, scope };
    for (const let_ of def.lets) {
      if (variables.has(let_.name.text) || children.has(let_.name.text)) {
        this.diagnostics.push(diagnostic('alreadyDefined', let_.name.span, { name: let_.name.text }));
        return undefined;
      }
      const id = this.forwardValue(let_.value, context);
      if (id === undefined) return undefined;
      variables.set(let_.name.text, id);
    }
    const output = this.forwardValue(def.result, context);
    return output === undefined ? undefined : { steps, output };
  }

  private forwardValue(expr: A.Expr, c: ForwardContext): number | undefined {
    const add = (step: DistributiveOmit<ForwardStep, 'id'>): number => {
      const id = c.steps.length;
      c.steps.push({ ...step, id } as ForwardStep);
      return id;
    };
    switch (expr.kind) {
      case 'Identifier': {
        const id = c.variables.get(expr.name);
        if (id !== undefined) return id;
        if (c.children.has(expr.name)) {
          this.diagnostics.push(diagnostic('layerNotTensor', expr.span, { name: expr.name }));
          return undefined;
        }
        this.diagnostics.push(diagnostic('unknownName', expr.span, { name: expr.name }, didYouMean(expr.name, [...c.variables.keys(), ...c.children.keys()])));
        return undefined;
      }
      case 'ConditionalExpr': {
        const condition = evaluateConstant(expr.condition, c.scope, this.diagnostics);
        if (condition === undefined) return undefined;
        return this.forwardValue(condition === true ? expr.then : expr.otherwise, c);
      }
      case 'CallExpr': {
        if (expr.callee.kind !== 'Identifier') break;
        const callee = expr.callee.name;
        const child = c.children.get(callee);
        const [first, ...rest] = expr.args;
        if (child || forwardFunctions.includes(callee)) {
          if (!first || first.name) {
            this.diagnostics.push(diagnostic('forwardNeedsTensor', expr.span, { callee }));
            return undefined;
          }
          const input = this.forwardValue(first.value, c);
          if (input === undefined) return undefined;
          if (child) {
            if (rest.length > 0) this.diagnostics.push(diagnostic('layerTakesOneTensor', rest[0]!.span, { callee }));
            return add({ op: 'child', child: callee, input, span: expr.span });
          }
          return this.forwardFunction(callee as LeafKind, input, rest, expr.span, c, add);
        }
        this.diagnostics.push(diagnostic('unknownForwardFunction', expr.callee.span, { name: callee }, didYouMean(callee, [...c.children.keys(), ...forwardFunctions]) ?? (isLeafKind(callee) || this.registry.has(callee) ? `declare it first, e.g. \`${callee}1 = ${callee}(...)\`, then apply \`${callee}1(x)\`` : undefined)));
        return undefined;
      }
      case 'BinaryExpr': {
        if (expr.operator === '+' || expr.operator === '-' || expr.operator === '*') {
          const constantSide = expr.operator === '*' ? [expr.left, expr.right].find((side) => isConstantSyntax(side, c)) : undefined;
          if (constantSide) {
            const other = constantSide === expr.left ? expr.right : expr.left;
            const factor = evaluateConstant(constantSide, c.scope, this.diagnostics);
            const input = this.forwardValue(other, c);
            if (typeof factor !== 'number' || input === undefined) return undefined;
            return add({ op: 'scale', input, factor, span: expr.span });
          }
          const left = this.forwardValue(expr.left, c);
          const right = this.forwardValue(expr.right, c);
          if (left === undefined || right === undefined) return undefined;
          const op = arithmeticOpOf[expr.operator];
          return add({ op, inputs: [left, right], span: expr.span });
        }
        break;
      }
      default:
        break;
    }
    this.diagnostics.push(diagnostic('unsupportedInForward', expr.span, { functions: forwardFunctions.join(', ') }));
    return undefined;
  }

  private forwardFunction(fn: LeafKind, input: number, rest: readonly A.Argument[], span: Span, c: ForwardContext, add: (s: DistributiveOmit<ForwardStep, 'id'>) => number): number | undefined {
    const spec = layerKinds[fn];
    if (spec.arguments.length === 0 && rest.length > 0) {
      this.diagnostics.push(diagnostic('functionTakesOneTensor', rest[0]!.span, { callee: fn }));
      return undefined;
    }
    const values = this.bindTyped(fn, spec.arguments, rest, span, c.scope);
    if (!values) return undefined;
    return add({ op: fn, input, hyper: spec.hyper(values), span });
  }
}

interface ForwardContext {
  steps: ForwardStep[];
  variables: Map<string, number>;
  children: ReadonlyMap<string, ResolvedLayer>;
  scope: ConstScope;
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** The forward of a container without an explicit one: its children applied in order. */
function chainGraph(children: readonly ResolvedLayer[], span: Span): ForwardGraph {
  const steps: ForwardStep[] = [{ id: 0, op: 'input', span }];
  for (const child of children) steps.push({ id: steps.length, op: 'child', child: child.name, input: steps.length - 1, span: child.span });
  return { steps, output: steps.length - 1 };
}

/** Numbers and constants only: a forward sub-expression that is a scale factor, not a tensor. */
function isConstantSyntax(e: A.Expr, c: ForwardContext): boolean {
  switch (e.kind) {
    case 'NumberLiteral':
      return true;
    case 'Identifier':
      return !c.variables.has(e.name) && !c.children.has(e.name) && c.scope.has(e.name);
    case 'UnaryExpr':
      return isConstantSyntax(e.operand, c);
    case 'BinaryExpr':
      return isConstantSyntax(e.left, c) && isConstantSyntax(e.right, c);
    default:
      return false;
  }
}

function typeProblem(spec: ArgumentSpec, value: ConstValue): string | undefined {
  switch (spec.type) {
    case 'int':
      return typeof value === 'number' && Number.isInteger(value) && value >= 0 ? undefined : `must be a whole number but is ${describeConstant(value)}`;
    case 'number':
      return typeof value === 'number' ? undefined : `must be a number but is ${describeConstant(value)}`;
    case 'bool':
      return typeof value === 'boolean' ? undefined : `must be \`true\` or \`false\` but is ${describeConstant(value)}`;
    case 'numbers':
      return Array.isArray(value) && value.length > 0 ? undefined : `must be a non-empty list of numbers, e.g. \`[0.5, 0.5, 0.5]\`, but is ${describeConstant(value)}`;
    case 'init':
      return (initSchemeNames as readonly ConstValue[]).includes(value) ? undefined : `must be one of ${initSchemeNames.map((n) => `\`${n}\``).join(', ')} but is ${describeConstant(value)}`;
  }
}

/** Every state_dict entry below `layer`, in PyTorch order (own tensors, then children in registration order). */
export function collectStateDict(layer: ResolvedLayer): TensorSpec[] {
  return [...layer.tensors, ...layer.children.flatMap(collectStateDict)];
}
