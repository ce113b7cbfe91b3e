/**
 * AST -> source text, with the minimum of parentheses. Printing then parsing gives back the same
 * AST (up to spans); the parser tests rely on this, and a formatter (`matc fmt`) can build on it.
 */
import type * as A from './ast.js';

/** Binding strength, loosest first (matches the rule order of grammar/parser.ts). */
const enum Level { Conditional, Or, And, Comparison, Additive, Multiplicative, Unary, Power, Postfix }

function level(e: A.Expr): Level {
  switch (e.kind) {
    case 'ConditionalExpr': return Level.Conditional;
    case 'UnaryExpr': return Level.Unary;
    case 'BinaryExpr':
      switch (e.operator) {
        case 'or': return Level.Or;
        case 'and': return Level.And;
        case '+': case '-': return Level.Additive;
        case '*': case '/': return Level.Multiplicative;
        case '^': return Level.Power;
        default: return Level.Comparison;
      }
    default: return Level.Postfix;
  }
}

const wrap = (text: string, needed: boolean): string => (needed ? `(${text})` : text);
const quote = (s: string): string => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/\t/g, '\\t')}"`;
const isWord = (s: string): boolean => /^[A-Za-z_]\w*$/.test(s);

export function printExpr(e: A.Expr): string {
  switch (e.kind) {
    case 'NumberLiteral': return e.text;
    case 'StringLiteral': return quote(e.value);
    case 'BooleanLiteral': return String(e.value);
    case 'NoneLiteral': return 'none';
    case 'EpochExpr': return e.at === undefined ? 'epoch' : `epoch ${e.at}`;
    case 'Identifier': return e.name;
    case 'UnaryExpr': {
      const operand = wrap(printExpr(e.operand), level(e.operand) < Level.Unary);
      return e.operator === 'not' ? `not ${operand}` : `${e.operator}${operand}`;
    }
    case 'BinaryExpr': {
      const own = level(e);
      if (e.operator === '^') {
        // Right associative; the exponent is a unary expression.
        return `${wrap(printExpr(e.left), level(e.left) <= Level.Power)}^${wrap(printExpr(e.right), level(e.right) < Level.Unary)}`;
      }
      const nonAssociative = own === Level.Comparison;
      const left = wrap(printExpr(e.left), level(e.left) < own || (nonAssociative && level(e.left) === own));
      const right = wrap(printExpr(e.right), level(e.right) <= own);
      return `${left} ${e.operator} ${right}`;
    }
    case 'CallExpr': {
      const args = e.args.map((a) => (a.name ? `${a.name.text}: ` : '') + printExpr(a.value));
      return `${wrap(printExpr(e.callee), level(e.callee) < Level.Postfix)}(${args.join(', ')})`;
    }
    case 'MemberExpr': return `${wrap(printExpr(e.object), level(e.object) < Level.Postfix)}.${e.property.text}`;
    case 'ListExpr': return `[${e.items.map(printExpr).join(', ')}]`;
    case 'MapExpr':
      return `{${e.entries.map((m) => `${typeof m.key === 'number' ? String(m.key) : isWord(m.key) ? m.key : quote(m.key)}: ${printExpr(m.value)}`).join(', ')}}`;
    case 'ConditionalExpr': return `if ${printExpr(e.condition)} then ${printExpr(e.then)} else ${printExpr(e.otherwise)}`;
    case 'SequentialExpr': return `sequential { ${printEntries(e.entries)} }`.replace('{  }', '{}');
  }
}

function printEntries(entries: readonly A.SequentialEntry[]): string {
  return entries.map((entry) => (entry.kind === 'RepeatEntry' ? `repeat ${printExpr(entry.count)} { ${printEntries(entry.entries)} }` : printExpr(entry))).join(' ');
}

const printLet = (l: A.LetDeclaration): string => `let ${l.name.text} = ${printExpr(l.value)}`;
const printSettings = (b: A.SettingsBlock): string => `{ ${b.settings.map((s) => `${s.key.text}: ${printExpr(s.value)}`).join(', ')} }`;

function printMember(m: A.PipelineMember): string {
  switch (m.kind) {
    case 'LetDeclaration': return printLet(m);
    case 'DataDeclaration': return `data ${m.dataset.text}${m.settings ? ` ${printSettings(m.settings)}` : ''}`;
    case 'ModelInstance': return `model ${m.name.text} = ${printExpr(m.value)}`;
    case 'AttackDeclaration': return `attack ${m.name.text} = ${printExpr(m.method)} {\n    maximize ${printExpr(m.objective)}\n  }`;
    case 'MinimizeDeclaration': return `minimize ${printExpr(m.objective)}`;
    case 'StateDeclaration': return `state ${m.name.text} = ${printExpr(m.value)}`;
    case 'ScheduleDeclaration': return `schedule ${m.name.text} = ${printExpr(m.value)}`;
    case 'TrainDeclaration': return `train ${printSettings(m.settings)}`;
    case 'EvaluateDeclaration': return `evaluate ${m.name ? `${m.name.text} ` : ''}${printSettings(m.settings)}`;
  }
}

function printModule(d: A.ModuleDefinition): string {
  const params = d.parameters.length ? `(${d.parameters.map((p) => p.name.text + (p.default ? ` = ${printExpr(p.default)}` : '')).join(', ')})` : '';
  const head = `${d.moduleKind} ${d.name.text}${params}`;
  if (d.body) return `${head} = ${printExpr(d.body)}`;
  const members = (d.members ?? []).map((m) => {
    if (m.kind === 'LetDeclaration') return `  ${printLet(m)}`;
    if (m.kind === 'LayerDeclaration') return `  ${m.name.text} = ${printExpr(m.value)}`;
    return `  forward(${m.input.text}) {\n${m.lets.map((l) => `    ${printLet(l)}\n`).join('')}    return ${printExpr(m.result)}\n  }`;
  });
  return `${head} {\n${members.join('\n')}\n}`;
}

export function printSourceFile(file: A.SourceFile): string {
  return file.items.map((item) => {
    switch (item.kind) {
      case 'ImportDeclaration': return `import ${quote(item.path)}`;
      case 'LetDeclaration': return printLet(item);
      case 'ModuleDefinition': return printModule(item);
      case 'PipelineDefinition': return `pipeline ${item.name.text} {\n${item.members.map((m) => `  ${printMember(m)}`).join('\n')}\n}`;
    }
  }).join('\n\n') + '\n';
}
