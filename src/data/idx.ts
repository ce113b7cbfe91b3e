/**
 * MNIST-style IDX files (used by MNIST and Fashion-MNIST), gzip-compressed or not.
 * Layout: 2 zero bytes, a type byte (0x08 = unsigned byte), a byte with the number of
 * dimensions, then one big-endian uint32 per dimension, then the data in row-major order.
 */
import { join } from 'node:path';
import { makeDataset, type Dataset } from './dataset.js';
import { corruptFile, describeBytes, noExamples } from './errors.js';
import { isFile, readDataFile } from './files.js';
import { bytesToUnitFloats } from './pixels.js';

const IDX_UBYTE = 0x08;

export interface IdxArray {
  readonly dims: number[];
  readonly data: Uint8Array;
}

/** Parses an IDX byte array whose element type is unsigned byte and that has `expectedDims` dimensions. */
export function parseIdx(bytes: Uint8Array, file: string, expectedDims: number): IdxArray {
  const expectedMagic = (IDX_UBYTE << 8) | expectedDims;
  if (bytes.length < 4) throw corruptFile(file, `only ${describeBytes(bytes.length)}, too short for an IDX header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0, false);
  if (magic !== expectedMagic) {
    const hex = (m: number) => '0x' + m.toString(16).padStart(8, '0');
    throw corruptFile(
      file,
      `bad magic number ${hex(magic)}, expected ${hex(expectedMagic)} (IDX unsigned-byte ${expectedDims}-dimensional ${expectedDims === 1 ? 'labels' : 'images'})`,
      'Check that images and labels files are not swapped and that the file is an IDX file.',
    );
  }
  const headerSize = 4 + 4 * expectedDims;
  if (bytes.length < headerSize) throw corruptFile(file, `only ${describeBytes(bytes.length)}, too short for the IDX header`);
  const dims: number[] = [];
  for (let d = 0; d < expectedDims; d++) dims.push(view.getUint32(4 + 4 * d, false));
  const expectedSize = headerSize + dims.reduce((a, b) => a * b, 1);
  if (bytes.length !== expectedSize) {
    throw corruptFile(
      file,
      `${describeBytes(bytes.length)} but the header (dimensions ${dims.join('x')}) requires ${describeBytes(expectedSize)}`,
    );
  }
  return { dims, data: bytes.subarray(headerSize) };
}

/** The four file names of an IDX dataset, without the optional `.gz`. */
export const IDX_FILES = {
  train: { images: 'train-images-idx3-ubyte', labels: 'train-labels-idx1-ubyte' },
  test: { images: 't10k-images-idx3-ubyte', labels: 't10k-labels-idx1-ubyte' },
} as const;

/** The path of `base` or `base.gz` in `dir`, whichever exists (the uncompressed one wins). */
export function findIdxFile(dir: string, base: string): string | undefined {
  for (const name of [base, `${base}.gz`]) {
    const path = join(dir, name);
    if (isFile(path)) return path;
  }
  return undefined;
}

export interface IdxDatasetSpec {
  readonly name: string;
  readonly split: 'train' | 'test';
  readonly classes: number;
}

/** Reads one split of an IDX dataset from `dir` (files must exist; see locate.ts). */
export function readIdxDataset(dir: string, spec: IdxDatasetSpec): Dataset {
  const names = IDX_FILES[spec.split];
  const imagesFile = findIdxFile(dir, names.images) ?? join(dir, names.images);
  const labelsFile = findIdxFile(dir, names.labels) ?? join(dir, names.labels);
  const images = parseIdx(readDataFile(imagesFile), imagesFile, 3);
  const labels = parseIdx(readDataFile(labelsFile), labelsFile, 1);
  const [n, height, width] = images.dims as [number, number, number];
  if (n === 0 || height === 0 || width === 0) throw noExamples(imagesFile, images.dims);
  if (labels.dims[0] !== n) {
    throw corruptFile(labelsFile, `${labels.dims[0]} labels but ${imagesFile} has ${n} images`, 'The two files must come from the same split and release.');
  }
  const labelArray = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const label = labels.data[i]!;
    if (label >= spec.classes) {
      throw corruptFile(labelsFile, `label ${label} of example ${i} is outside 0..${spec.classes - 1}`);
    }
    labelArray[i] = label;
  }
  return makeDataset({
    name: spec.name,
    split: spec.split,
    images: bytesToUnitFloats(images.data),
    labels: labelArray,
    channels: 1,
    height,
    width,
    classes: spec.classes,
    files: [imagesFile, labelsFile],
  });
}
