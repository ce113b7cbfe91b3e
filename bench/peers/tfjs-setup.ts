/**
 * Loads TensorFlow.js with its WebGPU backend on Dawn's Node bindings, the same `webgpu` package
 * matc runs on, so both systems talk to the same adapter in the same process.
 *
 * The backend decides at import time whether WebGPU exists (it looks for `navigator.gpu`), and
 * Node 20 has no `navigator`, so the global is installed first and the modules are imported
 * dynamically afterwards.
 */
import { create, globals } from 'webgpu';

export type Tfjs = typeof import('@tensorflow/tfjs');

export interface TfjsWebgpu {
  tf: Tfjs;
  /** "vendor architecture (description)" of the adapter the backend's device came from. */
  adapter: string;
  /** Destroy the backend's device (a live device keeps Node from exiting). */
  destroy(): void;
}

export async function loadTfjsWebgpu(): Promise<TfjsWebgpu> {
  process.env['XDG_RUNTIME_DIR'] ??= '/tmp';
  Object.assign(globalThis, globals);
  const gpu = create([]);
  Object.defineProperty(globalThis, 'navigator', { value: { gpu, userAgent: 'node' }, configurable: true, writable: true });

  const probe = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  const info = probe?.info;
  const adapter = info ? [info.vendor, info.architecture, info.device, info.description && `(${info.description})`].filter(Boolean).join(' ') : 'unknown';

  const tf: Tfjs = await import('@tensorflow/tfjs');
  await import('@tensorflow/tfjs-backend-webgpu');
  if (!(await tf.setBackend('webgpu'))) throw new Error('TF.js could not start its webgpu backend on this adapter');
  await tf.ready();

  return {
    tf,
    adapter,
    destroy() {
      const backend = tf.backend() as unknown as { device?: GPUDevice };
      tf.disposeVariables();
      backend.device?.destroy();
      // Keep the GPU instance alive until here: Dawn crashes if it is collected with work pending.
      void gpu;
    },
  };
}
