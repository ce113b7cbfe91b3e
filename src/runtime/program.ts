/**
 * A compiled program: a graph planned once into a fixed list of dispatches over a fixed set of
 * buffers, with bind groups created up front. Running it is: write the inputs, encode the
 * dispatches into one compute pass, copy assigned values into their variables. Nothing is read
 * back unless asked, and nothing is allocated per run, so programs can be encoded many times
 * into one submission (K attack iterations, then the training update).
 */
import { isLeaf, type Graph, type Node } from '../ir/graph.js';
import { sizeOf, formatShape } from '../ir/shape.js';
import type { Tensor } from '../ir/tensor.js';
import type { TypedArray } from '../ir/typed-array.js';
import { elementwiseKernel } from '../../codegen/wgsl/elementwise.js';
import { schedule, stepOutput, stepReads, type Schedule } from './schedule.js';
import { buildEpilogue } from '../../codegen/wgsl/epilogue.js';
import { planBuffers, bytesOf, type BufferPlan } from './buffer-plan.js';
import type { PipelineCache } from './pipeline-cache.js';
import type { VariableStore } from './variables.js';
import { VariableGuard } from './variable-guard.js';
import { readBuffer } from './readback.js';
import type { GpuContext } from './device.js';
import { InternalError } from '../util/internal-error.js';

export interface CompileOptions {
  /** Tensors to read back after a run. */
  fetch?: Tensor[];
  /** Fuse elementwise chains and GEMM/conv epilogues (default true). */
  fuse?: boolean;
  /** With fuse: fuse elementwise consumers into GEMM/conv kernels (default true). */
  epilogues?: boolean;
  /** Reuse buffers of dead values (default true). */
  reuse?: boolean;
  label?: string;
}

export interface CompiledStep {
  /** The node whose value the step writes. */
  node: number;
  /** The node whose op the kernel runs: `node` itself, or an epilogue's producer (a conv, a matmul). */
  producer: number;
  /** The kernel's op: the producer's op when it has an epilogue, else the written node's. */
  op: string;
  /** Nodes computed by this kernel (fused elementwise members, or the node itself; an epilogue's producer first). */
  fusedOps: string[];
  /** A GEMM/conv kernel computing elementwise consumers as it stores (fusedOps[0] is the kernel). */
  epilogue: boolean;
  pipeline: GPUComputePipeline;
  bindGroup: GPUBindGroup;
  workgroups: [number, number, number];
  code: string;
}

export interface ProgramStats {
  dispatches: number;
  transientBytes: number;
  inputBytes: number;
  /** Bytes the kernels read and write per run (bindings times their sizes). */
  bytesMoved: number;
}

interface UpdateCopy {
  src: GPUBuffer;
  dst: GPUBuffer;
  bytes: number;
}

export class Program {
  private constructor(
    private readonly ctx: GpuContext,
    readonly graph: Graph,
    readonly label: string,
    readonly steps: CompiledStep[],
    private readonly inputBuffers: Map<string, { node: Node; buffer: GPUBuffer }>,
    private readonly updates: UpdateCopy[],
    private readonly fetched: Map<number, { buffer: GPUBuffer; node: Node }>,
    private readonly owned: GPUBuffer[],
    readonly stats: ProgramStats,
    private readonly variables: VariableGuard,
  ) {}

