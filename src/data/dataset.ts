/**
 * The in-memory dataset every reader produces and every consumer (training loop, attacks,
 * analysis) reads. Images are float NCHW in [0, 1]; `indices[i]` is the position of example i
 * in the ORIGINAL split as published, which is what all per-example randomness (augmentation,
 * label noise) is keyed on, so subsetting or reordering never changes an example's draws.
 */
export interface Dataset {
  /** Registry name, e.g. 'cifar10'. */
  readonly name: string;
  /** 'train' or 'test' (or a derived description); informational only. */
  readonly split?: string;
  /** n * channels * height * width floats, NCHW, each in [0, 1]. */
  readonly images: Float32Array;
  /** n class ids in [0, classes). */
  readonly labels: Int32Array;
  /** n original dataset indices (see the module comment). */
  readonly indices: Int32Array;
  readonly n: number;
  readonly channels: number;
  readonly height: number;
  readonly width: number;
  readonly classes: number;
  /** The files the split was read from (images file first), for messages; absent for built datasets. */
  readonly files?: readonly string[];
}

/** One batch copied out of a dataset. */
export interface Batch {
  readonly images: Float32Array;
  readonly labels: Int32Array;
  readonly indices: Int32Array;
  /** Number of examples in this batch (the last batch of an epoch may be short). */
  readonly n: number;
}

export interface SubsetOptions {
  /** Keep only the first `first` examples (after `indices`, when both are given). */
  readonly first?: number;
  /** Positions in `ds` to keep, in this order. For a freshly loaded split these equal original indices. */
  readonly indices?: readonly number[] | Int32Array;
}

/** Floats per example. */
export function exampleSize(ds: Pick<Dataset, 'channels' | 'height' | 'width'>): number {
  return ds.channels * ds.height * ds.width;
}

/** Builds a Dataset from parsed arrays, with identity original indices; checks lengths agree. */
export function makeDataset(fields: Omit<Dataset, 'indices' | 'n'> & { indices?: Int32Array }): Dataset {
  const n = fields.labels.length;
  const size = fields.channels * fields.height * fields.width;
  if (fields.images.length !== n * size) {
    throw new RangeError(`${fields.name}: ${fields.images.length} image floats for ${n} labels of ${size} floats each`);
  }
  const indices = fields.indices ?? identityIndices(n);
  if (indices.length !== n) throw new RangeError(`${fields.name}: ${indices.length} indices for ${n} labels`);
  return { ...fields, indices, n };
}

export function identityIndices(n: number): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = i;
  return out;
}

/**
 * A new dataset holding the chosen examples (copied). `indices` keeps pointing at the original
 * split, so a subset of a subset still knows where each example came from.
 */
export function subset(ds: Dataset, options: SubsetOptions): Dataset {
  const positions: ArrayLike<number> = options.indices ?? identityIndices(ds.n);
  if (options.indices) {
    for (let i = 0; i < positions.length; i++) {
      const p = positions[i]!;
      if (!Number.isInteger(p) || p < 0 || p >= ds.n) {
        throw new RangeError(`subset of ${ds.name}: index ${p} is outside 0..${ds.n - 1}`);
      }
    }
  }
  let count = positions.length;
  if (options.first !== undefined) {
    if (!Number.isInteger(options.first) || options.first < 0) {
      throw new RangeError(`subset of ${ds.name}: first must be a non-negative integer, got ${options.first}`);
    }
    count = Math.min(options.first, count);
  }
  const picked = gather(ds, positions, 0, count);
  return { ...ds, images: picked.images, labels: picked.labels, indices: picked.indices, n: picked.n };
}

/**
 * Copies the examples at positions order[start], ..., order[start + size - 1] (clipped to the end
 * of `order`, so the last batch of an epoch may be shorter). Pure: no randomness, no aliasing.
 */
export function batchAt(ds: Dataset, order: Int32Array, start: number, size: number): Batch {
  if (!Number.isInteger(start) || start < 0 || start > order.length) {
    throw new RangeError(`batchAt: start ${start} is outside 0..${order.length}`);
  }
  if (!Number.isInteger(size) || size < 0) throw new RangeError(`batchAt: size must be a non-negative integer, got ${size}`);
  return gather(ds, order, start, Math.min(start + size, order.length));
}

function gather(ds: Dataset, positions: ArrayLike<number>, from: number, to: number): Batch {
  const n = to - from;
  const size = exampleSize(ds);
  const images = new Float32Array(n * size);
  const labels = new Int32Array(n);
  const indices = new Int32Array(n);
  for (let k = 0; k < n; k++) {
    const p = positions[from + k]!;
    if (p < 0 || p >= ds.n) throw new RangeError(`${ds.name}: position ${p} is outside 0..${ds.n - 1}`);
    images.set(ds.images.subarray(p * size, (p + 1) * size), k * size);
    labels[k] = ds.labels[p]!;
    indices[k] = ds.indices[p]!;
  }
  return { images, labels, indices, n };
}
