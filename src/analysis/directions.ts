/**
 * Random directions in weight space for loss-surface probes, keyed by (seed, direction index) with
 * the counter-based generator, so a probe is reproducible.
 * - plain: a Gaussian direction scaled to unit L2 norm over all trainable weights;
 * - filter: filter-normalised as in Li et al. 2018 ("Visualizing the Loss Landscape"): each filter
 *   (a slice along the output dimension of a conv or linear weight) gets the norm of the same filter
 *   of theta; vectors (biases, batch-norm weights) get 0, their "ignore biasbn" choice.
 */
import { normal } from '../util/random.js';

export type DirectionKind = 'plain' | 'filter';

export interface ParamLayout {
  name: string;
  shape: readonly number[];
  size: number;
}

/** Stream numbers of this module, apart from the training streams (Streams in util/random). */
const DIRECTION_STREAM = 0x5e11;

export function randomDirection(layout: readonly ParamLayout[], theta: Float64Array, kind: DirectionKind, seed: number, index: number): Float64Array {
  const total = layout.reduce((s, p) => s + p.size, 0);
  const d = new Float64Array(total);
  for (let i = 0; i < total; i++) d[i] = normal(seed, DIRECTION_STREAM + index, i);
  if (kind === 'plain') {
    const n = Math.hypot(...chunkNorms(d));
    for (let i = 0; i < total; i++) d[i]! /= n;
    return d;
  }
  let o = 0;
  for (const p of layout) {
    if (p.shape.length < 2) d.fill(0, o, o + p.size);
    else {
      const filters = p.shape[0]!;
      const per = p.size / filters;
      for (let f = 0; f < filters; f++) {
        const start = o + f * per;
        let dn = 0;
        let tn = 0;
        for (let k = start; k < start + per; k++) {
          dn += d[k]! * d[k]!;
          tn += theta[k]! * theta[k]!;
        }
        const scale = Math.sqrt(tn) / Math.max(Math.sqrt(dn), 1e-30);
        for (let k = start; k < start + per; k++) d[k]! *= scale;
      }
    }
    o += p.size;
  }
  return d;
}

/** Norms of 4096-element chunks (Math.hypot over a whole vector would spread its arguments). */
function chunkNorms(v: Float64Array): number[] {
  const out: number[] = [];
  for (let i = 0; i < v.length; i += 4096) {
    let s = 0;
    for (let k = i; k < Math.min(v.length, i + 4096); k++) s += v[k]! * v[k]!;
    out.push(Math.sqrt(s));
  }
  return out;
}

export function l2(v: Float64Array): number {
  return Math.hypot(...chunkNorms(v));
}

export function l2Distance(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i]! - b[i]!) ** 2;
  return Math.sqrt(s);
}

/** theta + lambda * d */
export function axpy(theta: Float64Array, lambda: number, d: Float64Array): Float64Array {
  const out = new Float64Array(theta.length);
  for (let i = 0; i < theta.length; i++) out[i] = theta[i]! + lambda * d[i]!;
  return out;
}
