/**
 * CST -> AST. Walks the concrete syntax tree produced by grammar/parser.ts and builds the typed AST
 * of src/syntax/ast.ts with a span on every node. The CST's types (grammar/cst.d.ts) are generated
 * from the parser, so every child this file reads is checked against the grammar by the compiler.
 * The CST may be partial after error recovery (every child is optional in those types); missing
 * pieces become `<missing>` identifiers so the builder never throws (the checker does not run on a
 * file with syntax errors, so these placeholders never reach it).
 */
import type { CstNode, IToken } from 'chevrotain';
import type * as C from '../../grammar/cst.js';
import type * as A from './ast.js';
import type { Span } from './span.js';
import { joinSpans } from './span.js';

/** The i-th element of an optional CST child list. */
function at<T>(list: readonly T[] | undefined, index = 0): T | undefined {
  return list?.[index];
}

/** A CST node of the rule `name`, checked: the entry points take chevrotain's untyped CstNode. */
function ofRule<N extends CstNode>(node: CstNode, name: N['name']): N {
  if (node.name !== name) throw new Error(`internal: expected a ${name} CST node, got ${node.name}`);
  return node as N;
}

export class AstBuilder {
  constructor(private readonly fileName: string, private readonly fallback: Span) {}

  // ---- span helpers

  tokenSpan(token: IToken | undefined): Span {
    if (!token || Number.isNaN(token.startOffset) || token.endOffset === undefined || Number.isNaN(token.endOffset)) return this.fallback;
    return {
      file: this.fileName,
      line: token.startLine ?? 1,
      col: token.startColumn ?? 1,
      endLine: token.endLine ?? token.startLine ?? 1,
      endCol: (token.endColumn ?? token.startColumn ?? 0) + 1,
      offset: token.startOffset,
      endOffset: token.endOffset + 1,
    };
  }

  nodeSpan(node: CstNode): Span {
    const loc = node.location;
    if (!loc || Number.isNaN(loc.startOffset) || loc.endOffset === undefined || Number.isNaN(loc.endOffset)) return this.fallback;
    return {
      file: this.fileName,
      line: loc.startLine ?? 1,
      col: loc.startColumn ?? 1,
      endLine: loc.endLine ?? 1,
      endCol: (loc.endColumn ?? 0) + 1,
      offset: loc.startOffset,
      endOffset: loc.endOffset + 1,
    };
  }

  private name(token: IToken | undefined, owner: CstNode): A.Name {
    if (!token || token.isInsertedInRecovery) return { kind: 'Name', text: '<missing>', span: this.nodeSpan(owner) };
    return { kind: 'Name', text: token.image, span: this.tokenSpan(token) };
  }
  private missing(span: Span): A.Identifier {
    return { kind: 'Identifier', name: '<missing>', span };
  }

  // ---- declarations

  sourceFile(node: CstNode, span: Span): A.SourceFile {
    const items: A.TopLevelItem[] = [];
    for (const item of ofRule<C.FileCstNode>(node, 'file').children.topLevelItem ?? []) {
      const built = this.topLevelItem(item);
      if (built) items.push(built);
    }
    return { kind: 'SourceFile', file: this.fileName, items, span };
  }

  private topLevelItem(node: C.TopLevelItemCstNode): A.TopLevelItem | undefined {
    const c = node.children;
    const imp = at(c.importDeclaration);
    if (imp) return this.importDeclaration(imp);
    const letDecl = at(c.letDeclaration);
    if (letDecl) return this.letDeclaration(letDecl);
    const mod = at(c.moduleDefinition);
    if (mod) return this.moduleDefinition(mod);
    const pipe = at(c.pipelineDefinition);
    if (pipe) return this.pipelineDefinition(pipe);
    return undefined;
  }

  private importDeclaration(node: C.ImportDeclarationCstNode): A.ImportDeclaration {
    const str = at(node.children.StringLiteral);
    return {
      kind: 'ImportDeclaration',
      path: str && !str.isInsertedInRecovery ? unquote(str.image) : '',
      pathSpan: this.tokenSpan(str),
      span: this.nodeSpan(node),
    };
  }

  private letDeclaration(node: C.LetDeclarationCstNode): A.LetDeclaration {
    return {
      kind: 'LetDeclaration',
      name: this.name(at(node.children.Identifier), node),
      value: this.expressionOr(at(node.children.expression), node),
      span: this.nodeSpan(node),
    };
  }

  private moduleDefinition(node: C.ModuleDefinitionCstNode): A.ModuleDefinition {
    const c = node.children;
    const params = at(c.parameterList);
    const body = at(c.moduleBody);
    const definition: A.ModuleDefinition = {
      kind: 'ModuleDefinition',
      moduleKind: at(c.Block) ? 'block' : 'model',
      name: this.name(at(c.Identifier), node),
      parameters: (params?.children.parameter ?? []).map((p) => this.parameter(p)),
      span: this.nodeSpan(node),
    };
    if (body) definition.members = (body.children.moduleMember ?? []).map((m) => this.moduleMember(m));
    else definition.body = this.expressionOr(at(c.expression), node);
    return definition;
  }

