/**
 * The training objective of a pipeline at the current weights, on one fixed batch, without
 * training: the pipeline's own attack programs (StepCompiler's prologue and attack steps, so the
 * adversarial examples are regenerated exactly as in training, from the same counter-based random
 * start), then a probe program that evaluates the outer objective in eval mode and, optionally,
 * its parameter gradients. Nothing is updated: no optimizer step, no batch-norm statistics.
 *
 * The analyses (gradient instability, flatness, sharpness, hard examples) perturb the weights in
 * the `model/*` variables, call `loss()` or `lossAndGradient()`, and restore them.
 */
import { Graph } from '../ir/graph.js';
import { OPS } from '../ops/registry.js';
import type { Tensor } from '../ir/tensor.js';
import { grad } from '../ir/autodiff.js';
import type { ResolvedPipeline } from '../check/resolved.js';
import type { TypedExpr } from '../typed/typed-expr.js';
import type { Runtime } from '../runtime/runtime.js';
import type { Program } from '../runtime/program.js';
import { ModelLowering, modelVariableName } from '../lower/model.js';
import { lowerObjective, type ExprEnv } from '../lower/objective.js';
import { exprKey } from '../lower/expr-key.js';
import { crossEntropy } from '../ops/losses.js';
import { StepGraphBuilder } from '../lower/step-graphs.js';
import { batchVar, deltaVar, scheduleVar } from '../lower/variables.js';

export interface ProbeBatch {
  images: Float32Array;
  labels: Int32Array;
  /** Positions in the training set: the keys of the attack's random start. */
  positions: Int32Array;
  /** The step number keying the random start (fixed, so every probe sees the same start). */
  step?: number;
}

interface ProbePrograms {
  attack: Program[];
  probe: Program;
  loss: Tensor;
  perExample: Tensor;
  grads: Tensor[];
}

export class AdversarialProbe {
  private readonly steps: StepGraphBuilder;
  private compiled: Promise<ProbePrograms> | null = null;
  readonly params: { name: string; shape: number[]; size: number }[];
  b = 0;

  constructor(
    readonly rt: Runtime,
    readonly pipeline: ResolvedPipeline,
    numExamples: number,
    readonly withGradient: boolean,
  ) {
    if (pipeline.states.length) {
      // TE's states need their buffers; the analyses of the paper are of PGD-AT and TRADES.
      throw new Error(`the analyses take pipelines without per-example state; ${pipeline.name} has ${pipeline.states.map((s) => s.name).join(', ')}`);
    }
    this.steps = new StepGraphBuilder(pipeline, numExamples, pipeline.settings.train.seed);
    this.params = pipeline.model.stateDict.filter((s) => s.trainable).map((s) => ({ name: s.name, shape: [...s.shape], size: s.shape.reduce((a, c) => a * c, 1) }));
  }

  /** Write the batch (the size is fixed by the first call). */
  setBatch(batch: ProbeBatch): void {
    const b = batch.labels.length;
    if (this.b && b !== this.b) throw new Error(`AdversarialProbe: batch size ${b}, compiled for ${this.b}`);
    this.b = b;
    const s = this.rt.variables;
    s.write(batchVar.x(b), batch.images, [b, ...this.pipeline.data.inputShape], 'f32');
    s.write(batchVar.y(b), batch.labels, [b], 'i32');
    s.write(batchVar.index(b), batch.positions, [b], 'i32');
    s.write(batchVar.step(b), Uint32Array.of(batch.step ?? 0), [1], 'u32');
    // Schedules at epoch 0 would need the trainer; the paper's PGD-AT and TRADES have none.
    for (const sc of this.pipeline.schedules) s.write(scheduleVar(sc.name), [0], [], 'f32');
  }

  private programs(): Promise<ProbePrograms> {
    this.compiled ??= this.compile();
    return this.compiled;
  }

  private async compile(): Promise<ProbePrograms> {
    const b = this.b;
    const graphs = this.steps.graphs(b, new Set());
    const label = (s: string) => `${this.pipeline.name}:probe-${s}:b${b}`;
    const attack = [await this.rt.compile(graphs.prologue, { label: label('prologue') })];
    for (const a of graphs.attacks) {
      const program = await this.rt.compile(a.graph, { label: label(`attack:${a.attack.name}`) });
      for (let k = 0; k < a.attack.steps; k++) attack.push(program);
    }
    const { graph, loss, perExample, grads } = this.probeGraph(b);
    const probe = await this.rt.compile(graph, { label: label('objective'), fetch: [loss, perExample, ...grads] });
    return { attack, probe, loss, perExample, grads };
  }

