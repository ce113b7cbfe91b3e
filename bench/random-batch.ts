/**
 * Deterministic synthetic batches. Throughput does not depend on the pixel values (no kernel
 * branches on data), so the benches need no data set files: images are uniform in [0, 1],
 * labels uniform over the classes, both from a fixed seed so every run measures the same work.
 */
export interface SyntheticBatch {
  /** NCHW images in [0, 1]. */
  images: Float32Array;
  labels: Int32Array;
  /** Dataset positions 0..n-1 (keys of per-example randomness). */
  positions: Int32Array;
  n: number;
  /** [channels, height, width] */
  shape: [number, number, number];
}

export function syntheticBatch(n: number, shape: [number, number, number], classes: number, seed = 1): SyntheticBatch {
  let s = (seed * 2654435761) >>> 0 || 1;
  const next = (): number => {
    // xorshift32: cheap, deterministic, good enough for filler data.
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    return s / 4294967296;
  };
  const images = new Float32Array(n * shape[0] * shape[1] * shape[2]);
  for (let i = 0; i < images.length; i++) images[i] = next();
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) labels[i] = Math.floor(next() * classes);
  return { images, labels, positions: Int32Array.from({ length: n }, (_, i) => i), n, shape };
}

/** NCHW -> NHWC (TF.js's native convolution layout). */
export function toNhwc(b: SyntheticBatch): Float32Array {
  const [c, h, w] = b.shape;
  const out = new Float32Array(b.images.length);
  for (let n = 0; n < b.n; n++)
    for (let ch = 0; ch < c; ch++)
      for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++) out[((n * h + y) * w + x) * c + ch] = b.images[((n * c + ch) * h + y) * w + x]!;
  return out;
}
