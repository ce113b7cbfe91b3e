/** Public API of matc's data layer: dataset readers, subsets, batching, augmentation, label noise. */
export { DataError } from './errors.js';
export { type Dataset, type Batch, type SubsetOptions, subset, batchAt, makeDataset, exampleSize, identityIndices } from './dataset.js';
export { DATASET_NAMES, CATALOG, isDatasetName, layoutsOf, type DatasetName, type Split, type CatalogEntry, type DatasetFormat, type DatasetLayout } from './catalog.js';
export { loadDataset, clearDatasetCache, type LoadOptions } from './registry.js';
export { locateDataset, locateSplit, DATA_DIR_ENV, type LocateOptions, type LocatedSplit } from './locate.js';
export { readIdxDataset, parseIdx, IDX_FILES } from './idx.js';
export { readCifar10, readCifar100, CIFAR10_FILES, CIFAR100_FILES, type Cifar100Label } from './cifar.js';
export { readCifar10Pickle, readCifar100Pickle, parseCifarPickle, CIFAR10_PICKLE_FILES, CIFAR100_PICKLE_FILES } from './cifar-pickle.js';
export { readSvhn, parseSvhnMat, SVHN_FILES } from './svhn.js';
export { readMatV5, type MatVariable, type MatClass } from './matv5.js';
export { augmentBatch, exampleAugmentation, type AugmentOptions, type ExampleAugmentation } from './augment.js';
export { applyLabelNoise, withLabelNoise, type LabelNoiseResult } from './labels.js';
export { epochOrder } from './order.js';
export { randomSubset } from './sample.js';
export { epochExampleCounter } from './counters.js';