  private parameter(node: C.ParameterCstNode): A.Parameter {
    const parameter: A.Parameter = { kind: 'Parameter', name: this.name(at(node.children.Identifier), node), span: this.nodeSpan(node) };
    const def = at(node.children.expression);
    if (def) parameter.default = this.expr(def);
    return parameter;
  }

  private moduleMember(node: C.ModuleMemberCstNode): A.ModuleMember {
    const letDecl = at(node.children.letDeclaration);
    if (letDecl) return this.letDeclaration(letDecl);
    const forward = at(node.children.forwardDefinition);
    if (forward) return this.forwardDefinition(forward);
    // A member that recovery left empty becomes a layer with a missing name and value.
    const layer = at(node.children.layerDeclaration);
    const owner = layer ?? node;
    return {
      kind: 'LayerDeclaration',
      name: this.name(at(layer?.children.Identifier), owner),
      value: this.expressionOr(at(layer?.children.expression), owner),
      span: this.nodeSpan(owner),
    };
  }

  private forwardDefinition(node: C.ForwardDefinitionCstNode): A.ForwardDefinition {
    const expressions = node.children.expression ?? [];
    return {
      kind: 'ForwardDefinition',
      input: this.name(at(node.children.Identifier), node),
      lets: (node.children.letDeclaration ?? []).map((l) => this.letDeclaration(l)),
      result: this.expressionOr(expressions[expressions.length - 1], node),
      span: this.nodeSpan(node),
    };
  }

  private pipelineDefinition(node: C.PipelineDefinitionCstNode): A.PipelineDefinition {
    const members: A.PipelineMember[] = [];
    for (const member of node.children.pipelineMember ?? []) {
      const built = this.pipelineMember(member);
      if (built) members.push(built);
    }
    return { kind: 'PipelineDefinition', name: this.name(at(node.children.Identifier), node), members, span: this.nodeSpan(node) };
  }

  private pipelineMember(node: C.PipelineMemberCstNode): A.PipelineMember | undefined {
    const c = node.children;
    const name = (n: CstNode & { children: { Identifier?: IToken[] } }): A.Name => this.name(at(n.children.Identifier), n);
    const expr = (n: CstNode & { children: { expression?: C.ExpressionCstNode[] } }, i = 0): A.Expr => this.expressionOr(at(n.children.expression, i), n);
    const letDecl = at(c.letDeclaration);
    if (letDecl) return this.letDeclaration(letDecl);
    const data = at(c.dataDeclaration);
    if (data) {
      const settings = at(data.children.settingsBlock);
      const built: A.DataDeclaration = { kind: 'DataDeclaration', dataset: name(data), span: this.nodeSpan(data) };
      if (settings) built.settings = this.settingsBlock(settings);
      return built;
    }
    const model = at(c.modelInstance);
    if (model) {
      const settings = at(model.children.settingsBlock);
      const built: A.ModelInstance = { kind: 'ModelInstance', name: name(model), value: expr(model), span: this.nodeSpan(model) };
      if (settings) built.settings = this.settingsBlock(settings);
      return built;
    }
    const attack = at(c.attackDeclaration);
    if (attack) return { kind: 'AttackDeclaration', name: name(attack), method: expr(attack, 0), objective: expr(attack, 1), span: this.nodeSpan(attack) };
    const minimize = at(c.minimizeDeclaration);
    if (minimize) return { kind: 'MinimizeDeclaration', objective: expr(minimize), span: this.nodeSpan(minimize) };
    const state = at(c.stateDeclaration);
    if (state) return { kind: 'StateDeclaration', name: name(state), value: expr(state), span: this.nodeSpan(state) };
    const schedule = at(c.scheduleDeclaration);
    if (schedule) return { kind: 'ScheduleDeclaration', name: name(schedule), value: expr(schedule), span: this.nodeSpan(schedule) };
    const train = at(c.trainDeclaration);
    if (train) return { kind: 'TrainDeclaration', settings: this.settingsBlockOr(at(train.children.settingsBlock), train), span: this.nodeSpan(train) };
    const evaluate = at(c.evaluateDeclaration);
    if (evaluate) {
      const built: A.EvaluateDeclaration = { kind: 'EvaluateDeclaration', settings: this.settingsBlockOr(at(evaluate.children.settingsBlock), evaluate), span: this.nodeSpan(evaluate) };
      const id = at(evaluate.children.Identifier);
      if (id && !id.isInsertedInRecovery) built.name = this.name(id, evaluate);
      return built;
    }
    return undefined;
  }

