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
