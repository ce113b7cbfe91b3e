/** Reductions: `sum`, `mean`, `max`, `min` (which are also elementwise with two arguments) and `norm`. */
import type { Tensor } from '../ir/tensor.js';
import { describeType, tensorType } from '../typed/expr-type.js';
import { reductionRule } from './rules.js';
import type { BuiltinFunction, CallSite, Lowered } from './types.js';

type Reduction = 'sum' | 'mean' | 'max' | 'min';

/** sum/mean/max/min over all elements (a scalar), or over dimension `dim` (>= 1; 0 is the batch). */
function reduce(fn: Reduction, x: Tensor, options: CallSite['options']): Tensor {
  const dim = options['dim'];
  const axes = dim === undefined ? undefined : [Number(dim)];
  switch (fn) {
    case 'sum': return x.sum(axes);
    case 'mean': return x.mean(axes);
    case 'max': return x.max(axes);
    case 'min': return x.neg().max(axes).neg();
  }
}

function reduction(fn: 'sum' | 'mean'): BuiltinFunction {
  return {
    parameters: ['value'],
    options: { dim: 'int' },
    summary: `${fn} over all elements, or over dimension \`dim\` (1 = classes)`,
    result: reductionRule(fn),
    lower: ([x], call, ctx) => reduce(fn, ctx.tensor(x!), call.options),
  };
}

/**
 * `max(t)` reduces like `sum`; `max(a, b)` is elementwise (the checker types the two-argument
 * form with broadcasting, src/check/functions.ts). Numbers fold on the host.
 */
function extremum(fn: 'max' | 'min'): BuiltinFunction {
  const pick = fn === 'max' ? Math.max : Math.min;
  return {
    parameters: ['a', 'b'],
    options: { dim: 'int' },
    summary: `${fn}(t) reduces like sum; ${fn}(a, b) is elementwise`,
    result: reductionRule(fn),
    lower: (args, call, ctx) => {
      if (args.length !== 2) return reduce(fn, ctx.tensor(args[0]!), call.options);
      const [l, r] = args as [Lowered, Lowered];
      if (typeof l === 'number' && typeof r === 'number') return pick(l, r);
      const a = typeof l === 'number' ? ctx.tensor(r) : l;
      const b = typeof l === 'number' ? l : r;
      return fn === 'max' ? a.maximum(b) : a.minimum(b);
    },
    evaluate: (args) => pick(...args),
  };
}

export const sum = reduction('sum');
export const mean = reduction('mean');
export const max = extremum('max');
export const min = extremum('min');

export const norm: BuiltinFunction = {
  parameters: ['value'],
  options: { p: ['1', '2', 'inf'] },
  summary: 'per-example norm (p = 2 by default): [B, ...] -> [B]',
  result: ([t]) => (t!.kind === 'tensor' ? tensorType([]) : `\`norm\` needs a per-example tensor but receives ${describeType(t!)}`),
  lower: ([v], call, ctx) => {
    // Per-example norm of [B, ...] -> [B].
    const x = ctx.tensor(v!);
    const axes = Array.from({ length: x.rank - 1 }, (_, i) => i + 1);
    const p = Number(call.options['p'] ?? 2);
    if (p === 1) return x.abs().sum(axes);
    if (p === Infinity) return x.abs().max(axes);
    return x.square().sum(axes).add(1e-30).sqrt();
  },
};
