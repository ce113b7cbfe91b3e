/**
 * The AutoAttack family in pipelines' `evaluate` blocks (`autoattack`, `apgd_ce`, `apgd_t`,
 * `fab_t`, `square`): their stages, run on the batch the trainer has uploaded to the shared batch
 * variables. PGD and C&W stay with RobustEvaluator.pgdRobust. Every stage runs in the evaluation
 * ball's norm (L-inf or L2).
 */
import type { Runtime } from '../runtime/runtime.js';
import type { ResolvedModel, PerturbationBall } from '../check/resolved.js';
import type { EvaluationAttackSettings } from '../check/settings.js';
import { evalClassifier } from '../attacks/classifier.js';
import { APGD_T_TARGETS, FAB_ITERATIONS, autoAttackStages, type Stage } from './attack-plan.js';
import { StageRunner } from './stages.js';

/** The cascade an evaluation-block attack runs, or null if it is not of the AutoAttack family. */
export function blockAttackStages(a: EvaluationAttackSettings): Stage[] | null {
  const s = a as { kind: string; steps?: number; targets?: number; queries?: number };
  switch (s.kind) {
    case 'apgd_ce':
      return [{ kind: 'apgd-ce', iterations: s.steps ?? 100 }];
    case 'apgd_t':
      return [{ kind: 'apgd-t', iterations: s.steps ?? 100, targets: s.targets ?? APGD_T_TARGETS }];
    case 'fab_t':
      return [{ kind: 'fab-t', iterations: s.steps ?? FAB_ITERATIONS, targets: s.targets ?? APGD_T_TARGETS }];
    case 'square':
      return [{ kind: 'square', queries: s.queries ?? 5000 }];
    case 'autoattack':
      return autoAttackStages();
    default:
      return null;
  }
}

export class BlockAttacks {
  private readonly runners = new Map<string, StageRunner>();

  constructor(
    private readonly rt: Runtime,
    private readonly model: ResolvedModel,
    private readonly inputShape: readonly number[],
    private readonly classes: number,
    private readonly seed: number,
  ) {}

  /** Robust flags of the uploaded batch under the attack, from `initial`; null if it is not of the AutoAttack family. */
  async robust(b: number, a: EvaluationAttackSettings, ball: PerturbationBall, initial: Uint8Array): Promise<Uint8Array | null> {
    const stages = blockAttackStages(a);
    if (!stages) return null;
    const key = `${ball.norm}|${ball.eps}`;
    let runner = this.runners.get(key);
    if (!runner) {
      runner = new StageRunner(this.rt, evalClassifier(this.model), this.inputShape, this.classes, ball, this.seed);
      this.runners.set(key, runner);
    }
    let flags = initial;
    for (const stage of stages) flags = (await runner.run(stage, b, flags)).robust;
    return flags;
  }
}
