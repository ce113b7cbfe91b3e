/**
 * `l2_hyperplane_projection(t [R, n], w [R, n], b [R]) -> d [R, n]`: for each row, the smallest
 * L2 step d such that t + d lies on the hyperplane w . z = b and inside the box [0, 1]^n, the
 * projection L2 FAB (Croce & Hein 2020) takes towards the linearised decision boundary
 * (fra31/auto-attack `projection_l2`).
 *
 * With the side of t fixed so that w . t >= b, the KKT conditions of min |d|^2 subject to
 * w . (t + d) = b and the box give d_i = -alpha w_i clipped to the box: each coordinate moves
 * towards the bound that lowers w . z (up to 1 where w_i < 0, down to 0 where w_i > 0) by
 * min(alpha |w_i|, p_i), p_i its distance to that bound, and alpha >= 0 solves
 *     G(alpha) = sum_i |w_i| min(alpha |w_i|, p_i) = sum_i w_i^2 min(alpha, r_i) = w . t - b,
 * r_i = p_i / |w_i| being where coordinate i reaches its bound. G is continuous, piecewise linear
 * and non-decreasing. When even the full move to the box cannot reach the plane, d is that full
 * move, as in the reference. Coordinates with |w_i| < 1e-8 never move and do not count in G (the
 * reference masks them the same way; it still adds their w_i^2 < 1e-16 to the slope).
 *
 * The CPU reference solves G exactly by walking the sorted breakpoints r_i (the reference sorts
 * them too); the GPU kernel brackets alpha between adjacent floats by bisection and solves the
 * bracketing linear piece exactly. Not differentiable (attacks only use it on gradients they
 * already computed).
 */
import { l2HyperplaneProjectionKernel } from '../../codegen/wgsl/projection-l2.js';
import type { Tensor } from '../ir/tensor.js';
import { hyperplaneProjection } from './hyperplane-projection.js';

/** |w_i| below this: the coordinate is treated as having no gradient (fra31/auto-attack's mask). */
export const L2_PROJECTION_MIN_WEIGHT = 1e-8;

export const l2ProjectionOps = { l2_hyperplane_projection: hyperplaneProjection('l2_hyperplane_projection', projectRow, l2HyperplaneProjectionKernel) };

function projectRow(t: ArrayLike<number>, w: ArrayLike<number>, b: number, base: number, n: number, out: Float32Array): void {
  let dot = 0;
  for (let i = 0; i < n; i++) dot += w[base + i]! * t[base + i]!;
  const side = dot - b >= 0 ? 1 : -1;
  const need = Math.abs(dot - b); // G(alpha) must reach this
  const moving: number[] = [];
  const a = new Float64Array(n);
  const p = new Float64Array(n);
  const r = new Float64Array(n);
  const dir = new Float64Array(n);
  let full = 0;
  for (let i = 0; i < n; i++) {
    const wi = side * w[base + i]!;
    if (Math.abs(wi) < L2_PROJECTION_MIN_WEIGHT) continue;
    const up = wi < 0;
    a[i] = Math.abs(wi);
    p[i] = up ? 1 - t[base + i]! : t[base + i]!;
    r[i] = p[i]! / a[i]!;
    dir[i] = up ? 1 : -1;
    full += a[i]! * p[i]!;
    moving.push(i);
  }
  let alpha = Infinity; // unreachable: every moving coordinate goes to its bound
  if (need < full) {
    // Breakpoints in increasing r: below r_k, coordinates k.. are still free (slope sum w^2).
    moving.sort((i, k) => r[i]! - r[k]!);
    let saturated = 0;
    let slope = 0;
    for (const i of moving) slope += a[i]! * a[i]!;
    // (If rounding keeps the last piece just short of `need`, alpha stays infinite: the full move.)
    for (const i of moving) {
      if (slope > 0 && saturated + slope * r[i]! >= need) {
        alpha = Math.max(0, (need - saturated) / slope);
        break;
      }
      saturated += a[i]! * p[i]!;
      slope -= a[i]! * a[i]!;
    }
  }
  for (let i = 0; i < n; i++) out[base + i] = 0;
  for (const i of moving) out[base + i] = dir[i]! * Math.min(alpha * a[i]!, p[i]!);
}

/** The FAB L2 projection of each row of `points` onto its hyperplane `normals . z = offsets` within [0, 1]. */
export function l2HyperplaneProjection(points: Tensor, normals: Tensor, offsets: Tensor): Tensor {
  return points.graph.apply('l2_hyperplane_projection', [points, normals, offsets]);
}
