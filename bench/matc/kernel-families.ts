/**
 * Groups a program's kernels into families for the time breakdown: what the next optimisation
 * round needs to know is "how much goes to convolution backward" rather than per-node names.
 */
import type { Program, CompiledStep } from '../../src/runtime/program.js';
import type { Graph, Node } from '../../src/ir/graph.js';
import { isElementwiseNode } from '../../codegen/wgsl/elementwise.js';

const FAMILY_OF_OP: Record<string, string> = {
  conv2d: 'conv forward',
  conv2d_grad_input: 'conv input-gradient',
  conv2d_grad_weight: 'conv weight-gradient',
  matmul: 'matmul (linear fwd+bwd)',
  maxpool2d_argmax: 'pooling',
  maxpool2d: 'pooling',
  maxpool2d_grad: 'pooling',
  avgpool2d: 'pooling',
  avgpool2d_grad: 'pooling',
  batch_norm_train: 'batch norm',
  batch_norm_stats: 'batch norm',
  batch_norm_input_grad: 'batch norm',
  batch_norm_param_grad: 'batch norm',
  softmax: 'softmax / cross-entropy',
  softmax_cross_entropy: 'softmax / cross-entropy',
  random_uniform: 'random',
  random_normal: 'random',
  random_bits: 'random',
  random_bernoulli: 'random',
  transpose: 'data movement',
  copy: 'data movement',
  pad: 'data movement',
  slice: 'data movement',
  concat: 'data movement',
  broadcast_to: 'data movement',
};

export function kernelFamily(program: Program, step: CompiledStep): string {
  const known = FAMILY_OF_OP[step.op];
  if (known) return known;
  const node = program.graph.node(step.node);
  if (isElementwiseNode(program.graph, node)) return step.fusedOps.length > 1 ? 'elementwise (fused chains)' : 'elementwise (single op)';
  if (/^(sum|mean|max|min|prod|reduce|argmax|argmin|norm)/.test(step.op)) return 'reductions';
  return `other: ${step.op}`;
}

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/**
 * Floating-point operations of one run of a compute-bound kernel (2 per multiply-add), for the
 * per-family GFLOP/s: convolutions (all three passes) and matmuls; 0 for the rest, whose cost is
 * memory traffic, not arithmetic.
 */
export function kernelFlops(program: Program, step: CompiledStep): number {
  // The producer, not the written node: a conv with a fused epilogue writes the epilogue's root.
  return nodeFlops(program.graph, program.graph.node(step.producer));
}

/** Floating-point operations of one node's kernel (see kernelFlops). */
export function nodeFlops(graph: Graph, node: Node): number {
  const input = (i: number) => graph.node(node.inputs[i]!).shape;
  switch (node.op) {
    case 'conv2d':
    case 'conv2d_grad_input': {
      // Forward: out [N, O, OH, OW] from w [O, C, kh, kw]; input gradient: the same products, from gy.
      const w = input(1);
      const gy = node.op === 'conv2d' ? node.shape : input(0);
      return 2 * size(gy) * size(w.slice(1));
    }
    case 'conv2d_grad_weight': {
      // dw [O, C, kh, kw] from x [N, C, H, W] and gy [N, O, OH, OW]: every gy element meets C*kh*kw taps.
      const [kh, kw] = node.attrs.kernel as [number, number];
      return 2 * size(input(1)) * input(0)[1]! * kh * kw;
    }
    case 'matmul': {
      const a = input(0);
      const k = node.attrs.transA ? a[a.length - 2]! : a[a.length - 1]!;
      return 2 * size(node.shape) * k;
    }
    default:
      return 0;
  }
}
