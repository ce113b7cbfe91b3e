/**
 * Every convolution of a network's PGD-AT step, shape by shape: forward, input gradient and weight
 * gradient of each distinct layer geometry in ResNet-18 and WRN-34-10, with its GFLOP/s and its
 * share of the matmul kernel's GFLOP/s measured in the same run (issue 17 asks for >= 50% for
 * every shape). The convolutions are those matc builds: the step's graphs come from the pipeline
 * (StepGraphBuilder, no GPU compile of the step), and each distinct conv node runs the kernel its
 * op chooses, without the fused epilogue the step may add. A weight gradient split over images
 * is timed as its split kernel; the small sum over splits that follows is not included.
 *
 *   node dist/bench/conv-shapes.js [--batch 8] [--nets resnet18,wrn34_10] [--width W] [--rounds 2]
 *   or `npm run bench -- --only conv_shapes [--resnet-batch N] [--resnet-width W]`
 */
import { Graph, isLeaf, type Node } from '../src/ir/graph.js';
import { OPS } from '../src/ops/registry.js';
import { Runtime } from '../src/runtime/runtime.js';
import { StepGraphBuilder } from '../src/lower/step-graphs.js';
import { neededNodes } from '../src/runtime/schedule.js';
import { loadPipeline } from './matc/load-pipeline.js';
import { resnet18PgdAt, wrn34_10PgdAt, type StepWorkload } from './matc/workloads.js';
import { nodeFlops } from './matc/kernel-families.js';
import { mm, timeNodeKernel } from './kernels.js';
import { formatTable } from './table.js';
import { describeAdapter } from './adapter.js';
import { loadLine } from './machine-load.js';

const CONV_OPS = new Set(['conv2d', 'conv2d_grad_input', 'conv2d_grad_weight']);
const PASS: Record<string, string> = { conv2d: 'forward', conv2d_grad_input: 'input gradient', conv2d_grad_weight: 'weight gradient' };

/** One distinct convolution of a step: the first node seen with its geometry, and how often it runs per step. */
interface ConvUse {
  graph: Graph;
  node: Node;
  perStep: number;
}

/** The layer a conv node belongs to, as `C->O kxk sS, HxW`. */
function layerOf(graph: Graph, node: Node): string {
  const shape = (i: number) => graph.node(node.inputs[i]!).shape;
  const a = node.attrs as { stride?: number | number[]; kernel?: number[]; inputShape?: number[] };
  const stride = Array.isArray(a.stride) ? a.stride[0] : (a.stride ?? 1);
  // x [N, C, H, W] and the weight [O, C, kh, kw], recovered from whichever the op has.
  let x: readonly number[];
  let w: readonly number[];
  if (node.op === 'conv2d') [x, w] = [shape(0), shape(1)];
  else if (node.op === 'conv2d_grad_input') [x, w] = [a.inputShape!, shape(1)];
  else [x, w] = [shape(0), [shape(1)[1]!, shape(0)[1]!, a.kernel![0]!, a.kernel![1]!]];
  return `${x[1]}->${w[0]} ${w[2]}x${w[3]} s${stride}, ${x[2]}x${x[3]}`;
}

/** Distinct conv nodes of one step (attack graphs count `steps` times), in first-seen order. */
export function stepConvolutions(workload: StepWorkload): ConvUse[] {
  const pipeline = loadPipeline(workload.file, workload.overrides);
  const graphs = new StepGraphBuilder(pipeline, workload.batch, 1).graphs(workload.batch, new Set());
  const uses = new Map<string, ConvUse>();
  const visit = (graph: Graph, times: number) => {
    // As the program compiles it: only what the variable updates need (autodiff also leaves dead
    // nodes behind, such as weight gradients in an attack's graph).
    const needed = neededNodes(graph, graph.updates.map((u) => u.value));
    for (const node of graph.nodes) {
      if (!needed.has(node.id) || isLeaf(node) || !CONV_OPS.has(node.op)) continue;
      const key = JSON.stringify([node.op, node.inputs.map((i) => graph.node(i).shape), node.attrs]);
      const use = uses.get(key);
      if (use) use.perStep += times;
      else uses.set(key, { graph, node, perStep: times });
    }
  };
  for (const a of graphs.attacks) visit(a.graph, a.attack.steps);
  visit(graphs.outer, 1);
  return [...uses.values()];
}

/**
 * What kind of kernel the op chose, from its WGSL header line (after an `enable subgroups;`, which
 * marks the variant that hands values between lanes: "+ subgroups").
 */
function kernelKind(wgsl: string): string {
  const subgroups = wgsl.startsWith('enable subgroups;');
  const code = subgroups ? wgsl.slice(wgsl.indexOf('\n') + 1) : wgsl;
  const suffix = subgroups ? ' + subgroups' : '';
  if (code.startsWith('// direct conv')) return `direct${suffix}`;
  if (code.startsWith('// conv2d grad input, thin') || code.startsWith('// conv2d grad weight, thin')) return `thin strip${suffix}`;
  const gemm = /^\/\/ gemm \((pointwise conv|strided pointwise conv|conv by phases|implicit conv)\)/.exec(code)?.[1];
  if (gemm) return { 'pointwise conv': 'pointwise matmul', 'strided pointwise conv': 'strided pointwise', 'conv by phases': 'GEMM by phases', 'implicit conv': 'implicit GEMM' }[gemm]! + suffix;
  return code.split('\n', 1)[0]!.slice(0, 30);
}

