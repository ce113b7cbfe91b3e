/**
 * The graphs of one training step, built without a GPU (StepCompiler compiles them; `matc graph`
 * prints them):
 *
 *   prologue   (eval mode, no gradient) per-example state updates, the natural-accuracy count,
 *              values the attacks need that do not depend on delta (hoisted out of the attack
 *              loop: TRADES' f(x) is computed once per batch, not once per attack step), and
 *              each attack's starting delta;
 *   attack k   one projected-gradient step on attack k's objective (eval mode), run `steps` times;
 *   outer      the outer objective in train mode, its parameter gradients, the optimizer update,
 *              batch-norm running statistics and the metric accumulators.
 *
 * All of them read the batch from device variables written once per step.
 */
import { Graph } from '../ir/graph.js';
import { OPS } from '../ops/registry.js';
import type { Tensor } from '../ir/tensor.js';
import { grad } from '../ir/autodiff.js';
import type { ResolvedPipeline, ResolvedAttack, ResolvedState } from '../check/resolved.js';
import type { TypedExpr } from '../typed/typed-expr.js';
import { ModelLowering, type ModelMode } from './model.js';
import { lowerObjective, lowerValue, dependsOnDelta, type ExprEnv } from './objective.js';
import { exprKey } from './expr-key.js';
import { gatherRows, scatterRows } from '../ops/indexing.js';
import { initialDelta, pgdStep } from './perturbation.js';
import { applyOptimizer } from './optimizer.js';
import { batchVar, stateVar, scheduleVar, deltaVar, hoistVar, metricVar, gradNormSqVar } from './variables.js';
import { Streams } from '../util/random.js';

export interface StepGraphs {
  prologue: Graph;
  attacks: { attack: ResolvedAttack; graph: Graph }[];
  outer: Graph;
}

interface BatchTensors {
  x: Tensor;
  y: Tensor;
  index: Tensor;
  step: Tensor;
}

export class StepGraphBuilder {
  constructor(
    readonly pipeline: ResolvedPipeline,
    /** Examples in the training set (rows of per-example state). */
    readonly numExamples: number,
    readonly seed: number,
    /** Optional extras of the outer program; off by default so the step's graph is unchanged. */
    readonly options: { gradientNormSq?: boolean } = {},
  ) {}

  /** Fresh graphs of a step for this batch size and set of active per-example states. */
  graphs(batch: number, activeStates: ReadonlySet<string>): StepGraphs {
    const hoists = new Map<string, Hoist[]>();
    const attacks = this.pipeline.attacks.map((attack) => ({ attack, graph: this.attackGraph(attack, batch, activeStates, hoists) }));
    const prologue = this.prologueGraph(batch, activeStates, hoists);
    const outer = this.outerGraph(batch, activeStates);
    return { prologue, attacks, outer };
  }

  private batchTensors(g: Graph, b: number): BatchTensors {
    const shape = [b, ...this.pipeline.data.inputShape];
    return {
      x: g.variable(batchVar.x(b), shape),
      y: g.variable(batchVar.y(b), [b], 'i32'),
      index: g.variable(batchVar.index(b), [b], 'i32'),
      step: g.variable(batchVar.step(b), [1], 'u32'),
    };
  }

  private schedules(g: Graph): Map<string, Tensor> {
    return new Map(this.pipeline.schedules.map((s) => [s.name, g.variable(scheduleVar(s.name), [])]));
  }

  /** Normalised targets of the active states for this batch ([B, ...shape]). */
  private stateTargets(g: Graph, t: BatchTensors, active: ReadonlySet<string>): Map<string, Tensor> {
    const out = new Map<string, Tensor>();
    for (const s of this.pipeline.states) {
      if (!active.has(s.name)) continue;
      const rows = gatherRows(this.stateBuffer(g, s), t.index);
      out.set(s.name, normaliseState(rows, s));
    }
    return out;
  }

  private stateBuffer(g: Graph, s: ResolvedState): Tensor {
    return g.variable(stateVar(s.name), [this.numExamples, ...s.shape]);
  }

  /** Memoised model applications: one forward pass per distinct input expression and mode. */
  private applier(model: ModelLowering, mode: ModelMode, onApply?: (key: string, expr: TypedExpr, logits: Tensor) => void) {
    const memo = new Map<string, Tensor>();
    return (_name: string, input: Tensor, inputExpr: TypedExpr): Tensor => {
      const key = `${mode}|${exprKey(inputExpr)}`;
      let logits = memo.get(key);
      if (!logits) {
        logits = model.apply(input, mode);
        memo.set(key, logits);
        onApply?.(key, inputExpr, logits);
      }
      return logits;
    };
  }

