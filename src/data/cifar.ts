/**
 * CIFAR-10 and CIFAR-100 "binary version" files. Each record is the label byte(s) followed by
 * 3072 pixel bytes: the 1024 red values of the 32x32 image row by row, then green, then blue.
 * That channel-planar layout is already CHW, so a record's pixels copy straight into NCHW.
 */
import { join } from 'node:path';
import { makeDataset, type Dataset } from './dataset.js';
import { corruptFile, describeBytes } from './errors.js';
import { readDataFile } from './files.js';
import { bytesToUnitFloats } from './pixels.js';

const SIDE = 32;
const CHANNELS = 3;
/** Bytes per image: 3 planes of 32x32, in the same order in the binary and the python version. */
export const CIFAR_PIXELS = CHANNELS * SIDE * SIDE;
const PIXELS = CIFAR_PIXELS;

export const CIFAR10_FILES = {
  train: ['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin'],
  test: ['test_batch.bin'],
} as const;

export const CIFAR100_FILES = {
  train: ['train.bin'],
  test: ['test.bin'],
} as const;

export type Cifar100Label = 'fine' | 'coarse';

/** The label bytes that open each record, and which one becomes the example's class. */
interface RecordLayout {
  /** One entry per label byte, in file order. */
  readonly labels: readonly { readonly name: string; readonly classes: number }[];
  /** Index into `labels` of the label to keep. */
  readonly use: number;
}

const CIFAR10_LAYOUT: RecordLayout = { labels: [{ name: 'label', classes: 10 }], use: 0 };
const CIFAR100_LABELS = [
  { name: 'coarse label', classes: 20 },
  { name: 'fine label', classes: 100 },
];
const CIFAR100_LAYOUTS: Record<Cifar100Label, RecordLayout> = {
  coarse: { labels: CIFAR100_LABELS, use: 0 },
  fine: { labels: CIFAR100_LABELS, use: 1 },
};

/** One file's (or a whole split's) images and chosen labels. */
export interface ParsedRecords {
  readonly pixels: Uint8Array;
  readonly labels: Int32Array;
}

/** Splits one file into pixel bytes and labels, validating size and label range. */
function parseCifarRecords(bytes: Uint8Array, file: string, layout: RecordLayout): ParsedRecords {
  const labelBytes = layout.labels.length;
  const recordSize = labelBytes + PIXELS;
  if (bytes.length === 0 || bytes.length % recordSize !== 0) {
    throw corruptFile(
      file,
      `${describeBytes(bytes.length)} is not a positive multiple of the ${recordSize}-byte record (${labelBytes} label byte${labelBytes > 1 ? 's' : ''} + ${PIXELS} pixels)`,
      'The file is truncated or is not the binary version (the MATLAB version is not supported).',
    );
  }
  const n = bytes.length / recordSize;
  const pixels = new Uint8Array(n * PIXELS);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const record = i * recordSize;
    // Every label byte is checked, even CIFAR-100's unused one: either being wrong means a bad file.
    layout.labels.forEach((label, b) => {
      const value = bytes[record + b]!;
      if (value >= label.classes) {
        throw corruptFile(file, `${label.name} ${value} of record ${i} is outside 0..${label.classes - 1}`);
      }
    });
    labels[i] = bytes[record + layout.use]!;
    pixels.set(bytes.subarray(record + labelBytes, record + recordSize), i * PIXELS);
  }
  return { pixels, labels };
}

function readCifarFiles(dir: string, files: readonly string[], layout: RecordLayout): ParsedRecords {
  return concatRecords(
    files.map((name) => {
      const file = join(dir, name);
      return parseCifarRecords(readDataFile(file), file, layout);
    }),
  );
}

/** The records of several files one after the other, in the order given. */
export function concatRecords(parts: readonly ParsedRecords[]): ParsedRecords {
  if (parts.length === 1) return parts[0]!;
  const n = parts.reduce((sum, p) => sum + p.labels.length, 0);
  const pixels = new Uint8Array(n * PIXELS);
  const labels = new Int32Array(n);
  let at = 0;
  for (const part of parts) {
    pixels.set(part.pixels, at * PIXELS);
    labels.set(part.labels, at);
    at += part.labels.length;
  }
  return { pixels, labels };
}

/** The Dataset both CIFAR readers (binary and python version) produce from their records. */
export function cifarDataset(name: string, split: string, records: ParsedRecords, classes: number, files?: readonly string[]): Dataset {
  return makeDataset({
    name,
    split,
    images: bytesToUnitFloats(records.pixels),
    labels: records.labels,
    channels: CHANNELS,
    height: SIDE,
    width: SIDE,
    classes,
    files,
  });
}

/** CIFAR-10 split from a folder holding the binary batches; train concatenates batches 1..5 in order. */
export function readCifar10(dir: string, split: 'train' | 'test'): Dataset {
  const files = CIFAR10_FILES[split];
  return cifarDataset('cifar10', split, readCifarFiles(dir, files, CIFAR10_LAYOUT), 10, files.map((f) => join(dir, f)));
}

/** CIFAR-100 split; `label` picks the 100 fine classes (default) or the 20 coarse superclasses. */
export function readCifar100(dir: string, split: 'train' | 'test', label: Cifar100Label = 'fine'): Dataset {
  const layout = CIFAR100_LAYOUTS[label];
  const files = CIFAR100_FILES[split];
  return cifarDataset('cifar100', split, readCifarFiles(dir, files, layout), layout.labels[layout.use]!.classes, files.map((f) => join(dir, f)));
}
