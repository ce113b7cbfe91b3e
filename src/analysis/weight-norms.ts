/**
 * Norm-based complexity measures (Jiang et al. 2020, "Fantastic Generalization Measures"), on the
 * CPU from a checkpoint's weight tensors: the sum of squared Frobenius norms, and the product of
 * spectral norms, each conv weight [out, in, kh, kw] read as the matrix [out, in*kh*kw] as in
 * Jiang et al. Only weights of conv and linear layers count (rank >= 2); biases and batch-norm
 * vectors do not.
 */

export interface WeightTensor {
  name: string;
  shape: readonly number[];
  data: Float32Array | Float64Array;
}

/** The layer weights the measures use: tensors named *weight with rank 2 (linear) or 4 (conv). */
export function layerWeights(tensors: readonly WeightTensor[]): WeightTensor[] {
  return tensors.filter((t) => t.name.endsWith('weight') && (t.shape.length === 2 || t.shape.length === 4));
}

export function squaredFrobenius(t: WeightTensor): number {
  let s = 0;
  for (let i = 0; i < t.data.length; i++) s += t.data[i]! * t.data[i]!;
  return s;
}

/**
 * Largest singular value of the [rows, cols] matrix `data` by power iteration on A^T A, from a
 * fixed start (all ones plus a small ramp, so no singular vector is orthogonal to it by symmetry).
 * Iterates until the estimate changes by less than `tol` relatively.
 */
export function spectralNorm(data: ArrayLike<number>, rows: number, cols: number, iterations = 500, tol = 1e-10): number {
  let v = Float64Array.from({ length: cols }, (_, j) => 1 + j / cols);
  let norm = Math.hypot(...v);
  v = v.map((x) => x / norm);
  const u = new Float64Array(rows);
  let sigma = 0;
  for (let it = 0; it < iterations; it++) {
    // u = A v
    for (let r = 0; r < rows; r++) {
      let s = 0;
      const o = r * cols;
      for (let c = 0; c < cols; c++) s += data[o + c]! * v[c]!;
      u[r] = s;
    }
    // v = A^T u
    const w = new Float64Array(cols);
    for (let r = 0; r < rows; r++) {
      const o = r * cols;
      const ur = u[r]!;
      for (let c = 0; c < cols; c++) w[c] = w[c]! + data[o + c]! * ur;
    }
    let wn = 0;
    for (let c = 0; c < cols; c++) wn += w[c]! * w[c]!;
    wn = Math.sqrt(wn);
    if (wn === 0) return 0;
    const next = Math.sqrt(wn); // ||A^T A v|| -> sigma^2 for the top singular vector
    v = w.map((x) => x / wn);
    if (Math.abs(next - sigma) <= tol * next) return next;
    sigma = next;
  }
  return sigma;
}

/** The matrix a weight stands for: [out, in] for linear, [out, in*kh*kw] for conv. */
export function asMatrix(t: WeightTensor): { rows: number; cols: number } {
  const rows = t.shape[0]!;
  return { rows, cols: t.data.length / rows };
}

export interface NormMeasures {
  /** Sum over layers of ||W||_F^2. */
  frobeniusSquaredSum: number;
  /** Product over layers of ||W||_2, and its log (the product overflows quickly for deep nets). */
  spectralProduct: number;
  logSpectralProduct: number;
  perLayer: { name: string; frobeniusSquared: number; spectral: number }[];
}

export function normMeasures(tensors: readonly WeightTensor[]): NormMeasures {
  const perLayer = layerWeights(tensors).map((t) => {
    const { rows, cols } = asMatrix(t);
    return { name: t.name, frobeniusSquared: squaredFrobenius(t), spectral: spectralNorm(t.data, rows, cols) };
  });
  const logSpectralProduct = perLayer.reduce((s, l) => s + Math.log(l.spectral), 0);
  return {
    frobeniusSquaredSum: perLayer.reduce((s, l) => s + l.frobeniusSquared, 0),
    spectralProduct: Math.exp(logSpectralProduct),
    logSpectralProduct,
    perLayer,
  };
}
