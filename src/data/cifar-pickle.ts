/**
 * CIFAR-10 and CIFAR-100 "python version" (what torchvision downloads: cifar-10-batches-py/,
 * cifar-100-python/). Each file is a Python 2 pickle of a dict with
 *   'data'   a numpy uint8 array [N, 3072], each row planar R, G, B 32x32 (the binary version's
 *            pixel order, so rows copy straight into NCHW);
 *   'labels' (CIFAR-10) or 'fine_labels' and 'coarse_labels' (CIFAR-100): lists of N ints;
 *   plus 'batch_label' and 'filenames', which matc does not need.
 * The metadata files (batches.meta, meta) only hold class names and are not read.
 */
import { join } from 'node:path';
import { CIFAR_PIXELS, cifarDataset, concatRecords, type Cifar100Label, type ParsedRecords } from './cifar.js';
import type { Dataset } from './dataset.js';
import { corruptFile } from './errors.js';
import { readDataFile } from './files.js';
import { asNumpyUint8, describe, numpyGlobals } from './numpy-pickle.js';
import { readPickle } from './pickle.js';

export const CIFAR10_PICKLE_FILES = {
  train: ['data_batch_1', 'data_batch_2', 'data_batch_3', 'data_batch_4', 'data_batch_5'],
  test: ['test_batch'],
} as const;

export const CIFAR100_PICKLE_FILES = {
  train: ['train'],
  test: ['test'],
} as const;

interface LabelKey {
  readonly key: string;
  readonly classes: number;
}

const CIFAR10_LABELS: readonly LabelKey[] = [{ key: 'labels', classes: 10 }];
const CIFAR100_LABELS: Record<Cifar100Label, LabelKey> = {
  fine: { key: 'fine_labels', classes: 100 },
  coarse: { key: 'coarse_labels', classes: 20 },
};

/** Parses one pickled batch; every label list in `labelKeys` is checked, the first is kept. */
export function parseCifarPickle(bytes: Uint8Array, file: string, labelKeys: readonly LabelKey[]): ParsedRecords {
  const batch = readPickle(bytes, file, numpyGlobals(file));
  if (!(batch instanceof Map)) {
    throw corruptFile(file, `the pickle holds ${describe(batch)}, expected a dict with 'data' and ${labelKeys.map((l) => `'${l.key}'`).join(' and ')}`);
  }
  const data = asNumpyUint8(batch.get('data'));
  if (!data) throw corruptFile(file, `'data' is ${batch.has('data') ? describe(batch.get('data')) : 'missing'}, expected a numpy uint8 array`);
  const [n, width] = data.shape;
  if (data.shape.length !== 2 || width !== CIFAR_PIXELS || n === 0) {
    throw corruptFile(file, `'data' has shape (${data.shape.join(', ')}), expected (N, ${CIFAR_PIXELS}) with N > 0`);
  }
  const lists = labelKeys.map((label) => labelList(batch, label, n!, file));
  return { pixels: data.data, labels: lists[0]! };
}

function labelList(batch: Map<unknown, unknown>, label: LabelKey, n: number, file: string): Int32Array {
  const list = batch.get(label.key);
  if (!Array.isArray(list)) throw corruptFile(file, `'${label.key}' is ${batch.has(label.key) ? describe(list) : 'missing'}, expected a list of ints`);
  if (list.length !== n) throw corruptFile(file, `'${label.key}' has ${list.length} entries but 'data' holds ${n} images`);
  const labels = new Int32Array(n);
  list.forEach((value: unknown, i) => {
    if (!Number.isInteger(value) || (value as number) < 0 || (value as number) >= label.classes) {
      throw corruptFile(file, `${label.key}[${i}] is ${describe(value)}, outside 0..${label.classes - 1}`);
    }
    labels[i] = value as number;
  });
  return labels;
}

function readPickledFiles(dir: string, files: readonly string[], labelKeys: readonly LabelKey[]): ParsedRecords {
  return concatRecords(
    files.map((name) => {
      const file = join(dir, name);
      return parseCifarPickle(readDataFile(file), file, labelKeys);
    }),
  );
}

/** CIFAR-10 split from cifar-10-batches-py; train concatenates data_batch_1..5 in order. */
export function readCifar10Pickle(dir: string, split: 'train' | 'test'): Dataset {
  const files = CIFAR10_PICKLE_FILES[split];
  return cifarDataset('cifar10', split, readPickledFiles(dir, files, CIFAR10_LABELS), 10, files.map((f) => join(dir, f)));
}

/** CIFAR-100 split from cifar-100-python; both label lists are validated, `label` picks which one is used. */
export function readCifar100Pickle(dir: string, split: 'train' | 'test', label: Cifar100Label = 'fine'): Dataset {
  const other = label === 'fine' ? 'coarse' : 'fine';
  const keys = [CIFAR100_LABELS[label], CIFAR100_LABELS[other]];
  const files = CIFAR100_PICKLE_FILES[split];
  return cifarDataset('cifar100', split, readPickledFiles(dir, files, keys), CIFAR100_LABELS[label].classes, files.map((f) => join(dir, f)));
}
