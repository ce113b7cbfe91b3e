/**
 * The functions of objective, state and schedule expressions: their type rules. Each rule receives
 * the typed positional arguments and the named compile-time options and returns the result type or
 * a message. Definitions (what they compute) are in docs/language.md.
 */
import type { ExprType, FunctionName, Shape } from './resolved.js';
import { describeType, isScalarLike, numberType, sameShape, scalarType, shapeText, tensorType } from './types.js';

export interface FunctionRule {
  /** Positional parameter names, for messages and counts. */
  parameters: string[];
  /** Named options and the values they accept (numbers, or a fixed set of words). */
  options?: Record<string, 'int' | 'number' | readonly string[]>;
  /** Only usable in schedules. */
  scheduleOnly?: boolean;
  summary: string;
  result(args: ExprType[], options: Record<string, number | string>): ExprType | string;
}

const perExampleVector = (what: string, t: ExprType, position: string): string | undefined =>
  t.kind === 'tensor' && t.shape.length === 1 ? undefined : `${position} of \`${what}\` must be a per-example vector such as logits or probabilities (shape [B, classes]) but is ${describeType(t)}`;

function elementwise(name: string): FunctionRule {
  return {
    parameters: ['value'],
    summary: `elementwise ${name}`,
    result: ([t]) => (t!.kind === 'labels' || t!.kind === 'bool' ? `\`${name}\` needs numbers or tensors but receives ${describeType(t!)}` : t!),
  };
}

/** Reduce over everything (a scalar) or over `dim` (dim 0 is the batch and cannot be reduced). */
function reduction(name: string): FunctionRule {
  return {
    parameters: ['value'],
    options: { dim: 'int' },
    summary: `${name} over all elements, or over dimension \`dim\` (1 = classes)`,
    result: ([t], options) => {
      if (isScalarLike(t!)) return t!.kind === 'number' ? numberType : scalarType;
      if (t!.kind !== 'tensor') return `\`${name}\` needs a tensor but receives ${describeType(t!)}`;
      const dim = options.dim;
      if (dim === undefined) return scalarType;
      if (typeof dim !== 'number' || dim < 1 || dim > t!.shape.length) return `\`dim\` of \`${name}\` must be between 1 and ${t!.shape.length} (dimension 0 is the batch)`;
      return tensorType(t!.shape.filter((_, i) => i !== dim - 1));
    },
  };
}

/** Elementwise binary result with broadcasting of scalars and per-example values. */
export function broadcast(a: ExprType, b: ExprType): ExprType | string {
  if (a.kind === 'labels' || b.kind === 'labels') return 'labels are class indices: use them in `ce` only';
  if (a.kind === 'bool' || b.kind === 'bool') return 'conditions cannot take part in arithmetic';
  if (a.kind === 'number' && b.kind === 'number') return numberType;
  if (isScalarLike(a) && isScalarLike(b)) return scalarType;
  if (isScalarLike(a)) return b;
  if (isScalarLike(b)) return a;
  const sa = (a as { shape: Shape }).shape;
  const sb = (b as { shape: Shape }).shape;
  if (sameShape(sa, sb)) return a;
  if (sa.length === 0) return b;
  if (sb.length === 0) return a;
  return `shapes ${shapeText(['B' as unknown as number, ...sa])} and ${shapeText(['B' as unknown as number, ...sb])} do not match`;
}

const ramp = (name: string, summary: string): FunctionRule => ({
  parameters: ['value', 'start', 'end'],
  scheduleOnly: true,
  summary,
  result: (args) => (args.every(isScalarLike) ? scalarType : `\`${name}\` needs numbers, e.g. \`${name}(epoch, 90, 150)\``),
});

