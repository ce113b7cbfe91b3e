/**
 * Writers for tiny dataset files in exactly the published formats, so the readers are tested
 * against real bytes without shipping real datasets. Pixel values follow simple formulas so a
 * test can say which byte must land where.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync, gzipSync } from 'node:zlib';
import { NumpyUint8Array, py2Pickle, type Py2Value } from './py2-pickle.js';

export function makeTempDir(prefix = 'matc-data-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function writeFile(dir: string, name: string, bytes: Uint8Array): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

// ---------- IDX (MNIST, Fashion-MNIST) ----------

/** Pixel byte of image n at (y, x) in the IDX fixtures. */
export const idxPixel = (n: number, y: number, x: number): number => (n * 37 + y * 11 + x * 3) % 256;
export const idxLabel = (n: number): number => (n * 3 + 1) % 10;

export function idxBytes(dims: number[], data: Uint8Array): Uint8Array {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header.writeUInt32BE((0x08 << 8) | dims.length, 0);
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, data]);
}

export function idxImages(n: number, h: number, w: number): Uint8Array {
  const data = new Uint8Array(n * h * w);
  for (let i = 0; i < n; i++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data[(i * h + y) * w + x] = idxPixel(i, y, x);
  return idxBytes([n, h, w], data);
}

export function idxLabels(n: number): Uint8Array {
  return idxBytes([n], Uint8Array.from({ length: n }, (_, i) => idxLabel(i)));
}

/** Writes both splits of an IDX dataset (n train, nTest test images of h x w), gzipped or not. */
export function writeIdxDataset(dir: string, opts: { n: number; nTest: number; h: number; w: number; gzip: boolean }): void {
  const suffix = opts.gzip ? '.gz' : '';
  const pack = (b: Uint8Array) => (opts.gzip ? gzipSync(b) : b);
  writeFile(dir, `train-images-idx3-ubyte${suffix}`, pack(idxImages(opts.n, opts.h, opts.w)));
  writeFile(dir, `train-labels-idx1-ubyte${suffix}`, pack(idxLabels(opts.n)));
  writeFile(dir, `t10k-images-idx3-ubyte${suffix}`, pack(idxImages(opts.nTest, opts.h, opts.w)));
  writeFile(dir, `t10k-labels-idx1-ubyte${suffix}`, pack(idxLabels(opts.nTest)));
}

// ---------- CIFAR binary ----------

/** Pixel byte of record r (counting across a split) at channel c, row y, column x. */
export const cifarPixel = (r: number, c: number, y: number, x: number): number => (r * 31 + c * 80 + y * 5 + x) % 256;

/** Records with the given label bytes per record, followed by planar R, G, B 32x32 pixels. */
export function cifarRecords(labelBytes: number[][], firstRecord = 0): Uint8Array {
  const recordSize = labelBytes[0]!.length + 3072;
  const out = new Uint8Array(labelBytes.length * recordSize);
  labelBytes.forEach((labels, i) => {
    const at = i * recordSize;
    out.set(labels, at);
    for (let c = 0; c < 3; c++)
      for (let y = 0; y < 32; y++) for (let x = 0; x < 32; x++) out[at + labels.length + c * 1024 + y * 32 + x] = cifarPixel(firstRecord + i, c, y, x);
  });
  return out;
}

export const cifar10Label = (r: number): number => (r * 7) % 10;
export const cifar100Fine = (r: number): number => (r * 13 + 5) % 100;
export const cifar100Coarse = (r: number): number => (r * 3 + 2) % 20;

/** CIFAR-10 with `perBatch` records in each of the five train batches and `nTest` test records. */
export function writeCifar10(dir: string, perBatch: number, nTest: number): void {
  for (let b = 0; b < 5; b++) {
    const first = b * perBatch;
    const labels = Array.from({ length: perBatch }, (_, i) => [cifar10Label(first + i)]);
    writeFile(dir, `data_batch_${b + 1}.bin`, cifarRecords(labels, first));
  }
  writeFile(dir, 'test_batch.bin', cifarRecords(Array.from({ length: nTest }, (_, i) => [cifar10Label(i)])));
}

export function writeCifar100(dir: string, nTrain: number, nTest: number): void {
  const labels = (n: number) => Array.from({ length: n }, (_, i) => [cifar100Coarse(i), cifar100Fine(i)]);
  writeFile(dir, 'train.bin', cifarRecords(labels(nTrain)));
  writeFile(dir, 'test.bin', cifarRecords(labels(nTest)));
}

// ---------- CIFAR python version (torchvision's cifar-10-batches-py, cifar-100-python) ----------

/** n images' planar pixels (records firstRecord.. of the split), as the 'data' array holds them. */
export function cifarPixelRows(n: number, firstRecord = 0): NumpyUint8Array {
  return new NumpyUint8Array([n, 3072], cifarRecords(Array.from({ length: n }, () => []), firstRecord));
}

const range = (first: number, n: number) => Array.from({ length: n }, (_, i) => first + i);

/** A CIFAR-10 python batch dict, keys in the order Python 2 pickled them (see scripts/make-cifar-py2-fixture.py). */
export function cifar10Batch(n: number, firstRecord = 0, batchLabel = 'training batch 1 of 5'): Map<string, Py2Value> {
  return new Map<string, Py2Value>([
    ['data', cifarPixelRows(n, firstRecord)],
    ['labels', range(firstRecord, n).map(cifar10Label)],
    ['batch_label', batchLabel],
    ['filenames', range(firstRecord, n).map((r) => `image_s_${String(r).padStart(6, '0')}.png`)],
  ]);
}

export function cifar100Batch(n: number, batchLabel = 'training batch 1 of 1'): Map<string, Py2Value> {
  return new Map<string, Py2Value>([
    ['data', cifarPixelRows(n)],
    ['batch_label', batchLabel],
    ['fine_labels', range(0, n).map(cifar100Fine)],
    ['coarse_labels', range(0, n).map(cifar100Coarse)],
    ['filenames', range(0, n).map((r) => `image_s_${String(r).padStart(6, '0')}.png`)],
  ]);
}

/** The python version of writeCifar10: same images and labels, pickled, plus batches.meta. */
export function writeCifar10Pickle(dir: string, perBatch: number, nTest: number): void {
  for (let b = 0; b < 5; b++) writeFile(dir, `data_batch_${b + 1}`, py2Pickle(cifar10Batch(perBatch, b * perBatch, `training batch ${b + 1} of 5`)));
  writeFile(dir, 'test_batch', py2Pickle(cifar10Batch(nTest, 0, 'testing batch 1 of 1')));
  const names = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];
  writeFile(dir, 'batches.meta', py2Pickle(new Map<string, Py2Value>([['num_cases_per_batch', 10000], ['label_names', names], ['num_vis', 3072]])));
}

