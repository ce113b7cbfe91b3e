/**
 * Host-side evaluation of schedules and learning rates. Schedules are scalar functions of the
 * 1-based epoch and the 0-based global step; they are computed on the host once per step and
 * written to one-number device variables, so changing them never recompiles anything.
 */
import type { TypedExpr, ResolvedSchedule } from '../check/resolved.js';
import type { PipelineSettings } from '../check/settings.js';
import { InternalError } from '../util/internal-error.js';

export interface ScheduleTime {
  /** 1-based epoch. */
  epoch: number;
  /** 0-based optimizer step since the start of training. */
  step: number;
}

/** The reference's sigmoid_rampup: 0 before start, 1 after end, exp(-5 (1 - t)^2) between. */
export function sigmoidRamp(current: number, start: number, end: number): number {
  if (current < start) return 0;
  if (current > end) return 1;
  if (end === start) return 1;
  const phase = 1 - (current - start) / (end - start);
  return Math.exp(-5 * phase * phase);
}

/** Linear ramp from 0 at `start` to 1 at `end`, clamped. */
export function linearRamp(current: number, start: number, end: number): number {
  if (end === start) return current >= end ? 1 : 0;
  return Math.min(1, Math.max(0, (current - start) / (end - start)));
}

export function evaluateScalar(e: TypedExpr, t: ScheduleTime, schedules: ReadonlyMap<string, number>): number {
  const ev = (x: TypedExpr) => evaluateScalar(x, t, schedules);
  switch (e.kind) {
    case 'constant':
      return e.value;
    case 'epoch':
      return t.epoch;
    case 'step':
      return t.step;
    case 'schedule': {
      const v = schedules.get(e.name);
      if (v === undefined) throw new InternalError(`schedule '${e.name}' evaluated before it is defined`);
      return v;
    }
    case 'negate':
      return -ev(e.operand);
    case 'not':
      return ev(e.operand) ? 0 : 1;
    case 'binary': {
      const a = ev(e.left);
      const b = ev(e.right);
      switch (e.op) {
        case 'add': return a + b;
        case 'sub': return a - b;
        case 'mul': return a * b;
        case 'div': return a / b;
        case 'pow': return Math.pow(a, b);
      }
      break;
    }
    case 'compare': {
      const a = ev(e.left);
      const b = ev(e.right);
      const r = e.op === '==' ? a === b : e.op === '!=' ? a !== b : e.op === '<' ? a < b : e.op === '>' ? a > b : e.op === '<=' ? a <= b : a >= b;
      return r ? 1 : 0;
    }
    case 'logical': {
      const a = ev(e.left) !== 0;
      const b = ev(e.right) !== 0;
      return (e.op === 'and' ? a && b : a || b) ? 1 : 0;
    }
    case 'conditional':
      return ev(e.condition) !== 0 ? ev(e.then) : ev(e.otherwise);
    case 'piecewise': {
      let v = ev(e.initial);
      for (const m of [...e.milestones].sort((a, b) => a.epoch - b.epoch)) if (t.epoch > m.epoch) v = ev(m.value);
      return v;
    }
    case 'call': {
      const a = e.args.map(ev);
      switch (e.fn) {
        case 'exp': return Math.exp(a[0]!);
        case 'log': return Math.log(a[0]!);
        case 'abs': return Math.abs(a[0]!);
        case 'sqrt': return Math.sqrt(a[0]!);
        case 'cos': return Math.cos(a[0]!);
        case 'max': return Math.max(...a);
        case 'min': return Math.min(...a);
        case 'ramp': return linearRamp(a[0]!, a[1]!, a[2]!);
        case 'sigmoid_ramp': return sigmoidRamp(a[0]!, a[1]!, a[2]!);
        default: throw new InternalError(`'${e.fn}' cannot appear in a schedule`);
      }
    }
    default:
      throw new InternalError(`'${e.kind}' cannot appear in a schedule`);
  }
  throw new InternalError('unreachable');
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
    let v = lr.initial;
    const ms = Object.entries(lr.milestones as Record<string, number>).map(([k, val]) => [Number(k), val] as const).sort((a, b) => a[0] - b[0]);
    for (const [epoch, value] of ms) if (t.epoch > epoch) v = value;
    return v;
  }
  // cosine over the run, stepped per epoch (CosineAnnealingLR with T_max = epochs)
  const e = t.epoch - 1;
  const cos = lr as { initial: number; final: number };
  return cos.final + ((cos.initial - cos.final) * (1 + Math.cos((Math.PI * e) / settings.epochs))) / 2;
}
