/**
 * APGD (Croce & Hein 2020), as fra31/auto-attack `autopgd_base.py` runs it, entirely on the GPU:
 *  - start: x + eps * t / ||t|| with t uniform in [-1, 1]^d (L-inf, normalised by its max) or
 *    standard normal (L2), clipped to [0, 1];
 *  - step size 2 eps per example; momentum 0.75 (none on the first iteration):
 *      z = P(x_k + eta * s(grad)),  x_{k+1} = P(x_k + 0.75 (z - x_k) + 0.25 (x_k - x_{k-1}))
 *    with s = sign (L-inf) or grad / ||grad|| (L2) and P the projection on the ball and [0, 1];
 *  - at the end of each window (see apgd-schedule.ts) the step size of an example halves, and the
 *    example restarts from its best point (with its gradient there), when the loss rose in at most
 *    rho = 75% of the window's steps, or when the step was not halved at the previous check and the
 *    best loss has not improved since;
 *  - an example counts as broken when any iterate (the start included) is misclassified.
 *
 * The per-example state lives in device variables; one run is a handful of submissions (one per
 * window, because the oscillation threshold k * rho changes) and a single readback at the end.
 */
import { Graph } from '../ir/graph.js';
import { OPS } from '../ops/registry.js';
import type { Tensor } from '../ir/tensor.js';
import { grad } from '../ir/autodiff.js';
import type { Runtime } from '../runtime/runtime.js';
import type { Program } from '../runtime/program.js';
import type { Classifier } from './classifier.js';
import { uniformLike, normalLike } from '../ops/random.js';
import { Streams } from '../util/random.js';
import { batchTensors, batchVar, evalVar, exampleAxes, perExample, readFlags, writeKey, type BatchTensors } from './batch.js';
import { apgdWindows, APGD_RHO } from './apgd-schedule.js';
import { attackObjective, correctMask, type AttackLoss } from './objectives.js';

export interface ApgdSettings {
  norm: 'linf' | 'l2';
  eps: number;
  iterations: number;
  loss: 'ce' | 'dlr' | 'dlr-targeted';
}

export interface ApgdResult {
  /** 1 = no iterate of this run misclassified the example (and it was robust before). */
  robust: Uint8Array;
  /** 1 = the input gradient at the start was exactly zero (AutoAttack's zero-gradient check). */
  zeroGradient: Uint8Array;
}

const ALPHA = 2;
const MOMENTUM = 0.75;

/** APGD's per-example state of a batch, under its `eval/<batch shape>/apgd/` key (batch.ts). */
const state = (b: number, inputShape: readonly number[]) => ({
  xAdv: evalVar(b, inputShape, 'apgd/x_adv'),
  xAdvOld: evalVar(b, inputShape, 'apgd/x_adv_old'),
  grad: evalVar(b, inputShape, 'apgd/grad'),
  xBest: evalVar(b, inputShape, 'apgd/x_best'),
  gradBest: evalVar(b, inputShape, 'apgd/grad_best'),
  stepSize: evalVar(b, inputShape, 'apgd/step_size'),
  lossBest: evalVar(b, inputShape, 'apgd/loss_best'),
  lossBestLastCheck: evalVar(b, inputShape, 'apgd/loss_best_last_check'),
  reducedLastCheck: evalVar(b, inputShape, 'apgd/reduced_last_check'),
  lossPrev: evalVar(b, inputShape, 'apgd/loss_prev'),
  increases: evalVar(b, inputShape, 'apgd/increases'),
  zeroGradient: evalVar(b, inputShape, 'apgd/zero_gradient'),
  target: evalVar(b, inputShape, 'apgd/target'),
  momentum: evalVar(b, inputShape, 'apgd/momentum'),
  threshold: evalVar(b, inputShape, 'apgd/threshold'),
});

interface ApgdPrograms {
  start: Program;
  iterate: Program;
  check: Program;
}

export class Apgd {
  private readonly cache = new Map<string, Promise<ApgdPrograms>>();

  constructor(
    private readonly rt: Runtime,
    private readonly classify: Classifier,
    private readonly inputShape: readonly number[],
  ) {}

