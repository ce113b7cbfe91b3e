/**
 * When kernels may hand values between lanes with subgroup operations instead of workgroup memory.
 *
 * llvmpipe (lavapipe) runs 8 invocations as the lanes of one AVX2 vector and reads workgroup
 * memory one lane at a time: a vec4 every lane reads from the same address (a filter tap, a row of
 * A) costs 32 scalar loads and inserts per 8 lanes. With the `subgroups` feature, each lane can
 * instead load a share of the values from storage and `subgroupBroadcast` them to the others. The
 * generated code then depends on the lane count, so only the size it was written and tested for
 * (8) takes it; every other device keeps the workgroup-memory path, which computes the same sums in
 * the same order.
 */
import type { KernelTarget } from '../../src/ir/op.js';

export function broadcastsBySubgroup(target: KernelTarget | undefined): boolean {
  return target?.subgroupSize === 8;
}

/**
 * `count` vec4 values that every lane of a subgroup needs (filter taps), shared out: value i is
 * loaded by lane i % 8 into its register `${name}${i / 8}` and handed to the others with
 * `subgroupBroadcast`. `load(reg)` gives the WGSL that fills `reg` for the value whose index is the
 * u32 `i` (in range there). Returns the loads, in order, and each value's broadcast expression.
 */
export function shareAcrossLanes(count: number, name: string, load: (reg: string) => string[]): { loads: string[]; value: (i: number) => string } {
  const loads: string[] = [];
  for (let r = 0; r < Math.ceil(count / 8); r++) {
    loads.push(`var ${name}${r} = vec4<f32>(0.0);`, `{`, `  let i = ${r * 8}u + lane;`, `  if (i < ${count}u) {`, ...load(`${name}${r}`).map((l) => `    ${l}`), `  }`, `}`);
  }
  return { loads, value: (i) => `subgroupBroadcast(${name}${i >> 3}, ${i & 7}u)` };
}
