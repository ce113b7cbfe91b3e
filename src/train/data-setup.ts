/**
 * Turns a pipeline's `data` settings into the training and evaluation datasets: dataset lookup
 * (pipeline path, --data-dir, MATC_DATA_DIR, system copies), subsets, and label noise.
 */
import type { ResolvedPipeline } from '../check/resolved.js';
import type { Subset } from '../check/settings.js';
import { loadDataset, subset, randomSubset, withLabelNoise, type Dataset } from '../data/index.js';

export interface DataOptions {
  dataDir?: string;
}

export interface RunData {
  train: Dataset;
  test: Dataset;
  /** Examples whose training label was resampled by label noise (1), by position in `train`. */
  noisy: Uint8Array | null;
}

/** The catalog spells dataset names with dashes; the language with underscores. */
export function catalogName(name: string): string {
  return name.replace(/_/g, '-');
}

export function applySubset(ds: Dataset, s: Subset): Dataset {
  const sub = s as { kind: string; count?: number; start?: number; end?: number; seed?: number };
  switch (sub.kind) {
    case 'all':
      return ds;
    case 'first':
      return subset(ds, { first: sub.count! });
    case 'range': {
      const end = Math.min(sub.end!, ds.n);
      return subset(ds, { indices: Array.from({ length: Math.max(0, end - sub.start!) }, (_, i) => sub.start! + i) });
    }
    case 'random':
      return randomSubset(ds, sub.count!, sub.seed ?? 0);
    default:
      throw new Error(`unknown subset '${sub.kind}'`);
  }
}

export function loadRunData(p: ResolvedPipeline, opts: DataOptions = {}): RunData {
  const d = p.settings.data;
  const load = (split: 'train' | 'test') =>
    loadDataset(catalogName(d.dataset), split, { path: d.path || undefined, dataDir: opts.dataDir });
  let train = applySubset(load('train'), d.subset);
  let noisy: Uint8Array | null = null;
  if (d.label_noise > 0) {
    const r = withLabelNoise(train, d.label_noise, p.settings.train.seed);
    train = r.dataset;
    noisy = r.noise.resampled;
  }
  const test = applySubset(load('test'), d.test_subset);
  return { train, test, noisy };
}
