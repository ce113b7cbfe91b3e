/** `state NAME = ema(value, momentum:, normalize:, from:)`: the per-example EMA target of TE. */
import type * as A from '../syntax/ast.js';
import { error, type Diagnostic } from '../syntax/diagnostic.js';
import { describeConstant, evaluateConstant } from './const-eval.js';
import { ExpressionChecker, type ExpressionScope } from './expressions.js';
import { someNode, type ResolvedState } from './resolved.js';
import { didYouMean } from './suggest.js';
import { describeType } from './types.js';

export function checkState(member: A.StateDeclaration, scope: ExpressionScope, diagnostics: Diagnostic[]): ResolvedState | undefined {
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
