/**
 * One runtime evaluating two models whose inputs have different shapes, at the same batch size:
 * the evaluation variables are keyed by the full batch shape (`eval/b16x1x6x6/...`), so the two
 * evaluations neither clash (one name asked for with two shapes) nor see each other's state.
 */
import { describe, expect, it } from 'vitest';
import { sharedTestRuntime } from '../helpers/gpu.js';
import { randu } from '../helpers/op-harness.js';
import { evaluateRobustness, type EvalData, type EvaluateOptions } from '../../src/eval/evaluate.js';
import { parseAttack, type AttackPlan } from '../../src/eval/attack-plan.js';
import { RobustEvaluator } from '../../src/attacks/robust-eval.js';
import { evalBatchKey, evalVar } from '../../src/attacks/batch.js';
import type { Classifier } from '../../src/attacks/classifier.js';
import { twoLayerClassifier } from './models.js';

const N = 20;
const B = 16;
const CLASSES = 10;

interface Case {
  shape: number[];
  classify: Classifier;
}

const small: Case = { shape: [1, 4, 4], classify: twoLayerClassifier(16, 24, CLASSES, 7) };
const large: Case = { shape: [1, 6, 6], classify: twoLayerClassifier(36, 24, CLASSES, 5) };

/** APGD-CE and Square with few iterations and queries, to keep lavapipe fast. */
const cascade: AttackPlan = { id: 'aa', label: 'APGD-CE+Square', stages: [{ kind: 'apgd-ce', iterations: 10 }, { kind: 'square', queries: 50 }] };

const options: EvaluateOptions = { threat: { norm: 'linf', eps: 0.06 }, seed: 3, batch: B, plans: [parseAttack('natural'), parseAttack('pgd3'), cascade], weights: 'test', checkpoint: 'test' };

/** Random images labelled with the model's own prediction (so there is something to attack), every fifth wrong. */
async function labelled(c: Case): Promise<EvalData> {
  const rt = await sharedTestRuntime();
  const d = c.shape.reduce((a, b) => a * b, 1);
  const images = randu([N, d], 11 + d, 0, 1);
  const labels = new Int32Array(N);
  const ev = new RobustEvaluator(rt, c.classify, c.shape, 0);
  for (let s = 0; s < N; s += 4) {
    ev.setBatch(4, images.slice(s * d, (s + 4) * d), new Int32Array(4), new Int32Array(4));
    const z = await ev.naturalLogits(4);
    for (let k = 0; k < 4; k++) {
      const row = Array.from(z.slice(k * CLASSES, (k + 1) * CLASSES));
      const pred = row.indexOf(Math.max(...row));
      labels[s + k] = (s + k) % 5 === 4 ? (pred + 1) % CLASSES : pred;
    }
  }
  return { images, labels, indices: Int32Array.from({ length: N }, (_, i) => i), n: N, inputShape: c.shape, classes: CLASSES };
}

describe('evaluation variables keyed by the batch shape', () => {
  it('names the batch by size and input shape', () => {
    expect(evalBatchKey(128, [1, 28, 28])).toBe('b128x1x28x28');
    expect(evalVar(128, [3, 32, 32], 'apgd/x_adv')).toBe('eval/b128x3x32x32/apgd/x_adv');
  });

  it('evaluates two input shapes at one batch size on one runtime, each as if alone', async () => {
    const rt = await sharedTestRuntime();
    const dataSmall = await labelled(small);
    const dataLarge = await labelled(large);
    const first = await evaluateRobustness(rt, large.classify, dataLarge, options);
    const other = await evaluateRobustness(rt, small.classify, dataSmall, options);
    const again = await evaluateRobustness(rt, large.classify, dataLarge, options);

    for (const shape of [small.shape, large.shape]) {
      for (const name of ['x', 'robust', 'pgd/delta', 'apgd/x_adv', 'square/x_best']) expect(rt.variables.has(evalVar(B, shape, name)), name).toBe(true);
    }
    for (const r of [first, other]) {
      const nat = r.attacks['Natural']!;
      expect(nat.accuracy).toBeCloseTo(16 / 20, 6);
      for (const label of ['PGD-3', 'APGD-CE+Square']) {
        const a = r.attacks[label]!;
        expect(a.complete, label).toBe(true);
        for (let i = 0; i < N; i++) expect(a.robust[i]!, label).toBeLessThanOrEqual(nat.robust[i]!);
      }
    }
    // The small model's evaluation in between left the large one's numbers unchanged.
    for (const [label, a] of Object.entries(first.attacks)) expect(again.attacks[label]!.robust, label).toEqual(a.robust);
  });
});
