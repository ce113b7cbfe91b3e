/**
 * FAB-T under L2 against a linear model: the nearest misclassification lies at L2 distance
 * min_j (z_y - z_j) / |w_y - w_j| (when the box [0, 1] does not cut that projection), FAB's L2
 * projection is exact for a linear model, so the attack must break every example whose boundary
 * lies well inside eps and can never break one whose boundary lies outside it.
 */
import { describe, expect, it } from 'vitest';
import { randn, randu } from '../helpers/op-harness.js';
import { logitsOf, type LinearModel } from './models.js';
import { fabTargeted, predictedLabels } from './fab-harness.js';

const SHAPE = [1, 5, 5];
const D = 25;
const B = 40;
const CLASSES = 5;

/**
 * The unconstrained L2 distance to the nearest boundary, and whether the box leaves the minimising
 * projection x - margin v / |v|^2 alone (then the distance is exact; otherwise it is a lower bound).
 */
function nearestBoundary(m: LinearModel, x: Float32Array, i: number, y: number): { distance: number; exact: boolean } {
  let best = { distance: Infinity, exact: false };
  const z = logitsOf(m, x, i * D);
  for (let j = 0; j < CLASSES; j++) {
    if (j === y) continue;
    const v = Array.from({ length: D }, (_, d) => m.w[y * D + d]! - m.w[j * D + d]!);
    const vv = v.reduce((s, a) => s + a * a, 0);
    const margin = z[y]! - z[j]!;
    const distance = margin / Math.sqrt(vv);
    if (distance < best.distance) {
      const inside = v.every((a, d) => {
        const p = x[i * D + d]! - (margin * a) / vv;
        return p >= 0 && p <= 1;
      });
      best = { distance, exact: inside };
    }
  }
  return best;
}

describe('FAB-T (L2)', () => {
  const m: LinearModel = { w: randn([CLASSES, D], 51, 1), b: randn([CLASSES], 52, 0.3), classes: CLASSES, dims: D };
  const x = randu([B, D], 53, 0.15, 0.85);
  const y = predictedLabels(m, x, B);
  const nearest = Array.from({ length: B }, (_, i) => nearestBoundary(m, x, i, y[i]!));
  const eps = [...nearest.map((n) => n.distance)].sort((a, b) => a - b)[B >> 1]!;

  const fabT = (iterations: number) => fabTargeted(m, SHAPE, x, y, { norm: 'l2', eps, iterations });

  it('breaks exactly the examples whose nearest boundary is inside eps (L2 distance |margin| / |w_y - w_j|)', async () => {
    const flags = await fabT(20);
    let outside = 0;
    let inside = 0;
    for (let i = 0; i < B; i++) {
      const { distance, exact } = nearest[i]!;
      const what = `example ${i} (boundary at ${distance}, ${exact ? 'exact' : 'box active'}, eps ${eps})`;
      // Outside eps (a lower bound of the true distance): no attack can succeed. Clearly inside
      // (by 10%): FAB converges to the boundary from its 5% overshoot and must find it.
      if (distance > eps * 1.001) {
        expect(flags[i], what).toBe(1);
        outside++;
      } else if (exact && distance < eps / 1.1) {
        expect(flags[i], what).toBe(0);
        inside++;
      }
    }
    expect(outside).toBeGreaterThan(B * 0.4);
    expect(inside).toBeGreaterThan(B * 0.3);
  }, 600_000); // the first run compiles every kernel (tens of seconds each on a busy lavapipe)

  it('one iteration breaks what its 5% overshoot reaches, deterministically; more iterations only add', async () => {
    const one = await fabT(1);
    const again = await fabT(1);
    expect(Array.from(again)).toEqual(Array.from(one));
    const many = await fabT(20);
    for (let i = 0; i < B; i++) expect(many[i]!).toBeLessThanOrEqual(one[i]!);
    // From x the first step is x + 1.05 d with d the exact projection onto the target's boundary;
    // the nearest boundary's target is among the four, so crossing it at 1.05 x distance < eps breaks.
    for (let i = 0; i < B; i++) if (nearest[i]!.exact && nearest[i]!.distance < eps / 1.06) expect(one[i], `example ${i}`).toBe(0);
  });
});