  static async compile(ctx: GpuContext, cache: PipelineCache, store: VariableStore, graph: Graph, opts: CompileOptions = {}): Promise<Program> {
    const device = ctx.device;
    const label = opts.label ?? 'program';
    const fetch = (opts.fetch ?? []).map((t) => t.id);
    const sched: Schedule = schedule(graph, fetch, { fuse: opts.fuse, epilogues: opts.epilogues });
    const plan: BufferPlan = planBuffers(graph, sched, fetch, { reuse: opts.reuse });
    const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
    const owned: GPUBuffer[] = [];
    const variables = new VariableGuard(store);

    const slotBuffers = plan.slots.map((s) => {
      const b = device.createBuffer({ size: s.bytes, usage, label: `${label}:slot${s.id}` });
      owned.push(b);
      return b;
    });

    const inputBuffers = new Map<string, { node: Node; buffer: GPUBuffer }>();
    const leafBuffers = new Map<number, GPUBuffer>();
    let inputBytes = 0;
    for (const id of sched.materialised) {
      const node = graph.node(id);
      if (node.op === 'input') {
        const buffer = device.createBuffer({ size: bytesOf(graph, id), usage, label: `${label}:in:${node.name}` });
        owned.push(buffer);
        inputBuffers.set(node.name!, { node, buffer });
        leafBuffers.set(id, buffer);
        inputBytes += bytesOf(graph, id);
      } else if (node.op === 'variable') {
        leafBuffers.set(id, variables.bind(node.name!, node.shape, node.dtype).buffer);
      } else if (node.op === 'const' && node.attrs.data !== undefined) {
        const data = node.attrs.data;
        const buffer = device.createBuffer({ size: bytesOf(graph, id), usage, label: `${label}:const${id}` });
        device.queue.writeBuffer(buffer, 0, data.buffer, data.byteOffset, data.byteLength);
        owned.push(buffer);
        leafBuffers.set(id, buffer);
      }
    }

    const bufferOf = (id: number): GPUBuffer => {
      const base = sched.aliases.get(id) ?? id;
      const leaf = leafBuffers.get(base);
      if (leaf) return leaf;
      const slot = plan.slotOf.get(base);
      if (slot === undefined) throw new InternalError(`${label}: node ${base} (${graph.node(base).op}) has no buffer`);
      return slotBuffers[slot]!;
    };

    let bytesMoved = 0;
    const steps: CompiledStep[] = [];
    const pending = sched.steps.map(async (step) => {
      const node = graph.node(step.node);
      let code: string;
      let workgroups: [number, number, number];
      let reads: number[];
      let fusedOps: string[];
      if (step.kind === 'elementwise') {
        const k = elementwiseKernel(graph, step.group);
        code = k.code;
        workgroups = k.workgroups;
        reads = step.group.externals;
        fusedOps = step.group.members.map((m) => graph.node(m).op);
      } else {
        if (isLeaf(node)) throw new InternalError(`${label}: leaf ${node.op} #${node.id} scheduled as a kernel`);
        const def = graph.op(node);
        if (!def.kernel) throw new InternalError(`op '${node.op}' has no kernel`);
        const epilogue = step.epilogue ? buildEpilogue(graph, node.id, step.epilogue) : undefined;
        const k = def.kernel({ node, inputs: node.inputs.map((i) => graph.node(i)), ...(epilogue ? { epilogue } : {}), target: ctx.target });
        code = k.code;
        workgroups = k.workgroups;
        reads = stepReads(graph, step);
        fusedOps = [node.op, ...(step.epilogue?.members ?? []).map((m) => graph.node(m).op)];
      }
      const out = stepOutput(step);
      const pipeline = await cache.get(code, reads.length, `${label}:${node.op}#${node.id}`);
      const entries: GPUBindGroupEntry[] = reads.map((r, i) => ({ binding: i, resource: { buffer: bufferOf(r) } }));
      entries.push({ binding: reads.length, resource: { buffer: bufferOf(out) } });
      const bindGroup = device.createBindGroup({ layout: cache.layout(reads.length), entries, label: `${label}:${node.op}#${node.id}` });
      for (const r of reads) bytesMoved += bytesOf(graph, r);
      bytesMoved += bytesOf(graph, out);
      const hasEpilogue = step.kind === 'kernel' && step.epilogue !== undefined;
      return { node: out, producer: node.id, op: node.op, fusedOps, epilogue: hasEpilogue, pipeline, bindGroup, workgroups, code };
    });
    steps.push(...(await Promise.all(pending)));

    const updates: UpdateCopy[] = [];
    for (const u of graph.updates) {
      const dst = variables.bind(graph.node(u.variable).name!, graph.node(u.variable).shape, graph.node(u.variable).dtype).buffer;
      const src = bufferOf(u.value);
      if (src !== dst) updates.push({ src, dst, bytes: sizeOf(graph.node(u.variable).shape) * 4 });
    }

    const fetched = new Map<number, { buffer: GPUBuffer; node: Node }>();
    for (const f of fetch) fetched.set(f, { buffer: bufferOf(f), node: graph.node(f) });

    ctx.check();
    return new Program(ctx, graph, label, steps, inputBuffers, updates, fetched, owned, {
      dispatches: steps.length,
      transientBytes: plan.totalBytes,
      inputBytes,
      bytesMoved,
    }, variables);
  }