  private settingsBlockOr(node: C.SettingsBlockCstNode | undefined, owner: CstNode): A.SettingsBlock {
    return node ? this.settingsBlock(node) : { kind: 'SettingsBlock', settings: [], span: this.nodeSpan(owner) };
  }

  private settingsBlock(node: C.SettingsBlockCstNode): A.SettingsBlock {
    const settings = (node.children.setting ?? []).map((s): A.Setting => ({
      kind: 'Setting',
      key: this.name(at(s.children.Word), s),
      value: this.expressionOr(at(s.children.expression), s),
      span: this.nodeSpan(s),
    }));
    return { kind: 'SettingsBlock', settings, span: this.nodeSpan(node) };
  }

  // ---- expressions

  private expressionOr(node: C.ExpressionCstNode | undefined, owner: CstNode): A.Expr {
    return node ? this.expr(node) : this.missing(this.nodeSpan(owner));
  }

  /** An `expression` node (the parser's `expression` rule, also used for --set values). */
  expression(cst: CstNode): A.Expr {
    return this.expr(ofRule<C.ExpressionCstNode>(cst, 'expression'));
  }

  private expr(node: C.ExpressionCstNode): A.Expr {
    const conditional = at(node.children.conditionalExpression);
    if (conditional) {
      const [c, t, o] = [0, 1, 2].map((i) => this.expressionOr(at(conditional.children.expression, i), conditional)) as [A.Expr, A.Expr, A.Expr];
      return { kind: 'ConditionalExpr', condition: c, then: t, otherwise: o, span: this.nodeSpan(conditional) };
    }
    const or = at(node.children.orExpression);
    return or ? this.orExpression(or) : this.missing(this.nodeSpan(node));
  }

  /** Left-associative chains: operands[i+1] joins with operators[i]. */
  private chain<T>(node: CstNode, operandNodes: T[] | undefined, operators: IToken[] = [], operand: (n: T) => A.Expr, fixed?: A.BinaryOperator): A.Expr {
    const operands = (operandNodes ?? []).map(operand);
    let result = operands[0] ?? this.missing(this.nodeSpan(node));
    for (let i = 1; i < operands.length; i++) {
      const right = operands[i]!;
      const opToken = operators[i - 1];
      result = {
        kind: 'BinaryExpr',
        operator: fixed ?? ((opToken?.image ?? '+') as A.BinaryOperator),
        left: result,
        right,
        operatorSpan: this.tokenSpan(opToken),
        span: joinSpans(result.span, right.span),
      };
    }
    return result;
  }

  private orExpression(node: C.OrExpressionCstNode): A.Expr {
    return this.chain(node, node.children.andExpression, node.children.Or, (n) => this.andExpression(n), 'or');
  }
  private andExpression(node: C.AndExpressionCstNode): A.Expr {
    return this.chain(node, node.children.comparisonExpression, node.children.And, (n) => this.comparisonExpression(n), 'and');
  }
  private comparisonExpression(node: C.ComparisonExpressionCstNode): A.Expr {
    return this.chain(node, node.children.additiveExpression, node.children.ComparisonOperator, (n) => this.additiveExpression(n));
  }
  private additiveExpression(node: C.AdditiveExpressionCstNode): A.Expr {
    return this.chain(node, node.children.multiplicativeExpression, node.children.AdditiveOperator, (n) => this.multiplicativeExpression(n));
  }
  private multiplicativeExpression(node: C.MultiplicativeExpressionCstNode): A.Expr {
    return this.chain(node, node.children.unaryExpression, node.children.MultiplicativeOperator, (n) => this.unaryExpression(n));
  }

  private unaryExpression(node: C.UnaryExpressionCstNode): A.Expr {
    const c = node.children;
    const power = at(c.powerExpression);
    if (power) return this.powerExpression(power);
    const operand = at(c.unaryExpression);
    const operator: A.UnaryOperator = at(c.Minus) ? '-' : at(c.Not) ? 'not' : '+';
    return {
      kind: 'UnaryExpr',
      operator,
      operand: operand ? this.unaryExpression(operand) : this.missing(this.nodeSpan(node)),
      span: this.nodeSpan(node),
    };
  }

  private powerExpression(node: C.PowerExpressionCstNode): A.Expr {
    const postfix = at(node.children.postfixExpression);
    const base = postfix ? this.postfixExpression(postfix) : this.missing(this.nodeSpan(node));
    const exponentNode = at(node.children.unaryExpression);
    if (!exponentNode) return base;
    const exponent = this.unaryExpression(exponentNode);
    return {
      kind: 'BinaryExpr',
      operator: '^',
      left: base,
      right: exponent,
      operatorSpan: this.tokenSpan(at(node.children.Caret)),
      span: joinSpans(base.span, exponent.span),
    };
  }

