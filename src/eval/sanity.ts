/**
 * AutoAttack's sanity checks (fra31/auto-attack `checks.py`), as warnings in the record:
 *  - randomness: two forward passes on the same batch must give identical logits;
 *  - zero gradients: points whose input gradient is exactly zero make gradient attacks blind;
 *  - Square beating the white-box attacks: if the black-box Square Attack, run after them, lowers
 *    robust accuracy by more than 0.2 points, the white-box attacks were probably obfuscated.
 */
import type { Runtime } from '../runtime/runtime.js';
import type { RobustEvaluator } from '../attacks/robust-eval.js';
import { writeBatch } from '../attacks/batch.js';
import type { AttackRecord, SanityRecord } from './record.js';
import type { EvalData } from './evaluate.js';

/** AutoAttack's threshold for Square's extra success (alpha = 0.002 of accuracy). */
export const SQUARE_ALPHA = 0.002;

export async function randomnessCheck(rt: Runtime, evaluator: RobustEvaluator, data: EvalData, b: number): Promise<boolean> {
  const size = data.inputShape.reduce((p, d) => p * d, 1);
  const rows = Math.min(b, data.n);
  const x = new Float32Array(b * size);
  const y = new Int32Array(b);
  const index = new Int32Array(b);
  for (let k = 0; k < b; k++) {
    const i = k % rows;
    x.set(data.images.subarray(i * size, (i + 1) * size), k * size);
    y[k] = data.labels[i]!;
    index[k] = data.indices[i]!;
  }
  writeBatch(rt, data.inputShape, b, x, y, index);
  const first = await evaluator.naturalLogits(b);
  const second = await evaluator.naturalLogits(b);
  return first.some((v, i) => v !== second[i]);
}

export function zeroGradientWarning(s: SanityRecord): string | null {
  if (s.zeroGradientPoints === 0) return null;
  return `zero gradients: ${s.zeroGradientPoints} of ${s.apgdPoints} points APGD started on had an all-zero input gradient; gradient-based attacks are unreliable on them (gradient masking?)`;
}

export function squareWarning(a: AttackRecord): string | null {
  if (a.stages.indexOf('square') <= 0 || !a.complete) return null;
  const drop = (a.broken['square'] ?? 0) / a.n;
  if (drop <= SQUARE_ALPHA) return null;
  return `Square beat the white-box attacks of ${a.label}: it lowered robust accuracy by another ${(100 * drop).toFixed(2)} points, which suggests gradient masking; the evaluation may be unreliable`;
}
