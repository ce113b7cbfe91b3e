/** Copy a device buffer to the host. The only place matc waits on the GPU. */
import type { DType } from '../ir/graph.js';
import type { TypedArray } from '../ir/typed-array.js';
import { gpuWait } from './gpu-wait.js';

export async function readBuffer(device: GPUDevice, src: GPUBuffer, count: number, dtype: DType, offsetBytes = 0): Promise<TypedArray> {
  const bytes = Math.max(4, count * 4);
  const staging = device.createBuffer({ size: Math.ceil(bytes / 4) * 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const enc = device.createCommandEncoder();
  enc.copyBufferToBuffer(src, offsetBytes, staging, 0, Math.ceil(bytes / 4) * 4);
  device.queue.submit([enc.finish()]);
  await gpuWait(staging.mapAsync(GPUMapMode.READ));
  const raw = staging.getMappedRange().slice(0, count * 4);
  staging.unmap();
  staging.destroy();
  return dtype === 'f32' ? new Float32Array(raw) : dtype === 'i32' ? new Int32Array(raw) : new Uint32Array(raw);
}
