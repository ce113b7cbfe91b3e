/**
 * `loadDataset`: the one entry point the rest of matc uses to get a dataset split by name.
 * Parsed splits are cached for the life of the process (keyed by the folder they came from and
 * the options that change their contents), so a pipeline that evaluates on the test split
 * several times parses it once. Cached datasets are shared: treat them as read-only.
 */
import { CATALOG, isDatasetName, DATASET_NAMES, type DatasetName, type Split } from './catalog.js';
import { readCifar100Pickle, readCifar10Pickle } from './cifar-pickle.js';
import { readCifar10, readCifar100, type Cifar100Label } from './cifar.js';
import type { Dataset } from './dataset.js';
import { DataError } from './errors.js';
import { readIdxDataset } from './idx.js';
import { locateSplit, type LocateOptions, type LocatedSplit } from './locate.js';
import { readSvhn } from './svhn.js';

export interface LoadOptions extends LocateOptions {
  /** CIFAR-100 only: the 100 fine classes (default) or the 20 coarse superclasses. */
  readonly cifar100Label?: Cifar100Label;
  /** SVHN only: append extra_32x32.mat to the train split (its examples get indices after train's). */
  readonly svhnExtra?: boolean;
  /** Set false to bypass the in-process cache (neither read nor filled). */
  readonly cache?: boolean;
}

const cache = new Map<string, Dataset>();

export function loadDataset(name: DatasetName | string, split: Split, options: LoadOptions = {}): Dataset {
  if (!isDatasetName(name)) {
    throw new DataError(`Unknown dataset '${name}'. matc reads: ${DATASET_NAMES.join(', ')}.`);
  }
  if (split !== 'train' && split !== 'test') {
    throw new DataError(`Unknown split '${String(split)}' for ${CATALOG[name].title}: use 'train' or 'test'.`);
  }
  const located = locateSplit(name, split, options);
  const key = cacheKey(name, split, located, options);
  const useCache = options.cache !== false;
  const cached = useCache ? cache.get(key) : undefined;
  if (cached) return cached;
  const dataset = readSplit(name, split, located, options);
  if (useCache) cache.set(key, dataset);
  return dataset;
}

/** Forgets every cached split (tests, or a long-lived process that wants the memory back). */
export function clearDatasetCache(): void {
  cache.clear();
}

function cacheKey(name: DatasetName, split: Split, { dir, format }: LocatedSplit, options: LoadOptions): string {
  // Only options that change what is read are part of the key, so irrelevant ones still share an entry.
  const label = name === 'cifar100' ? (options.cifar100Label ?? 'fine') : null;
  const extra = name === 'svhn' && split === 'train' ? (options.svhnExtra ?? false) : null;
  return JSON.stringify([name, split, dir, format, label, extra]);
}

function readSplit(name: DatasetName, split: Split, { dir, format }: LocatedSplit, options: LoadOptions): Dataset {
  const pickled = format === 'python';
  switch (name) {
    case 'mnist':
    case 'fashion-mnist':
      return readIdxDataset(dir, { name, split, classes: 10 });
    case 'cifar10':
      return pickled ? readCifar10Pickle(dir, split) : readCifar10(dir, split);
    case 'cifar100':
      return (pickled ? readCifar100Pickle : readCifar100)(dir, split, options.cifar100Label ?? 'fine');
    case 'svhn':
      return readSvhn(dir, split, options.svhnExtra ?? false);
  }
}
