/**
 * One compiled matc training step (prologue, K attack iterations, outer update) on a synthetic
 * batch, driven exactly as src/train/trainer.ts drives it: the batch and the step's scalars are
 * written into device variables, then the step's program sequence is submitted once.
 */
import type { ResolvedPipeline } from '../../src/check/index.js';
import type { Runtime } from '../../src/runtime/runtime.js';
import type { CompileOptions, Program } from '../../src/runtime/program.js';
import { StepCompiler } from '../../src/lower/step-compiler.js';
import { Trainer } from '../../src/train/trainer.js';
import { batchVar, scheduleVar } from '../../src/lower/variables.js';
import { LR_VARIABLE, ADAM_BIAS1_VARIABLE, ADAM_BIAS2_VARIABLE } from '../../src/lower/optimizer.js';
import { evaluateSchedules, learningRate } from '../../src/train/schedule-eval.js';
import { makeDataset } from '../../src/data/dataset.js';
import type { SyntheticBatch } from '../random-batch.js';

export class MatcTrainingStep {
  private stepCount = 0;

  private constructor(
    private readonly rt: Runtime,
    private readonly pipeline: ResolvedPipeline,
    private readonly data: SyntheticBatch,
    /** The whole step in submission order. */
    readonly sequence: Program[],
  ) {}

  /**
   * Compile the step for `data.n` examples and initialise weights and optimizer state as a
   * training run would. `compile` passes compiler options through (to measure fusion and reuse).
   */
  static async create(rt: Runtime, pipeline: ResolvedPipeline, data: SyntheticBatch, compile: CompileOptions = {}): Promise<MatcTrainingStep> {
    const [c, h, w] = data.shape;
    const dataset = makeDataset({ name: 'synthetic', images: data.images, labels: data.labels, channels: c, height: h, width: w, classes: pipeline.data.classes });
    // The Trainer owns PyTorch-default initialisation; reuse it rather than repeat it.
    const trainer = new Trainer(rt, pipeline, dataset, dataset);
    trainer.initialize();
    const seed = pipeline.settings.train.seed;
    const compiler = Object.keys(compile).length ? new StepCompiler(withCompileOptions(rt, compile), pipeline, dataset.n, seed) : trainer.compiler;
    const programs = await compiler.programs(data.n, new Set());
    const step = new MatcTrainingStep(rt, pipeline, data, programs.sequence);
    step.writeScalars();
    return step;
  }

  private writeScalars(): void {
    const s = this.rt.variables;
    const t = this.pipeline.settings.train;
    const time = { epoch: 1, step: this.stepCount };
    const schedules = evaluateSchedules(this.pipeline.schedules, time);
    s.write(LR_VARIABLE, [learningRate(t, time, schedules)], [], 'f32');
    for (const [name, value] of schedules) s.write(scheduleVar(name), [value], [], 'f32');
    if (t.optimizer.kind === 'adam') {
      const o = t.optimizer as { beta1: number; beta2: number };
      s.write(ADAM_BIAS1_VARIABLE, [1 - Math.pow(o.beta1, this.stepCount + 1)], [], 'f32');
      s.write(ADAM_BIAS2_VARIABLE, [1 - Math.pow(o.beta2, this.stepCount + 1)], [], 'f32');
    }
  }

  /** Upload the batch (as the trainer does every step) and submit the whole step. */
  run(sequence: readonly Program[] = this.sequence): void {
    const b = this.data.n;
    const [c, h, w] = this.data.shape;
    const s = this.rt.variables;
    s.write(batchVar.x(b), this.data.images, [b, c, h, w], 'f32');
    s.write(batchVar.y(b), this.data.labels, [b], 'i32');
    s.write(batchVar.index(b), this.data.positions, [b], 'i32');
    s.write(batchVar.step(b), Uint32Array.of(this.stepCount), [1], 'u32');
    this.rt.submit(sequence);
    this.stepCount++;
  }

  /**
   * Warm up by running every distinct program once, each in its own submission, and return each
   * one's wall time in ms: pipelines and driver state are warm afterwards at a fraction of a full
   * step's cost (the attack runs once, not K times), and the times predict a full step's cost.
   */
  async warmUp(): Promise<Map<Program, number>> {
    const times = new Map<Program, number>();
    for (const p of this.programs()) {
      const t0 = performance.now();
      this.run([p]);
      await this.rt.sync();
      times.set(p, performance.now() - t0);
    }
    return times;
  }

  /** A full step's expected wall time from per-program times (`warmUp`'s result). */
  predictStepMs(times: ReadonlyMap<Program, number>): number {
    return this.sequence.reduce((sum, p) => sum + (times.get(p) ?? 0), 0);
  }

  /** Distinct programs of the step (the attack program appears K times in the sequence). */
  programs(): Program[] {
    return [...new Set(this.sequence)];
  }

  get batch(): number {
    return this.data.n;
  }
}

/** A runtime view whose compile() applies fixed options (fusion and buffer reuse on or off). */
function withCompileOptions(rt: Runtime, fixed: CompileOptions): Runtime {
  return new Proxy(rt, {
    get(target, prop, receiver) {
      if (prop === 'compile') return (graph: Parameters<Runtime['compile']>[0], opts: CompileOptions = {}) => target.compile(graph, { ...opts, ...fixed });
      return Reflect.get(target, prop, receiver);
    },
  });
}
