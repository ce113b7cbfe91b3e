/**
 * What matc knows about each supported dataset: its files per split, the folder names people
 * usually keep it under, where a system package installs it, and how to say what is expected
 * when it cannot be found. Locating (locate.ts) and loading (registry.ts) are driven by this table.
 */
import { CIFAR100_PICKLE_FILES, CIFAR10_PICKLE_FILES } from './cifar-pickle.js';
import { CIFAR100_FILES, CIFAR10_FILES } from './cifar.js';
import { IDX_FILES } from './idx.js';
import { SVHN_FILES } from './svhn.js';

export const DATASET_NAMES = ['mnist', 'fashion-mnist', 'cifar10', 'cifar100', 'svhn'] as const;
export type DatasetName = (typeof DATASET_NAMES)[number];
export type Split = 'train' | 'test';

/** A required file: any one of the listed names will do (e.g. with or without `.gz`). */
export type FileChoice = readonly string[];

/**
 * How a folder stores the files: 'standard' is the format `files` describes (IDX, the CIFAR
 * binary version, SVHN's MAT-files); 'python' is CIFAR's pickled python version.
 */
export type DatasetFormat = 'standard' | 'python';

/** A second way to store a dataset, with its own file names and usual folders. */
export interface DatasetLayout {
  readonly format: DatasetFormat;
  readonly files: Record<Split, readonly FileChoice[]>;
  readonly folders: readonly string[];
}

export interface CatalogEntry {
  /** Human name used in messages, e.g. "CIFAR-10". */
  readonly title: string;
  /** Files a folder must contain to hold a split. */
  readonly files: Record<Split, readonly FileChoice[]>;
  /** One-line description of the expected files, for error messages. */
  readonly expected: string;
  /**
   * Folders, relative to a data directory, that may hold the files, most specific first
   * (the data directory itself is always tried last).
   */
  readonly folders: readonly string[];
  /** Absolute folders a system package installs the files into, tried before ~/.matc/data. */
  readonly systemDirs: readonly string[];
  /**
   * Other layouts matc reads, tried after `files`/`folders` in each data directory, so one
   * format is preferred consistently and a split never mixes files of two folders.
   */
  readonly otherLayouts?: readonly DatasetLayout[];
  /** Files or folders that mean "you have this dataset, but in a form matc cannot read". */
  readonly wrongForms: readonly { readonly name: string; readonly hint: string }[];
}

/** Every layout of a dataset, the preferred ('standard') one first. */
export function layoutsOf(entry: CatalogEntry): DatasetLayout[] {
  return [{ format: 'standard', files: entry.files, folders: entry.folders }, ...(entry.otherLayouts ?? [])];
}

const oneFileEach = (files: Record<Split, readonly string[]>): Record<Split, FileChoice[]> => ({
  train: files.train.map((f) => [f]),
  test: files.test.map((f) => [f]),
});

const idxChoices = (split: Split): FileChoice[] =>
  [IDX_FILES[split].images, IDX_FILES[split].labels].map((base) => [base, `${base}.gz`]);

const IDX_EXPECTED =
  'train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte (IDX files, each optionally gzipped with a .gz suffix)';

export const CATALOG: Record<DatasetName, CatalogEntry> = {
  mnist: {
    title: 'MNIST',
    files: { train: idxChoices('train'), test: idxChoices('test') },
    expected: IDX_EXPECTED,
    folders: ['mnist', 'MNIST/raw', 'MNIST'],
    systemDirs: ['/usr/share/datasets/mnist'],
    wrongForms: [],
  },
  'fashion-mnist': {
    title: 'Fashion-MNIST',
    files: { train: idxChoices('train'), test: idxChoices('test') },
    expected: IDX_EXPECTED,
    folders: ['fashion-mnist', 'fashion_mnist', 'FashionMNIST/raw', 'FashionMNIST'],
    // Debian's dataset-fashion-mnist package; found without any configuration.
    systemDirs: ['/usr/share/datasets/fashion-mnist'],
    wrongForms: [],
  },
  cifar10: {
    title: 'CIFAR-10',
    files: oneFileEach(CIFAR10_FILES),
    expected:
      "data_batch_1.bin ... data_batch_5.bin and test_batch.bin (the 'CIFAR-10 binary version'), or data_batch_1 ... data_batch_5 and test_batch (the python version, as torchvision downloads it into cifar-10-batches-py)",
    folders: ['cifar10/cifar-10-batches-bin', 'cifar10', 'cifar-10/cifar-10-batches-bin', 'cifar-10', 'cifar-10-batches-bin'],
    otherLayouts: [
      {
        format: 'python',
        files: oneFileEach(CIFAR10_PICKLE_FILES),
        folders: ['cifar10/cifar-10-batches-py', 'cifar10', 'cifar-10/cifar-10-batches-py', 'cifar-10', 'cifar-10-batches-py'],
      },
    ],
    systemDirs: [],
    wrongForms: [
      { name: 'cifar-10-binary.tar.gz', hint: 'extract it first: tar xzf cifar-10-binary.tar.gz' },
      { name: 'cifar-10-python.tar.gz', hint: 'extract it first: tar xzf cifar-10-python.tar.gz' },
    ],
  },
  cifar100: {
    title: 'CIFAR-100',
    files: oneFileEach(CIFAR100_FILES),
    expected:
      "train.bin and test.bin (the 'CIFAR-100 binary version'), or train and test (the python version, as torchvision downloads it into cifar-100-python)",
    folders: ['cifar100/cifar-100-binary', 'cifar100', 'cifar-100/cifar-100-binary', 'cifar-100', 'cifar-100-binary'],
    otherLayouts: [
      {
        format: 'python',
        files: oneFileEach(CIFAR100_PICKLE_FILES),
        folders: ['cifar100/cifar-100-python', 'cifar100', 'cifar-100/cifar-100-python', 'cifar-100', 'cifar-100-python'],
      },
    ],
    systemDirs: [],
    wrongForms: [
      { name: 'cifar-100-binary.tar.gz', hint: 'extract it first: tar xzf cifar-100-binary.tar.gz' },
      { name: 'cifar-100-python.tar.gz', hint: 'extract it first: tar xzf cifar-100-python.tar.gz' },
    ],
  },
  svhn: {
    title: 'SVHN',
    files: { train: [[SVHN_FILES.train]], test: [[SVHN_FILES.test]] },
    expected: 'train_32x32.mat and test_32x32.mat (the cropped digits, format 2; extra_32x32.mat is optional)',
    folders: ['svhn', 'SVHN'],
    systemDirs: [],
    wrongForms: [],
  },
};

export function isDatasetName(name: string): name is DatasetName {
  return (DATASET_NAMES as readonly string[]).includes(name);
}
