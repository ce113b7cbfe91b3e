/**
 * Hard examples (Dong et al. 2022, Sec. 4): the per-example adversarial loss of every training
 * example under a trained model (the run's own training attack, regenerated), the ranking it
 * induces, and the agreement of rankings between networks: overlap of the hardest 10% against the
 * overlap chance gives, and Spearman's rho.
 */
import type { Dataset } from '../data/index.js';
import { batchAt } from '../data/index.js';
import type { AdversarialProbe } from './adversarial-probe.js';
import { spearman, topFraction, topOverlap } from './rank-stats.js';

/** CE on the adversarial example of every training example, in dataset order. */
export async function perExampleAdversarialLoss(probe: AdversarialProbe, train: Dataset, batch: number): Promise<Float32Array> {
  const n = train.n;
  const b = Math.min(batch, n);
  // Positions wrap around so every batch has the compiled size; the extra rows are dropped.
  const order = Int32Array.from({ length: Math.ceil(n / b) * b }, (_, i) => i % n);
  const out = new Float32Array(n);
  for (let start = 0; start < n; start += b) {
    const data = batchAt(train, order, start, b);
    probe.setBatch({ images: data.images, labels: data.labels, positions: order.slice(start, start + b) });
    const { perExample } = await probe.loss();
    for (let k = 0; k < b && start + k < n; k++) out[start + k] = perExample[k]!;
  }
  return out;
}

export interface PairAgreement {
  a: string;
  b: string;
  /** Fraction of the hardest 10% of `a` also in the hardest 10% of `b`. */
  overlap: number;
  /** What two random 10% subsets share in expectation. */
  chance: number;
  spearman: number;
}

export function agreement(names: readonly string[], losses: readonly Float32Array[], fraction = 0.1): PairAgreement[] {
  const out: PairAgreement[] = [];
  const tops = losses.map((l) => topFraction(Array.from(l), fraction));
  for (let i = 0; i < names.length; i++) {
    for (let j = i + 1; j < names.length; j++) {
      const o = topOverlap(tops[i]!, tops[j]!, losses[i]!.length);
      out.push({ a: names[i]!, b: names[j]!, overlap: o.overlap, chance: o.chance, spearman: spearman(Array.from(losses[i]!), Array.from(losses[j]!)) });
    }
  }
  return out;
}
