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
import type { Tensor } from '../graph/tensor.js';
import { ShapeError, formatShape } from '../graph/shape.js';
import { l2HyperplaneProjectionKernel } from '../../codegen/wgsl/projection-l2.js';
import { registerOp } from './registry.js';

/** |w_i| below this: the coordinate is treated as having no gradient (fra31/auto-attack's mask). */
export const L2_PROJECTION_MIN_WEIGHT = 1e-8;

registerOp({
  name: 'l2_hyperplane_projection',
  infer: ([t, w, b]) => {
    if (t!.shape.length !== 2) throw new ShapeError(`l2_hyperplane_projection: points must be [rows, n], got ${formatShape(t!.shape)}`);
    if (w!.shape.join() !== t!.shape.join()) throw new ShapeError(`l2_hyperplane_projection: normals ${formatShape(w!.shape)} must match points ${formatShape(t!.shape)}`);
    if (b!.shape.length !== 1 || b!.shape[0] !== t!.shape[0]) throw new ShapeError(`l2_hyperplane_projection: offsets must be [${t!.shape[0]}], got ${formatShape(b!.shape)}`);
    if (t!.dtype !== 'f32' || w!.dtype !== 'f32' || b!.dtype !== 'f32') throw new ShapeError('l2_hyperplane_projection: needs f32 inputs');
    return { shape: t!.shape, dtype: 'f32' };
  },
  cpu: ([t, w, b], ctx) => {
    const [rows, n] = ctx.inputs[0]!.shape as [number, number];
    const out = new Float32Array(rows * n);
    for (let r = 0; r < rows; r++) projectRow(t!, w!, b![r]!, r * n, n, out);
    return out;
  },
  kernel: (ctx) => {
    const [rows, n] = ctx.inputs[0]!.shape as [number, number];
    return l2HyperplaneProjectionKernel(rows, n);
  },
});

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