  /**
   * Attack the batch in the shared batch variables (see batch.ts), starting from the robust flags
   * there; `key` seeds the random start (with each example's dataset index), `targets` are the
   * target classes of the targeted DLR loss.
   */
  async run(b: number, s: ApgdSettings, key: number, targets?: Int32Array): Promise<ApgdResult> {
    const p = await this.programs(b, s);
    const names = state(b, this.inputShape);
    const vars = this.rt.variables;
    writeKey(this.rt, this.inputShape, b, key);
    vars.write(names.target, targets ?? new Int32Array(b), [b], 'i32');
    vars.write(names.momentum, [1], [], 'f32');
    this.rt.submit([p.start, p.iterate]);
    vars.write(names.momentum, [MOMENTUM], [], 'f32');
    let done = 1;
    for (const w of apgdWindows(s.iterations)) {
      vars.write(names.threshold, [w.length * APGD_RHO], [], 'f32');
      const runs: Program[] = [];
      for (; done < w.checkAfter; done++) runs.push(p.iterate);
      runs.push(p.check);
      this.rt.submit(runs);
    }
    const rest: Program[] = [];
    for (; done < s.iterations; done++) rest.push(p.iterate);
    if (rest.length) this.rt.submit(rest);
    return { robust: await readFlags(this.rt, batchVar.robust(b, this.inputShape)), zeroGradient: await readFlags(this.rt, names.zeroGradient) };
  }

  private programs(b: number, s: ApgdSettings): Promise<ApgdPrograms> {
    const key = `${b}|${s.norm}|${s.eps}|${s.loss}`;
    let p = this.cache.get(key);
    if (!p) {
      p = this.compile(b, s);
      this.cache.set(key, p);
    }
    return p;
  }

  private async compile(b: number, s: ApgdSettings): Promise<ApgdPrograms> {
    const label = `apgd-${s.loss}:b${b}`;
    const [start, iterate, check] = await Promise.all([
      this.rt.compile(this.startGraph(b, s), { label: `${label}:start` }),
      this.rt.compile(this.iterateGraph(b, s), { label: `${label}:iterate` }),
      this.rt.compile(this.checkGraph(b), { label: `${label}:check` }),
    ]);
    return { start, iterate, check };
  }

  /** Forward pass, per-example loss, its input gradient and correctness at `xAdv`. */
  private evaluate(g: Graph, t: BatchTensors, s: ApgdSettings, b: number, xAdv: Tensor) {
    const logits = this.classify(g, xAdv);
    const target = g.variable(state(b, this.inputShape).target, [b], 'i32');
    const loss = attackObjective({ kind: s.loss } as AttackLoss, logits, t.y, target);
    const [gradient] = grad(loss.sum(), [xAdv]);
    return { loss, gradient: gradient!, correct: correctMask(logits, t.y) };
  }

  private vars(g: Graph, b: number) {
    const n = state(b, this.inputShape);
    const shape = [b, ...this.inputShape];
    return {
      xAdv: g.variable(n.xAdv, shape),
      xAdvOld: g.variable(n.xAdvOld, shape),
      grad: g.variable(n.grad, shape),
      xBest: g.variable(n.xBest, shape),
      gradBest: g.variable(n.gradBest, shape),
      stepSize: g.variable(n.stepSize, [b]),
      lossBest: g.variable(n.lossBest, [b]),
      lossBestLastCheck: g.variable(n.lossBestLastCheck, [b]),
      reducedLastCheck: g.variable(n.reducedLastCheck, [b]),
      lossPrev: g.variable(n.lossPrev, [b]),
      increases: g.variable(n.increases, [b]),
    };
  }