/** The python version of writeCifar100, plus meta (class names, unused by matc). */
export function writeCifar100Pickle(dir: string, nTrain: number, nTest: number): void {
  writeFile(dir, 'train', py2Pickle(cifar100Batch(nTrain)));
  writeFile(dir, 'test', py2Pickle(cifar100Batch(nTest, 'testing batch 1 of 1')));
  const names = (prefix: string, n: number) => range(0, n).map((i) => `${prefix}${i}`);
  writeFile(dir, 'meta', py2Pickle(new Map<string, Py2Value>([['fine_label_names', names('fine', 100)], ['coarse_label_names', names('coarse', 20)]])));
}

// ---------- MATLAB level-5 MAT-files (SVHN) ----------

const MI = { INT8: 1, UINT8: 2, INT32: 5, UINT32: 6, DOUBLE: 9, MATRIX: 14, COMPRESSED: 15 } as const;
export const MX = { DOUBLE: 6, UINT8: 9, CELL: 1 } as const;

export interface MatWriterOptions {
  /** Wrap every variable in an miCOMPRESSED element. */
  readonly compress?: boolean;
  readonly bigEndian?: boolean;
}

export interface MatVariableSpec {
  readonly name: string;
  readonly classId: number;
  readonly dims: number[];
  /** Data type of the real part, and the values (written in that type). */
  readonly dataType: 'uint8' | 'double';
  readonly values: ArrayLike<number>;
}

class MatWriter {
  constructor(private readonly le: boolean) {}

