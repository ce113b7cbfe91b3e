/**
 * Sharpness and flatness of the adversarial training loss (Jiang et al. 2020, Sec. 3 and App. C,
 * with the adversarial objective in place of the clean loss, as Dong et al. 2022 do):
 * - PAC-Bayes flatness: the largest sigma such that theta + N(0, sigma^2 I) raises the loss by at
 *   most 0.1 on average over a few draws (bisection, bisection.ts); larger = flatter;
 * - worst-case sharpness: the largest rise of the loss over perturbations v with
 *   |v_i| <= alpha * (|theta_i| + 1), found by a few projected sign-gradient ascent steps.
 * The attack is regenerated at every perturbed point. Weights are restored afterwards.
 */
import type { AdversarialProbe } from './adversarial-probe.js';
import { largestFlatSigma, type FlatnessSearch } from './bisection.js';
import { normal } from '../util/random.js';

const NOISE_STREAM = 0x5e12;

export async function pacBayesFlatness(probe: AdversarialProbe, opts: { draws?: number; tolerance?: number; seed?: number; iterations?: number } = {}): Promise<FlatnessSearch & { baseLoss: number }> {
  const theta = await probe.readWeights();
  const draws = opts.draws ?? 3;
  try {
    const baseLoss = (await probe.loss()).loss;
    let call = 0;
    const rise = async (sigma: number): Promise<number> => {
      let sum = 0;
      for (let k = 0; k < draws; k++) {
        const w = new Float64Array(theta.length);
        const key = (opts.seed ?? 0) * 1000 + call * draws + k;
        for (let i = 0; i < theta.length; i++) w[i] = theta[i]! + sigma * normal(key, NOISE_STREAM, i);
        probe.writeWeights(w);
        sum += (await probe.loss()).loss;
      }
      call++;
      return sum / draws - baseLoss;
    };
    const search = await largestFlatSigma(rise, { tolerance: opts.tolerance ?? 0.1, lower: 1e-3, upper: 1e-1, iterations: opts.iterations ?? 8 });
    return { ...search, baseLoss };
  } finally {
    probe.writeWeights(theta);
  }
}

export interface SharpnessResult {
  alpha: number;
  baseLoss: number;
  /** Loss after each ascent step. */
  losses: number[];
  /** max(losses) - baseLoss. */
  rise: number;
}

export async function worstCaseSharpness(probe: AdversarialProbe, opts: { alpha?: number; steps?: number } = {}): Promise<SharpnessResult> {
  const alpha = opts.alpha ?? 5e-3;
  const steps = opts.steps ?? 5;
  const theta = await probe.readWeights();
  const bound = theta.map((t) => alpha * (Math.abs(t) + 1));
  const v = new Float64Array(theta.length);
  const losses: number[] = [];
  try {
    const first = await probe.lossAndGradient();
    const baseLoss = first.loss;
    let g = first.gradient;
    for (let s = 0; s < steps; s++) {
      // Sign ascent with a step of 2.5 * bound / steps (as PGD's step for its budget), projected on the box.
      for (let i = 0; i < v.length; i++) {
        const b = bound[i]!;
        v[i] = Math.min(b, Math.max(-b, v[i]! + (2.5 * b * Math.sign(g[i]!)) / steps));
      }
      const w = theta.map((t, i) => t + v[i]!);
      probe.writeWeights(w);
      const r = await probe.lossAndGradient();
      losses.push(r.loss);
      g = r.gradient;
    }
    return { alpha, baseLoss, losses, rise: Math.max(...losses) - baseLoss };
  } finally {
    probe.writeWeights(theta);
  }
}
