/**
 * Static costs of one training step, from the compiled programs' own statistics: dispatches and
 * bytes the kernels touch per step (a program repeated K times counts K times), and the GPU
 * memory the step holds: each distinct program's planned transient buffers and input buffers
 * (all allocated for the program's lifetime, so they add up), plus the persistent variables.
 */
import type { Program } from '../../src/runtime/program.js';
import type { Runtime } from '../../src/runtime/runtime.js';

export interface StepStats {
  dispatches: number;
  submissions: number;
  bytesMoved: number;
  /** Planned transient buffers of the distinct programs (peak planned memory). */
  transientBytes: number;
  /** Parameters, optimizer state, batch, deltas, metrics: everything in the variable store. */
  variableBytes: number;
}

export function stepStats(rt: Runtime, sequence: readonly Program[], submissions = 1): StepStats {
  let dispatches = 0;
  let bytesMoved = 0;
  for (const p of sequence) {
    dispatches += p.stats.dispatches;
    bytesMoved += p.stats.bytesMoved;
  }
  let transientBytes = 0;
  for (const p of new Set(sequence)) transientBytes += p.stats.transientBytes + p.stats.inputBytes;
  let variableBytes = 0;
  for (const name of rt.variables.names()) variableBytes += rt.variables.get(name).buffer.size;
  return { dispatches, submissions, bytesMoved, transientBytes, variableBytes };
}
