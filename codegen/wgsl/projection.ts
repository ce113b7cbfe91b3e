/**
 * Kernel of `linf_hyperplane_projection` (see src/ops/projection.ts for the maths): one invocation
 * per row, no barriers (lavapipe runs barrier-heavy workgroups slowly, and rows are independent).
 * lambda is bracketed by bisection on G(lambda) = sum |w_i| min(lambda, p_i), then the linear
 * piece of G at the bracket's lower end is solved exactly, so the result does not depend on the
 * number of halvings beyond float resolution.
 */
import type { Kernel } from '../../src/ir/op.js';
import { bindingsWGSL, dispatch1d, flatIndexWGSL, FLAT_BUILTINS, rolledCount } from './dispatch.js';

/** Workgroup size of both hyperplane-projection kernels (the row prologue indexes with it). */
export const PROJECTION_WG = 64;
const WG = PROJECTION_WG;
/** Halvings of [0, max p]: 2^-32 of the range is below f32 resolution. */
const BISECTIONS = 32;

/**
 * The start both hyperplane-projection kernels share (one invocation per row of in0 = points,
 * in1 = normals, in2 = offsets): `row`, `base`, `side` (the sign that flips w so that w . t >= b,
 * after which every move lowers w . z) and `need` = |w . t - b|, the amount the moves must cover.
 */
export function hyperplaneRowPrologueWGSL(rows: number, n: number): string {
  return `${flatIndexWGSL('row', WG)}
  if (row >= ${rows}u) { return; }
  let base: u32 = row * ${n}u;
  var dot: f32 = 0.0;
  for (var i: u32 = 0u; i < ${rolledCount(n)}; i++) { dot += in1[base + i] * in0[base + i]; }
  let side: f32 = select(-1.0, 1.0, dot - in2[row] >= 0.0);
  let need: f32 = abs(dot - in2[row]);`;
}

export function linfHyperplaneProjectionKernel(rows: number, n: number): Kernel {
  const code = `${bindingsWGSL(['f32', 'f32', 'f32'], 'f32')}

@compute @workgroup_size(${WG})
fn main(${FLAT_BUILTINS}) {
  ${hyperplaneRowPrologueWGSL(rows, n)}
  var full: f32 = 0.0;
  var pmax: f32 = 0.0;
  for (var i: u32 = 0u; i < ${rolledCount(n)}; i++) {
    let w = side * in1[base + i];
    let p = select(in0[base + i], 1.0 - in0[base + i], w < 0.0);
    full += abs(w) * p;
    if (w != 0.0) { pmax = max(pmax, p); }
  }
  var lambda: f32 = 3.4028234663852886e38;
  if (need < full) {
    var lo: f32 = 0.0;
    var hi: f32 = pmax;
    for (var k: u32 = 0u; k < ${rolledCount(BISECTIONS)}; k++) {
      let mid = 0.5 * (lo + hi);
      var g: f32 = 0.0;
      for (var i: u32 = 0u; i < ${rolledCount(n)}; i++) {
        let w = side * in1[base + i];
        g += abs(w) * min(mid, select(in0[base + i], 1.0 - in0[base + i], w < 0.0));
      }
      if (g < need) { lo = mid; } else { hi = mid; }
    }
    // On [lo, next breakpoint): G = saturated + slope * lambda.
    var saturated: f32 = 0.0;
    var slope: f32 = 0.0;
    for (var i: u32 = 0u; i < ${rolledCount(n)}; i++) {
      let w = side * in1[base + i];
      let p = select(in0[base + i], 1.0 - in0[base + i], w < 0.0);
      if (p <= lo) { saturated += abs(w) * p; } else { slope += abs(w); }
    }
    lambda = select(hi, clamp((need - saturated) / slope, lo, hi), slope > 0.0);
  }
  for (var i: u32 = 0u; i < ${rolledCount(n)}; i++) {
    let w = side * in1[base + i];
    let p = select(in0[base + i], 1.0 - in0[base + i], w < 0.0);
    out[base + i] = select(select(-1.0, 1.0, w < 0.0) * min(lambda, p), 0.0, w == 0.0);
  }
}
`;
  return { code, workgroups: dispatch1d(rows, WG) };
}
