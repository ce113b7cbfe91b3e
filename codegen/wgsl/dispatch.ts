/**
 * Dispatch geometry helpers. WebGPU caps each dispatch dimension at 65535 workgroups, so
 * large 1-D launches are folded into 2-D grids; kernels recover the flat index with
 * `flatIndexWGSL` and must bounds-check it.
 */
export const MAX_WORKGROUPS_PER_DIM = 65535;

/** Workgroup counts for `threads` invocations at `workgroupSize` per group (1-D logical). */
export function dispatch1d(threads: number, workgroupSize: number): [number, number, number] {
  const groups = Math.max(1, Math.ceil(threads / workgroupSize));
  if (groups <= MAX_WORKGROUPS_PER_DIM) return [groups, 1, 1];
  const y = Math.ceil(groups / MAX_WORKGROUPS_PER_DIM);
  const x = Math.ceil(groups / y);
  return [x, y, 1];
}

/**
 * WGSL statement computing `let <name>: u32` = flat invocation index for a dispatch made by
 * dispatch1d. Requires `@builtin(workgroup_id) wid: vec3u`, `@builtin(num_workgroups) nwg: vec3u`
 * and `@builtin(local_invocation_index) lid: u32` parameters on the entry point.
 */
export function flatIndexWGSL(name: string, workgroupSize: number): string {
  return `let ${name}: u32 = (wid.y * nwg.x + wid.x) * ${workgroupSize}u + lid;`;
}

/**
 * `count` as a WGSL u32 expression that equals it at run time but that the shader compiler
 * cannot evaluate, for the bound of a loop that should stay a loop. Lavapipe (NIR) fully unrolls
 * loops with a constant trip count of up to 32, nested ones included, and compile time grows
 * with the unrolled code: a fused elementwise kernel with its 16-element loop unrolled took
 * 500 ms to compile and 47 ms rolled, at the same speed (1.6M elements: 3.6 vs 3.5 ms); a small
 * sum over 9 x 11 x 13 took 2.1 s unrolled and 35 ms rolled. Every kernel binds `out` (the
 * registry's contract), and a runtime-sized binding is never empty, so the select always yields
 * `count`. Not for loops that index a register tile: those must unroll to stay in registers.
 */
export function rolledCount(count: number): string {
  return `select(${count}u, 0u, arrayLength(&out) == 0u)`;
}

/** Standard entry-point builtins matching flatIndexWGSL. */
export const FLAT_BUILTINS = '@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32';

/** Binding declarations for the registry's kernel contract: inputs 0..n-1 read-only, output at n. */
export function bindingsWGSL(inputTypes: string[], outputType: string): string {
  const lines = inputTypes.map((t, i) => `@group(0) @binding(${i}) var<storage, read> in${i}: array<${t}>;`);
  lines.push(`@group(0) @binding(${inputTypes.length}) var<storage, read_write> out: array<${outputType}>;`);
  return lines.join('\n');
}
