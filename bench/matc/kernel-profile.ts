/**
 * GPU time per kernel of a compiled step, grouped by kernel family.
 *
 * With the `timestamp-query` feature each dispatch is encoded into its own compute pass with
 * begin/end timestamp writes, so the runtime needs no profiling hook: the bench re-encodes the
 * program's public `steps` (pipeline, bind group, grid) itself. Variable updates are skipped, which
 * does not change kernel times (no kernel branches on data). Without timestamps each dispatch is
 * submitted alone and timed on the host, which includes the submission round trip; the output
 * says which method was used.
 *
 * A program that appears several times in the step (the attack, K times) is profiled once and its
 * time multiplied by its count.
 */
import type { Runtime } from '../../src/runtime/runtime.js';
import type { Program } from '../../src/runtime/program.js';
import { kernelFamily, kernelFlops } from './kernel-families.js';
import { gpuWait } from '../../src/runtime/gpu-wait.js';
import { timeDispatches } from '../dispatch-timer.js';

export interface FamilyTime {
  family: string;
  /** Dispatches of this family per step. */
  dispatches: number;
  /** GPU milliseconds per step. */
  ms: number;
  /** Floating-point operations per step (convolutions and matmuls; 0 for memory-bound families). */
  flops: number;
}

/** One kernel of one program, for the "slowest kernels" listing. */
export interface KernelTime {
  program: string;
  op: string;
  family: string;
  shape: readonly number[];
  workgroups: readonly [number, number, number];
  /** Runs per step (the program's multiplicity). */
  count: number;
  /** GPU milliseconds per run. */
  ms: number;
}

export interface StepProfile {
  method: 'timestamp queries' | 'per-dispatch submit timing';
  families: FamilyTime[];
  /** Every kernel, slowest total (ms x count) first. */
  kernels: KernelTime[];
  /** Sum over all kernels, ms per step. */
  totalMs: number;
}

/** Count of each distinct program in a submission sequence. */
function multiplicities(sequence: readonly Program[]): Map<Program, number> {
  const m = new Map<Program, number>();
  for (const p of sequence) m.set(p, (m.get(p) ?? 0) + 1);
  return m;
}

export async function profileStep(rt: Runtime, sequence: readonly Program[], repeats = 1): Promise<StepProfile> {
  const families = new Map<string, FamilyTime>();
  const kernels: KernelTime[] = [];
  const method = rt.ctx.hasTimestamps ? 'timestamp queries' : 'per-dispatch submit timing';
  for (const [program, count] of multiplicities(sequence)) {
    const ms = rt.ctx.hasTimestamps ? await timestampDispatches(rt.device, program, repeats) : await submitTimeDispatches(rt, program, repeats);
    program.steps.forEach((step, i) => {
      const family = kernelFamily(program, step);
      const f = families.get(family) ?? { family, dispatches: 0, ms: 0, flops: 0 };
      f.dispatches += count;
      f.ms += count * ms[i]!;
      f.flops += count * kernelFlops(program, step);
      families.set(family, f);
      kernels.push({ program: program.label, op: step.op, family, shape: program.graph.node(step.node).shape, workgroups: step.workgroups, count, ms: ms[i]! });
    });
  }
  rt.ctx.check();
  const list = [...families.values()].sort((a, b) => b.ms - a.ms);
  kernels.sort((a, b) => b.ms * b.count - a.ms * a.count);
  return { method, families: list, kernels, totalMs: list.reduce((s, f) => s + f.ms, 0) };
}

/** Milliseconds per dispatch, the minimum over `repeats` runs (least disturbed by the host). */
async function timestampDispatches(device: GPUDevice, program: Program, repeats: number): Promise<number[]> {
  const n = program.steps.length;
  const querySet = device.createQuerySet({ type: 'timestamp', count: 2 * n });
  const resolve = device.createBuffer({ size: 16 * n, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
  const readback = device.createBuffer({ size: 16 * n, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const best = new Array<number>(n).fill(Infinity);
  try {
    for (let r = 0; r < repeats; r++) {
      const enc = device.createCommandEncoder();
      program.steps.forEach((s, i) => {
        const pass = enc.beginComputePass({ timestampWrites: { querySet, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 } });
        pass.setPipeline(s.pipeline);
        pass.setBindGroup(0, s.bindGroup);
        pass.dispatchWorkgroups(...s.workgroups);
        pass.end();
      });
      enc.resolveQuerySet(querySet, 0, 2 * n, resolve, 0);
      enc.copyBufferToBuffer(resolve, 0, readback, 0, 16 * n);
      device.queue.submit([enc.finish()]);
      await gpuWait(readback.mapAsync(GPUMapMode.READ));
      const ticks = new BigUint64Array(readback.getMappedRange().slice(0));
      readback.unmap();
      for (let i = 0; i < n; i++) best[i] = Math.min(best[i]!, Number(ticks[2 * i + 1]! - ticks[2 * i]!) / 1e6);
    }
  } finally {
    querySet.destroy();
    resolve.destroy();
    readback.destroy();
  }
  return best;
}

async function submitTimeDispatches(rt: Runtime, program: Program, repeats: number): Promise<number[]> {
  const device = rt.device;
  const ms: number[] = [];
  for (const s of program.steps) {
    let best = Infinity;
    // Start from an idle queue; each timed dispatch then waits for itself (timeDispatches).
    await gpuWait(device.queue.onSubmittedWorkDone());
    for (let r = 0; r < repeats; r++) best = Math.min(best, (await timeDispatches(device, s, 1)).wall);
    ms.push(best);
  }
  return ms;
}