  private startGraph(b: number, s: ApgdSettings): Graph {
    const g = new Graph(OPS);
    const t = batchTensors(g, b, this.inputShape);
    const v = this.vars(g, b);
    const shape = [b, ...this.inputShape];
    const random = { seed: 0, stream: Streams.attackStart + 211, step: t.key, rows: t.index };
    const noise = s.norm === 'linf' ? uniformLike(g, shape, { ...random, low: -1, high: 1 }) : normalLike(g, shape, random);
    const scale = s.norm === 'linf' ? noise.abs().max(exampleAxes(noise), true) : noise.square().sum(exampleAxes(noise), true).sqrt();
    const x0 = t.x.add(noise.div(scale.add(1e-12)).mul(s.eps)).clamp(0, 1);
    const e = this.evaluate(g, t, s, b, x0);
    const zeros = e.loss.mul(0);
    g.assign(t.robust, t.robust.mul(e.correct));
    g.assign(v.xAdv, x0);
    g.assign(v.xAdvOld, x0);
    g.assign(v.xBest, x0);
    g.assign(v.grad, e.gradient);
    g.assign(v.gradBest, e.gradient);
    g.assign(v.lossBest, e.loss);
    g.assign(v.lossBestLastCheck, e.loss);
    // The reference compares the first window's first loss against an unwritten (zero) entry.
    g.assign(v.lossPrev, zeros);
    g.assign(v.increases, zeros.add(0));
    g.assign(v.reducedLastCheck, zeros.add(1));
    g.assign(v.stepSize, zeros.add(ALPHA * s.eps));
    g.assign(g.variable(state(b, this.inputShape).zeroGradient, [b]), e.gradient.abs().sum(exampleAxes(e.gradient)).eq(0));
    return g;
  }

  private iterateGraph(b: number, s: ApgdSettings): Graph {
    const g = new Graph(OPS);
    const t = batchTensors(g, b, this.inputShape);
    const v = this.vars(g, b);
    const a = g.variable(state(b, this.inputShape).momentum, []);
    const eta = perExample(v.stepSize, v.xAdv);
    const momentumTerm = v.xAdv.sub(v.xAdvOld).mul(a.neg().add(1));
    let next: Tensor;
    if (s.norm === 'linf') {
      const box = (z: Tensor) => z.maximum(t.x.sub(s.eps)).minimum(t.x.add(s.eps)).clamp(0, 1);
      const z = box(v.xAdv.add(v.grad.sign().mul(eta)));
      next = box(v.xAdv.add(z.sub(v.xAdv).mul(a)).add(momentumTerm));
    } else {
      const norm = (d: Tensor) => d.square().sum(exampleAxes(d), true).sqrt();
      const ball = (z: Tensor) => {
        const d = z.sub(t.x);
        const n = norm(d);
        return t.x.add(d.div(n.add(1e-12)).mul(n.minimum(s.eps))).clamp(0, 1);
      };
      const z = ball(v.xAdv.add(v.grad.div(norm(v.grad).add(1e-12)).mul(eta)));
      next = ball(v.xAdv.add(z.sub(v.xAdv).mul(a)).add(momentumTerm));
    }
    const e = this.evaluate(g, t, s, b, next);
    const improved = e.loss.gt(v.lossBest);
    const improvedRows = perExample(improved, next);
    g.assign(t.robust, t.robust.mul(e.correct));
    g.assign(v.xAdvOld, v.xAdv);
    g.assign(v.xAdv, next);
    g.assign(v.grad, e.gradient);
    g.assign(v.xBest, improvedRows.select(next, v.xBest));
    g.assign(v.gradBest, improvedRows.select(e.gradient, v.gradBest));
    g.assign(v.lossBest, improved.select(e.loss, v.lossBest));
    g.assign(v.increases, v.increases.add(e.loss.gt(v.lossPrev)));
    g.assign(v.lossPrev, e.loss);
    return g;
  }

  private checkGraph(b: number): Graph {
    const g = new Graph(OPS);
    const v = this.vars(g, b);
    const threshold = g.variable(state(b, this.inputShape).threshold, []);
    const oscillating = v.increases.le(threshold);
    const stalled = v.reducedLastCheck.neg().add(1).mul(v.lossBestLastCheck.ge(v.lossBest));
    const halve = oscillating.maximum(stalled);
    const rows = perExample(halve, v.xAdv);
    g.assign(v.reducedLastCheck, halve);
    g.assign(v.lossBestLastCheck, v.lossBest);
    g.assign(v.stepSize, halve.select(v.stepSize.mul(0.5), v.stepSize));
    g.assign(v.xAdv, rows.select(v.xBest, v.xAdv));
    g.assign(v.grad, rows.select(v.gradBest, v.grad));
    g.assign(v.increases, v.increases.mul(0));
    return g;
  }
}
