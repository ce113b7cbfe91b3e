/** `attack NAME = pgd(ball:, step:, steps:, start:, step_rule:) { maximize objective }`. */
import type * as A from '../syntax/ast.js';
import { diagnostic, type Diagnostic } from '../syntax/diagnostic.js';
import { describeConstant, evaluateConstant, type ConstScope } from './const-eval.js';
import { ExpressionChecker, requireScalar, type ExpressionScope } from './expressions.js';
import type { AttackStart, PerturbationBall, ResolvedAttack } from './resolved.js';
import { someNode } from '../typed/typed-expr.js';
import { didYouMean } from './suggest.js';

export function checkAttack(member: A.AttackDeclaration, scope: ExpressionScope, diagnostics: Diagnostic[]): ResolvedAttack | undefined {
  const method = member.method;
  const callee = method.kind === 'CallExpr' && method.callee.kind === 'Identifier' ? method.callee : method.kind === 'Identifier' ? method : undefined;
  if (!callee || callee.name !== 'pgd') {
    diagnostics.push(callee ? diagnostic('unknownAttackMethod', callee.span, { name: callee.name }, didYouMean(callee.name, ['pgd']) ?? 'the attack method is `pgd(ball:, step:, steps:, start:)`') : diagnostic('expectedAttackMethod', method.span, {}));
    return undefined;
  }
  const args = method.kind === 'CallExpr' ? method.args : [];
  const known = ['ball', 'step', 'steps', 'start', 'step_rule'];
  const values = new Map<string, A.Expr>();
  for (const arg of args) {
    if (!arg.name) {
      diagnostics.push(diagnostic('pgdNamedOnly', arg.span, {}));
      return undefined;
    }
    if (!known.includes(arg.name.text)) {
      diagnostics.push(diagnostic('pgdNoArgument', arg.name.span, { name: arg.name.text }, didYouMean(arg.name.text, known)));
      return undefined;
    }
    values.set(arg.name.text, arg.value);
  }
  const ballExpr = values.get('ball');
  if (!ballExpr) {
    diagnostics.push(diagnostic('pgdNeedsBall', method.span, {}));
    return undefined;
  }
  const ball = parseBall(ballExpr, scope.constants, diagnostics);
  const positive = (name: string, integer: boolean, fallback?: number): number | undefined => {
    const expr = values.get(name);
    if (!expr) {
      if (fallback === undefined) diagnostics.push(diagnostic('pgdNeeds', method.span, { name }));
      return fallback;
    }
    const v = evaluateConstant(expr, scope.constants, diagnostics);
    if (typeof v === 'number' && v > 0 && (!integer || Number.isInteger(v))) return v;
    if (v !== undefined) diagnostics.push(diagnostic('pgdPositive', expr.span, { name, kind: integer ? 'whole number' : 'number', found: describeConstant(v) }));
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
      diagnostics.push(diagnostic('stepRule', ruleExpr.span, {}, didYouMean(String(rule), ['sign', 'normalized'])));
      stepRule = undefined;
    }
  }
  const objective = new ExpressionChecker(scope, diagnostics).check(member.objective);
  if (!objective) return undefined;
  const what = `the objective of attack \`${member.name.text}\``;
  if (!requireScalar(objective, what, diagnostics)) return undefined;
  if (!someNode(objective, (n) => n.kind === 'delta')) {
    diagnostics.push(diagnostic('ignoresDelta', member.objective.span, { what }, 'apply the model to the perturbed input, e.g. `ce(f(x + delta), y)`'));
    return undefined;
  }
  if (!ball || step === undefined || steps === undefined || !start || !stepRule) return undefined;
  return { name: member.name.text, method: 'pgd', ball, step, steps, start, stepRule, objective, span: member.span };
}

function parseBall(expr: A.Expr, constants: ConstScope, diagnostics: Diagnostic[]): PerturbationBall | undefined {
  if (expr.kind === 'CallExpr' && expr.callee.kind === 'Identifier' && (expr.callee.name === 'linf' || expr.callee.name === 'l2')) {
    const arg = expr.args[0];
    if (expr.args.length !== 1 || !arg || (arg.name && arg.name.text !== 'eps')) {
      diagnostics.push(diagnostic('ballRadiusCount', expr.span, { ball: expr.callee.name, example: expr.callee.name === 'linf' ? '8/255' : '0.5' }));
      return undefined;
    }
    const eps = evaluateConstant(arg.value, constants, diagnostics);
    if (typeof eps === 'number' && eps > 0) return { norm: expr.callee.name, eps };
    if (eps !== undefined) diagnostics.push(diagnostic('ballRadius', arg.value.span, { found: describeConstant(eps) }));
    return undefined;
  }
  const name = expr.kind === 'CallExpr' && expr.callee.kind === 'Identifier' ? expr.callee : expr.kind === 'Identifier' ? expr : undefined;
  diagnostics.push(diagnostic('ballKind', name?.span ?? expr.span, {}, name ? didYouMean(name.name, ['linf', 'l2']) : undefined));
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
  diagnostics.push(diagnostic('attackStart', expr.span, {}, didYouMean(name, ['uniform', 'none', 'normal'])));
  return undefined;
}
