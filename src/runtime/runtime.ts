/**
 * The runtime: one device, its pipeline cache and its variables. Programs compiled here
 * share variables by name. `submit` encodes several program runs into one command buffer,
 * which is how a training step (K attack iterations, then the update) reaches the GPU.
 */
import type { Graph } from '../ir/graph.js';
import { acquireDevice, type AcquireOptions, type GpuContext } from './device.js';
import { PipelineCache } from './pipeline-cache.js';
import { VariableStore } from './variables.js';
import { Program, type CompileOptions } from './program.js';
import { gpuWait } from './gpu-wait.js';

export class Runtime {
  readonly pipelines: PipelineCache;
  readonly variables: VariableStore;

  private constructor(readonly ctx: GpuContext) {
    this.pipelines = new PipelineCache(ctx.device);
    this.variables = new VariableStore(ctx.device);
  }

  static async create(opts: AcquireOptions = {}): Promise<Runtime> {
    return new Runtime(await acquireDevice(opts));
  }

  get device(): GPUDevice {
    return this.ctx.device;
  }

  compile(graph: Graph, opts: CompileOptions = {}): Promise<Program> {
    return Program.compile(this.ctx, this.pipelines, this.variables, graph, opts);
  }

  /** Encode the given program runs, in order, into one submission. Inputs must be set before. */
  submit(runs: readonly Program[]): void {
    this.ctx.check();
    const enc = this.device.createCommandEncoder();
    for (const p of runs) p.encode(enc);
    this.device.queue.submit([enc.finish()]);
  }

  /** Wait for all submitted work; raise any GPU error or device loss. */
  async sync(): Promise<void> {
    await gpuWait(this.device.queue.onSubmittedWorkDone());
    this.ctx.check();
  }

  destroy(): void {
    this.variables.destroy();
    this.ctx.destroy();
  }
}
