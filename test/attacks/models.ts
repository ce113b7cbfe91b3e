/**
 * Small classifiers for attack tests, built from elementwise ops and sums (no conv or matmul
 * kernels needed), with weights as graph constants:
 *  - linear: f(x) = W x + b, whose worst case in a box-clipped L-inf / L2 ball is known in closed form;
 *  - masked: the same linear model behind stop_gradient, so every input gradient is exactly zero;
 *  - twoLayer: a random ReLU network, for a non-trivial decision boundary.
 */
import type { Classifier } from '../../src/attacks/classifier.js';
import { randn } from '../helpers/op-harness.js';

export interface LinearModel {
  w: Float32Array; // [C, D]
  b: Float32Array; // [C]
  classes: number;
  dims: number;
}

export function linearClassifier(m: LinearModel, opts: { masked?: boolean } = {}): Classifier {
  return (g, x) => {
    const batch = x.shape[0]!;
    let flat = x.reshape([batch, 1, m.dims]);
    if (opts.masked) flat = flat.stopGradient();
    const w = g.constantData(m.w, [1, m.classes, m.dims]);
    return flat.mul(w).sum(-1).add(g.constantData(m.b, [m.classes]));
  };
}

export function logitsOf(m: LinearModel, x: ArrayLike<number>, offset = 0): number[] {
  return Array.from({ length: m.classes }, (_, c) => {
    let z = m.b[c]!;
    for (let d = 0; d < m.dims; d++) z += m.w[c * m.dims + d]! * x[offset + d]!;
    return z;
  });
}

/**
 * The smallest margin z_y - z_j over j != y and over the L-inf ball of radius eps around x,
 * intersected with [0, 1]^D: per coordinate the minimiser sits at a bound (a linear program
 * over a box), chosen by the sign of w_y - w_j.
 */
export function worstMarginLinf(m: LinearModel, x: ArrayLike<number>, offset: number, y: number, eps: number): number {
  let worst = Infinity;
  for (let j = 0; j < m.classes; j++) {
    if (j === y) continue;
    let margin = m.b[y]! - m.b[j]!;
    for (let d = 0; d < m.dims; d++) {
      const v = m.w[y * m.dims + d]! - m.w[j * m.dims + d]!;
      const xd = x[offset + d]!;
      margin += v * (v > 0 ? Math.max(xd - eps, 0) : Math.min(xd + eps, 1));
    }
    worst = Math.min(worst, margin);
  }
  return worst;
}

/** The same for the L2 ball when the box is inactive (x at least eps away from 0 and 1). */
export function worstMarginL2(m: LinearModel, x: ArrayLike<number>, offset: number, y: number, eps: number): number {
  let worst = Infinity;
  for (let j = 0; j < m.classes; j++) {
    if (j === y) continue;
    let margin = m.b[y]! - m.b[j]!;
    let norm = 0;
    for (let d = 0; d < m.dims; d++) {
      const v = m.w[y * m.dims + d]! - m.w[j * m.dims + d]!;
      margin += v * x[offset + d]!;
      norm += v * v;
    }
    worst = Math.min(worst, margin - eps * Math.sqrt(norm));
  }
  return worst;
}

export function randomLinear(classes: number, dims: number, seed: number): LinearModel {
  return { w: randn([classes, dims], seed, 1), b: randn([classes], seed + 1, 0.1), classes, dims };
}

/** A random two-layer ReLU network [D -> H -> C]. */
export function twoLayerClassifier(dims: number, hidden: number, classes: number, seed: number): Classifier {
  const w1 = randn([hidden, dims], seed, 1 / Math.sqrt(dims) * 3);
  const b1 = randn([hidden], seed + 1, 0.5);
  const w2 = randn([classes, hidden], seed + 2, 1 / Math.sqrt(hidden) * 3);
  return (g, x) => {
    const batch = x.shape[0]!;
    const h = x.reshape([batch, 1, dims]).mul(g.constantData(w1, [1, hidden, dims])).sum(-1).add(g.constantData(b1, [hidden])).relu();
    return h.reshape([batch, 1, hidden]).mul(g.constantData(w2, [1, classes, hidden])).sum(-1);
  };
}