  /** Calls and member accesses in source order (offsets sort the two kinds of suffix). */
  private postfixExpression(node: C.PostfixExpressionCstNode): A.Expr {
    const primary = at(node.children.primaryExpression);
    let result = primary ? this.primaryExpression(primary) : this.missing(this.nodeSpan(node));
    type Suffix = { offset: number; call?: C.ArgumentListCstNode; member?: IToken };
    const argLists = (node.children.argumentList ?? []).map((n): Suffix => ({ offset: n.location?.startOffset ?? 0, call: n }));
    const members = (node.children.Identifier ?? []).map((t): Suffix => ({ offset: t.startOffset, member: t }));
    for (const suffix of [...argLists, ...members].sort((a, b) => a.offset - b.offset)) {
      if (suffix.call) {
        const args = (suffix.call.children.argument ?? []).map((a) => this.argument(a));
        result = { kind: 'CallExpr', callee: result, args, span: joinSpans(result.span, this.nodeSpan(suffix.call)) };
      } else if (suffix.member) {
        const property = this.name(suffix.member, node);
        result = { kind: 'MemberExpr', object: result, property, span: joinSpans(result.span, property.span) };
      }
    }
    return result;
  }

  private argument(node: C.ArgumentCstNode): A.Argument {
    const value = this.expressionOr(at(node.children.expression), node);
    const nameToken = at(node.children.Word);
    const argument: A.Argument = { kind: 'Argument', value, span: this.nodeSpan(node) };
    if (nameToken) argument.name = this.name(nameToken, node);
    return argument;
  }

  private primaryExpression(node: C.PrimaryExpressionCstNode): A.Expr {
    const c = node.children;
    const span = this.nodeSpan(node);
    const num = at(c.NumberLiteral);
    if (num) return { kind: 'NumberLiteral', value: Number(num.image), text: num.image, span };
    const str = at(c.StringLiteral);
    if (str) return { kind: 'StringLiteral', value: unquote(str.image), span };
    if (at(c.True)) return { kind: 'BooleanLiteral', value: true, span };
    if (at(c.False)) return { kind: 'BooleanLiteral', value: false, span };
    if (at(c.None)) return { kind: 'NoneLiteral', span };
    const id = at(c.Identifier);
    if (id) return { kind: 'Identifier', name: id.isInsertedInRecovery ? '<missing>' : id.image, span };
    const epoch = at(c.epochExpression);
    if (epoch) {
      const when = at(epoch.children.NumberLiteral);
      return when ? { kind: 'EpochExpr', at: Number(when.image), span } : { kind: 'EpochExpr', span };
    }
    const paren = at(c.parenthesizedExpression);
    if (paren) {
      const inner = this.expressionOr(at(paren.children.expression), paren);
      // Keep the parentheses in the span so carets underline what the user wrote.
      return { ...inner, span };
    }
    const list = at(c.listExpression);
    if (list) return { kind: 'ListExpr', items: (list.children.expression ?? []).map((e) => this.expr(e)), span };
    const map = at(c.mapExpression);
    if (map) return { kind: 'MapExpr', entries: (map.children.mapEntry ?? []).map((e) => this.mapEntry(e)), span };
    const seq = at(c.sequentialExpression);
    if (seq) return { kind: 'SequentialExpr', entries: this.sequentialEntries(seq.children.sequentialEntry), span };
    return this.missing(span);
  }

  private mapEntry(node: C.MapEntryCstNode): A.MapEntry {
    const num = at(node.children.NumberLiteral);
    const id = at(node.children.Identifier);
    const str = at(node.children.StringLiteral);
    const keyToken = num ?? id ?? str;
    const key = num ? Number(num.image) : str ? unquote(str.image) : (id?.image ?? '<missing>');
    return { kind: 'MapEntry', key, keySpan: this.tokenSpan(keyToken), value: this.expressionOr(at(node.children.expression), node), span: this.nodeSpan(node) };
  }

  private sequentialEntries(entries: C.SequentialEntryCstNode[] | undefined): A.SequentialEntry[] {
    return (entries ?? []).map((entry): A.SequentialEntry => {
      const repeat = at(entry.children.repeatEntry);
      if (repeat) {
        return {
          kind: 'RepeatEntry',
          count: this.expressionOr(at(repeat.children.expression), repeat),
          entries: this.sequentialEntries(repeat.children.sequentialEntry),
          span: this.nodeSpan(repeat),
        };
      }
      return this.expressionOr(at(entry.children.expression), entry);
    });
  }
}

/** Strip the quotes of a string literal and resolve backslash escapes. */
export function unquote(image: string): string {
  const body = image.slice(1, -1);
  return body.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c === 't' ? '\t' : c));
}
