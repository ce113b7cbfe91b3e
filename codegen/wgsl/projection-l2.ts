/**
 * Kernel of `l2_hyperplane_projection` (see src/ops/projection-l2.ts for the maths): one
 * invocation per row, no barriers (lavapipe runs barrier-heavy workgroups slowly, and rows are
 * independent).
 *
 * alpha solves G(alpha) = sum w_i^2 min(alpha, r_i) = need with breakpoints r_i = p_i / |w_i|.
 * Unlike the L-inf kernel's p_i in [0, 1], the r_i span many orders of magnitude (|w_i| down to
 * 1e-8), so halving the value range would not separate neighbouring breakpoints. The bisection
 * halves the bit patterns of non-negative floats instead (their u32 order is their numeric order):
 * 32 halvings leave alpha between two adjacent floats, no breakpoint strictly between them, and the
 * linear piece of G there is solved exactly.
 */
import type { Kernel } from '../../src/ir/op.js';
import { bindingsWGSL, dispatch1d, FLAT_BUILTINS, rolledCount } from './dispatch.js';
import { hyperplaneRowPrologueWGSL, PROJECTION_WG } from './projection.js';

const WG = PROJECTION_WG;
/** Halvings of the bit range [0, bits(max r)] (< 2^31): enough to reach adjacent floats. */
const BISECTIONS = 32;
/** Coordinates with |w_i| below this never move (src/ops/projection-l2.ts). */
const MIN_WEIGHT = '1e-8';

export function l2HyperplaneProjectionKernel(rows: number, n: number): Kernel {
  // Per coordinate, after flipping w so that w . t >= b: a = |w|, p = distance to the bound moved to.
  const coordinate = `let w = side * in1[base + i];
      let a = abs(w);
      let p = select(in0[base + i], 1.0 - in0[base + i], w < 0.0);
      let moving = a >= ${MIN_WEIGHT};`;
  const code = `${bindingsWGSL(['f32', 'f32', 'f32'], 'f32')}

@compute @workgroup_size(${WG})
fn main(${FLAT_BUILTINS}) {
  ${hyperplaneRowPrologueWGSL(rows, n)}
  var full: f32 = 0.0;
  var rmax: f32 = 0.0;
  for (var i: u32 = 0u; i < ${rolledCount(n)}; i++) {
    ${coordinate}
    if (moving) {
      full += a * p;
      rmax = max(rmax, p / a);
    }
  }
  let reachable = need < full;
  var alpha: f32 = 0.0;
  if (reachable) {
    // Invariant: G(lo) < need <= G(hi) (G(rmax) = full > need).
    var lo: u32 = 0u;
    var hi: u32 = bitcast<u32>(rmax);
    for (var k: u32 = 0u; k < ${rolledCount(BISECTIONS)}; k++) {
      if (hi - lo <= 1u) { break; }
      let mid = lo + (hi - lo) / 2u;
      let m = bitcast<f32>(mid);
      var g: f32 = 0.0;
      for (var i: u32 = 0u; i < ${rolledCount(n)}; i++) {
        ${coordinate}
        if (moving) { g += a * min(m * a, p); }
      }
      if (g < need) { lo = mid; } else { hi = mid; }
    }
    let lof = bitcast<f32>(lo);
    let hif = bitcast<f32>(hi);
    // On [lo, hi]: G = saturated + slope * alpha.
    var saturated: f32 = 0.0;
    var slope: f32 = 0.0;
    for (var i: u32 = 0u; i < ${rolledCount(n)}; i++) {
      ${coordinate}
      if (moving) {
        if (p / a <= lof) { saturated += a * p; } else { slope += a * a; }
      }
    }
    alpha = select(hif, clamp((need - saturated) / slope, lof, hif), slope > 0.0);
  }
  for (var i: u32 = 0u; i < ${rolledCount(n)}; i++) {
    ${coordinate}
    let step = select(p, min(alpha * a, p), reachable);
    out[base + i] = select(0.0, select(-1.0, 1.0, w < 0.0) * step, moving);
  }
}
`;
  return { code, workgroups: dispatch1d(rows, WG) };
}
