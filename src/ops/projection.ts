/**
 * `linf_hyperplane_projection(t [R, n], w [R, n], b [R]) -> d [R, n]`: for each row, the smallest
 * L-inf step d such that t + d lies on the hyperplane w . z = b and inside the box [0, 1]^n, the
 * projection FAB (Croce & Hein 2020) takes towards the linearised decision boundary.
 *
 * With the side of t fixed so that w . t >= b, every coordinate moves towards the box bound that
 * lowers w . z (up to 1 where w_i < 0, down to 0 where w_i > 0) by min(lambda, p_i), p_i being its
 * distance to that bound, and lambda >= 0 solves
 *     G(lambda) = sum_i |w_i| min(lambda, p_i) = w . t - b,
 * a continuous, piecewise-linear, non-decreasing function. When even the full move to the box
 * (lambda >= max p) cannot reach the plane, d is that full move, as in fra31/auto-attack's
 * projection_linf. Coordinates with w_i = 0 never move.
 *
 * The CPU reference solves G exactly by walking the sorted breakpoints; the GPU kernel brackets
 * lambda by bisection and then solves the bracketing linear piece exactly, so both agree to float
 * rounding. Not differentiable (attacks only use it on gradients they already computed).
 */
import { linfHyperplaneProjectionKernel } from '../../codegen/wgsl/projection.js';
import type { Tensor } from '../ir/tensor.js';
import { hyperplaneProjection } from './hyperplane-projection.js';

export const linfProjectionOps = { linf_hyperplane_projection: hyperplaneProjection('linf_hyperplane_projection', projectRow, linfHyperplaneProjectionKernel) };

function projectRow(t: ArrayLike<number>, w: ArrayLike<number>, b: number, base: number, n: number, out: Float32Array): void {
  let dot = 0;
  for (let i = 0; i < n; i++) dot += w[base + i]! * t[base + i]!;
  const side = dot - b >= 0 ? 1 : -1;
  const need = Math.abs(dot - b); // G(lambda) must reach this
  const p = new Float64Array(n);
  const dir = new Float64Array(n);
  let full = 0;
  for (let i = 0; i < n; i++) {
    const wi = side * w[base + i]!;
    const up = wi < 0;
    p[i] = up ? 1 - t[base + i]! : t[base + i]!;
    dir[i] = up ? 1 : -1;
    full += Math.abs(wi) * p[i]!;
  }
  let lambda = Infinity; // unreachable: every coordinate moves to its bound
  if (need < full) {
    // Breakpoints in increasing p: below p_k, coordinates k.. are still free (slope sum |w|).
    const order = Array.from({ length: n }, (_, i) => i).sort((a, c) => p[a]! - p[c]!);
    let saturated = 0;
    let slope = 0;
    for (let i = 0; i < n; i++) slope += Math.abs(w[base + i]!);
    lambda = 0;
    for (const i of order) {
      if (slope > 0 && saturated + slope * p[i]! >= need) {
        lambda = Math.max(0, (need - saturated) / slope);
        break;
      }
      const a = Math.abs(w[base + i]!);
      saturated += a * p[i]!;
      slope -= a;
    }
  }
  for (let i = 0; i < n; i++) out[base + i] = w[base + i] === 0 ? 0 : dir[i]! * Math.min(lambda, p[i]!);
}

/** The FAB L-inf projection of each row of `points` onto its hyperplane `normals . z = offsets` within [0, 1]. */
export function linfHyperplaneProjection(points: Tensor, normals: Tensor, offsets: Tensor): Tensor {
  return points.graph.apply('linf_hyperplane_projection', [points, normals, offsets]);
}
