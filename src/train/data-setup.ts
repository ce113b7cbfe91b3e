/**
 * Turns a pipeline's `data` settings into the training and evaluation datasets: dataset lookup
 * (pipeline path, --data-dir, MATC_DATA_DIR, system copies), subsets, and label noise.
 */
import type { ResolvedPipeline } from '../check/resolved.js';
import type { Subset } from '../check/settings.js';
import { subsetProblem } from '../check/data-sizes.js';
import type { Span } from '../syntax/span.js';
import { DataError, loadDataset, subset, randomSubset, withLabelNoise, type Dataset } from '../data/index.js';

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

/**
 * The examples of `ds` that `s` selects. A range past the end of the loaded copy is refused (the
 * checker can only know the sizes of the standard sets); `where` locates the pipeline's `data`.
 */
export function applySubset(ds: Dataset, s: Subset, where?: Span): Dataset {
  const problem = subsetProblem(s, ds.n, `the ${ds.n} examples of ${ds.name}`);
  if (problem?.severity === 'error') {
    const at = where ? `${where.file}:${where.line}:${where.col}: ` : '';
    throw new DataError(`${at}${problem.message}${problem.hint ? ` (${problem.hint})` : ''}`);
  }
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
  let train = applySubset(load('train'), d.subset, p.data.span);
  let noisy: Uint8Array | null = null;
  if (d.label_noise > 0) {
    const r = withLabelNoise(train, d.label_noise, p.settings.train.seed);
    train = r.dataset;
    noisy = r.noise.resampled;
  }
  const test = applySubset(load('test'), d.test_subset, p.data.span);
  return { train, test, noisy };
}
