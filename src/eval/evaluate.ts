/**
 * Robustness evaluation of one set of weights: natural accuracy first, then each attack plan as a
 * cascade of stages over the examples still robust, in chunks of the batch size (the last, short
 * chunk of a stage is padded to a power of two, so programs are compiled for a few sizes only). The record is updated after every chunk, so an
 * interrupted evaluation resumes where it stopped and, because every random draw is keyed by
 * example, ends with exactly the flags an uninterrupted one would have.
 */
import type { Runtime } from '../runtime/runtime.js';
import type { Classifier } from '../attacks/classifier.js';
import { writeBatch } from '../attacks/batch.js';
import { stageName, type AttackPlan, type Stage } from './attack-plan.js';
import { StageRunner, type ThreatModel } from './stages.js';
import { newRecord, robustCount, type AttackRecord, type EvalRecord, type EvalSettingsRecord } from './record.js';
import { randomnessCheck, squareWarning, zeroGradientWarning } from './sanity.js';

export interface EvalData {
  /** NCHW images in [0, 1]. */
  images: Float32Array;
  labels: Int32Array;
  /** Dataset indices: the keys of per-example randomness. */
  indices: Int32Array;
  n: number;
  inputShape: readonly number[];
  classes: number;
}

export interface EvalProgress {
  attack: string;
  stage: string;
  /** Examples this stage has finished, of `total` it has to attack. */
  done: number;
  total: number;
  /** Where the current chunk is inside the stage, e.g. `target 3/9` or `1200/5000 queries`. */
  detail?: string;
  seconds: number;
}

export interface EvaluateOptions {
  threat: ThreatModel;
  seed: number;
  batch: number;
  plans: AttackPlan[];
  /** Identifies the weights in the record (checkpoint path and size). */
  weights: string;
  checkpoint: string;
  dataset?: string;
  pipeline?: string;
  /** A record of an earlier, interrupted run with the same settings. */
  resume?: EvalRecord | null;
  onProgress?(p: EvalProgress): void;
  /** Called after every chunk (write the record); may throw to interrupt (tests do). */
  onSave?(r: EvalRecord): void;
}

const NATURAL: AttackPlan = { id: 'natural', label: 'Natural', stages: [] };

export function recordSettings(data: EvalData, o: EvaluateOptions): EvalSettingsRecord {
  return { norm: o.threat.norm, eps: o.threat.eps, seed: o.seed, n: data.n, weights: o.weights, ...(o.dataset ? { dataset: o.dataset } : {}), ...(o.pipeline ? { pipeline: o.pipeline } : {}) };
}

export async function evaluateRobustness(rt: Runtime, classify: Classifier, data: EvalData, o: EvaluateOptions): Promise<EvalRecord> {
  const record = o.resume ?? newRecord(o.checkpoint, recordSettings(data, o));
  const b = Math.max(1, Math.min(o.batch, data.n));
  const runner = new StageRunner(rt, classify, data.inputShape, data.classes, o.threat, o.seed);
  const ctx = { rt, data, o, b, runner, record };

  const natural = attackRecord(record, NATURAL, data.n, null);
  await runStage(ctx, natural, { kind: 'natural' }, allIndices(data.n));
  finish(natural);
  if (record.sanity.randomized === null) {
    record.sanity.randomized = await randomnessCheck(rt, runner.evaluator, data, b);
    if (record.sanity.randomized) record.sanity.warnings.push('the model is randomized: two forward passes on the same inputs differ, so these numbers may overstate robustness (use EOT attacks)');
    o.onSave?.(record);
  }

  for (const plan of o.plans) {
    if (plan.id === 'natural') continue;
    const a = attackRecord(record, plan, data.n, natural.robust);
    for (const stage of plan.stages) {
      if (stage.kind === 'apgd-t' && data.classes < 4) throw new Error(`APGD-T needs at least 4 classes, the data has ${data.classes}`);
      const pending = allIndices(data.n).filter((i) => a.robust[i] === 1 && a.done[stageName(stage)]![i] === 0);
      await runStage(ctx, a, stage, pending);
    }
    finish(a);
  }
  record.sanity.warnings = record.sanity.warnings.filter((w) => !w.startsWith('Square') && !w.startsWith('zero gradients'));
  const zero = zeroGradientWarning(record.sanity);
  if (zero) record.sanity.warnings.push(zero);
  for (const plan of o.plans) {
    const w = squareWarning(record.attacks[plan.label]!);
    if (w) record.sanity.warnings.push(w);
  }
  o.onSave?.(record);
  return record;
}

