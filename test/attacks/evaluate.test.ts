/**
 * The evaluation driver on a random two-layer ReLU network with ten classes: the cascade's
 * ordering properties per example, determinism, and resuming an interrupted evaluation.
 */
import { describe, expect, it } from 'vitest';
import { sharedTestRuntime } from '../helpers/gpu.js';
import { randu } from '../helpers/op-harness.js';
import { evaluateRobustness, type EvalData, type EvaluateOptions } from '../../src/eval/evaluate.js';
import { parseAttack, type AttackPlan } from '../../src/eval/attack-plan.js';
import type { EvalRecord } from '../../src/eval/record.js';
import { twoLayerClassifier } from './models.js';
import { RobustEvaluator } from '../../src/attacks/robust-eval.js';

const SHAPE = [1, 6, 6];
const D = 36;
const N = 40;
const CLASSES = 10;
const classify = twoLayerClassifier(D, 24, CLASSES, 5);

function data(): EvalData {
  const images = randu([N, D], 21, 0, 1);
  const labels = new Int32Array(N); // filled by labelled()
  return { images, labels, indices: Int32Array.from({ length: N }, (_, i) => 1000 + i), n: N, inputShape: SHAPE, classes: CLASSES };
}

/** AutoAttack's cascade with fewer iterations and queries, to keep lavapipe fast. */
const smallAutoAttack: AttackPlan = {
  id: 'aa',
  label: 'AutoAttack (small)',
  stages: [
    { kind: 'apgd-ce', iterations: 20 },
    { kind: 'apgd-t', iterations: 20, targets: 3 },
    { kind: 'fab-t', iterations: 20, targets: 3 },
    { kind: 'square', queries: 200 },
  ],
};

function options(extra: Partial<EvaluateOptions> = {}): EvaluateOptions {
  return { threat: { norm: 'linf', eps: 0.06 }, seed: 3, batch: 16, plans: [parseAttack('natural'), parseAttack('pgd5'), parseAttack('cw5'), smallAutoAttack], weights: 'test', checkpoint: 'test', ...extra };
}

/** Labels: the network's own prediction for most examples, a wrong class for every fifth. */
async function labelled(): Promise<EvalData> {
  const rt = await sharedTestRuntime();
  const d = data();
  const ev = new RobustEvaluator(rt, classify, SHAPE, 0);
  const b = 8;
  for (let s = 0; s < N; s += b) {
    ev.setBatch(b, d.images.slice(s * D, (s + b) * D), new Int32Array(b), new Int32Array(b));
    const z = await ev.naturalLogits(b);
    for (let k = 0; k < b; k++) {
      const row = Array.from(z.slice(k * CLASSES, (k + 1) * CLASSES));
      const pred = row.indexOf(Math.max(...row));
      d.labels[s + k] = (s + k) % 5 === 4 ? (pred + 1) % CLASSES : pred;
    }
  }
  return d;
}

