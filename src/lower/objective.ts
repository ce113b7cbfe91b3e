/**
 * Lowers typed objective expressions (attack objectives, the outer objective, state values) to
 * graph ops, with the semantics of docs/language.md. Each built-in function's graph ops are its
 * entry in src/builtins/ (`ce` and `kl` are batch means of per-example values, `mse` the mean over
 * batch and classes, ...); this file supplies the leaves (x, y, delta, states, schedules, model
 * applications) to the shared walk of src/expr/evaluate.ts.
 *
 * Terms that read an inactive per-example state (before its `from` epoch) are dropped from sums,
 * which is the reference's `if epoch >= es` (the programs are compiled once per phase).
 */
import type { Tensor } from '../ir/tensor.js';
import { someNode, type TypedExpr } from '../typed/typed-expr.js';
import { crossEntropy, tradesKl, klDiv, mse } from '../ops/losses.js';
import { builtinFunctions, type FunctionLowering, type Lowered } from '../builtins/index.js';
import { evaluateTyped, type Semantics } from '../expr/evaluate.js';
import { arithmetic, type ArithmeticOp } from '../expr/operators.js';
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

export type { Lowered } from '../builtins/index.js';

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

const losses: FunctionLowering['losses'] = { crossEntropy, tradesKl, klDiv, mse };

function lower(e: TypedExpr, env: ExprEnv): Value {
  return evaluateTyped(e, graphSemantics(env));
}

/**
 * The shared walk (src/expr/evaluate.ts) on graph values: numbers fold on the host, tensors become
 * graph ops, and a term that reads an inactive state is DROPPED through sums and products.
 */
function graphSemantics(env: ExprEnv): Semantics<Value> {
  const functions: FunctionLowering = {
    tensor: (v) => asTensor(v, env.x),
    lowerTensor: (e) => lowerTensor(e, env),
    losses,
  };
  return {
    what: 'an objective (conditions and piecewise values belong to schedules, evaluated on the host)',
    constant: (value) => value,
    leaf: (e) => leaf(e, env),
    negate: (v) => (v === DROPPED ? DROPPED : typeof v === 'number' ? -v : v.neg()),
    binary,
    call: (e, args) => {
      if (args.some((a) => a === DROPPED)) return DROPPED;
      const lowerCall = builtinFunctions[e.fn].lower;
      if (!lowerCall) throw new InternalError(`'${e.fn}' belongs to schedules and is evaluated on the host`);
      return lowerCall(args as Lowered[], e, functions);
    },
    applyModel: (e, input) => {
      if (input === DROPPED || typeof input === 'number') throw new InternalError('model applied to a non-tensor');
      return env.applyModel(e.model, input, e.input);
    },
  };
}

function leaf(e: TypedExpr, env: ExprEnv): Value {
  switch (e.kind) {
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
    case 'state':
      return env.states.get(e.name) ?? DROPPED;
    case 'schedule': {
      const s = env.schedules.get(e.name);
      if (!s) throw new InternalError(`schedule '${e.name}' not available`);
      return s;
    }
    default:
      throw new InternalError(`'${e.kind}' is only available in schedules`);
  }
}

function binary(op: ArithmeticOp, a: Value, b: Value): Value {
  if (op === 'add' || op === 'sub') {
    if (a === DROPPED && b === DROPPED) return DROPPED;
    if (a === DROPPED) return op === 'add' ? b : typeof b === 'number' ? -b : (b as Tensor).neg();
    if (b === DROPPED) return a;
  } else if (a === DROPPED || b === DROPPED) {
    return DROPPED;
  }
  const l = a as Lowered;
  const r = b as Lowered;
  if (typeof l === 'number' && typeof r === 'number') return arithmetic(op, l, r);
  const lt = typeof l === 'number' ? asTensor(l, r as Tensor) : l;
  return lt[op](r);
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