export interface ConvShapeRow {
  net: string;
  layer: string;
  pass: string;
  kernel: string;
  perStep: number;
  ms: number;
  gflops: number;
  /** GFLOP/s as a fraction of the matmul's in the same run. */
  ofMatmul: number;
}

export async function runConvShapes(opts: { rt: Runtime; batch: number; nets: string[]; width?: number; minBatchMs?: number; rounds?: number }): Promise<{ text: string; rows: ConvShapeRow[]; matmulGflops: number }> {
  const minBatchMs = opts.minBatchMs ?? 200;
  const rounds = opts.rounds ?? 1;
  // The reference is timed before the convolutions and after each round, and the fastest run
  // counts; each convolution's fastest round counts too. On a shared host a burst of load during
  // one measurement would otherwise move a shape across the 50% line from run to run (4 and 13 of
  // 63 below it in two single-round runs 3 minutes apart, 2026-12-06).
  const ref = mm(512, 512, 512);
  const refGraph = new Graph(OPS);
  const refId = ref.build(refGraph).id;
  const timeRef = async () => ref.flops / (await timeNodeKernel(opts.rt, refGraph, refId, ref.name, minBatchMs)).ms / 1e6;
  const refRuns = [await timeRef()];
  const uses: { net: string; use: ConvUse }[] = [];
  for (const net of opts.nets) {
    const workload = net === 'wrn34_10' ? wrn34_10PgdAt(opts.batch) : net === 'resnet18' ? resnet18PgdAt(opts.batch, opts.width ?? 64) : null;
    if (!workload) throw new Error(`unknown net '${net}' (known: resnet18, wrn34_10)`);
    for (const use of stepConvolutions(workload)) uses.push({ net, use });
  }
  const rows: ConvShapeRow[] = [];
  for (let round = 0; round < rounds; round++) {
    for (const [i, { net, use }] of uses.entries()) {
      const layer = layerOf(use.graph, use.node);
      const pass = PASS[use.node.op]!;
      process.stderr.write(`[conv-shapes] ${rounds > 1 ? `round ${round + 1}/${rounds} ` : ''}${net} ${layer} ${pass} ...\n`);
      const { ms, code } = await timeNodeKernel(opts.rt, use.graph, use.node.id, `${layer} ${pass}`, minBatchMs);
      if (rows[i] && rows[i]!.ms <= ms) continue;
      const gflops = nodeFlops(use.graph, use.node) / ms / 1e6;
      rows[i] = { net, layer, pass, kernel: kernelKind(code), perStep: use.perStep, ms, gflops, ofMatmul: 0 };
    }
    refRuns.push(await timeRef());
  }
  const matmulGflops = Math.max(...refRuns);
  for (const r of rows) r.ofMatmul = r.gflops / matmulGflops;
  const below = rows.filter((r) => r.ofMatmul < 0.5);
  const text = [
    `adapter: ${describeAdapter(opts.rt.ctx.adapter)}`,
    loadLine(),
    `reference: ${ref.name} ${matmulGflops.toFixed(2)} GFLOP/s (the best of ${refRuns.map((r) => r.toFixed(2)).join(', ')}: before the convolutions and after each round); convolutions at batch ${opts.batch}, kernels alone (no fused epilogue), each the best of ${rounds} round(s)`,
    formatTable(
      ['net', 'layer (C->O kernel stride, input)', 'pass', 'kernel', 'runs/step', 'ms', 'GFLOP/s', '% of matmul'],
      rows.map((r) => [r.net, r.layer, r.pass, r.kernel, r.perStep, Number(r.ms.toFixed(2)), Number(r.gflops.toFixed(2)), Math.round(100 * r.ofMatmul)]),
    ),
    below.length === 0
      ? `every shape at >= 50% of the matmul's GFLOP/s`
      : `${below.length} of ${rows.length} below 50% of the matmul's GFLOP/s: ${below.map((r) => `${r.net} ${r.layer} ${r.pass} (${Math.round(100 * r.ofMatmul)}%)`).join('; ')}`,
  ].join('\n');
  return { text, rows, matmulGflops };
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (invokedDirectly) {
  const arg = (name: string) => {
    const i = process.argv.indexOf(name);
    return i >= 0 ? process.argv[i + 1] : undefined;
  };
  const rt = await Runtime.create();
  try {
    const width = arg('--width');
    const result = await runConvShapes({
      rt,
      batch: Number(arg('--batch') ?? 8),
      nets: (arg('--nets') ?? 'resnet18,wrn34_10').split(','),
      rounds: Number(arg('--rounds') ?? 2),
      ...(width ? { width: Number(width) } : {}),
    });
    console.log(result.text);
  } finally {
    rt.destroy();
  }
}
