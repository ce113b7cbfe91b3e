/**
 * Evaluation attacks on the GPU graph: natural accuracy and PGD-k on cross-entropy or on the C&W
 * margin loss, with random starts and restarts. An example counts as broken if ANY iterate of ANY
 * restart is misclassified (the iterate's logits come from the forward pass the step computes
 * anyway, so the check is free), which is never weaker than checking the last iterate only.
 *
 * The model runs in eval mode on the variables in the runtime's store (the current weights).
 * Programs are compiled once per batch size; a batch is one submission and one readback of B flags.
 */
import { Graph } from '../graph/graph.js';
import type { Tensor } from '../graph/tensor.js';
import { grad } from '../graph/autodiff.js';
import type { ResolvedModel, PerturbationBall, AttackStart } from '../check/resolved.js';
import type { Runtime } from '../runtime/runtime.js';
import type { Program } from '../runtime/program.js';
import { ModelLowering } from '../compile/model.js';
import { crossEntropy, marginLoss } from '../ops/losses.js';
import { initialDelta, pgdStep } from './perturbation.js';
import { Streams } from '../util/random.js';

export interface PgdSettings {
  ball: PerturbationBall;
  step: number;
  steps: number;
  start: AttackStart;
  restarts: number;
  /** 'ce': maximise cross-entropy; 'cw': maximise the margin loss -max(z_y - max_{i!=y} z_i + kappa, 0). */
  loss: 'ce' | 'cw';
  kappa?: number;
  rule?: 'sign' | 'normalized';
}

const v = {
  x: (b: number) => `eval${b}/x`,
  y: (b: number) => `eval${b}/y`,
  index: (b: number) => `eval${b}/index`,
  key: (b: number) => `eval${b}/key`,
  delta: (b: number) => `eval${b}/delta`,
  robust: (b: number) => `eval${b}/robust`,
};

interface PgdPrograms {
  start: Program;
  step: Program;
  finish: Program;
  robust: Tensor;
}

export class RobustEvaluator {
  private readonly natural = new Map<number, Promise<{ program: Program; correct: Tensor }>>();
  private readonly pgd = new Map<string, Promise<PgdPrograms>>();

  constructor(
    private readonly rt: Runtime,
    private readonly model: ResolvedModel,
    private readonly inputShape: readonly number[],
    private readonly seed: number,
  ) {}

  private inputs(g: Graph, b: number) {
    return {
      x: g.variable(v.x(b), [b, ...this.inputShape]),
      y: g.variable(v.y(b), [b], 'i32'),
      index: g.variable(v.index(b), [b], 'i32'),
      key: g.variable(v.key(b), [1], 'u32'),
    };
  }

  /** Upload a batch (images in [0,1], labels, dataset indices). */
  setBatch(b: number, x: Float32Array, y: Int32Array, index: Int32Array): void {
    const s = this.rt.variables;
    s.write(v.x(b), x, [b, ...this.inputShape], 'f32');
    s.write(v.y(b), y, [b], 'i32');
    s.write(v.index(b), index, [b], 'i32');
  }

  /** Per-example correctness (1/0) on clean inputs. */
  async naturalCorrect(b: number): Promise<Uint8Array> {
    let p = this.natural.get(b);
    if (!p) {
      p = (async () => {
        const g = new Graph();
        const t = this.inputs(g, b);
        const logits = new ModelLowering(this.model, g).apply(t.x, 'eval');
        const correct = logits.argmax(-1).eq(t.y);
        return { program: await this.rt.compile(g, { fetch: [correct], label: `eval:natural:b${b}` }), correct };
      })();
      this.natural.set(b, p);
    }
    const { program, correct } = await p;
    program.run();
    return toFlags(await program.read(correct));
  }

  private programs(b: number, s: PgdSettings): Promise<PgdPrograms> {
    const key = `${b}|${JSON.stringify(s)}`;
    let p = this.pgd.get(key);
    if (!p) {
      p = this.compilePgd(b, s);
      this.pgd.set(key, p);
    }
    return p;
  }

  private async compilePgd(b: number, s: PgdSettings): Promise<PgdPrograms> {
    const shape = [b, ...this.inputShape];
    const objective = (logits: Tensor, y: Tensor) => (s.loss === 'ce' ? crossEntropy(logits, y, 'sum') : marginLoss(logits, y, s.kappa ?? 50).sum());

    // start: delta <- random start (robust flags are reset by the caller once per attack)
    const g0 = new Graph();
    const t0 = this.inputs(g0, b);
    g0.assign(g0.variable(v.delta(b), shape), initialDelta(g0, shape, s.ball, s.start, { seed: this.seed, stream: Streams.attackStart + 101, step: t0.key, rows: t0.index }));

    // step: flags &= correct(x + delta); delta <- PGD step
    const g1 = new Graph();
    const t1 = this.inputs(g1, b);
    const delta = g1.variable(v.delta(b), shape);
    const robust1 = g1.variable(v.robust(b), [b]);
    const logits = new ModelLowering(this.model, g1).apply(t1.x.add(delta), 'eval');
    const [gradient] = grad(objective(logits, t1.y), [delta]);
    g1.assign(delta, pgdStep(t1.x, delta, gradient!, s.ball, s.step, s.rule ?? (s.ball.norm === 'linf' ? 'sign' : 'normalized')));
    g1.assign(robust1, robust1.mul(logits.argmax(-1).eq(t1.y)));

    // finish: flags &= correct(last iterate)
    const g2 = new Graph();
    const t2 = this.inputs(g2, b);
    const robust2 = g2.variable(v.robust(b), [b]);
    const last = new ModelLowering(this.model, g2).apply(t2.x.add(g2.variable(v.delta(b), shape)), 'eval');
    const updated = robust2.mul(last.argmax(-1).eq(t2.y));
    g2.assign(robust2, updated);

    return {
      start: await this.rt.compile(g0, { label: `eval:pgd-start:b${b}` }),
      step: await this.rt.compile(g1, { label: `eval:pgd-step:b${b}` }),
      finish: await this.rt.compile(g2, { label: `eval:pgd-finish:b${b}`, fetch: [updated] }),
      robust: updated,
    };
  }

  /**
   * Per-example robustness (1 = every iterate of every restart classified correctly) under PGD.
   * `initial` flags (e.g. natural correctness) start the conjunction; `key` seeds the random starts.
   */
  async pgdRobust(b: number, s: PgdSettings, initial: Uint8Array, key: number): Promise<Uint8Array> {
    const p = await this.programs(b, s);
    this.rt.variables.write(v.robust(b), Float32Array.from(initial), [b], 'f32');
    for (let r = 0; r < s.restarts; r++) {
      this.rt.variables.write(v.key(b), Uint32Array.of((key * 1009 + r) >>> 0), [1], 'u32');
      const seq = [p.start];
      for (let k = 0; k < s.steps; k++) seq.push(p.step);
      seq.push(p.finish);
      this.rt.submit(seq);
    }
    return toFlags(await p.finish.read(p.robust));
  }
}

function toFlags(a: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! > 0.5 ? 1 : 0;
  return out;
}
