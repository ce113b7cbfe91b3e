/**
 * Row-wise softmax family kernels: softmax, log_softmax, and the fused per-example
 * softmax cross-entropy. One invocation per row (rows are short in matc: the class axis).
 * All are numerically stable: the row maximum is subtracted before exponentiating, so no
 * exp overflows and the largest term of the sum is exactly 1.
 */
import type { Kernel } from '../../src/ir/op.js';
import { bindingsWGSL, dispatch1d, flatIndexWGSL, FLAT_BUILTINS, rolledCount } from './dispatch.js';
import { rowBaseWGSL, rowElemWGSL, type RowLayout } from './rows.js';

const WG = 64;

/** WGSL statements computing `m` (row max) and `s` (sum of exp(x - m)) for the row at `base`. */
function rowStats(l: RowLayout): string {
  const at = (j: string) => `in0[${rowElemWGSL(l, j)}]`;
  return `  var m: f32 = ${at('0u')};
  for (var j: u32 = 1u; j < ${rolledCount(l.size)}; j++) { m = max(m, ${at('j')}); }
  var s: f32 = 0.0;
  for (var j: u32 = 0u; j < ${rolledCount(l.size)}; j++) { s += exp(${at('j')} - m); }`;
}

function rowKernel(l: RowLayout, inputTypes: string[], body: string): Kernel {
  // NaN from a private variable: Tint rejects constant expressions that evaluate to NaN.
  const code = `${bindingsWGSL(inputTypes, 'f32')}
var<private> NAN_BITS: u32 = 0x7fc00000u;

@compute @workgroup_size(${WG})
fn main(${FLAT_BUILTINS}) {
  ${flatIndexWGSL('row', WG)}
  if (row >= ${l.rows}u) { return; }
  ${rowBaseWGSL(l, 'row')}
${body}
}
`;
  return { code, workgroups: dispatch1d(l.rows, WG) };
}

/** softmax (log = false) or log_softmax (log = true) along the layout's axis. */
export function softmaxKernel(l: RowLayout, log: boolean): Kernel {
  const idx = rowElemWGSL(l, 'j');
  const write = log ? `out[${idx}] = in0[${idx}] - m - ls;` : `out[${idx}] = exp(in0[${idx}] - m) * inv;`;
  return rowKernel(
    l,
    ['f32'],
    `${rowStats(l)}
  ${log ? 'let ls: f32 = log(s);' : 'let inv: f32 = 1.0 / s;'}
  for (var j: u32 = 0u; j < ${rolledCount(l.size)}; j++) { ${write} }`,
  );
}

/**
 * Per-row cross-entropy: log(sum exp(z)) - z[label] = m + log(s) - z[label].
 * Labels outside [0, size) give NaN (loud, like an error PyTorch would raise).
 */
export function softmaxCrossEntropyKernel(l: RowLayout): Kernel {
  return rowKernel(
    l,
    ['f32', 'i32'],
    `${rowStats(l)}
  let y: i32 = in1[row];
  if (y < 0 || y >= ${l.size}) { out[row] = bitcast<f32>(NAN_BITS); return; }
  out[row] = m + log(s) - in0[${rowElemWGSL(l, 'u32(y)')}];`,
  );
}