interface Ctx {
  rt: Runtime;
  data: EvalData;
  o: EvaluateOptions;
  b: number;
  runner: StageRunner;
  record: EvalRecord;
}

/**
 * Rows of the next chunk: the full batch while enough examples remain, else the next power of two
 * (at least 16) above what remains. Late cascade stages attack few survivors; padding them to a full
 * batch would multiply their cost, while a few power-of-two sizes keep the compiled programs few.
 */
export function chunkSize(remaining: number, batch: number): number {
  if (remaining >= batch) return batch;
  let b = 16;
  while (b < remaining) b *= 2;
  return Math.min(b, batch);
}

function allIndices(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

function attackRecord(record: EvalRecord, plan: AttackPlan, n: number, start: number[] | null): AttackRecord {
  const stages = plan.label === 'Natural' ? ['natural'] : plan.stages.map(stageName);
  let a = record.attacks[plan.label];
  if (!a || a.stages.join() !== stages.join()) {
    a = { id: plan.id, label: plan.label, stages, accuracy: null, n, complete: false, robust: start ? [...start] : new Array<number>(n).fill(1), done: {}, broken: {}, seconds: 0, ...(plan.reduced ? { reduced: plan.reduced } : {}) };
    for (const s of stages) a.done[s] = new Array<number>(n).fill(0);
    record.attacks[plan.label] = a;
  }
  return a;
}

function finish(a: AttackRecord): void {
  a.complete = true;
  a.accuracy = robustCount(a) / a.n;
}

/** Attack `pending` examples with one stage, chunk by chunk, updating and saving the record. */
async function runStage(ctx: Ctx, a: AttackRecord, stage: Stage, pending: number[]): Promise<void> {
  const { data, o, runner, record } = ctx;
  const name = stageName(stage);
  const done = a.done[name]!;
  const todo = pending.filter((i) => done[i] === 0);
  const size = data.inputShape.reduce((p, d) => p * d, 1);
  let finished = 0;
  for (let start = 0; start < todo.length; ) {
    const b = chunkSize(todo.length - start, ctx.b);
    const began = performance.now();
    const before = a.seconds;
    const chunk = todo.slice(start, start + b);
    start += b;
    const x = new Float32Array(b * size);
    const y = new Int32Array(b);
    const index = new Int32Array(b);
    const live = new Uint8Array(b);
    for (let k = 0; k < b; k++) {
      const i = chunk[k] ?? chunk[0]!; // padding repeats the first example; its flags are ignored
      x.set(data.images.subarray(i * size, (i + 1) * size), k * size);
      y[k] = data.labels[i]!;
      index[k] = data.indices[i]!;
      live[k] = k < chunk.length ? 1 : 0;
    }
    writeBatch(ctx.rt, data.inputShape, b, x, y, index);
    const report = (detail?: string) => o.onProgress?.({ attack: a.label, stage: name, done: finished, total: todo.length, seconds: before + (performance.now() - began) / 1000, ...(detail !== undefined ? { detail } : {}) });
    const out = await runner.run(stage, b, live, (d) => report(d));
    chunk.forEach((i, k) => {
      if (out.robust[k] === 0 && a.robust[i] === 1) a.broken[name] = (a.broken[name] ?? 0) + 1;
      a.robust[i] = out.robust[k]!;
      done[i] = 1;
    });
    if (out.zeroGradient) {
      record.sanity.apgdPoints += chunk.length;
      record.sanity.zeroGradientPoints += chunk.reduce((s, _i, k) => s + out.zeroGradient![k]!, 0);
    }
    finished += chunk.length;
    a.seconds = before + (performance.now() - began) / 1000;
    report();
    o.onSave?.(record);
  }
  // Examples broken before this stage count as done for it (nothing left to attack).
  for (let i = 0; i < data.n; i++) if (a.robust[i] === 0) done[i] = 1;
}
