/**
 * Kernel GFLOP/s on this machine's adapter: square matmuls, the reference CNN's dense layers
 * (forward and both gradients) and its two conv layers at batch 128 (forward, grad-input,
 * grad-weight). Each kernel is run straight from its op's `kernel()` on the runtime's device:
 * warm-up dispatches, then timed batches of back-to-back dispatches closed by
 * `queue.onSubmittedWorkDone()`; the best batch counts (other processes on a software adapter
 * only ever slow a batch down).
 *
 *   node dist/bench/kernels.js [--quick]      or   runKernelBench({ rt, quick }) from bench/run.ts
 */
import { Graph, isLeaf } from '../src/ir/graph.js';
import { OPS } from '../src/ops/registry.js';
import type { Tensor } from '../src/ir/tensor.js';
import { Runtime } from '../src/runtime/runtime.js';
import { describeAdapter } from './adapter.js';
import { formatTable } from './table.js';
import { gradWeightSplits } from '../codegen/wgsl/conv.js';
import { loadLine } from './machine-load.js';
import { prepareDispatch, timeDispatches } from './dispatch-timer.js';

export interface KernelCase {
  name: string;
  /** Builds the op node to time (inputs are graph inputs). */
  build(g: Graph): Tensor;
  flops: number;
}

export const mm = (M: number, N: number, K: number, transA = false, transB = false, label?: string): KernelCase => ({
  name: label ?? `matmul ${M}x${K} · ${K}x${N}${transA ? ' (Aᵀ)' : ''}${transB ? ' (Bᵀ)' : ''}`,
  build: (g) => g.input('a', transA ? [K, M] : [M, K]).matmul(g.input('b', transB ? [N, K] : [K, N]), { transA, transB }),
  flops: 2 * M * N * K,
});

/** Conv layer [N, C, H, H] * [O, C, 3, 3], pad 1, stride 1: the three kernels of one training step. */
function convCases(N: number, C: number, H: number, O: number): KernelCase[] {
  const flops = 2 * N * O * H * H * C * 9;
  const attrs = { stride: [1, 1], pad: [1, 1] };
  const tag = `conv ${C}->${O} 3x3 on ${H}x${H}, batch ${N}`;
  // As conv2d's gradient runs it: split over images when one tile would hold all of dw.
  const splits = gradWeightSplits({ N, C, H, W: H, O, kh: 3, kw: 3, sh: 1, sw: 1, ph: 1, pw: 1, OH: H, OW: H });
  return [
    { name: `${tag}: forward`, build: (g) => g.input('x', [N, C, H, H]).conv2d(g.input('w', [O, C, 3, 3]), { pad: 1 }), flops },
    { name: `${tag}: grad input`, build: (g) => g.apply('conv2d_grad_input', [g.input('gy', [N, O, H, H]), g.input('w', [O, C, 3, 3])], { ...attrs, inputShape: [N, C, H, H] }), flops },
    { name: `${tag}: grad weight`, build: (g) => g.apply('conv2d_grad_weight', [g.input('x', [N, C, H, H]), g.input('gy', [N, O, H, H])], { ...attrs, kernel: [3, 3] }), flops },
    ...(splits > 1
      ? [{ name: `${tag}: grad weight, ${splits} image splits`, build: (g: Graph) => g.apply('conv2d_grad_weight', [g.input('x', [N, C, H, H]), g.input('gy', [N, O, H, H])], { ...attrs, kernel: [3, 3], splits }), flops }]
      : []),
  ];
}

export function kernelCases(quick: boolean): KernelCase[] {
  return [
    mm(256, 256, 256),
    mm(512, 512, 512),
    ...(quick ? [] : [mm(1024, 1024, 1024)]),
    // Reference CNN dense layers at batch 128 (PyTorch linear: x · Wᵀ) and their gradients.
    mm(128, 100, 1568, false, true, 'linear 1568->100 batch 128: forward'),
    mm(128, 1568, 100, false, false, 'linear 1568->100 batch 128: grad input'),
    mm(100, 1568, 128, true, false, 'linear 1568->100 batch 128: grad weight'),
    mm(128, 10, 100, false, true, 'linear 100->10 batch 128: forward'),
    ...convCases(128, 1, 28, 16),
    ...convCases(128, 16, 14, 32),
  ];
}

export interface KernelTiming {
  name: string;
  ms: number;
  gflops: number;
}

/** Time one op's kernel on random-free zeroed buffers (timing does not depend on values). */
async function timeKernel(rt: Runtime, c: KernelCase, minBatchMs: number): Promise<KernelTiming> {
  const g = new Graph(OPS);
  const out = c.build(g);
  const { ms } = await timeNodeKernel(rt, g, out.id, c.name, minBatchMs);
  return { name: c.name, ms, gflops: c.flops / ms / 1e6 };
}

/**
 * Best milliseconds per dispatch of the kernel node `id`'s op would run (no fused epilogue), on
 * zeroed buffers: warm-up dispatches, then timed batches of back-to-back dispatches closed by
 * `queue.onSubmittedWorkDone()`, grown to at least `minBatchMs`; the best of three batches counts.
 * Also returns the kernel's WGSL, which says which kernel the op chose.
 */
export async function timeNodeKernel(rt: Runtime, g: Graph, id: number, name: string, minBatchMs: number): Promise<{ ms: number; code: string }> {
  const device = rt.device;
  const node = g.node(id);
  const inputs = node.inputs.map((i) => g.node(i));
  if (isLeaf(node)) throw new Error(`${name}: builds a ${node.op}, not an op`);
  // As the runtime generates it for this device (program.ts), subgroups included.
  const kernel = g.op(node).kernel!({ node, inputs, target: rt.ctx.target });
  const bytes = (shape: readonly number[]) => Math.max(16, Math.ceil((shape.reduce((p, d) => p * d, 1) * 4) / 16) * 16);
  const buffers = [...inputs.map((n) => n.shape), node.shape].map((s) => device.createBuffer({ size: bytes(s), usage: GPUBufferUsage.STORAGE }));
  const dispatch = prepareDispatch(device, kernel, buffers, name);
  const perDispatch = async (times: number) => (await timeDispatches(device, dispatch, times)).wall;
  await perDispatch(1); // warm-up: first dispatch pays for lazy setup
  let times = 1;
  let ms = await perDispatch(times);
  while (ms * times < minBatchMs && times < 1 << 12) {
    times *= 2;
    ms = await perDispatch(times);
  }
  let best = ms;
  for (let r = 0; r < 2; r++) best = Math.min(best, await perDispatch(times));
  for (const b of buffers) b.destroy();
  return { ms: best, code: kernel.code };
}

/** Runs every case and returns the table (with the adapter and the host load) as text. */
export async function runKernelBench(opts: { rt: Runtime; quick?: boolean }): Promise<string> {
  const quick = opts.quick ?? false;
  const rows: (string | number)[][] = [];
  for (const c of kernelCases(quick)) {
    process.stderr.write(`[kernels] ${c.name} ...\n`);
    const t = await timeKernel(opts.rt, c, quick ? 50 : 200);
    rows.push([t.name, Number(t.ms.toFixed(3)), Number(t.gflops.toFixed(2))]);
  }
  const header = `adapter: ${describeAdapter(opts.rt.ctx.adapter)}\n${loadLine()}`;
  return `${header}\n${formatTable(['kernel', 'ms', 'GFLOP/s'], rows)}`;
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (invokedDirectly) {
  const rt = await Runtime.create();
  try {
    console.log(await runKernelBench({ rt, quick: process.argv.includes('--quick') }));
  } finally {
    rt.destroy();
  }
}
