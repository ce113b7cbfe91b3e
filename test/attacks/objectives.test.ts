/**
 * The attack-level objectives against hand-computed values (on the GPU, as the attacks run them),
 * APGD-T's target choice, and the attack names and stages (the same under L-inf and L2).
 */
import { describe, expect, it } from 'vitest';
import { Graph } from '../../src/ir/graph.js';
import { OPS } from '../../src/ops/registry.js';
import { gpuRun, expectClose } from '../helpers/op-harness.js';
import { attackObjective, logitMargin } from '../../src/attacks/objectives.js';
import { rankedClasses } from '../../src/eval/stages.js';
import { autoAttackStages, parseAttack, parseAttackList, AttackPlanError } from '../../src/eval/attack-plan.js';
import { blockAttackStages } from '../../src/eval/block-attacks.js';
import type { EvaluationAttackSettings } from '../../src/check/settings.js';

// Two examples, five classes. Row 0: label 1, target 3. Row 1: label 0 (misclassified), target 4.
const Z = Float32Array.of(1, 4, 2, 0.5, -1, 3, 5, 1, 0, 2);
const Y = Int32Array.of(1, 0);
const T = Int32Array.of(3, 4);

async function objective(kind: 'ce' | 'cw' | 'dlr' | 'dlr-targeted' | 'margin'): Promise<number[]> {
  const g = new Graph(OPS);
  const z = g.input('z', [2, 5]);
  const y = g.input('y', [2], 'i32');
  const t = g.input('t', [2], 'i32');
  const out = kind === 'margin' ? logitMargin(z, y) : attackObjective(kind === 'cw' ? { kind, kappa: 50 } : { kind }, z, y, t);
  const [v] = await gpuRun(g, { z: Z, y: Y, t: T }, [out]);
  return Array.from(v!);
}

describe('attack objectives', () => {
  it('DLR: -(z_y - max_{i!=y} z_i) / (z_pi1 - z_pi3)', async () => {
    // row 0: sorted 4, 2, 1 -> -(4 - 2) / (4 - 1); row 1: sorted 5, 3, 2 -> -(3 - 5) / (5 - 2)
    expectClose(await objective('dlr'), [-2 / 3, 2 / 3], { rtol: 1e-5 });
  });

  it('targeted DLR: -(z_y - z_t) / (z_pi1 - (z_pi3 + z_pi4) / 2)', async () => {
    // row 0: -(4 - 0.5) / (4 - (1 + 0.5) / 2); row 1: -(3 - 2) / (5 - (2 + 1) / 2)
    expectClose(await objective('dlr-targeted'), [-3.5 / 3.25, -1 / 3.5], { rtol: 1e-5 });
  });

  it('C&W margin with kappa 50, cross-entropy and the Square margin', async () => {
    expectClose(await objective('cw'), [-(4 - 2 + 50), -(3 - 5 + 50)], { rtol: 1e-6 });
    const lse = (r: number[]) => Math.log(r.reduce((s, v) => s + Math.exp(v), 0));
    expectClose(await objective('ce'), [lse([1, 4, 2, 0.5, -1]) - 4, lse([3, 5, 1, 0, 2]) - 3], { rtol: 1e-5 });
    expectClose(await objective('margin'), [2, -2], { rtol: 1e-6 });
  });

  it('APGD-T targets the 2nd, 3rd, ... largest clean logits', () => {
    expect(Array.from(rankedClasses(Z, 2, 5, 2))).toEqual([2, 0]);
    expect(Array.from(rankedClasses(Z, 2, 5, 3))).toEqual([0, 4]);
    expect(Array.from(rankedClasses(Z, 2, 5, 5))).toEqual([4, 3]);
  });
});

describe('attack names', () => {
  it('PGD and C&W carry their steps; aa is the standard cascade', () => {
    expect(parseAttackList('natural,pgd10,pgd1000,cw1000,aa').map((p) => p.label)).toEqual(['Natural', 'PGD-10', 'PGD-1000', 'C&W-1000', 'AutoAttack']);
    expect(parseAttack('pgd20x5').stages).toEqual([{ kind: 'pgd', steps: 20, restarts: 5, loss: 'ce' }]);
    // The L-inf standard cascade, in AutoAttack's order, with its settings.
    expect(parseAttack('aa').stages).toEqual([
      { kind: 'apgd-ce', iterations: 100 },
      { kind: 'apgd-t', iterations: 100, targets: 9 },
      { kind: 'fab-t', iterations: 100, targets: 9 },
      { kind: 'square', queries: 5000 },
    ]);
    expect(parseAttack('aa').reduced).toBeUndefined();
    // The plans do not depend on the norm: under L2 too, aa is the full cascade and fab-t and
    // square run alone (stages.ts picks each stage's L2 version).
    expect(autoAttackStages()).toEqual(parseAttack('aa').stages);
    expect(parseAttack('fab-t').label).toBe('FAB-T');
    expect(parseAttack('square').stages).toEqual([{ kind: 'square', queries: 5000 }]);
    expect(() => parseAttack('fab')).toThrow(AttackPlanError);
    expect(() => parseAttackList('pgd10,pgd10')).toThrow(/twice/);
  });

  it('evaluate blocks map fab_t, square and autoattack to the same stages', () => {
    expect(blockAttackStages({ kind: 'autoattack' } as EvaluationAttackSettings)).toEqual(autoAttackStages());
    expect(blockAttackStages({ kind: 'fab_t', steps: 20, targets: 3 } as EvaluationAttackSettings)).toEqual([{ kind: 'fab-t', iterations: 20, targets: 3 }]);
    expect(blockAttackStages({ kind: 'square', queries: 60 } as EvaluationAttackSettings)).toEqual([{ kind: 'square', queries: 60 }]);
  });
});
