/**
 * Turns a pipeline's `data` settings into the training and evaluation datasets: dataset lookup
 * (pipeline path, --data-dir, MATC_DATA_DIR, system copies), subsets, and label noise.
 */
import type { ResolvedPipeline } from '../check/resolved.js';
import type { Subset } from '../check/settings.js';
import { subsetProblem } from '../check/data-sizes.js';
import type { Span } from '../syntax/span.js';
import { DataError, loadDataset, locateDataset, subset, randomSubset, withLabelNoise, type Dataset, type DatasetName, type Split } from '../data/index.js';
import { checkImagesFitPipeline, checkSelectionNotEmpty } from './data-fit.js';
import { InternalError } from '../util/internal-error.js';

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
      throw new InternalError(`unknown subset '${sub.kind}'`);
  }
}

/** Where the pipeline's data is looked for: its own path, else --data-dir and the usual places. */
const locateOptions = (p: ResolvedPipeline, opts: DataOptions) => ({ path: p.settings.data.path || undefined, dataDir: opts.dataDir });

/** A split of the pipeline's dataset, checked to fit its model, before any subset. */
export function loadPipelineSplit(p: ResolvedPipeline, split: Split, opts: DataOptions = {}): Dataset {
  const ds = loadDataset(catalogName(p.settings.data.dataset), split, locateOptions(p, opts));
  checkImagesFitPipeline(ds, p);
  return ds;
}

/** The folder a split is read from (what loadPipelineSplit reads), for the run header. */
export function locatePipelineSplit(p: ResolvedPipeline, split: Split, opts: DataOptions = {}): string {
  return locateDataset(catalogName(p.settings.data.dataset) as DatasetName, split, locateOptions(p, opts));
}

/** One line saying where the data comes from, e.g. `data: fashion-mnist train and test from /data/fashion-mnist`. */
export function dataSourceLine(p: ResolvedPipeline, folders: Partial<Record<Split, string>>): string {
  const name = catalogName(p.settings.data.dataset);
  const { train, test } = folders;
  if (train !== undefined && train === test) return `data: ${name} train and test from ${train}`;
  const parts = (['train', 'test'] as const).filter((s) => folders[s] !== undefined).map((s) => `${s} from ${folders[s]}`);
  return `data: ${name} ${parts.join(', ')}`;
}

export function loadRunData(p: ResolvedPipeline, opts: DataOptions = {}): RunData {
  const d = p.settings.data;
  const fullTrain = loadPipelineSplit(p, 'train', opts);
  let train = applySubset(fullTrain, d.subset, p.data.span);
  checkSelectionNotEmpty(train, fullTrain, p, 'data.subset');
  let noisy: Uint8Array | null = null;
  if (d.label_noise > 0) {
    const r = withLabelNoise(train, d.label_noise, p.settings.train.seed);
    train = r.dataset;
    noisy = r.noise.resampled;
  }
  const fullTest = loadPipelineSplit(p, 'test', opts);
  const test = applySubset(fullTest, d.test_subset, p.data.span);
  checkSelectionNotEmpty(test, fullTest, p, 'data.test_subset');
  return { train, test, noisy };
}
