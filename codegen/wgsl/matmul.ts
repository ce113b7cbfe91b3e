/**
 * Batched matmul with NumPy batch broadcasting and transpose flags, as an instance of the
 * register-tiled GEMM (codegen/wgsl/gemm.ts). Transposes are free: they only change which
 * axis of the operand is contiguous in storage.
 */
import { stridesOf, type Shape } from '../../src/ir/shape.js';
import { chooseTiling, gemmKernel, type GemmKernel, type GemmTiling } from './gemm.js';
import type { Epilogue } from './epilogue.js';
import type { KernelTarget } from '../../src/ir/op.js';

export interface MatmulShapes {
  aShape: Shape;
  bShape: Shape;
  outShape: Shape;
  transA: boolean;
  transB: boolean;
}

/**
 * WGSL expression for the first element of an operand's matrix in output batch `batch`,
 * when the operand's batch dims `opBatch` broadcast against the output's `outBatch`.
 */
export function batchOffsetWGSL(opBatch: Shape, outBatch: Shape, matrixSize: number): string {
  const opCount = opBatch.reduce((p, d) => p * d, 1);
  const outCount = outBatch.reduce((p, d) => p * d, 1);
  if (opCount === 1) return '0u';
  const lead = outBatch.length - opBatch.length;
  if (opCount === outCount && opBatch.every((d, i) => d === outBatch[lead + i])) return `batch * ${matrixSize}u`;
  // General broadcast: unravel batch over the output's batch dims, skip the operand's size-1 dims.
  const opStrides = stridesOf(opBatch);
  const outStrides = stridesOf(outBatch);
  const terms: string[] = [];
  outBatch.forEach((d, o) => {
    const i = o - lead;
    if (i < 0 || opBatch[i] === 1 || d === 1) return;
    terms.push(`((batch / ${outStrides[o]}u) % ${d}u) * ${opStrides[i]! * matrixSize}u`);
  });
  return terms.length ? `(${terms.join(' + ')})` : '0u';
}

export function matmulKernel(s: MatmulShapes, tiling?: GemmTiling, epilogue?: Epilogue, target?: KernelTarget): GemmKernel {
  const ra = s.aShape.length;
  const rb = s.bShape.length;
  const M = s.transA ? s.aShape[ra - 1]! : s.aShape[ra - 2]!;
  const K = s.transA ? s.aShape[ra - 2]! : s.aShape[ra - 1]!;
  const N = s.transB ? s.bShape[rb - 2]! : s.bShape[rb - 1]!;
  const outBatch = s.outShape.slice(0, -2);
  const batch = outBatch.reduce((p, d) => p * d, 1);
  return gemmKernel({
    M,
    N,
    K,
    batch,
    inputCount: 2,
    a: { kind: 'matrix', binding: 0, contiguous: s.transA ? 'mn' : 'k', offset: batchOffsetWGSL(s.aShape.slice(0, -2), outBatch, M * K) },
    b: { kind: 'matrix', binding: 1, contiguous: s.transB ? 'k' : 'mn', offset: batchOffsetWGSL(s.bShape.slice(0, -2), outBatch, K * N) },
    tiling: tiling ?? chooseTiling(M, N, K, batch, true),
    ...(epilogue ? { epilogue } : {}),
    ...(target ? { target } : {}),
  });
}
