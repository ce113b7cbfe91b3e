/**
 * The training loop. Per step the host does only cheap work: pick the batch (counter-based
 * shuffle and augmentation), write it and the step's scalars into device variables, and submit
 * the compiled step (prologue, K attack iterations per attack, outer update) as ONE submission.
 * The host reads the device only for progress (metric accumulators, a few times per epoch),
 * at the end of an epoch, and for evaluation.
 */
import type { ResolvedPipeline } from '../check/resolved.js';
import type { Runtime } from '../runtime/runtime.js';
import { StepCompiler } from '../lower/step-compiler.js';
import type { EpochRecord } from '../io/metrics.js';
import { batchVar, scheduleVar, metricVar, stateVar, gradNormSqVar } from '../lower/variables.js';
import { LR_VARIABLE, ADAM_BIAS1_VARIABLE, ADAM_BIAS2_VARIABLE, optimizerSlots, optimizerStateName } from '../lower/optimizer.js';
import { evaluateSchedules, learningRate } from './schedule-eval.js';
import { initialValues } from './init.js';
import { modelVariableName } from '../lower/model.js';
import { batchAt, augmentBatch, epochOrder, type Dataset } from '../data/index.js';
import { RobustEvaluator, type PgdSettings } from '../attacks/robust-eval.js';
import { BlockAttacks } from '../eval/block-attacks.js';
import type { EvaluationAttackSettings } from '../check/settings.js';
import type { ResolvedEvaluation, PerturbationBall } from '../check/resolved.js';

export class NonFiniteLossError extends Error {
  /**
   * `lastCheckpointEpoch`: the epoch of the run directory's newest checkpoints, null when none was
   * written yet, undefined when the thrower does not know (the Trainer; runPipeline fills it in).
   */
  constructor(
    readonly epoch: number,
    readonly step: number,
    readonly lastCheckpointEpoch?: number | null,
  ) {
    super(`the training loss became NaN or infinite in epoch ${epoch} (by step ${step}). Lower the learning rate or the weight of the extra terms.${checkpointSentence(lastCheckpointEpoch)}`);
    this.name = 'NonFiniteLossError';
  }

  /** The same failure, saying truthfully which checkpoint survives. */
  withCheckpoint(lastCheckpointEpoch: number | null): NonFiniteLossError {
    return new NonFiniteLossError(this.epoch, this.step, lastCheckpointEpoch);
  }
}

function checkpointSentence(epoch: number | null | undefined): string {
  if (epoch === undefined) return '';
  // Resuming with the same settings repeats the same steps (counter-based randomness) and diverges again.
  if (epoch === null) return ' No checkpoint was written (no epoch finished), so there is nothing to resume: run again with the new settings.';
  return ` The checkpoints of epoch ${epoch}, the last good one, are kept (model-final.safetensors, resume.safetensors); --resume would repeat the same steps, so run afresh with the new settings.`;
}

/** One epoch's numbers; the metrics log's record without the fields the run directory adds. */
export type EpochMetrics = Omit<EpochRecord, 'is_best' | 'te_weight'>;

export interface ProgressInfo {
  epoch: number;
  epochs: number;
  batch: number;
  batches: number;
  loss: number;
  imagesPerSecond: number;
  etaSeconds: number;
}

export interface TrainerHooks {
  onProgress?(p: ProgressInfo): void;
  onEpoch?(m: EpochMetrics): Promise<void> | void;
}

export interface TrainerOptions {
  /** Read the device for progress at most this often (seconds). */
  progressInterval?: number;
  /** Log grad_norm_sq per epoch (an accumulator in the outer program; off by default). */
  logGradientNorm?: boolean;
}

export class Trainer {
  readonly compiler: StepCompiler;
  readonly evaluator: RobustEvaluator;
  /** APGD-CE, APGD-T, FAB-T, Square and their cascade (`autoattack`) in evaluate blocks. */
  readonly blockAttacks: BlockAttacks;
  /** Global optimizer step (0-based count of steps done). */
  step = 0;

