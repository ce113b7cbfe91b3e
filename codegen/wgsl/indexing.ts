/**
 * WGSL for the indexing ops. Index buffers are i32; an index outside its axis reads as zero
 * (gathers) or is ignored (scatters), matching the CPU references exactly. `type` is the
 * WGSL element type of the data; `${type}()` is its zero.
 *
 * No kernel uses atomics: scatters are written "pull" style, every output element (or a
 * small chunk of a row) scanning the index list for the entries that land on it. Index
 * lists are batch-sized, so the scan is short and each output is owned by one thread,
 * which also makes the float summation order fixed (ascending k) and equal to the CPU's.
 */
import type { Kernel } from '../../src/ir/op.js';
import { threadKernel, u32 } from './thread-kernel.js';
import { rolledCount } from './dispatch.js';

/**
 * Data viewed as [outer, axis, inner]; `out[o, k, i] = x[o, indices[k], i]`.
 * Inputs: x (binding 0), indices (binding 1).
 */
export function gatherKernel(type: string, outer: number, axis: number, count: number, inner: number): Kernel {
  const body = [
    `let i: u32 = t % ${u32(inner)};`,
    `let k: u32 = (t / ${u32(inner)}) % ${u32(count)};`,
    `let o: u32 = t / ${u32(inner * count)};`,
    'let r: i32 = in1[k];',
    `if (r >= 0i && r < ${axis}i) {`,
    `  out[t] = in0[(o * ${u32(axis)} + u32(r)) * ${u32(inner)} + i];`,
    `} else { out[t] = ${type}(); }`,
  ].join('\n');
  return threadKernel({ inputTypes: [type, 'i32'], outputType: type, threads: outer * count * inner, body });
}

/**
 * Adjoint of gatherKernel: `out[o, j, i] = sum over k with indices[k] == j of g[o, k, i]`.
 * One thread per (o, j, chunk of i), so the index scan is paid once per chunk; sums run in
 * ascending k, accumulated in place in the thread's own outputs.
 * Inputs: indices (binding 0), g (binding 1).
 */
export function scatterAddKernel(type: string, outer: number, count: number, size: number, inner: number): Kernel {
  const chunk = chunkLength(inner, count);
  const chunks = Math.ceil(inner / chunk);
  const body = [
    `let c: u32 = t % ${u32(chunks)};`,
    `let j: u32 = (t / ${u32(chunks)}) % ${u32(size)};`,
    `let o: u32 = t / ${u32(chunks * size)};`,
    `let first: u32 = c * ${u32(chunk)};`,
    `let last: u32 = min(first + ${u32(chunk)}, ${u32(inner)});`,
    `let dst: u32 = (o * ${u32(size)} + j) * ${u32(inner)};`,
    `for (var i: u32 = first; i < last; i = i + 1u) { out[dst + i] = ${type}(); }`,
    `for (var k: u32 = 0u; k < ${rolledCount(count)}; k = k + 1u) {`,
    '  if (in0[k] == i32(j)) {',
    `    let src: u32 = (o * ${u32(count)} + k) * ${u32(inner)};`,
    '    for (var i: u32 = first; i < last; i = i + 1u) { out[dst + i] = out[dst + i] + in1[src + i]; }',
    '  }',
    '}',
  ].join('\n');
  return threadKernel({ inputTypes: ['i32', type], outputType: type, threads: outer * size * chunks, body });
}

/**
 * Elements of a row one thread handles when it must first scan `count` indices: about as
 * many as the scan is long, so scanning costs at most as much as copying.
 */
function chunkLength(rowLength: number, count: number): number {
  return Math.min(rowLength, Math.max(8, count));
}

/**
 * Row replacement: table [rows, rowSize] with `table[indices[b]] = values[b]`; the last b
 * naming a row wins. One thread per (row, chunk of the row): the index scan is paid once per
 * chunk, not once per element, which matters for long tables (a 50000-row state buffer).
 * Inputs: table (0), indices (1), values (2).
 */
export function scatterRowsKernel(type: string, rows: number, rowSize: number, count: number): Kernel {
  const chunk = chunkLength(rowSize, count);
  const chunksPerRow = Math.ceil(rowSize / chunk);
  const body = [
    `let n: u32 = t / ${u32(chunksPerRow)};`,
    `let first: u32 = (t % ${u32(chunksPerRow)}) * ${u32(chunk)};`,
    `let last: u32 = min(first + ${u32(chunk)}, ${u32(rowSize)});`,
    // Scan backwards so the first hit is the last writer.
    'var winner: i32 = -1i;',
    `for (var b: u32 = ${rolledCount(count)}; b > 0u; b = b - 1u) {`,
    '  if (in1[b - 1u] == i32(n)) { winner = i32(b - 1u); break; }',
    '}',
    `for (var j: u32 = first; j < last; j = j + 1u) {`,
    '  if (winner >= 0i) {',
    `    out[n * ${u32(rowSize)} + j] = in2[u32(winner) * ${u32(rowSize)} + j];`,
    '  } else {',
    `    out[n * ${u32(rowSize)} + j] = in0[n * ${u32(rowSize)} + j];`,
    '  }',
    '}',
  ].join('\n');
  return threadKernel({ inputTypes: [type, 'i32', type], outputType: type, threads: rows * chunksPerRow, body });
}

/** `out[p] = x[p, idx[p]]` for x [positions, classes]. Inputs: x (0), idx (1). */
export function takeAlongKernel(type: string, positions: number, classes: number): Kernel {
  const body = [
    'let c: i32 = in1[t];',
    `if (c >= 0i && c < ${classes}i) { out[t] = in0[t * ${u32(classes)} + u32(c)]; } else { out[t] = ${type}(); }`,
  ].join('\n');
  return threadKernel({ inputTypes: [type, 'i32'], outputType: type, threads: positions, body });
}

/** Adjoint of takeAlongKernel: `out[p, c] = (idx[p] == c) ? g[p] : 0`. Inputs: idx (0), g (1). */
export function scatterAlongKernel(type: string, positions: number, classes: number): Kernel {
  const body = [
    `let p: u32 = t / ${u32(classes)};`,
    `let c: i32 = i32(t % ${u32(classes)});`,
    `if (in0[p] == c) { out[t] = in1[p]; } else { out[t] = ${type}(); }`,
  ].join('\n');
  return threadKernel({ inputTypes: ['i32', type], outputType: type, threads: positions * classes, body });
}
