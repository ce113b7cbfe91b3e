/**
 * Run one generated kernel ({ code, workgroups }) straight on the shared test device, outside
 * the runtime's scheduler: for tests that pin a tiling or a variant the op would not choose.
 * The output buffer is `outLength + guard` floats, pre-filled with a sentinel, so a test can
 * see a store that lands past the output's end (`tail`).
 */
import { gpuWait } from '../../src/runtime/gpu-wait.js';
import { logKernel } from '../../src/runtime/kernel-log.js';
import { sharedTestRuntime } from './gpu.js';

export interface RawKernel {
  code: string;
  workgroups: [number, number, number];
}

export async function runRawKernel(kernel: RawKernel, inputs: Float32Array[], outLength: number, guard = 0, sentinel = -12345): Promise<{ out: Float32Array; tail: Float32Array }> {
  const rt = await sharedTestRuntime();
  const device = rt.device;
  const buffer = (bytes: number, usage: number) => device.createBuffer({ size: Math.max(16, Math.ceil(bytes / 16) * 16), usage });
  const ins = inputs.map((a) => {
    const b = buffer(a.byteLength, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST);
    device.queue.writeBuffer(b, 0, a);
    return b;
  });
  const total = outLength + guard;
  const out = buffer(total * 4, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST);
  device.queue.writeBuffer(out, 0, new Float32Array(Math.ceil(total / 4) * 4).fill(sentinel));
  const read = buffer(total * 4, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST);
  const pipeline = await gpuWait(device.createComputePipelineAsync({ layout: 'auto', compute: { module: device.createShaderModule({ code: kernel.code }), entryPoint: 'main' } }));
  logKernel(kernel.code, inputs.length, 'raw kernel');
  const bindGroup = device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: [...ins, out].map((b, binding) => ({ binding, resource: { buffer: b } })) });
  const enc = device.createCommandEncoder();
  const pass = enc.beginComputePass();
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, bindGroup);
  pass.dispatchWorkgroups(...kernel.workgroups);
  pass.end();
  enc.copyBufferToBuffer(out, 0, read, 0, Math.ceil((total * 4) / 16) * 16);
  device.queue.submit([enc.finish()]);
  // gpuWait: a bare await spins this thread while lavapipe compiles (src/runtime/gpu-wait.ts).
  await gpuWait(read.mapAsync(GPUMapMode.READ));
  const all = new Float32Array(read.getMappedRange().slice(0, total * 4));
  read.unmap();
  for (const b of [...ins, out, read]) b.destroy();
  rt.ctx.check();
  return { out: all.slice(0, outLength), tail: all.slice(outLength) };
}