  /** Names of the inputs this program reads (those it needs; unused inputs are pruned). */
  inputNames(): string[] {
    return [...this.inputBuffers.keys()];
  }

  /** Queue input uploads (ordered before any later submission). */
  setInputs(feeds: Record<string, TypedArray | number[] | number>): void {
    for (const [name, value] of Object.entries(feeds)) {
      const entry = this.inputBuffers.get(name);
      if (!entry) continue; // inputs this program does not need are ignored
      const n = sizeOf(entry.node.shape);
      const arr = typeof value === 'number' ? [value] : value;
      if (arr.length !== n) throw new Error(`${this.label}: input '${name}' needs ${n} values ${formatShape(entry.node.shape)}, got ${arr.length}`);
      const dt = entry.node.dtype;
      const typed = Array.isArray(arr) || !(dt === 'f32' ? arr instanceof Float32Array : dt === 'i32' ? arr instanceof Int32Array : arr instanceof Uint32Array)
        ? dt === 'f32' ? Float32Array.from(arr as ArrayLike<number>) : dt === 'i32' ? Int32Array.from(arr as ArrayLike<number>) : Uint32Array.from(arr as ArrayLike<number>)
        : (arr as TypedArray);
      this.ctx.device.queue.writeBuffer(entry.buffer, 0, typed.buffer, typed.byteOffset, n * 4);
    }
  }

  /** Record this program's dispatches and variable updates into an encoder. */
  encode(encoder: GPUCommandEncoder): void {
    this.variables.check(this.label);
    const pass = encoder.beginComputePass();
    for (const s of this.steps) {
      pass.setPipeline(s.pipeline);
      pass.setBindGroup(0, s.bindGroup);
      pass.dispatchWorkgroups(s.workgroups[0], s.workgroups[1], s.workgroups[2]);
    }
    pass.end();
    for (const u of this.updates) encoder.copyBufferToBuffer(u.src, 0, u.dst, 0, u.bytes);
  }

  /** Write inputs, then encode and submit one run. */
  run(feeds: Record<string, TypedArray | number[] | number> = {}): void {
    this.ctx.check();
    this.setInputs(feeds);
    const enc = this.ctx.device.createCommandEncoder();
    this.encode(enc);
    this.ctx.device.queue.submit([enc.finish()]);
  }

  /** Read back a fetched tensor (waits for the GPU). */
  async read(t: Tensor | number): Promise<TypedArray> {
    const id = typeof t === 'number' ? t : t.id;
    const f = this.fetched.get(id);
    if (!f) throw new Error(`${this.label}: node ${id} was not fetched; pass it in compile's fetch list`);
    this.variables.check(this.label);
    const out = await readBuffer(this.ctx.device, f.buffer, sizeOf(f.node.shape), f.node.dtype);
    this.ctx.check();
    return out;
  }

  /** Human-readable kernel listing (what `matc graph --kernels` prints). */
  describe(): string {
    const lines = this.steps.map((s, i) => {
      const n = this.graph.node(s.node);
      // An epilogue kernel is named by its chain (conv2d+add+relu); elementwise groups list their members.
      const name = s.epilogue ? s.fusedOps.join('+') : s.op;
      const fused = !s.epilogue && s.fusedOps.length > 1 ? `  fused: ${s.fusedOps.join(' -> ')}` : '';
      return `${String(i).padStart(4)}  ${name.padEnd(20)} ${n.dtype}${formatShape(n.shape).padEnd(20)} grid ${s.workgroups.join('x')}${fused}`;
    });
    lines.push(`${this.stats.dispatches} dispatches, ${(this.stats.transientBytes / 2 ** 20).toFixed(2)} MiB transient buffers, ${(this.stats.bytesMoved / 2 ** 20).toFixed(2)} MiB moved per run`);
    return lines.join('\n');
  }

  destroy(): void {
    for (const b of this.owned) b.destroy();
    this.owned.length = 0;
  }
}