  constructor(
    readonly rt: Runtime,
    readonly pipeline: ResolvedPipeline,
    readonly train: Dataset,
    readonly test: Dataset,
    readonly opts: TrainerOptions = {},
  ) {
    this.compiler = new StepCompiler(rt, pipeline, train.n, pipeline.settings.train.seed, { gradientNormSq: opts.logGradientNorm });
    this.evaluator = new RobustEvaluator(rt, pipeline.model, pipeline.data.inputShape, pipeline.settings.train.seed);
    this.blockAttacks = new BlockAttacks(rt, pipeline.model, pipeline.data.inputShape, pipeline.data.classes, pipeline.settings.train.seed);
  }

  get seed(): number {
    return this.pipeline.settings.train.seed;
  }

  /** PyTorch-default initial weights, zero optimizer state, zero per-example state. */
  initialize(): void {
    const s = this.rt.variables;
    this.pipeline.model.stateDict.forEach((spec, i) => {
      s.write(modelVariableName(spec.name), initialValues(spec, i, this.seed), spec.shape, 'f32');
    });
    for (const st of this.pipeline.states) {
      const shape = [this.train.n, ...st.shape];
      s.write(stateVar(st.name), new Float32Array(shape.reduce((a, b) => a * b, 1)), shape, 'f32');
    }
    // Optimizer state starts at zero (explicitly: the runtime may be reused across runs).
    for (const spec of this.pipeline.model.stateDict.filter((x) => x.trainable)) {
      for (const slot of optimizerSlots(this.pipeline.settings.train.optimizer)) {
        s.write(optimizerStateName(spec.name, slot), new Float32Array(spec.shape.reduce((a, b) => a * b, 1)), spec.shape, 'f32');
      }
    }
    this.step = 0;
  }

  /** Global L2 norm of the trainable weights (one readback per parameter). */
  async weightNorm(): Promise<number> {
    let sumSq = 0;
    for (const spec of this.pipeline.model.stateDict.filter((x) => x.trainable)) {
      for (const v of await this.rt.variables.read(modelVariableName(spec.name))) sumSq += v * v;
    }
    return Math.sqrt(sumSq);
  }

  private activeStates(epoch: number): Set<string> {
    return new Set(this.pipeline.states.filter((s) => epoch >= s.fromEpoch).map((s) => s.name));
  }

  private resetMetrics(): void {
    for (const name of Object.values(metricVar)) this.rt.variables.write(name, new Float32Array(1), [], 'f32');
    if (this.opts.logGradientNorm) this.rt.variables.write(gradNormSqVar, new Float32Array(1), [], 'f32');
  }

  private async readMetric(name: string): Promise<number> {
    return (await this.rt.variables.read(name))[0]!;
  }