export const functionRules: Record<FunctionName, FunctionRule> = {
  ce: {
    parameters: ['logits', 'target'],
    summary: 'cross-entropy of logits against labels (or target probabilities), mean over the batch',
    result: ([z, target]) => {
      const problem = perExampleVector('ce', z!, 'the first argument');
      if (problem) return problem;
      const classes = (z as { shape: Shape }).shape[0]!;
      if (target!.kind === 'labels') return target!.classes === classes ? scalarType : `\`ce\` gets ${classes} logits but the labels have ${target!.classes} classes`;
      if (target!.kind === 'tensor' && sameShape(target!.shape, [classes])) return scalarType;
      return `the second argument of \`ce\` must be the labels \`y\` or probabilities of shape [B, ${classes}] but is ${describeType(target!)}`;
    },
  },
  kl: {
    parameters: ['p', 'q'],
    summary: 'KL(p || q) = sum_k p log(p / q), summed over classes, mean over the batch (TRADES: sum / batch size)',
    result: ([p, q]) => perExampleVector('kl', p!, 'the first argument') ?? perExampleVector('kl', q!, 'the second argument') ??
      (sameShape((p as { shape: Shape }).shape, (q as { shape: Shape }).shape) ? scalarType : `\`kl\` needs two distributions of the same shape but receives ${describeType(p!)} and ${describeType(q!)}`),
  },
  mse: {
    parameters: ['a', 'b'],
    summary: 'mean over batch and elements of (a - b)^2',
    result: ([a, b]) => {
      if (a!.kind !== 'tensor' || b!.kind !== 'tensor') return `\`mse\` needs two per-example tensors but receives ${describeType(a!)} and ${describeType(b!)}`;
      return sameShape(a!.shape, b!.shape) ? scalarType : `\`mse\` needs two tensors of the same shape but receives ${describeType(a!)} and ${describeType(b!)}`;
    },
  },
  softmax: { parameters: ['logits'], summary: 'softmax over classes', result: ([z]) => perExampleVector('softmax', z!, 'the argument') ?? z! },
  log_softmax: { parameters: ['logits'], summary: 'log of softmax over classes', result: ([z]) => perExampleVector('log_softmax', z!, 'the argument') ?? z! },
  sum: reduction('sum'),
  mean: reduction('mean'),
  max: { ...reduction('max'), parameters: ['a', 'b'], summary: 'max(t) reduces like sum; max(a, b) is elementwise' },
  min: { ...reduction('min'), parameters: ['a', 'b'], summary: 'min(t) reduces like sum; min(a, b) is elementwise' },
  norm: {
    parameters: ['value'],
    options: { p: ['1', '2', 'inf'] },
    summary: 'per-example norm (p = 2 by default): [B, ...] -> [B]',
    result: ([t]) => (t!.kind === 'tensor' ? tensorType([]) : `\`norm\` needs a per-example tensor but receives ${describeType(t!)}`),
  },
  stop_gradient: { ...elementwise('stop_gradient'), summary: 'the value, with no gradient flowing through it' },
  exp: elementwise('exp'),
  log: elementwise('log'),
  abs: elementwise('abs'),
  sqrt: elementwise('sqrt'),
  cos: { ...elementwise('cos'), scheduleOnly: true },
  ramp: ramp('ramp', 'linear ramp: 0 before start, (value - start) / (end - start) between, 1 after end'),
  sigmoid_ramp: ramp('sigmoid_ramp', 'the TE ramp: 0 before start, exp(-5 (1 - t)^2) with t = (value - start) / (end - start) up to end, 1 after'),
};

/** The functions a schedule may use: schedules are evaluated on the host, on numbers. */
export const scheduleFunctions: ReadonlySet<FunctionName> = new Set(['exp', 'log', 'abs', 'sqrt', 'cos', 'max', 'min', 'ramp', 'sigmoid_ramp']);

export function isFunctionName(name: string): name is FunctionName {
  return Object.hasOwn(functionRules, name);
}

/** Result of a two-argument `max`/`min`: elementwise. */
export function elementwiseBinaryResult(name: string, a: ExprType, b: ExprType): ExprType | string {
  const r = broadcast(a, b);
  return typeof r === 'string' ? `\`${name}\`: ${r}` : r;
}
