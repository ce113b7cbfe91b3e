/** The losses: `ce`, `kl`, `mse` (batch means, as docs/language.md defines them). */
import type { TypedExpr } from '../typed/typed-expr.js';
import { describeType, sameShape, scalarType } from '../typed/expr-type.js';
import { perExampleVector, shapeOf } from './rules.js';
import type { BuiltinFunction } from './types.js';

export const ce: BuiltinFunction = {
  parameters: ['logits', 'target'],
  summary: 'cross-entropy of logits against labels (or target probabilities), mean over the batch',
  result: ([z, target]) => {
    const problem = perExampleVector('ce', z!, 'the first argument');
    if (problem) return problem;
    const classes = shapeOf(z!)[0]!;
    if (target!.kind === 'labels') return target!.classes === classes ? scalarType : `\`ce\` gets ${classes} logits but the labels have ${target!.classes} classes`;
    if (target!.kind === 'tensor' && sameShape(target!.shape, [classes])) return scalarType;
    return `the second argument of \`ce\` must be the labels \`y\` or probabilities of shape [B, ${classes}] but is ${describeType(target!)}`;
  },
  lower: ([z, target], _call, ctx) => {
    const t = ctx.tensor(target!);
    if (t.dtype === 'i32') return ctx.losses.crossEntropy(ctx.tensor(z!), t, 'mean');
    // Soft targets: -sum_k p_k log_softmax(z)_k, mean over the batch.
    return ctx.tensor(z!).logSoftmax(-1).mul(t).sum(-1).neg().mean();
  },
};

/** Is this expression `softmax(t)` (so KL can be computed stably from the logits t)? */
function softmaxArg(e: TypedExpr): TypedExpr | null {
  return e.kind === 'call' && e.fn === 'softmax' ? e.args[0]! : null;
}

export const kl: BuiltinFunction = {
  parameters: ['p', 'q'],
  summary: 'KL(p || q) = sum_k p log(p / q), summed over classes, mean over the batch (TRADES: sum / batch size)',
  result: ([p, q]) => perExampleVector('kl', p!, 'the first argument') ?? perExampleVector('kl', q!, 'the second argument') ??
    (sameShape(shapeOf(p!), shapeOf(q!)) ? scalarType : `\`kl\` needs two distributions of the same shape but receives ${describeType(p!)} and ${describeType(q!)}`),
  lower: ([p, q], call, ctx) => {
    const pLogits = softmaxArg(call.args[0]!);
    const qLogits = softmaxArg(call.args[1]!);
    // kl(softmax(a), softmax(b)) from logits with log_softmax on both sides (stable).
    if (pLogits && qLogits) return ctx.losses.tradesKl(ctx.lowerTensor(qLogits), ctx.lowerTensor(pLogits), 'mean');
    return ctx.losses.klDiv(ctx.tensor(p!), ctx.tensor(q!)).mean();
  },
};

export const mse: BuiltinFunction = {
  parameters: ['a', 'b'],
  summary: 'mean over batch and elements of (a - b)^2',
  result: ([a, b]) => {
    if (a!.kind !== 'tensor' || b!.kind !== 'tensor') return `\`mse\` needs two per-example tensors but receives ${describeType(a!)} and ${describeType(b!)}`;
    return sameShape(a!.shape, b!.shape) ? scalarType : `\`mse\` needs two tensors of the same shape but receives ${describeType(a!)} and ${describeType(b!)}`;
  },
  lower: ([a, b], _call, ctx) => ctx.losses.mse(ctx.tensor(a!), ctx.tensor(b!)),
};
