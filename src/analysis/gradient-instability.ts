/**
 * Gradient instability (Dong et al. 2022, Sec. 3.2): for a training objective on a fixed batch,
 * the L2 distance between the parameter gradient at theta and at theta + lambda * d, averaged over
 * random directions d, over a grid of lambda. The adversarial examples are regenerated at every
 * point (the probe reruns the pipeline's attack), which is what makes PGD-AT's gradient jump: a
 * small weight change can change the worst-case example and so the gradient.
 */
import type { AdversarialProbe } from './adversarial-probe.js';
import { randomDirection, l2Distance, axpy, l2, type DirectionKind } from './directions.js';

export interface GradientCurve {
  pipeline: string;
  kind: DirectionKind;
  lambdas: number[];
  /** Mean over directions of ||g(theta + lambda d) - g(theta)||_2, per lambda. */
  meanDistance: number[];
  /** Per direction, per lambda. */
  distances: number[][];
  /** ||g(theta)||_2, for scale. */
  gradientNorm: number;
  loss: number;
}

export async function gradientCurve(probe: AdversarialProbe, lambdas: readonly number[], kind: DirectionKind, directions: number, seed: number): Promise<GradientCurve> {
  const theta = await probe.readWeights();
  const base = await probe.lossAndGradient();
  const distances: number[][] = [];
  try {
    for (let k = 0; k < directions; k++) {
      const d = randomDirection(probe.params, theta, kind, seed, k);
      const row: number[] = [];
      for (const lambda of lambdas) {
        // lambda = 0 is measured too: it checks that regenerating the attack is deterministic.
        probe.writeWeights(axpy(theta, lambda, d));
        row.push(l2Distance((await probe.lossAndGradient()).gradient, base.gradient));
      }
      distances.push(row);
    }
  } finally {
    probe.writeWeights(theta);
  }
  const meanDistance = lambdas.map((_, j) => distances.reduce((s, r) => s + r[j]!, 0) / Math.max(1, distances.length));
  return { pipeline: probe.pipeline.name, kind, lambdas: [...lambdas], meanDistance, distances, gradientNorm: l2(base.gradient), loss: base.loss };
}