describe('robustness evaluation', () => {
  let reference: EvalRecord;
  let dataset: EvalData;

  it('orders per example: AutoAttack-robust ⊆ PGD-robust ⊆ natural-correct; C&W ⊆ natural', async () => {
    const rt = await sharedTestRuntime();
    dataset = await labelled();
    reference = await evaluateRobustness(rt, classify, dataset, options());
    const nat = reference.attacks['Natural']!;
    const pgd = reference.attacks['PGD-5']!;
    const cw = reference.attacks['C&W-5']!;
    const aa = reference.attacks['AutoAttack (small)']!;
    expect(nat.accuracy).toBeCloseTo(32 / 40, 6);
    for (let i = 0; i < N; i++) {
      expect(pgd.robust[i]!).toBeLessThanOrEqual(nat.robust[i]!);
      expect(cw.robust[i]!).toBeLessThanOrEqual(nat.robust[i]!);
      expect(aa.robust[i]!).toBeLessThanOrEqual(pgd.robust[i]!);
    }
    expect(pgd.accuracy!).toBeLessThan(nat.accuracy!);
    expect(aa.accuracy!).toBeLessThanOrEqual(pgd.accuracy!);
    expect(aa.accuracy!).toBeLessThan(nat.accuracy!);
    expect(aa.broken['apgd-ce']! + (aa.broken['apgd-t'] ?? 0) + (aa.broken['fab-t'] ?? 0) + (aa.broken['square'] ?? 0)).toBe(Math.round((nat.accuracy! - aa.accuracy!) * N));
    expect(Object.values(reference.attacks).every((a) => a.complete)).toBe(true);
    expect(reference.sanity.randomized).toBe(false);
    expect(reference.sanity.zeroGradientPoints).toBe(0);
  });

  it('gives the same numbers for the same seed, whatever the batch size', async () => {
    const rt = await sharedTestRuntime();
    const again = await evaluateRobustness(rt, classify, dataset, options({ batch: 24 }));
    for (const [label, a] of Object.entries(reference.attacks)) expect(again.attacks[label]!.robust, label).toEqual(a.robust);
  });

  it('resumes an interrupted evaluation to the same flags', async () => {
    const rt = await sharedTestRuntime();
    let saved: EvalRecord | null = null;
    let saves = 0;
    const interrupt = new Error('interrupted');
    await expect(
      evaluateRobustness(rt, classify, dataset, options({
        onSave: (r) => {
          saved = JSON.parse(JSON.stringify(r)) as EvalRecord;
          if (++saves === 9) throw interrupt;
        },
      })),
    ).rejects.toBe(interrupt);
    const partial = saved as unknown as EvalRecord;
    expect(Object.values(partial.attacks).some((a) => !a.complete)).toBe(true);
    const resumed = await evaluateRobustness(rt, classify, dataset, options({ resume: partial }));
    for (const [label, a] of Object.entries(reference.attacks)) {
      expect(resumed.attacks[label]!.robust, label).toEqual(a.robust);
      expect(resumed.attacks[label]!.accuracy, label).toBe(a.accuracy);
      expect(resumed.attacks[label]!.broken, label).toEqual(a.broken);
    }
  });

  it('under L2 the cascade runs all four stages (FAB-T and Square in their L2 versions)', async () => {
    const rt = await sharedTestRuntime();
    dataset ??= await labelled();
    const r = await evaluateRobustness(rt, classify, dataset, options({ plans: [parseAttack('natural'), parseAttack('pgd5'), smallAutoAttack], threat: { norm: 'l2', eps: 0.4 } }));
    const nat = r.attacks['Natural']!;
    const aa = r.attacks['AutoAttack (small)']!;
    expect(aa.stages).toEqual(['apgd-ce', 'apgd-t', 'fab-t', 'square']);
    expect(aa.complete).toBe(true);
    for (let i = 0; i < N; i++) expect(aa.robust[i]!).toBeLessThanOrEqual(nat.robust[i]!);
    for (const stage of aa.stages) expect(aa.done[stage]!.every((d) => d === 1), stage).toBe(true);
    // Examples survived APGD-CE and APGD-T, so FAB-T and Square had work (and every survivor of
    // the whole cascade was attacked by Square).
    const broken = (stage: string) => aa.broken[stage] ?? 0;
    const afterApgd = Math.round(nat.accuracy! * N) - broken('apgd-ce') - broken('apgd-t');
    expect(afterApgd).toBeGreaterThan(0);
    expect(Math.round(aa.accuracy! * N)).toBe(afterApgd - broken('fab-t') - broken('square'));
    expect(aa.accuracy!).toBeLessThan(nat.accuracy!);
    expect(aa.accuracy!).toBeLessThanOrEqual(r.attacks['PGD-5']!.accuracy!);
    expect(Object.values(aa.broken).reduce((s, v) => s + v, 0)).toBe(Math.round((nat.accuracy! - aa.accuracy!) * N));
  }, 600_000); // FAB-T and Square compile their L2 programs for two chunk sizes

  it('restarts only add broken examples (the first restart is the single run)', async () => {
    const rt = await sharedTestRuntime();
    const r = await evaluateRobustness(rt, classify, dataset, options({ plans: [parseAttack('pgd2'), parseAttack('pgd2x4')], threat: { norm: 'l2', eps: 0.5 } }));
    const one = r.attacks['PGD-2']!;
    const four = r.attacks['PGD-2x4']!;
    for (let i = 0; i < N; i++) expect(four.robust[i]!).toBeLessThanOrEqual(one.robust[i]!);
    expect(four.accuracy!).toBeLessThan(r.attacks['Natural']!.accuracy!);
  });
});
