/**
 * The benches' one way to time a kernel: a pipeline and bind group over given buffers, dispatched
 * back to back in one submission, wall and process CPU milliseconds per dispatch (lavapipe's
 * workers are threads of this process, so CPU time also counts the "GPU"). Waiting goes through
 * gpuWait: dawn-node's own wait polls at 100% of a core, on lavapipe one of the cores running the
 * kernel (docs/performance.md, "The matmul ceiling").
 */
import { gpuWait } from '../src/runtime/gpu-wait.js';

export interface Dispatchable {
  pipeline: GPUComputePipeline;
  bindGroup: GPUBindGroup;
  workgroups: [number, number, number];
}

/** Compile `kernel` and bind `buffers` to its bindings 0, 1, ... in order. */
export function prepareDispatch(device: GPUDevice, kernel: { code: string; workgroups: [number, number, number] }, buffers: GPUBuffer[], label?: string): Dispatchable {
  const module = device.createShaderModule({ code: kernel.code, ...(label ? { label } : {}) });
  const pipeline = device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' } });
  const bindGroup = device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: buffers.map((buffer, binding) => ({ binding, resource: { buffer } })) });
  return { pipeline, bindGroup, workgroups: kernel.workgroups };
}

/**
 * Dispatch `times` times in one submission and wait for it: milliseconds per dispatch, wall and
 * process CPU. `wait` replaces the polite wait (matmul-ab's `--spin` waits as dawn-node does).
 */
export async function timeDispatches(
  device: GPUDevice,
  d: Dispatchable,
  times: number,
  wait: (done: Promise<undefined>) => Promise<unknown> = gpuWait,
): Promise<{ wall: number; cpu: number }> {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const enc = device.createCommandEncoder();
  for (let i = 0; i < times; i++) {
    const pass = enc.beginComputePass();
    pass.setPipeline(d.pipeline);
    pass.setBindGroup(0, d.bindGroup);
    pass.dispatchWorkgroups(...d.workgroups);
    pass.end();
  }
  device.queue.submit([enc.finish()]);
  await wait(device.queue.onSubmittedWorkDone());
  const c = process.cpuUsage(c0);
  return { wall: (performance.now() - t0) / times, cpu: (c.user + c.system) / 1000 / times };
}