  private attackGraph(attack: ResolvedAttack, b: number, active: ReadonlySet<string>, hoists: Map<string, Hoist[]>): Graph {
    const g = new Graph(OPS);
    const t = this.batchTensors(g, b);
    const model = new ModelLowering(this.pipeline.model, g);
    const delta = g.variable(deltaVar(attack.name, b), [b, ...this.pipeline.data.inputShape]);
    const inner = this.applier(model, 'eval');
    const hoisted: Hoist[] = [];
    hoists.set(attack.name, hoisted);
    const env: ExprEnv = {
      x: t.x,
      y: t.y,
      delta: { attack: attack.name, tensor: delta },
      adversarial: new Map(),
      states: this.stateTargets(g, t, active),
      schedules: this.schedules(g),
      applyModel: (name, input, inputExpr) => {
        if (dependsOnDelta(inputExpr)) return inner(name, input, inputExpr);
        // Loop-invariant model application: computed once in the prologue, read here.
        const key = exprKey(inputExpr);
        let h = hoisted.find((x) => x.key === key);
        if (!h) {
          h = { key, expr: inputExpr, variable: hoistVar(attack.name, hoisted.length, b), shape: [b, ...this.pipeline.model.outputShape] };
          hoisted.push(h);
        }
        return g.variable(h.variable, h.shape);
      },
    };
    const objective = lowerObjective(attack.objective, env);
    const [gradient] = grad(objective, [delta]);
    g.assign(delta, pgdStep(t.x, delta, gradient!, attack.ball, attack.step, attack.stepRule));
    return g;
  }

  private prologueGraph(b: number, active: ReadonlySet<string>, hoists: Map<string, Hoist[]>): Graph {
    const g = new Graph(OPS);
    const t = this.batchTensors(g, b);
    const model = new ModelLowering(this.pipeline.model, g);
    const apply = this.applier(model, 'eval');
    const env: ExprEnv = { x: t.x, y: t.y, adversarial: new Map(), states: new Map(), schedules: this.schedules(g), applyModel: apply };

    // Per-example state: buf_i <- m * buf_i + (1 - m) * value_i, for the examples of this batch.
    for (const s of this.pipeline.states) {
      if (!active.has(s.name)) continue;
      const value = lowerValue(s.value, env) as Tensor;
      const buf = this.stateBuffer(g, s);
      const rows = gatherRows(buf, t.index);
      const updated = rows.mul(s.momentum).add(value.stopGradient().mul(1 - s.momentum));
      g.assign(buf, scatterRows(buf, t.index, updated));
    }

    // Natural accuracy of the batch, eval mode, before the update.
    const logits = apply(this.pipeline.model.binding, t.x, { kind: 'input', type: { kind: 'tensor', shape: this.pipeline.data.inputShape }, span: this.pipeline.span } as TypedExpr);
    accumulate(g, metricVar.naturalCorrect, logits.argmax(-1).eq(t.y).sum());

    // Hoisted loop invariants and starting points of the attacks.
    this.pipeline.attacks.forEach((attack, i) => {
      for (const h of hoists.get(attack.name) ?? []) {
        const v = lowerValue(h.expr, env) as Tensor;
        g.assign(g.variable(h.variable, h.shape), apply(this.pipeline.model.binding, v, h.expr));
      }
      const shape = [b, ...this.pipeline.data.inputShape];
      const start = initialDelta(g, shape, attack.ball, attack.start, { seed: this.seed, stream: Streams.attackStart + 16 * i, step: t.step, rows: t.index });
      g.assign(g.variable(deltaVar(attack.name, b), shape), start);
    });
    return g;
  }

  private outerGraph(b: number, active: ReadonlySet<string>): Graph {
    const g = new Graph(OPS);
    const t = this.batchTensors(g, b);
    const model = new ModelLowering(this.pipeline.model, g);
    let adversarialLogits: Tensor | null = null;
    const apply = this.applier(model, 'train', (_key, expr, logits) => {
      if (!adversarialLogits && expr.kind === 'adversarial') adversarialLogits = logits;
    });
    const adversarial = new Map<string, Tensor>();
    for (const a of this.pipeline.attacks) {
      const delta = g.variable(deltaVar(a.name, b), [b, ...this.pipeline.data.inputShape]);
      adversarial.set(a.name, t.x.add(delta).clamp(0, 1));
    }
    const env: ExprEnv = { x: t.x, y: t.y, adversarial, states: this.stateTargets(g, t, active), schedules: this.schedules(g), applyModel: apply };
    const loss = lowerObjective(this.pipeline.objective, env);
    const params = model.parameters();
    const grads = grad(loss, params.map((p) => p.tensor));
    applyOptimizer(g, this.pipeline.settings.train.optimizer, params, grads);
    // ||grad||^2 summed over the epoch's steps: a few reductions inside the outer program, read
    // once per epoch, so logging it costs no readback per step (analysis hook, see variables.ts).
    if (this.options.gradientNormSq) {
      const squares = grads.map((gr) => gr!.square().sum());
      accumulate(g, gradNormSqVar, squares.reduce((a, c) => a.add(c)));
    }
    model.finish();

    accumulate(g, metricVar.lossSum, loss.mul(b));
    accumulate(g, metricVar.examples, g.constant(b));
    if (adversarialLogits) accumulate(g, metricVar.adversarialCorrect, (adversarialLogits as Tensor).argmax(-1).eq(t.y).sum());
    return g;
  }
}

interface Hoist {
  key: string;
  expr: TypedExpr;
  variable: string;
  shape: number[];
}

function accumulate(g: Graph, name: string, value: Tensor): void {
  const v = g.variable(name, []);
  g.assign(v, v.add(value.reshape([])));
}

/** buf / sum(buf) (or / ||buf||); zero rows (never updated) stay zero instead of 0/0. */
function normaliseState(rows: Tensor, s: ResolvedState): Tensor {
  if (s.normalize === 'none') return rows;
  const axes = Array.from({ length: rows.rank - 1 }, (_, i) => i + 1);
  const denom = s.normalize === 'sum' ? rows.sum(axes, true) : rows.square().sum(axes, true).sqrt();
  return rows.div(denom.maximum(1e-30));
}