  u32(...values: number[]): Buffer {
    const b = Buffer.alloc(4 * values.length);
    values.forEach((v, i) => (this.le ? b.writeUInt32LE(v, 4 * i) : b.writeUInt32BE(v, 4 * i)));
    return b;
  }

  /** A data element, in the small format when its data fits in 4 bytes (as MATLAB writes names). */
  element(type: number, data: Uint8Array): Buffer {
    if (data.length <= 4 && data.length > 0) {
      const packed = Buffer.alloc(4);
      packed.set(data);
      return Buffer.concat([this.u32((data.length << 16) | type), packed]);
    }
    const pad = (8 - (data.length % 8)) % 8;
    return Buffer.concat([this.u32(type, data.length), data, Buffer.alloc(pad)]);
  }

  matrix(v: MatVariableSpec): Buffer {
    const flags = this.element(MI.UINT32, this.u32(v.classId, 0));
    const dims = Buffer.alloc(4 * v.dims.length);
    v.dims.forEach((d, i) => (this.le ? dims.writeInt32LE(d, 4 * i) : dims.writeInt32BE(d, 4 * i)));
    const name = this.element(MI.INT8, Buffer.from(v.name, 'latin1'));
    let real: Buffer;
    if (v.dataType === 'uint8') {
      real = this.element(MI.UINT8, Uint8Array.from(v.values));
    } else {
      const b = Buffer.alloc(8 * v.values.length);
      for (let i = 0; i < v.values.length; i++) (this.le ? b.writeDoubleLE(v.values[i]!, 8 * i) : b.writeDoubleBE(v.values[i]!, 8 * i));
      real = this.element(MI.DOUBLE, b);
    }
    const body = Buffer.concat([flags, this.element(MI.INT32, dims), name, real]);
    return Buffer.concat([this.u32(MI.MATRIX, body.length), body]);
  }

  header(text: string): Buffer {
    const h = Buffer.alloc(128, 0x20);
    h.write(text, 0, 'latin1');
    h.fill(0, 116, 124); // subsystem data offset
    if (this.le) h.writeUInt16LE(0x0100, 124);
    else h.writeUInt16BE(0x0100, 124);
    h.write(this.le ? 'IM' : 'MI', 126, 'latin1');
    return h;
  }
}

export function matFile(variables: MatVariableSpec[], options: MatWriterOptions = {}): Buffer {
  const w = new MatWriter(!options.bigEndian);
  const parts = [w.header('MATLAB 5.0 MAT-file, Platform: matc-test, Created on: today')];
  for (const v of variables) {
    const matrix = w.matrix(v);
    if (options.compress) {
      const z = deflateSync(matrix);
      parts.push(w.u32(MI.COMPRESSED, z.length), z); // compressed elements are not padded
    } else {
      parts.push(matrix);
    }
  }
  return Buffer.concat(parts);
}

/** Pixel byte of SVHN image n at channel c, row h, column w. */
export const svhnPixel = (n: number, c: number, h: number, w: number): number => (n * 17 + c * 90 + h * 7 + w * 2) % 256;

/** X as MATLAB stores it: dims (32, 32, 3, N), column-major, i.e. X(h,w,c,n) at h + 32w + 1024c + 3072n. */
export function svhnX(n: number): Uint8Array {
  const x = new Uint8Array(3072 * n);
  for (let i = 0; i < n; i++)
    for (let c = 0; c < 3; c++) for (let w = 0; w < 32; w++) for (let h = 0; h < 32; h++) x[h + 32 * w + 1024 * c + 3072 * i] = svhnPixel(i, c, h, w);
  return x;
}

export function svhnMat(labels: number[], options: MatWriterOptions & { yAsUint8?: boolean } = {}): Buffer {
  const n = labels.length;
  return matFile(
    [
      { name: 'X', classId: MX.UINT8, dims: [32, 32, 3, n], dataType: 'uint8', values: svhnX(n) },
      // MATLAB stores y as a double array; when saving compressed it may store the data as uint8.
      { name: 'y', classId: MX.DOUBLE, dims: [n, 1], dataType: options.yAsUint8 ? 'uint8' : 'double', values: labels },
    ],
    options,
  );
}
