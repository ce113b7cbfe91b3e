/**
 * WGSL for the counter-based random ops (see src/ops/random.ts for the keying). Every
 * element is a pure function of (seed, stream, step, counter), so threads need no state.
 * Inputs: step u32 [1] (binding 0) and optionally rows i32 [B] (binding 1).
 */
import type { Kernel } from '../../src/ir/op.js';
import { WGSL_RANDOM } from '../../src/util/random.js';
import { threadKernel, u32 } from './thread-kernel.js';

export interface RandomKernelSpec {
  seed: number;
  stream: number;
  /** Output element count. */
  size: number;
  /** Elements per batch row when keyed by dataset rows; absent: keyed by flat index. */
  rowSize?: number;
  /** WGSL output element type. */
  outputType: string;
  /**
   * WGSL expression of the sample, given `seed: u32`, `stream_key: u32`, `counter: u32`
   * and the helpers in WGSL_RANDOM.
   */
  sample: string;
}

export function randomKernel(spec: RandomKernelSpec): Kernel {
  const counter =
    spec.rowSize === undefined
      ? 'let counter: u32 = t;'
      : // u32(i32) reinterprets the bits, as `>>> 0` does on the CPU; products wrap mod 2^32.
        `let counter: u32 = u32(in1[t / ${u32(spec.rowSize)}]) * ${u32(spec.rowSize)} + t % ${u32(spec.rowSize)};`;
  const body = [
    `let seed: u32 = ${u32(spec.seed >>> 0)};`,
    `let stream_key: u32 = ${u32(spec.stream >>> 0)} ^ rng_mix32(in0[0]);`,
    counter,
    `out[t] = ${spec.sample};`,
  ].join('\n');
  const inputTypes = spec.rowSize === undefined ? ['u32'] : ['u32', 'i32'];
  return threadKernel({ inputTypes, outputType: spec.outputType, threads: spec.size, body, helpers: WGSL_RANDOM });
}
