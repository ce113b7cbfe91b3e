/**
 * Compute pipelines keyed by their WGSL source. Kernels are specialised per shape, so the
 * source string is the natural key: the same layer at the same batch size compiles once per
 * process, whichever program asks. Layouts are explicit (inputs read-only, one output), so a
 * kernel that ignores an input still binds it.
 */
import { GpuError } from './errors.js';
import { gpuWait } from './gpu-wait.js';
import { logKernel } from './kernel-log.js';

export class PipelineCache {
  private readonly pipelines = new Map<string, GPUComputePipeline>();
  private readonly layouts = new Map<number, GPUBindGroupLayout>();
  compiled = 0;

  constructor(private readonly device: GPUDevice) {}

  layout(inputs: number): GPUBindGroupLayout {
    let l = this.layouts.get(inputs);
    if (!l) {
      const entries: GPUBindGroupLayoutEntry[] = [];
      for (let i = 0; i < inputs; i++) entries.push({ binding: i, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'read-only-storage' } });
      entries.push({ binding: inputs, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'storage' } });
      l = this.device.createBindGroupLayout({ entries });
      this.layouts.set(inputs, l);
    }
    return l;
  }

  async get(code: string, inputs: number, label: string): Promise<GPUComputePipeline> {
    const key = `${inputs}|${code}`;
    const hit = this.pipelines.get(key);
    if (hit) return hit;
    const module = this.device.createShaderModule({ code, label });
    const info = await gpuWait(module.getCompilationInfo());
    const errors = info.messages.filter((m) => m.type === 'error');
    if (errors.length) {
      throw new GpuError(`WGSL for ${label} failed to compile:\n${errors.map((m) => `  ${m.lineNum}:${m.linePos} ${m.message}`).join('\n')}\n--- source ---\n${code}`);
    }
    const layout = this.device.createPipelineLayout({ bindGroupLayouts: [this.layout(inputs)] });
    let pipeline: GPUComputePipeline;
    try {
      pipeline = await gpuWait(this.device.createComputePipelineAsync({ layout, compute: { module, entryPoint: 'main' }, label }));
    } catch (e) {
      throw new GpuError(`pipeline for ${label} failed: ${(e as Error).message}\n--- source ---\n${code}`);
    }
    this.pipelines.set(key, pipeline);
    this.compiled++;
    logKernel(code, inputs, label);
    return pipeline;
  }

  get size(): number {
    return this.pipelines.size;
  }
}
