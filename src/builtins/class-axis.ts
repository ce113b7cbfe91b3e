/** Functions over the class axis of per-example vectors: `softmax`, `log_softmax`. */
import { perExampleVector } from './rules.js';
import type { BuiltinFunction } from './types.js';

export const softmax: BuiltinFunction = {
  parameters: ['logits'],
  summary: 'softmax over classes',
  result: ([z]) => perExampleVector('softmax', z!, 'the argument') ?? z!,
  lower: ([z], _call, ctx) => ctx.tensor(z!).softmax(-1),
};

export const log_softmax: BuiltinFunction = {
  parameters: ['logits'],
  summary: 'log of softmax over classes',
  result: ([z]) => perExampleVector('log_softmax', z!, 'the argument') ?? z!,
  lower: ([z], _call, ctx) => ctx.tensor(z!).logSoftmax(-1),
};
