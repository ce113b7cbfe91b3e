/**
 * CST -> AST. Walks the concrete syntax tree produced by grammar/parser.ts and builds the typed AST
 * of src/syntax/ast.ts with a span on every node. The CST may be partial after error recovery; missing
 * pieces become `<missing>` identifiers so the builder never throws (the checker does not run on a
 * file with syntax errors, so these placeholders never reach it).
 */
import type { CstElement, CstNode, IToken } from 'chevrotain';
import type * as A from './ast.js';
import type { Span } from './span.js';
import { joinSpans } from './span.js';

type Children = Record<string, CstElement[] | undefined>;

function isToken(element: CstElement): element is IToken {
  return (element as IToken).image !== undefined;
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

  // ---- child access

  private nodes(node: CstNode, key: string): CstNode[] {
    return ((node.children as Children)[key] ?? []).filter((e): e is CstNode => !isToken(e));
  }
  private node(node: CstNode, key: string, index = 0): CstNode | undefined {
    return this.nodes(node, key)[index];
  }
  private tokens(node: CstNode, key: string): IToken[] {
    return ((node.children as Children)[key] ?? []).filter(isToken);
  }
  private token(node: CstNode, key: string, index = 0): IToken | undefined {
    return this.tokens(node, key)[index];
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
    for (const item of this.nodes(node, 'topLevelItem')) {
      const built = this.topLevelItem(item);
      if (built) items.push(built);
    }
    return { kind: 'SourceFile', file: this.fileName, items, span };
  }

  private topLevelItem(node: CstNode): A.TopLevelItem | undefined {
    const imp = this.node(node, 'importDeclaration');
    if (imp) return this.importDeclaration(imp);
    const letDecl = this.node(node, 'letDeclaration');
    if (letDecl) return this.letDeclaration(letDecl);
    const mod = this.node(node, 'moduleDefinition');
    if (mod) return this.moduleDefinition(mod);
    const pipe = this.node(node, 'pipelineDefinition');
    if (pipe) return this.pipelineDefinition(pipe);
    return undefined;
  }

  private importDeclaration(node: CstNode): A.ImportDeclaration {
    const str = this.token(node, 'StringLiteral');
    return {
      kind: 'ImportDeclaration',
      path: str && !str.isInsertedInRecovery ? unquote(str.image) : '',
      pathSpan: this.tokenSpan(str),
      span: this.nodeSpan(node),
    };
  }

  private letDeclaration(node: CstNode): A.LetDeclaration {
    return {
      kind: 'LetDeclaration',
      name: this.name(this.token(node, 'Identifier'), node),
      value: this.expressionOr(this.node(node, 'expression'), node),
      span: this.nodeSpan(node),
    };
  }

  private moduleDefinition(node: CstNode): A.ModuleDefinition {
    const params = this.node(node, 'parameterList');
    const body = this.node(node, 'moduleBody');
    const definition: A.ModuleDefinition = {
      kind: 'ModuleDefinition',
      moduleKind: this.token(node, 'Block') ? 'block' : 'model',
      name: this.name(this.token(node, 'Identifier'), node),
      parameters: params ? this.nodes(params, 'parameter').map((p) => this.parameter(p)) : [],
      span: this.nodeSpan(node),
    };
    if (body) definition.members = this.nodes(body, 'moduleMember').map((m) => this.moduleMember(m));
    else definition.body = this.expressionOr(this.node(node, 'expression'), node);
    return definition;
  }

  private parameter(node: CstNode): A.Parameter {
    const parameter: A.Parameter = { kind: 'Parameter', name: this.name(this.token(node, 'Identifier'), node), span: this.nodeSpan(node) };
    const def = this.node(node, 'expression');
    if (def) parameter.default = this.expression(def);
    return parameter;
  }

  private moduleMember(node: CstNode): A.ModuleMember {
    const letDecl = this.node(node, 'letDeclaration');
    if (letDecl) return this.letDeclaration(letDecl);
    const forward = this.node(node, 'forwardDefinition');
    if (forward) return this.forwardDefinition(forward);
    const layer = this.node(node, 'layerDeclaration') ?? node;
    return {
      kind: 'LayerDeclaration',
      name: this.name(this.token(layer, 'Identifier'), layer),
      value: this.expressionOr(this.node(layer, 'expression'), layer),
      span: this.nodeSpan(layer),
    };
  }

  private forwardDefinition(node: CstNode): A.ForwardDefinition {
    const expressions = this.nodes(node, 'expression');
    return {
      kind: 'ForwardDefinition',
      input: this.name(this.token(node, 'Identifier'), node),
      lets: this.nodes(node, 'letDeclaration').map((l) => this.letDeclaration(l)),
      result: this.expressionOr(expressions[expressions.length - 1], node),
      span: this.nodeSpan(node),
    };
  }

  private pipelineDefinition(node: CstNode): A.PipelineDefinition {
    const members: A.PipelineMember[] = [];
    for (const member of this.nodes(node, 'pipelineMember')) {
      const built = this.pipelineMember(member);
      if (built) members.push(built);
    }
    return { kind: 'PipelineDefinition', name: this.name(this.token(node, 'Identifier'), node), members, span: this.nodeSpan(node) };
  }

  private pipelineMember(node: CstNode): A.PipelineMember | undefined {
    const [key, child] = Object.entries(node.children as Children).find(([, v]) => v && v.length > 0) ?? [];
    if (!key || !child || isToken(child[0]!)) return undefined;
    const n = child[0] as CstNode;
    const span = this.nodeSpan(n);
    const name = (): A.Name => this.name(this.token(n, 'Identifier'), n);
    const expr = (i = 0): A.Expr => this.expressionOr(this.node(n, 'expression', i), n);
    switch (key) {
      case 'letDeclaration':
        return this.letDeclaration(n);
      case 'dataDeclaration': {
        const settings = this.node(n, 'settingsBlock');
        const data: A.DataDeclaration = { kind: 'DataDeclaration', dataset: name(), span };
        if (settings) data.settings = this.settingsBlock(settings);
        return data;
      }
      case 'modelInstance': {
        const settings = this.node(n, 'settingsBlock');
        const model: A.ModelInstance = { kind: 'ModelInstance', name: name(), value: expr(), span };
        if (settings) model.settings = this.settingsBlock(settings);
        return model;
      }
      case 'attackDeclaration':
        return { kind: 'AttackDeclaration', name: name(), method: expr(0), objective: expr(1), span };
      case 'minimizeDeclaration':
        return { kind: 'MinimizeDeclaration', objective: expr(), span };
      case 'stateDeclaration':
        return { kind: 'StateDeclaration', name: name(), value: expr(), span };
      case 'scheduleDeclaration':
        return { kind: 'ScheduleDeclaration', name: name(), value: expr(), span };
      case 'trainDeclaration':
        return { kind: 'TrainDeclaration', settings: this.settingsBlockOr(this.node(n, 'settingsBlock'), n), span };
      case 'evaluateDeclaration': {
        const evaluate: A.EvaluateDeclaration = {
          kind: 'EvaluateDeclaration',
          settings: this.settingsBlockOr(this.node(n, 'settingsBlock'), n),
          span,
        };
        const id = this.token(n, 'Identifier');
        if (id && !id.isInsertedInRecovery) evaluate.name = this.name(id, n);
        return evaluate;
      }
      default:
        return undefined;
    }
  }

  private settingsBlockOr(node: CstNode | undefined, owner: CstNode): A.SettingsBlock {
    return node ? this.settingsBlock(node) : { kind: 'SettingsBlock', settings: [], span: this.nodeSpan(owner) };
  }

  private settingsBlock(node: CstNode): A.SettingsBlock {
    const settings = this.nodes(node, 'setting').map((s): A.Setting => ({
      kind: 'Setting',
      key: this.name(this.token(s, 'Word'), s),
      value: this.expressionOr(this.node(s, 'expression'), s),
      span: this.nodeSpan(s),
    }));
    return { kind: 'SettingsBlock', settings, span: this.nodeSpan(node) };
  }

  // ---- expressions

  private expressionOr(node: CstNode | undefined, owner: CstNode): A.Expr {
    return node ? this.expression(node) : this.missing(this.nodeSpan(owner));
  }

  expression(node: CstNode): A.Expr {
    const conditional = this.node(node, 'conditionalExpression');
    if (conditional) {
      const [c, t, o] = [0, 1, 2].map((i) => this.expressionOr(this.node(conditional, 'expression', i), conditional)) as [A.Expr, A.Expr, A.Expr];
      return { kind: 'ConditionalExpr', condition: c, then: t, otherwise: o, span: this.nodeSpan(conditional) };
    }
    const or = this.node(node, 'orExpression');
    return or ? this.orExpression(or) : this.missing(this.nodeSpan(node));
  }

  /** Left-associative chains: operands[i+1] joins with operators[i]. */
  private chain(node: CstNode, operandKey: string, operatorKey: string, operand: (n: CstNode) => A.Expr, fixed?: A.BinaryOperator): A.Expr {
    const operands = this.nodes(node, operandKey).map(operand);
    const operators = this.tokens(node, operatorKey);
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

  private orExpression(node: CstNode): A.Expr {
    return this.chain(node, 'andExpression', 'Or', (n) => this.andExpression(n), 'or');
  }
  private andExpression(node: CstNode): A.Expr {
    return this.chain(node, 'comparisonExpression', 'And', (n) => this.comparisonExpression(n), 'and');
  }
  private comparisonExpression(node: CstNode): A.Expr {
    return this.chain(node, 'additiveExpression', 'ComparisonOperator', (n) => this.additiveExpression(n));
  }
  private additiveExpression(node: CstNode): A.Expr {
    return this.chain(node, 'multiplicativeExpression', 'AdditiveOperator', (n) => this.multiplicativeExpression(n));
  }
  private multiplicativeExpression(node: CstNode): A.Expr {
    return this.chain(node, 'unaryExpression', 'MultiplicativeOperator', (n) => this.unaryExpression(n));
  }

  private unaryExpression(node: CstNode): A.Expr {
    const power = this.node(node, 'powerExpression');
    if (power) return this.powerExpression(power);
    const operand = this.node(node, 'unaryExpression');
    const operator: A.UnaryOperator = this.token(node, 'Minus') ? '-' : this.token(node, 'Not') ? 'not' : '+';
    return {
      kind: 'UnaryExpr',
      operator,
      operand: operand ? this.unaryExpression(operand) : this.missing(this.nodeSpan(node)),
      span: this.nodeSpan(node),
    };
  }

  private powerExpression(node: CstNode): A.Expr {
    const postfix = this.node(node, 'postfixExpression');
    const base = postfix ? this.postfixExpression(postfix) : this.missing(this.nodeSpan(node));
    const exponentNode = this.node(node, 'unaryExpression');
    if (!exponentNode) return base;
    const exponent = this.unaryExpression(exponentNode);
    return {
      kind: 'BinaryExpr',
      operator: '^',
      left: base,
      right: exponent,
      operatorSpan: this.tokenSpan(this.token(node, 'Caret')),
      span: joinSpans(base.span, exponent.span),
    };
  }

  /** Calls and member accesses in source order (offsets sort the two kinds of suffix). */
  private postfixExpression(node: CstNode): A.Expr {
    const primary = this.node(node, 'primaryExpression');
    let result = primary ? this.primaryExpression(primary) : this.missing(this.nodeSpan(node));
    const argLists = this.nodes(node, 'argumentList').map((n) => ({ offset: n.location?.startOffset ?? 0, call: n as CstNode | undefined, member: undefined as IToken | undefined }));
    const members = this.tokens(node, 'Identifier').map((t) => ({ offset: t.startOffset, call: undefined as CstNode | undefined, member: t as IToken | undefined }));
    for (const suffix of [...argLists, ...members].sort((a, b) => a.offset - b.offset)) {
      if (suffix.call) {
        const args = this.nodes(suffix.call, 'argument').map((a) => this.argument(a));
        result = { kind: 'CallExpr', callee: result, args, span: joinSpans(result.span, this.nodeSpan(suffix.call)) };
      } else if (suffix.member) {
        const property = this.name(suffix.member, node);
        result = { kind: 'MemberExpr', object: result, property, span: joinSpans(result.span, property.span) };
      }
    }
    return result;
  }

  private argument(node: CstNode): A.Argument {
    const value = this.expressionOr(this.node(node, 'expression'), node);
    const nameToken = this.token(node, 'Word');
    const argument: A.Argument = { kind: 'Argument', value, span: this.nodeSpan(node) };
    if (nameToken) argument.name = this.name(nameToken, node);
    return argument;
  }

  private primaryExpression(node: CstNode): A.Expr {
    const span = this.nodeSpan(node);
    const num = this.token(node, 'NumberLiteral');
    if (num) return { kind: 'NumberLiteral', value: Number(num.image), text: num.image, span };
    const str = this.token(node, 'StringLiteral');
    if (str) return { kind: 'StringLiteral', value: unquote(str.image), span };
    if (this.token(node, 'True')) return { kind: 'BooleanLiteral', value: true, span };
    if (this.token(node, 'False')) return { kind: 'BooleanLiteral', value: false, span };
    if (this.token(node, 'None')) return { kind: 'NoneLiteral', span };
    const id = this.token(node, 'Identifier');
    if (id) return { kind: 'Identifier', name: id.isInsertedInRecovery ? '<missing>' : id.image, span };
    const epoch = this.node(node, 'epochExpression');
    if (epoch) {
      const at = this.token(epoch, 'NumberLiteral');
      return at ? { kind: 'EpochExpr', at: Number(at.image), span } : { kind: 'EpochExpr', span };
    }
    const paren = this.node(node, 'parenthesizedExpression');
    if (paren) {
      const inner = this.expressionOr(this.node(paren, 'expression'), paren);
      // Keep the parentheses in the span so carets underline what the user wrote.
      return { ...inner, span };
    }
    const list = this.node(node, 'listExpression');
    if (list) return { kind: 'ListExpr', items: this.nodes(list, 'expression').map((e) => this.expression(e)), span };
    const map = this.node(node, 'mapExpression');
    if (map) return { kind: 'MapExpr', entries: this.nodes(map, 'mapEntry').map((e) => this.mapEntry(e)), span };
    const seq = this.node(node, 'sequentialExpression');
    if (seq) return { kind: 'SequentialExpr', entries: this.sequentialEntries(seq), span };
    return this.missing(span);
  }

  private mapEntry(node: CstNode): A.MapEntry {
    const num = this.token(node, 'NumberLiteral');
    const id = this.token(node, 'Identifier');
    const str = this.token(node, 'StringLiteral');
    const keyToken = num ?? id ?? str;
    const key = num ? Number(num.image) : str ? unquote(str.image) : (id?.image ?? '<missing>');
    return { kind: 'MapEntry', key, keySpan: this.tokenSpan(keyToken), value: this.expressionOr(this.node(node, 'expression'), node), span: this.nodeSpan(node) };
  }

  private sequentialEntries(node: CstNode): A.SequentialEntry[] {
    return this.nodes(node, 'sequentialEntry').map((entry): A.SequentialEntry => {
      const repeat = this.node(entry, 'repeatEntry');
      if (repeat) {
        return {
          kind: 'RepeatEntry',
          count: this.expressionOr(this.node(repeat, 'expression'), repeat),
          entries: this.sequentialEntries(repeat),
          span: this.nodeSpan(repeat),
        };
      }
      return this.expressionOr(this.node(entry, 'expression'), entry);
    });
  }
}

/** Strip the quotes of a string literal and resolve backslash escapes. */
export function unquote(image: string): string {
  const body = image.slice(1, -1);
  return body.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c === 't' ? '\t' : c));
}
