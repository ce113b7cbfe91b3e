/**
 * Evaluation attacks on the GPU graph: natural accuracy and PGD-k on cross-entropy or on the C&W
 * margin loss, with random starts and restarts. An example counts as broken if ANY iterate of ANY
 * restart is misclassified (the iterate's logits come from the forward pass the step computes
 * anyway, so the check is free), which is never weaker than checking the last iterate only.
 *
 * The model runs in eval mode on the variables in the runtime's store (the current weights).
 * Programs are compiled once per batch size; a batch is one submission and one readback of B flags.
 * The batch lives in the shared batch variables of batch.ts, so APGD and Square read it too.
 */
import { Graph } from '../ir/graph.js';
import { OPS } from '../ops/registry.js';
import type { Tensor } from '../ir/tensor.js';
import { grad } from '../ir/autodiff.js';
import type { ResolvedModel, PerturbationBall, AttackStart } from '../check/resolved.js';
import type { Runtime } from '../runtime/runtime.js';
import type { Program } from '../runtime/program.js';
import { initialDelta, pgdStep } from '../lower/perturbation.js';
import { Streams } from '../util/random.js';
import { batchTensors, evalVar, writeBatch, writeKey, writeRobust, toFlags } from './batch.js';
import { evalClassifier, type Classifier } from './classifier.js';
import { attackObjective, correctMask } from './objectives.js';

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

/** The PGD iterate's perturbation of a batch (see batch.ts for the `eval/<batch shape>/` key). */
const deltaVar = (b: number, inputShape: readonly number[]) => evalVar(b, inputShape, 'pgd/delta');

interface PgdPrograms {
  start: Program;
  step: Program;
  finish: Program;
  robust: Tensor;
}

export class RobustEvaluator {
  private readonly classify: Classifier;
  private readonly natural = new Map<number, Promise<{ program: Program; correct: Tensor; logits: Tensor }>>();
  private readonly pgd = new Map<string, Promise<PgdPrograms>>();

  constructor(
    private readonly rt: Runtime,
    model: ResolvedModel | Classifier,
    private readonly inputShape: readonly number[],
    private readonly seed: number,
  ) {
    this.classify = evalClassifier(model);
  }

  /** Upload a batch (images in [0,1], labels, dataset indices). */
  setBatch(b: number, x: Float32Array, y: Int32Array, index: Int32Array): void {
    writeBatch(this.rt, this.inputShape, b, x, y, index);
  }

  private naturalProgram(b: number) {
    let p = this.natural.get(b);
    if (!p) {
      p = (async () => {
        const g = new Graph(OPS);
        const t = batchTensors(g, b, this.inputShape);
        const logits = this.classify(g, t.x);
        const correct = correctMask(logits, t.y);
        return { program: await this.rt.compile(g, { fetch: [correct, logits], label: `eval:natural:b${b}` }), correct, logits };
      })();
      this.natural.set(b, p);
    }
    return p;
  }

  /** Per-example correctness (1/0) on clean inputs. */
  async naturalCorrect(b: number): Promise<Uint8Array> {
    const { program, correct } = await this.naturalProgram(b);
    program.run();
    return toFlags(await program.read(correct));
  }

  /** Clean logits [b * classes] (for APGD-T's targets and the randomness check). */
  async naturalLogits(b: number): Promise<Float32Array> {
    const { program, logits } = await this.naturalProgram(b);
    program.run();
    return (await program.read(logits)) as Float32Array;
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
    const loss = s.loss === 'ce' ? { kind: 'ce' as const } : { kind: 'cw' as const, kappa: s.kappa ?? 50 };

    // start: delta <- random start (robust flags are reset by the caller once per attack)
    const g0 = new Graph(OPS);
    const t0 = batchTensors(g0, b, this.inputShape);
    g0.assign(g0.variable(deltaVar(b, this.inputShape), shape), initialDelta(g0, shape, s.ball, s.start, { seed: this.seed, stream: Streams.attackStart + 101, step: t0.key, rows: t0.index }));

    // step: flags &= correct(x + delta); delta <- PGD step
    const g1 = new Graph(OPS);
    const t1 = batchTensors(g1, b, this.inputShape);
    const delta = g1.variable(deltaVar(b, this.inputShape), shape);
    const logits = this.classify(g1, t1.x.add(delta));
    const [gradient] = grad(attackObjective(loss, logits, t1.y).sum(), [delta]);
    g1.assign(delta, pgdStep(t1.x, delta, gradient!, s.ball, s.step, s.rule ?? (s.ball.norm === 'linf' ? 'sign' : 'normalized')));
    g1.assign(t1.robust, t1.robust.mul(correctMask(logits, t1.y)));

    // finish: flags &= correct(last iterate)
    const g2 = new Graph(OPS);
    const t2 = batchTensors(g2, b, this.inputShape);
    const last = this.classify(g2, t2.x.add(g2.variable(deltaVar(b, this.inputShape), shape)));
    const updated = t2.robust.mul(correctMask(last, t2.y));
    g2.assign(t2.robust, updated);

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
    writeRobust(this.rt, this.inputShape, b, initial);
    for (let r = 0; r < s.restarts; r++) {
      writeKey(this.rt, this.inputShape, b, key * 1009 + r);
      const seq = [p.start];
      for (let k = 0; k < s.steps; k++) seq.push(p.step);
      seq.push(p.finish);
      this.rt.submit(seq);
    }
    return toFlags(await p.finish.read(p.robust));
  }
}
