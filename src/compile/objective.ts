/**
 * Lowers typed objective expressions (attack objectives, the outer objective, state values) to
 * graph ops, with the semantics of docs/language.md: `ce` and `kl` are batch means of per-example
 * values, `mse` is the mean over batch and classes, softmax-like functions act on the class axis,
 * `sum`/`mean`/`max`/`min` reduce all elements (or dimension `dim`), two-argument `max`/`min` are
 * elementwise, and `norm` is per example.
 *
 * Terms that read an inactive per-example state (before its `from` epoch) are dropped from sums,
 * which is the reference's `if epoch >= es` (the programs are compiled once per phase).
 */
import type { Tensor } from '../graph/tensor.js';
import type { TypedExpr } from '../check/resolved.js';
import { someNode } from '../check/resolved.js';
import { crossEntropy, tradesKl, klDiv, mse } from '../ops/losses.js';
import type { ModelMode } from './model.js';
import { InternalError } from '../util/internal-error.js';

export interface ExprEnv {
  /** Clean batch [B, ...]. */
  x: Tensor;
  /** Labels i32 [B]. */
  y: Tensor;
  /** The perturbation of the attack being lowered (inside an attack objective). */
  delta?: { attack: string; tensor: Tensor };
  /** Adversarial batches by attack name (outer objective). */
  adversarial: Map<string, Tensor>;
  /** Normalised per-example targets gathered for the batch, by state name; absent when inactive. */
  states: Map<string, Tensor>;
  /** Scalar schedule values (variables fed by the host), by name. */
  schedules: Map<string, Tensor>;
  /** Model application in this context (mode and memoisation are the caller's). */
  applyModel: (model: string, input: Tensor, inputExpr: TypedExpr) => Tensor;
}

export type Lowered = Tensor | number;

/** The value is a constant 0 because a term read an inactive state. */
const DROPPED = Symbol('dropped');
type Value = Lowered | typeof DROPPED;

export function lowerObjective(e: TypedExpr, env: ExprEnv): Tensor {
  const v = lower(e, env);
  if (v === DROPPED) return env.x.graph.constant(0);
  if (typeof v === 'number') return env.x.graph.constant(v);
  return v.size === 1 && v.rank > 0 ? v.reshape([]) : v;
}

export function lowerValue(e: TypedExpr, env: ExprEnv): Lowered {
  const v = lower(e, env);
  if (v === DROPPED) throw new InternalError('lowerValue: expression reads an inactive state');
  return v;
}

function asTensor(v: Lowered, like: Tensor): Tensor {
  return typeof v === 'number' ? like.graph.constant(v) : v;
}

function lower(e: TypedExpr, env: ExprEnv): Value {
  switch (e.kind) {
    case 'constant':
      return e.value;
    case 'input':
      return env.x;
    case 'labels':
      return env.y;
    case 'delta':
      if (!env.delta || env.delta.attack !== e.attack) throw new InternalError(`delta of attack '${e.attack}' used outside its objective`);
      return env.delta.tensor;
    case 'adversarial': {
      const adv = env.adversarial.get(e.attack);
      if (!adv) throw new InternalError(`adversarial batch of '${e.attack}' not available here`);
      return adv;
    }
    case 'state': {
      const s = env.states.get(e.name);
      return s ?? DROPPED;
    }
    case 'schedule': {
      const s = env.schedules.get(e.name);
      if (!s) throw new InternalError(`schedule '${e.name}' not available`);
      return s;
    }
    case 'epoch':
    case 'step':
      throw new InternalError(`'${e.kind}' is only available in schedules`);
    case 'apply_model': {
      const input = lower(e.input, env);
      if (input === DROPPED || typeof input === 'number') throw new InternalError('model applied to a non-tensor');
      return env.applyModel(e.model, input, e.input);
    }
    case 'negate': {
      const v = lower(e.operand, env);
      if (v === DROPPED) return DROPPED;
      return typeof v === 'number' ? -v : v.neg();
    }
    case 'binary':
      return binary(e.op, lower(e.left, env), lower(e.right, env), env);
    case 'call':
      return call(e, env);
    case 'piecewise':
    case 'compare':
    case 'logical':
    case 'not':
    case 'conditional':
      throw new InternalError(`'${e.kind}' expressions belong to schedules and are evaluated on the host`);
  }
}

function binary(op: 'add' | 'sub' | 'mul' | 'div' | 'pow', a: Value, b: Value, env: ExprEnv): Value {
  if (op === 'add' || op === 'sub') {
    if (a === DROPPED && b === DROPPED) return DROPPED;
    if (a === DROPPED) return op === 'add' ? b : typeof b === 'number' ? -b : (b as Tensor).neg();
    if (b === DROPPED) return a;
  } else if (a === DROPPED || b === DROPPED) {
    return DROPPED;
  }
  const l = a as Lowered;
  const r = b as Lowered;
  if (typeof l === 'number' && typeof r === 'number') {
    switch (op) {
      case 'add': return l + r;
      case 'sub': return l - r;
      case 'mul': return l * r;
      case 'div': return l / r;
      case 'pow': return Math.pow(l, r);
    }
  }
  const lt = typeof l === 'number' ? asTensor(l, r as Tensor) : l;
  return lt[op](r);
}