  private probeGraph(b: number): { graph: Graph; loss: Tensor; perExample: Tensor; grads: Tensor[] } {
    const g = new Graph(OPS);
    const p = this.pipeline;
    const shape = [b, ...p.data.inputShape];
    const x = g.variable(batchVar.x(b), shape);
    const y = g.variable(batchVar.y(b), [b], 'i32');
    const model = new ModelLowering(p.model, g);
    const memo = new Map<string, Tensor>();
    let adversarialLogits: Tensor | null = null;
    const adversarial = new Map<string, Tensor>();
    for (const a of p.attacks) adversarial.set(a.name, x.add(g.variable(deltaVar(a.name, b), shape)).clamp(0, 1));
    const env: ExprEnv = {
      x, y, adversarial, states: new Map(),
      schedules: new Map(p.schedules.map((s) => [s.name, g.variable(scheduleVar(s.name), [])])),
      applyModel: (_name: string, input: Tensor, inputExpr: TypedExpr) => {
        const key = exprKey(inputExpr);
        let logits = memo.get(key);
        if (!logits) {
          // Eval mode: the probe measures the loss surface at fixed batch-norm statistics.
          logits = model.apply(input, 'eval');
          memo.set(key, logits);
          if (!adversarialLogits && inputExpr.kind === 'adversarial') adversarialLogits = logits;
        }
        return logits;
      },
    };
    const loss = lowerObjective(p.objective, env);
    // Per-example difficulty: CE on the adversarial input (on the clean one without an attack).
    const logitsForCe = (adversarialLogits as Tensor | null) ?? env.applyModel(p.model.binding, x, { kind: 'input', type: { kind: 'tensor', shape: p.data.inputShape }, span: p.span } as TypedExpr);
    const perExample = crossEntropy(logitsForCe, y, 'none');
    const params = model.parameters();
    const grads = this.withGradient ? grad(loss, params.map((q) => q.tensor)) : [];
    return { graph: g, loss, perExample, grads };
  }

  /** Regenerate the adversarial examples at the current weights and evaluate the objective. */
  async loss(): Promise<{ loss: number; perExample: Float32Array }> {
    const pr = await this.programs();
    this.rt.submit([...pr.attack, pr.probe]);
    const loss = (await pr.probe.read(pr.loss))[0]!;
    const perExample = (await pr.probe.read(pr.perExample)) as Float32Array;
    return { loss, perExample };
  }

  /** The objective and its gradient, flattened in state_dict order of the trainable tensors. */
  async lossAndGradient(): Promise<{ loss: number; gradient: Float64Array }> {
    if (!this.withGradient) throw new Error('AdversarialProbe was built without gradients');
    const pr = await this.programs();
    this.rt.submit([...pr.attack, pr.probe]);
    const loss = (await pr.probe.read(pr.loss))[0]!;
    const gradient = new Float64Array(this.params.reduce((s, q) => s + q.size, 0));
    let o = 0;
    for (const t of pr.grads) {
      const v = await pr.probe.read(t);
      gradient.set(v, o);
      o += v.length;
    }
    return { loss, gradient };
  }

  /** Free the compiled programs' buffers (the variables stay in the store). */
  async destroy(): Promise<void> {
    const compiled = this.compiled;
    this.compiled = null;
    if (!compiled) return;
    const pr = await compiled;
    for (const program of new Set([...pr.attack, pr.probe])) program.destroy();
  }

  /** The trainable weights, flattened in the same order as the gradient. */
  async readWeights(): Promise<Float64Array> {
    const out = new Float64Array(this.params.reduce((s, q) => s + q.size, 0));
    let o = 0;
    for (const q of this.params) {
      out.set(await this.rt.variables.read(modelVariableName(q.name)), o);
      o += q.size;
    }
    return out;
  }

  writeWeights(flat: Float64Array): void {
    let o = 0;
    for (const q of this.params) {
      this.rt.variables.write(modelVariableName(q.name), Float32Array.from(flat.subarray(o, o + q.size)), q.shape, 'f32');
      o += q.size;
    }
  }
}
