/**
 * matmul(a, b, {transA, transB}): a [..., M, K] (or [..., K, M] with transA), b [..., K, N]
 * (or [..., N, K] with transB), batch dims broadcast NumPy-style, output [..., M, N].
 * The kernel is the register-tiled GEMM of codegen/wgsl/gemm.ts.
 */
import type { Node } from '../ir/graph.js';
import { broadcastShapes, formatShape, ShapeError, sizeOf, type Shape } from '../ir/shape.js';
import type { Tensor } from '../ir/tensor.js';
import { matmulKernel } from '../../codegen/wgsl/matmul.js';
import { unbroadcast } from './grad-util.js';
import type { OpAttrs } from '../ir/op-attrs.js';
import type { KernelOpDef } from '../ir/op.js';
import type { TypedArray } from '../ir/typed-array.js';

interface MatmulDims {
  M: number;
  K: number;
  N: number;
  batchShape: number[];
}

function matmulDims(a: Shape, b: Shape, transA: boolean, transB: boolean): MatmulDims {
  if (a.length < 2 || b.length < 2) {
    throw new ShapeError(`matmul: operands must have rank >= 2, got ${formatShape(a)} and ${formatShape(b)}`);
  }
  const [ar, ac] = [a[a.length - 2]!, a[a.length - 1]!];
  const [br, bc] = [b[b.length - 2]!, b[b.length - 1]!];
  const [M, K] = transA ? [ac, ar] : [ar, ac];
  const [Kb, N] = transB ? [bc, br] : [br, bc];
  if (K !== Kb) {
    throw new ShapeError(`matmul: inner dimensions differ: ${formatShape(a)}${transA ? 'ᵀ' : ''} x ${formatShape(b)}${transB ? 'ᵀ' : ''} (${K} vs ${Kb})`);
  }
  const batchShape = broadcastShapes(a.slice(0, -2), b.slice(0, -2));
  return { M, K, N, batchShape };
}

const flags = (attrs: OpAttrs['matmul']) => ({ transA: attrs.transA === true, transB: attrs.transB === true });

/** Flat offsets of each output batch's A and B matrices under broadcasting. */
function batchOffsets(opBatch: Shape, outBatch: Shape, matrixSize: number): number[] {
  const count = sizeOf(outBatch);
  const lead = outBatch.length - opBatch.length;
  const offsets = new Array<number>(count);
  for (let flat = 0; flat < count; flat++) {
    let rem = flat;
    let off = 0;
    let opStride = 1;
    // Walk the output batch dims from the last; accumulate the operand's strides.
    for (let o = outBatch.length - 1; o >= 0; o--) {
      const d = outBatch[o]!;
      const idx = rem % d;
      rem = Math.floor(rem / d);
      const i = o - lead;
      if (i >= 0) {
        if (opBatch[i] !== 1) off += idx * opStride;
        opStride *= opBatch[i]!;
      }
    }
    offsets[flat] = off * matrixSize;
  }
  return offsets;
}

const matmulDef: KernelOpDef<'matmul'> = {
  name: 'matmul',
  infer(inputs, attrs) {
    const [a, b] = inputs as [Node, Node];
    if (a.dtype !== 'f32' || b.dtype !== 'f32') throw new ShapeError(`matmul: f32 operands only, got ${a.dtype} and ${b.dtype}`);
    const { transA, transB } = flags(attrs);
    const { M, N, batchShape } = matmulDims(a.shape, b.shape, transA, transB);
    return { shape: [...batchShape, M, N], dtype: 'f32' };
  },
  cpu(inputs, ctx) {
    const [a, b] = inputs as [TypedArray, TypedArray];
    const [an, bn] = ctx.inputs as [Node, Node];
    const { transA, transB } = flags(ctx.node.attrs);
    const { M, K, N, batchShape } = matmulDims(an.shape, bn.shape, transA, transB);
    const aOff = batchOffsets(an.shape.slice(0, -2), batchShape, M * K);
    const bOff = batchOffsets(bn.shape.slice(0, -2), batchShape, K * N);
    const out = new Float32Array(aOff.length * M * N);
    // Strides of A(m, k) and B(k, n) in their storage layouts.
    const [asm, ask] = transA ? [1, M] : [K, 1];
    const [bsk, bsn] = transB ? [1, K] : [N, 1];
    for (let p = 0; p < aOff.length; p++) {
      const ao = aOff[p]!;
      const bo = bOff[p]!;
      for (let m = 0; m < M; m++) {
        for (let n = 0; n < N; n++) {
          let s = 0;
          for (let k = 0; k < K; k++) s += a[ao + m * asm + k * ask]! * b[bo + k * bsk + n * bsn]!;
          out[(p * M + m) * N + n] = s;
        }
      }
    }
    return out;
  },
  grad(g, ctx) {
    const [a, b] = ctx.inputs as [Tensor, Tensor];
    const { transA, transB } = flags(ctx.attrs);
    // C = op(A) op(B). d op(A) = g op(B)ᵀ, d op(B) = op(A)ᵀ g; un-transposing the
    // results is again only a choice of flags, so no transpose op is ever materialised.
    const dA = transA ? b.matmul(g, { transA: transB, transB: true }) : g.matmul(b, { transB: !transB });
    const dB = transB ? g.matmul(a, { transA: true, transB: transA }) : a.matmul(g, { transA: !transA });
    return [unbroadcast(dA, a.shape), unbroadcast(dB, b.shape)];
  },
  kernel(ctx) {
    const [a, b] = ctx.inputs as [Node, Node];
    return matmulKernel({ aShape: a.shape, bShape: b.shape, outShape: ctx.node.shape, ...flags(ctx.node.attrs) }, undefined, ctx.epilogue, ctx.target);
  },
  fusesEpilogue: true,
};

export const matmulOps = { matmul: matmulDef };
