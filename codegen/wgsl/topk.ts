/**
 * Top-k along the last axis, one invocation per row, O(k * size) with no scratch memory.
 *
 * Elements are totally ordered by (value descending, index ascending); pick j is the best
 * element that comes strictly after pick j-1 in that order. So ties resolve to the lower
 * index first, exactly as the CPU reference (`topkRow`) does. Meant for the class axis
 * (size <= ~1000, k <= ~5: DLR needs the top 3 or 4 logits).
 */
import type { Kernel } from '../../src/ir/op.js';
import { bindingsWGSL, dispatch1d, flatIndexWGSL, FLAT_BUILTINS, rolledCount } from './dispatch.js';

const WG = 64;

export function topkKernel(rows: number, size: number, k: number, output: 'values' | 'indices'): Kernel {
  const code = `${bindingsWGSL(['f32'], output === 'values' ? 'f32' : 'i32')}

@compute @workgroup_size(${WG})
fn main(${FLAT_BUILTINS}) {
  ${flatIndexWGSL('row', WG)}
  if (row >= ${rows}u) { return; }
  let base: u32 = row * ${size}u;
  var prevV: f32 = 0.0;
  var prevI: i32 = -1;
  for (var k: u32 = 0u; k < ${rolledCount(k)}; k++) {
    var bestV: f32 = 0.0;
    var bestI: i32 = -1;
    for (var j: u32 = 0u; j < ${rolledCount(size)}; j++) {
      let v = in0[base + j];
      let i = i32(j);
      let after = prevI < 0 || v < prevV || (v == prevV && i > prevI);
      // j increases, so among equal values the first one seen (lowest index) stays.
      let better = bestI < 0 || v > bestV;
      if (after && better) { bestV = v; bestI = i; }
    }
    out[row * ${k}u + k] = ${output === 'values' ? 'bestV' : 'bestI'};
    prevV = bestV;
    prevI = bestI;
  }
}
`;
  return { code, workgroups: dispatch1d(rows, WG) };
}

/** CPU twin of the kernel's selection: the indices of the top k of `x[base .. base+size)`. */
export function topkRow(x: ArrayLike<number>, base: number, size: number, k: number): number[] {
  const picks: number[] = [];
  let prevV = 0;
  let prevI = -1;
  for (let p = 0; p < k; p++) {
    let bestV = 0;
    let bestI = -1;
    for (let j = 0; j < size; j++) {
      const v = x[base + j]!;
      const after = prevI < 0 || v < prevV || (v === prevV && j > prevI);
      const better = bestI < 0 || v > bestV;
      if (after && better) {
        bestV = v;
        bestI = j;
      }
    }
    picks.push(bestI);
    prevV = bestV;
    prevI = bestI;
  }
  return picks;
}
