/** `state NAME = ema(value, momentum:, normalize:, from:)`: the per-example EMA target of TE. */
import type * as A from '../syntax/ast.js';
import { diagnostic, type Diagnostic } from '../syntax/diagnostic.js';
import { describeConstant, evaluateConstant } from './const-eval.js';
import { ExpressionChecker, type ExpressionScope } from './expressions.js';
import type { ResolvedState } from './resolved.js';
import { someNode } from '../typed/typed-expr.js';
import { didYouMean } from './suggest.js';
import { describeType } from '../typed/expr-type.js';

export function checkState(member: A.StateDeclaration, scope: ExpressionScope, diagnostics: Diagnostic[]): ResolvedState | undefined {
  const value = member.value;
  if (value.kind !== 'CallExpr' || value.callee.kind !== 'Identifier' || value.callee.name !== 'ema') {
    const callee = value.kind === 'CallExpr' && value.callee.kind === 'Identifier' ? value.callee : undefined;
    diagnostics.push(callee ? diagnostic('unknownStateKind', callee.span, { name: callee.name }, didYouMean(callee.name, ['ema'])) : diagnostic('expectedStateKind', value.span, {}, 'e.g. `state p = ema(softmax(f(x)), momentum: 0.9, normalize: sum, from: epoch 90)`'));
    return undefined;
  }
  const [first, ...named] = value.args;
  if (!first || first.name) {
    diagnostics.push(diagnostic('emaNeedsValue', value.span, {}));
    return undefined;
  }
  const typed = new ExpressionChecker(scope, diagnostics).check(first.value);
  if (!typed) return undefined;
  if (typed.type.kind !== 'tensor') {
    diagnostics.push(diagnostic('emaValueType', first.value.span, { found: describeType(typed.type) }));
    return undefined;
  }
  const state: ResolvedState = { name: member.name.text, kind: 'ema', value: typed, momentum: 0.9, normalize: 'sum', fromEpoch: 1, shape: typed.type.shape, span: member.span };
  for (const arg of named) {
    if (!arg.name) {
      diagnostics.push(diagnostic('emaPositional', arg.span, {}));
      return undefined;
    }
    const option = arg.name.text;
    const constant = evaluateConstant(arg.value, scope.constants, diagnostics, { symbols: option === 'normalize' });
    if (constant === undefined) return undefined;
    if (option === 'momentum' && typeof constant === 'number' && constant >= 0 && constant < 1) state.momentum = constant;
    else if (option === 'normalize' && (constant === 'sum' || constant === 'l2' || constant === 'none')) state.normalize = constant;
    else if (option === 'from' && typeof constant === 'number' && Number.isInteger(constant) && constant >= 1) state.fromEpoch = constant;
    else if (!['momentum', 'normalize', 'from'].includes(option)) {
      diagnostics.push(diagnostic('emaNoArgument', arg.name.span, { name: option }, didYouMean(option, ['momentum', 'normalize', 'from'])));
      return undefined;
    } else {
      const expected = option === 'momentum' ? 'a number in [0, 1)' : option === 'normalize' ? '`sum`, `l2` or `none`' : 'an epoch such as `epoch 90` (1-based)';
      diagnostics.push(diagnostic('emaOptionType', arg.value.span, { name: option, expected, found: describeConstant(constant) }));
      return undefined;
    }
  }
  if (someNode(typed, (n) => n.kind === 'delta' || n.kind === 'adversarial' || n.kind === 'state')) {
    diagnostics.push(diagnostic('stateOfCleanInput', first.value.span, {}));
    return undefined;
  }
  return state;
}
