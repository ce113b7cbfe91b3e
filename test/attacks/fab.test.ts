/**
 * FAB-T against linear models, whose closest decision boundary inside [0, 1] is known in closed
 * form: FAB's projection is exact for a linear model, so the attack must break every example whose
 * boundary lies well inside eps and can never break one whose boundary lies outside it.
 */
import { describe, expect, it } from 'vitest';
import { randn, randu } from '../helpers/op-harness.js';
import { worstMarginLinf, type LinearModel } from './models.js';
import { fabTargeted, predictedLabels } from './fab-harness.js';

const SHAPE = [1, 5, 5];
const D = 25;
const B = 40;
const CLASSES = 5;

/** The L-inf distance (within the box) to the nearest misclassification, by bisection on the radius. */
function criticalEps(m: LinearModel, x: Float32Array, i: number, y: number): number {
  let lo = 0;
  let hi = 1;
  for (let k = 0; k < 40; k++) {
    const mid = (lo + hi) / 2;
    if (worstMarginLinf(m, x, i * D, y, mid) > 0) lo = mid;
    else hi = mid;
  }
  return hi;
}

describe('FAB-T (L-inf)', () => {
  const m: LinearModel = { w: randn([CLASSES, D], 41, 1), b: randn([CLASSES], 42, 0.3), classes: CLASSES, dims: D };
  const x = randu([B, D], 43, 0.05, 0.95);
  const y = predictedLabels(m, x, B);
  const critical = Array.from({ length: B }, (_, i) => criticalEps(m, x, i, y[i]!));
  const eps = [...critical].sort((a, b) => a - b)[B >> 1]!;

  const fabT = (iterations: number) => fabTargeted(m, SHAPE, x, y, { eps, iterations });

  it('breaks exactly the examples whose nearest boundary is inside eps', async () => {
    const flags = await fabT(20);
    let decided = 0;
    for (let i = 0; i < B; i++) {
      // Outside eps: no attack can succeed. Clearly inside (by 10%): FAB converges to the boundary
      // from its 5% overshoot and must find it.
      if (critical[i]! > eps * 1.001) {
        expect(flags[i], `example ${i} (boundary at ${critical[i]}, eps ${eps})`).toBe(1);
        decided++;
      } else if (critical[i]! < eps / 1.1) {
        expect(flags[i], `example ${i} (boundary at ${critical[i]}, eps ${eps})`).toBe(0);
        decided++;
      }
    }
    expect(decided).toBeGreaterThan(B * 0.7);
  });

  it('gets closer to the boundary with more iterations and is deterministic', async () => {
    // One iteration: the first step overshoots the projection by 5% (eta 1.05), so examples whose
    // boundary lies in (eps / 1.05, eps] survive it; with 20 iterations they are broken.
    const one = await fabT(1);
    const again = await fabT(1);
    expect(Array.from(again)).toEqual(Array.from(one));
    const many = await fabT(20);
    for (let i = 0; i < B; i++) expect(many[i]!).toBeLessThanOrEqual(one[i]!);
    for (let i = 0; i < B; i++) if (critical[i]! < eps / 1.06) expect(one[i], `example ${i}`).toBe(0);
  });
});
