/**
 * Host-side evaluation of schedules and learning rates. Schedules are scalar functions of the
 * 1-based epoch and the 0-based global step; they are computed on the host once per step and
 * written to one-number device variables, so changing them never recompiles anything.
 */
import type { ResolvedSchedule } from '../check/resolved.js';
import type { TypedExpr } from '../typed/typed-expr.js';
import type { PipelineSettings } from '../check/settings.js';
import { builtinFunctions } from '../builtins/index.js';
import { evaluateTyped, type Semantics } from '../expr/evaluate.js';
import { arithmetic, compare, logical } from '../expr/operators.js';
import { InternalError } from '../util/internal-error.js';

export interface ScheduleTime {
  /** 1-based epoch. */
  epoch: number;
  /** 0-based optimizer step since the start of training. */
  step: number;
}

// The ramps are defined with the other built-in functions; re-exported for the trainer's callers.
export { sigmoidRamp, linearRamp } from '../builtins/index.js';

/**
 * The value of a schedule expression at a time: the shared walk (src/expr/evaluate.ts) on numbers,
 * with conditions as 1 and 0 and functions computed by their table entries' host values.
 */
export function evaluateScalar(e: TypedExpr, t: ScheduleTime, schedules: ReadonlyMap<string, number>): number {
  return evaluateTyped(e, hostSemantics(t, schedules));
}

function hostSemantics(t: ScheduleTime, schedules: ReadonlyMap<string, number>): Semantics<number> {
  const flag = (b: boolean): number => (b ? 1 : 0);
  return {
    what: 'a schedule',
    constant: (value) => value,
    leaf: (e) => {
      switch (e.kind) {
        case 'epoch': return t.epoch;
        case 'step': return t.step;
        case 'schedule': {
          const v = schedules.get(e.name);
          if (v === undefined) throw new InternalError(`schedule '${e.name}' evaluated before it is defined`);
          return v;
        }
        default: throw new InternalError(`'${e.kind}' cannot appear in a schedule`);
      }
    },
    negate: (v) => -v,
    binary: arithmetic,
    call: (e, args) => {
      const evaluate = builtinFunctions[e.fn].evaluate;
      if (!evaluate) throw new InternalError(`'${e.fn}' cannot appear in a schedule`);
      return evaluate(args);
    },
    not: (v) => flag(!v),
    compare: (op, a, b) => flag(compare(op, a, b)),
    logical: (op, a, b) => flag(logical(op, a !== 0, b !== 0)),
    truthy: (v) => v !== 0,
    piecewise: (e, value) => {
      const inForce = milestoneInForce(e.milestones, t.epoch);
      return value(inForce ? inForce.value : e.initial);
    },
  };
}

/**
 * `piecewise(v0, {k1: v1, k2: v2})`, in `lr:` settings and in schedules alike: v0 for epochs
 * 1..k1, then the value of the last milestone k < epoch. Undefined while v0 is in force.
 */
function milestoneInForce<M extends { epoch: number }>(milestones: readonly M[], epoch: number): M | undefined {
  let inForce: M | undefined;
  for (const m of [...milestones].sort((a, b) => a.epoch - b.epoch)) if (epoch > m.epoch) inForce = m;
  return inForce;
}

/** All schedules at a time, in declaration order (later ones may read earlier ones). */
export function evaluateSchedules(schedules: readonly ResolvedSchedule[], t: ScheduleTime): Map<string, number> {
  const values = new Map<string, number>();
  for (const s of schedules) values.set(s.name, evaluateScalar(s.value, t, values));
  return values;
}

/** The learning rate of a (1-based) epoch, as PyTorch's MultiStepLR / CosineAnnealingLR step per epoch. */
export function learningRate(settings: PipelineSettings['train'], t: ScheduleTime, schedules: ReadonlyMap<string, number>): number {
  const base = settings.optimizer.lr;
  const lr = settings.lr;
  if (lr === undefined) return base;
  if (typeof lr === 'number') return lr;
  if (typeof lr === 'string') {
    const v = schedules.get(lr);
    if (v === undefined) throw new InternalError(`lr schedule '${lr}' is not defined`);
    return v;
  }
  if ('milestones' in lr) {
    const milestones = Object.entries(lr.milestones as Record<string, number>).map(([k, value]) => ({ epoch: Number(k), value }));
    return milestoneInForce(milestones, t.epoch)?.value ?? lr.initial;
  }
  // cosine over the run, stepped per epoch (CosineAnnealingLR with T_max = epochs)
  const e = t.epoch - 1;
  const cos = lr as { initial: number; final: number };
  return cos.final + ((cos.initial - cos.final) * (1 + Math.cos((Math.PI * e) / settings.epochs))) / 2;
}
