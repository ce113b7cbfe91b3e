/**
 * Per-element kernels where each invocation handles a block of elements, not one.
 *
 * On lavapipe a workgroup has a large fixed cost, so one element per invocation wastes most of
 * the time on scheduling. Measured for out[i] = in[i] * 2 over 8M f32 (2 cores, loaded machine):
 *   one element per invocation, workgroup 256: 231 ms;  64: 395 ms;  8: 577 ms
 *   256 elements per invocation, workgroup 8 (lanes interleaved): 48 ms;  1024 per invocation: 41 ms
 * Lanes of a workgroup take interleaved elements (lane l: base + l, base + l + WG, ...), so a
 * SIMD batch touches consecutive addresses.
 */
import type { Kernel } from '../../src/ir/op.js';
import { dispatch1d, rolledCount } from './dispatch.js';

export const BLOCK_WORKGROUP = 8;
export const ELEMENTS_PER_INVOCATION = 256;

/**
 * Entry point running `body` (WGSL statements using `let i: u32`, the flat element index) for
 * every i < total. `decls` go before the entry point (bindings, helpers).
 */
export function blockedElementKernel(decls: string, total: number, body: string): Kernel {
  const WG = BLOCK_WORKGROUP;
  const per = ELEMENTS_PER_INVOCATION;
  const code = `${decls}

@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let first: u32 = (wid.y * nwg.x + wid.x) * ${WG * per}u + lid;
  for (var k: u32 = 0u; k < ${rolledCount(per)}; k++) {
    let i: u32 = first + k * ${WG}u;
    if (i >= ${total}u) { break; }
${body}
  }
}
`;
  return { code, workgroups: dispatch1d(Math.ceil(total / per), WG) };
}
