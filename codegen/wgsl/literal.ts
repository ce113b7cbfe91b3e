/** WGSL literals of graph values. */
import type { DType } from '../../src/ir/dtype.js';

/** f32 literal or an integer literal matching the dtype. */
export function wgslLiteral(v: number, dtype: DType): string {
  if (dtype === 'f32') {
    // WGSL constant expressions may not evaluate to inf or NaN (Tint rejects them), so infinities
    // become the largest finite f32, which orders the same against every finite value.
    if (Number.isNaN(v)) throw new Error('NaN cannot be a WGSL literal');
    if (!Number.isFinite(v)) return v > 0 ? '3.4028234663852886e38' : '-3.4028234663852886e38';
    const s = String(Math.fround(v));
    return /[.eE]/.test(s) ? s : `${s}.0`;
  }
  return dtype === 'i32' ? `${Math.trunc(v)}i` : `${Math.max(0, Math.trunc(v))}u`;
}

/** WGSL scalar type of a dtype (the dtypes are named after them). */
export function wgslType(dtype: DType): string {
  return dtype;
}