  /** Train one (1-based) epoch; returns its metrics (evaluation included when due). */
  async runEpoch(epoch: number, hooks: TrainerHooks = {}): Promise<EpochMetrics> {
    const started = performance.now();
    const p = this.pipeline;
    const t = p.settings.train;
    const n = this.train.n;
    const B = t.batch;
    const batches = Math.ceil(n / B);
    const order = epochOrder(n, epoch, this.seed, true);
    const active = this.activeStates(epoch);
    const augment = p.settings.data.augment as { kind: string; padding?: number }[];
    const crop = augment.find((a) => a.kind === 'crop')?.padding;
    const flip = augment.some((a) => a.kind === 'flip');
    const { channels: c, height: h, width: w } = this.train;
    const s = this.rt.variables;
    this.resetMetrics();

    const schedulesAtEpoch = evaluateSchedules(p.schedules, { epoch, step: this.step });
    const lr = learningRate(t, { epoch, step: this.step }, schedulesAtEpoch);
    s.write(LR_VARIABLE, [lr], [], 'f32');
    let lastLr = lr;
    let lastSchedules = schedulesAtEpoch;
    let lastProgress = performance.now();
    const interval = (this.opts.progressInterval ?? 2) * 1000;

    for (let bi = 0; bi < batches; bi++) {
      const batch = batchAt(this.train, order, bi * B, B);
      const b = batch.n;
      // Device `index` is the position in the training set: per-example state rows and random keys.
      const positions = new Int32Array(b);
      for (let k = 0; k < b; k++) positions[k] = order[bi * B + k]!;
      const images = crop || flip ? augmentBatch(batch.images, b, c, h, w, batch.indices, epoch, this.seed, { crop, flip }) : batch.images;
      const programs = await this.compiler.programs(b, active);
      s.write(batchVar.x(b), images, [b, c, h, w], 'f32');
      s.write(batchVar.y(b), batch.labels, [b], 'i32');
      s.write(batchVar.index(b), positions, [b], 'i32');
      s.write(batchVar.step(b), Uint32Array.of(this.step), [1], 'u32');
      const sched = evaluateSchedules(p.schedules, { epoch, step: this.step });
      for (const [name, value] of sched) s.write(scheduleVar(name), [value], [], 'f32');
      lastSchedules = sched;
      // A schedule named as `lr` may depend on `step` (a warm-up within an epoch): re-evaluate it every
      // step. The other forms (number, piecewise, cosine) are per epoch and give the value written above.
      if (typeof t.lr === 'string') {
        const lrNow = learningRate(t, { epoch, step: this.step }, sched);
        if (lrNow !== lastLr) s.write(LR_VARIABLE, [lrNow], [], 'f32');
        lastLr = lrNow;
      }
      if (t.optimizer.kind === 'adam') {
        const o = t.optimizer as { beta1: number; beta2: number };
        s.write(ADAM_BIAS1_VARIABLE, [1 - Math.pow(o.beta1, this.step + 1)], [], 'f32');
        s.write(ADAM_BIAS2_VARIABLE, [1 - Math.pow(o.beta2, this.step + 1)], [], 'f32');
      }
      this.rt.submit(programs.sequence);
      this.step++;

      const now = performance.now();
      if (hooks.onProgress && (now - lastProgress > interval || bi === batches - 1)) {
        lastProgress = now;
        const lossSum = await this.readMetric(metricVar.lossSum);
        const seen = await this.readMetric(metricVar.examples);
        if (!Number.isFinite(lossSum)) throw new NonFiniteLossError(epoch, this.step);
        const elapsed = (performance.now() - started) / 1000;
        const ips = seen / Math.max(elapsed, 1e-9);
        hooks.onProgress({ epoch, epochs: t.epochs, batch: bi + 1, batches, loss: lossSum / Math.max(seen, 1), imagesPerSecond: ips, etaSeconds: (n - seen) / Math.max(ips, 1e-9) });
      }
    }

    const lossSum = await this.readMetric(metricVar.lossSum);
    const examples = await this.readMetric(metricVar.examples);
    if (!Number.isFinite(lossSum)) throw new NonFiniteLossError(epoch, this.step);
    const natural = await this.readMetric(metricVar.naturalCorrect);
    const robust = await this.readMetric(metricVar.adversarialCorrect);
    const hasAttack = p.attacks.length > 0;

    const evalSettings = this.dueEvaluation(epoch);
    const evalResult = evalSettings ? await this.evaluate(evalSettings, this.test) : {};
    const selected = evalSettings?.settings.select;
    const metrics: EpochMetrics = {
      epoch,
      step: this.step,
      // docs/metrics.md: the values at the epoch's last step (equal to the first unless they use `step`).
      lr: lastLr,
      schedules: Object.fromEntries(lastSchedules),
      train_loss: lossSum / Math.max(examples, 1),
      train_natural_acc: natural / Math.max(examples, 1),
      train_robust_acc: hasAttack ? robust / Math.max(examples, 1) : null,
      test_natural_acc: evalResult['natural'] ?? null,
      test_robust_acc: selected && selected !== 'natural' ? evalResult[selected] ?? null : firstRobust(evalResult),
      eval: evalResult,
      ...(evalSettings ? { eval_n: this.test.n } : {}),
      seconds: (performance.now() - started) / 1000,
    };
    if (this.opts.logGradientNorm) metrics.grad_norm_sq = (await this.readMetric(gradNormSqVar)) / batches;
    await hooks.onEpoch?.(metrics);
    return metrics;
  }

