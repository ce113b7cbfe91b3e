/**
 * The PAC-Bayes flatness search of Jiang et al. 2020: the largest sigma such that Gaussian weight
 * noise N(0, sigma^2) raises the (here: adversarial) training loss by at most `tolerance` (0.1).
 * The loss rise is monotone in sigma only in expectation, so `rise(sigma)` should average a few
 * noise draws; the bisection works in log-space because sigma spans orders of magnitude.
 */

export interface FlatnessSearch {
  /** Largest sigma tried whose rise was within the tolerance. */
  sigma: number;
  /** Smallest sigma tried whose rise exceeded it. */
  upper: number;
  /** (sigma, rise) pairs in the order tried. */
  trace: { sigma: number; rise: number }[];
}

export async function largestFlatSigma(
  rise: (sigma: number) => Promise<number> | number,
  opts: { tolerance?: number; lower?: number; upper?: number; iterations?: number } = {},
): Promise<FlatnessSearch> {
  const tolerance = opts.tolerance ?? 0.1;
  let lo = opts.lower ?? 1e-5;
  let hi = opts.upper ?? 1;
  const trace: { sigma: number; rise: number }[] = [];
  const test = async (s: number) => {
    const r = await rise(s);
    trace.push({ sigma: s, rise: r });
    return r <= tolerance;
  };
  // Widen the bracket until lo passes and hi fails (at most 10 widenings each way).
  for (let k = 0; k < 10 && !(await test(lo)); k++) {
    hi = lo;
    lo /= 100;
  }
  for (let k = 0; k < 10 && (await test(hi)); k++) {
    lo = hi;
    hi *= 10;
  }
  for (let i = 0; i < (opts.iterations ?? 12); i++) {
    const mid = Math.sqrt(lo * hi);
    if (await test(mid)) lo = mid;
    else hi = mid;
  }
  return { sigma: lo, upper: hi, trace };
}
