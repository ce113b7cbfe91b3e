// Exit 0 when Dawn can give us a WebGPU adapter and device, 1 otherwise.
// Used by scripts/setup.sh before the project is built, so plain JavaScript.
import { create, globals } from 'webgpu';
Object.assign(globalThis, globals);
try {
  const gpu = create([]);
  const adapter = await gpu.requestAdapter();
  if (!adapter) throw new Error('no adapter');
  const device = await adapter.requestDevice();
  device.destroy();
  process.exit(0);
} catch (e) {
  console.error(`probe: ${e && e.message ? e.message : e}`);
  process.exit(1);
}