  /** The evaluation block that runs after this epoch, if any. */
  dueEvaluation(epoch: number): ResolvedEvaluation | null {
    return this.pipeline.evaluations.find((e) => e.settings.every > 0 && epoch % e.settings.every === 0) ?? null;
  }

  /** Accuracy per attack label on a dataset (natural, pgd, cw; see src/attacks for AutoAttack). */
  async evaluate(evaluation: ResolvedEvaluation, data: Dataset): Promise<Record<string, number>> {
    const B = Math.min(evaluation.settings.batch, data.n);
    const attacks = evaluation.attacks;
    const labels = attacks.map((a) => a.label);
    const correct = new Map<string, number>(labels.map((l) => [l, 0]));
    // A last, partial batch is padded to B with copies of its own rows when every attack treats
    // examples independently (natural, PGD and C&W: summed losses, random starts keyed by dataset
    // index), so the programs compiled for B serve it: a second batch size would compile every
    // kernel again, minutes on a software GPU. The copies' results are dropped. Block attacks
    // (APGD, FAB, Square) get the exact batch.
    const padLast = attacks.every((a) => a.settings.kind === 'natural' || a.settings.kind === 'pgd' || a.settings.kind === 'cw');
    for (let start = 0; start < data.n; start += B) {
      const real = Math.min(B, data.n - start);
      const rows = padLast ? B : real;
      // Evaluation reads in file order.
      const positions = Int32Array.from({ length: rows }, (_, k) => start + (k % real));
      const batch = batchAt(data, positions, 0, rows);
      const b = batch.n;
      this.evaluator.setBatch(b, batch.images, batch.labels, positions);
      const nat = await this.evaluator.naturalCorrect(b);
      for (let i = 0; i < attacks.length; i++) {
        const a = attacks[i]!.settings;
        const label = labels[i]!;
        let flags: Uint8Array;
        if (a.kind === 'natural') flags = nat;
        else {
          const pgd = this.pgdSettings(a, attacks[i]!.ball);
          const ball = attacks[i]!.ball ?? this.pipeline.attacks[0]?.ball;
          const robust = pgd ? await this.evaluator.pgdRobust(b, pgd, nat, this.seed + 7919 * i) : ball ? await this.blockAttacks.robust(b, a, ball, nat) : null;
          if (!robust) continue; // no ball to attack in
          flags = robust;
        }
        correct.set(label, correct.get(label)! + flags.subarray(0, real).reduce((x, y) => x + y, 0));
      }
    }
    return Object.fromEntries([...correct].map(([k, v]) => [k, v / data.n]));
  }

  private pgdSettings(a: EvaluationAttackSettings, resolvedBall?: PerturbationBall): PgdSettings | null {
    const base = this.pipeline.attacks[0];
    const rec = a as { kind: string; steps?: number; step?: number; ball?: { kind: string; eps: number }; start?: { kind: string; std?: number }; restarts?: number; kappa?: number };
    if (rec.kind !== 'pgd' && rec.kind !== 'cw') return null;
    const ball = resolvedBall ?? (rec.ball ? { norm: rec.ball.kind as 'linf' | 'l2', eps: rec.ball.eps } : base?.ball);
    if (!ball) return null;
    const step = rec.step ?? base?.step ?? ball.eps / 4;
    const start = rec.start ? (rec.start.kind === 'normal' ? { kind: 'normal' as const, std: rec.start.std! } : { kind: rec.start.kind as 'uniform' | 'none' }) : { kind: 'uniform' as const };
    return { ball, step, steps: rec.steps ?? 10, start, restarts: rec.restarts ?? 1, loss: rec.kind === 'cw' ? 'cw' : 'ce', kappa: rec.kappa };
  }
}


function firstRobust(r: Record<string, number>): number | null {
  for (const [k, v] of Object.entries(r)) if (k !== 'natural') return v;
  return null;
}
