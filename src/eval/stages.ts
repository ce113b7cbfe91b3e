/**
 * Runs one stage of an attack plan on the batch in the shared batch variables: the bridge between
 * the plans (attack-plan.ts) and the GPU attacks (src/attacks). Every stage starts from the `live`
 * rows (real, still robust examples; padding rows are 0) and returns the rows still robust after it.
 * Random draws are keyed by (seed, stage, example index), never by batch position, so chunking and
 * resuming do not change any example's result.
 */
import type { Runtime } from '../runtime/runtime.js';
import { RobustEvaluator } from '../attacks/robust-eval.js';
import { Apgd } from '../attacks/apgd.js';
import { Square } from '../attacks/square.js';
import { SquareL2 } from '../attacks/square-l2.js';
import { Fab } from '../attacks/fab.js';
import { writeRobust } from '../attacks/batch.js';
import type { Classifier } from '../attacks/classifier.js';
import { hashKey } from '../util/random.js';
import { CW_KAPPA, stageName, type Stage } from './attack-plan.js';

export interface ThreatModel {
  norm: 'linf' | 'l2';
  eps: number;
}

export interface StageOutcome {
  robust: Uint8Array;
  /** Rows whose input gradient was zero at an APGD start (APGD stages only). */
  zeroGradient?: Uint8Array;
}

/** A u32 key for a stage's random draws, from the seed and the stage's name. */
export function stageKey(seed: number, name: string, part = 0): number {
  let h = 2166136261;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 16777619) >>> 0;
  return hashKey(seed, h, part);
}

/** Class indices of each row's `rank`-th largest logit (rank 1 = the prediction). */
export function rankedClasses(logits: Float32Array, rows: number, classes: number, rank: number): Int32Array {
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    const order = Array.from({ length: classes }, (_, c) => c).sort((a, b) => logits[r * classes + b]! - logits[r * classes + a]! || a - b);
    out[r] = order[rank - 1]!;
  }
  return out;
}

export class StageRunner {
  readonly evaluator: RobustEvaluator;
  private readonly apgd: Apgd;
  private readonly square: Square;
  private readonly squareL2: SquareL2;
  private readonly fab: Fab;

  constructor(
    private readonly rt: Runtime,
    classify: Classifier,
    private readonly inputShape: readonly number[],
    private readonly classes: number,
    private readonly threat: ThreatModel,
    private readonly seed: number,
  ) {
    this.evaluator = new RobustEvaluator(rt, classify, inputShape, seed);
    this.apgd = new Apgd(rt, classify, inputShape);
    this.square = new Square(rt, classify, inputShape);
    this.squareL2 = new SquareL2(rt, classify, inputShape);
    this.fab = new Fab(rt, classify, inputShape);
  }

  async run(stage: Stage, b: number, live: Uint8Array, onDetail?: (detail: string) => void): Promise<StageOutcome> {
    const { norm, eps } = this.threat;
    const key = stageKey(this.seed, stageName(stage));
    switch (stage.kind) {
      case 'natural': {
        const correct = await this.evaluator.naturalCorrect(b);
        return { robust: correct.map((c, i) => c & live[i]!) };
      }
      case 'pgd': {
        const settings = { ball: { norm, eps }, step: eps / 4, steps: stage.steps, start: { kind: 'uniform' as const }, restarts: stage.restarts, loss: stage.loss, kappa: CW_KAPPA };
        return { robust: await this.evaluator.pgdRobust(b, settings, live, key) };
      }
      case 'apgd-ce': {
        writeRobust(this.rt, this.inputShape, b, live);
        return this.apgd.run(b, { norm, eps, iterations: stage.iterations, loss: 'ce' }, key);
      }
      case 'apgd-t': {
        let zero = new Uint8Array(b);
        const robust = await this.overTargets(stage.targets, b, live, onDetail, async (t, target, robustBefore) => {
          const r = await this.apgd.run(b, { norm, eps, iterations: stage.iterations, loss: 'dlr-targeted' }, stageKey(this.seed, 'apgd-t', t + 1), target);
          zero = zero.map((z, i) => z | (r.zeroGradient[i]! & robustBefore[i]!));
          return r.robust;
        });
        return { robust, zeroGradient: zero };
      }
      case 'fab-t': {
        return { robust: await this.overTargets(stage.targets, b, live, onDetail, (_t, target) => this.fab.run(b, { norm, eps, iterations: stage.iterations }, target)) };
      }
      case 'square': {
        writeRobust(this.rt, this.inputShape, b, live);
        const square = norm === 'linf' ? this.square : this.squareL2;
        return { robust: await square.run(b, { eps, queries: stage.queries }, this.seed, key, live, (q) => onDetail?.(`${q}/${stage.queries} queries`)) };
      }
    }
  }

  /**
   * The targeted cascades (APGD-T, FAB-T): targets are the 2nd, 3rd, ... largest clean logits
   * (fra31/auto-attack sorts the clean output); each target attacks the rows still robust, and the
   * loop stops early when none is left.
   */
  private async overTargets(
    count: number,
    b: number,
    live: Uint8Array,
    onDetail: ((detail: string) => void) | undefined,
    attack: (t: number, target: Int32Array, robustBefore: Uint8Array) => Promise<Uint8Array>,
  ): Promise<Uint8Array> {
    const logits = await this.evaluator.naturalLogits(b);
    const targets = Math.min(count, this.classes - 1);
    let robust = live;
    for (let t = 0; t < targets; t++) {
      if (!robust.some((r) => r === 1)) break;
      onDetail?.(`target ${t + 1}/${targets}`);
      writeRobust(this.rt, this.inputShape, b, robust);
      robust = await attack(t, rankedClasses(logits, b, this.classes, t + 2), robust);
    }
    return robust;
  }
}