/** Is this expression `softmax(t)` (so KL can be computed stably from the logits t)? */
function softmaxArg(e: TypedExpr): TypedExpr | null {
  return e.kind === 'call' && e.fn === 'softmax' ? e.args[0]! : null;
}

function call(e: Extract<TypedExpr, { kind: 'call' }>, env: ExprEnv): Value {
  const args = e.args.map((a) => lower(a, env));
  if (args.some((a) => a === DROPPED)) return DROPPED;
  const t = (i: number): Tensor => {
    const v = args[i] as Lowered;
    if (typeof v === 'number') return env.x.graph.constant(v);
    return v;
  };
  const n = (i: number): number => args[i] as number;
  switch (e.fn) {
    case 'ce': {
      const target = t(1);
      if (target.dtype === 'i32') return crossEntropy(t(0), target, 'mean');
      // Soft targets: -sum_k p_k log_softmax(z)_k, mean over the batch.
      return t(0).logSoftmax(-1).mul(target).sum(-1).neg().mean();
    }
    case 'kl': {
      const pLogits = softmaxArg(e.args[0]!);
      const qLogits = softmaxArg(e.args[1]!);
      if (pLogits && qLogits) {
        // kl(softmax(a), softmax(b)) from logits with log_softmax on both sides (stable).
        return tradesKl(lowerTensor(qLogits, env), lowerTensor(pLogits, env), 'mean');
      }
      return klDiv(t(0), t(1)).mean();
    }
    case 'mse':
      return mse(t(0), t(1));
    case 'softmax':
      return t(0).softmax(-1);
    case 'log_softmax':
      return t(0).logSoftmax(-1);
    case 'stop_gradient':
      return typeof args[0] === 'number' ? n(0) : t(0).stopGradient();
    case 'exp':
      return typeof args[0] === 'number' ? Math.exp(n(0)) : t(0).exp();
    case 'log':
      return typeof args[0] === 'number' ? Math.log(n(0)) : t(0).log();
    case 'abs':
      return typeof args[0] === 'number' ? Math.abs(n(0)) : t(0).abs();
    case 'sqrt':
      return typeof args[0] === 'number' ? Math.sqrt(n(0)) : t(0).sqrt();
    case 'cos':
      if (typeof args[0] === 'number') return Math.cos(n(0));
      throw new InternalError('cos of a tensor is not supported');
    case 'max':
    case 'min':
      if (args.length === 2) {
        // Elementwise max/min of two operands (numbers fold on the host).
        if (typeof args[0] === 'number' && typeof args[1] === 'number') return e.fn === 'max' ? Math.max(n(0), n(1)) : Math.min(n(0), n(1));
        const a = typeof args[0] === 'number' ? t(1) : t(0);
        const b = typeof args[0] === 'number' ? n(0) : (args[1] as Lowered);
        return e.fn === 'max' ? a.maximum(b as Tensor | number) : a.minimum(b as Tensor | number);
      }
      return reduceCall(e.fn, t(0), e.options);
    case 'sum':
    case 'mean':
      return reduceCall(e.fn, t(0), e.options);
    case 'norm': {
      // Per-example norm of [B, ...] -> [B].
      const x = t(0);
      const axes = Array.from({ length: x.rank - 1 }, (_, i) => i + 1);
      const p = Number(e.options['p'] ?? 2);
      if (p === 1) return x.abs().sum(axes);
      if (p === Infinity) return x.abs().max(axes);
      return x.square().sum(axes).add(1e-30).sqrt();
    }
    case 'ramp':
    case 'sigmoid_ramp':
      throw new InternalError(`'${e.fn}' belongs to schedules and is evaluated on the host`);
  }
}

/** sum/mean/max/min over all elements (a scalar), or over dimension `dim` (>= 1; 0 is the batch). */
function reduceCall(fn: 'sum' | 'mean' | 'max' | 'min', x: Tensor, options: Record<string, number | string>): Tensor {
  const dim = options['dim'];
  const axes = dim === undefined ? undefined : [Number(dim)];
  switch (fn) {
    case 'sum': return x.sum(axes);
    case 'mean': return x.mean(axes);
    case 'max': return x.max(axes);
    case 'min': return x.neg().max(axes).neg();
  }
}

function lowerTensor(e: TypedExpr, env: ExprEnv): Tensor {
  const v = lower(e, env);
  if (v === DROPPED || typeof v === 'number') throw new InternalError('expected a tensor');
  return v;
}

/** Does the expression depend on the attack's delta? */
export function dependsOnDelta(e: TypedExpr): boolean {
  return someNode(e, (n) => n.kind === 'delta');
}
