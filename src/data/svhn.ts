/**
 * SVHN cropped digits (`train_32x32.mat`, `test_32x32.mat`, `extra_32x32.mat`): MAT-files holding
 * X, a uint8 array of dimensions (H, W, C, N) = (32, 32, 3, N) in MATLAB column-major order, and
 * y, an (N, 1) array of labels 1..10 where 10 stands for the digit 0.
 */
import { join } from 'node:path';
import { makeDataset, type Dataset } from './dataset.js';
import { corruptFile, noExamples } from './errors.js';
import { readDataFile } from './files.js';
import { readMatV5, type MatVariable } from './matv5.js';

export const SVHN_FILES = {
  train: 'train_32x32.mat',
  test: 'test_32x32.mat',
  extra: 'extra_32x32.mat',
} as const;

export type SvhnPart = keyof typeof SVHN_FILES;

interface SvhnArrays {
  readonly images: Float32Array;
  readonly labels: Int32Array;
  readonly height: number;
  readonly width: number;
}

/** Parses one SVHN MAT-file's bytes into NCHW floats and 0..9 labels. */
export function parseSvhnMat(bytes: Uint8Array, file: string): SvhnArrays {
  const variables = readMatV5(bytes, file);
  const x = requireNumeric(variables, 'X', file);
  const y = requireNumeric(variables, 'y', file);
  // MATLAB drops trailing singleton dimensions, so a one-image file has dims (H, W, C).
  const [height, width, channels, n] = [...x.dims, 1, 1, 1, 1] as [number, number, number, number];
  if (x.dims.length > 4 || channels !== 3) {
    throw corruptFile(file, `X has dimensions ${x.dims.join('x')}, expected 32x32x3xN (height, width, RGB, examples)`);
  }
  if (n === 0 || height === 0 || width === 0) throw noExamples(file, x.dims);
  const yCount = y.dims.reduce((a, b) => a * b, 1);
  if (yCount !== n || y.dims.filter((d) => d !== 1).length > 1) {
    throw corruptFile(file, `y has dimensions ${y.dims.join('x')} but X holds ${n} images; expected ${n}x1`);
  }
  return { images: columnMajorHwcnToNchw(x.real!, height, width, file), labels: svhnLabels(y.real!, file), height, width };
}

function requireNumeric(variables: Map<string, MatVariable>, name: string, file: string): MatVariable {
  const variable = variables.get(name);
  const found = [...variables.keys()].join(', ') || 'none';
  if (!variable) throw corruptFile(file, `no variable '${name}' (variables found: ${found})`, 'SVHN needs the cropped-digits *_32x32.mat files, which hold X and y.');
  if (!variable.real) throw corruptFile(file, `variable '${name}' is a ${variable.className} array, expected numbers`);
  return variable;
}

/**
 * X(h, w, c, n) lives at h + H*w + H*W*c + H*W*C*n (column-major); NCHW wants it at
 * ((n*C + c)*H + h)*W + w. The (n, c) planes are contiguous and in the same order in both
 * layouts, so only rows and columns swap within each plane.
 */
function columnMajorHwcnToNchw(x: Uint8Array | Float64Array, height: number, width: number, file: string): Float32Array {
  const bytes = x instanceof Uint8Array ? x : pixelBytes(x, file);
  const out = new Float32Array(bytes.length);
  const plane = height * width;
  for (let base = 0; base < bytes.length; base += plane) {
    // Read the source in its storage order (column by column) and write rows of the output.
    let from = base;
    for (let w = 0; w < width; w++) {
      for (let h = 0; h < height; h++) out[base + h * width + w] = bytes[from++]! / 255;
    }
  }
  return out;
}

/** X saved as doubles (e.g. by a conversion script) must still hold byte values. */
function pixelBytes(x: Float64Array, file: string): Uint8Array {
  const bytes = new Uint8Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    if (!Number.isInteger(v) || v < 0 || v > 255) throw corruptFile(file, `pixel value ${v} in X is not an integer in 0..255`);
    bytes[i] = v;
  }
  return bytes;
}

/** 1..9 stay, 10 (the digit 0) becomes 0; 0 is accepted too for copies already converted. */
function svhnLabels(y: Uint8Array | Float64Array, file: string): Int32Array {
  const labels = new Int32Array(y.length);
  for (let i = 0; i < y.length; i++) {
    const v = y[i]!;
    if (!Number.isInteger(v) || v < 0 || v > 10) {
      throw corruptFile(file, `label ${v} of example ${i} is outside 1..10 (10 stands for the digit 0)`);
    }
    labels[i] = v === 10 ? 0 : v;
  }
  return labels;
}

/** Reads SVHN from `dir`; with `includeExtra`, the train split is train followed by extra. */
export function readSvhn(dir: string, split: 'train' | 'test', includeExtra = false): Dataset {
  const parts: SvhnPart[] = split === 'test' ? ['test'] : includeExtra ? ['train', 'extra'] : ['train'];
  const files = parts.map((part) => join(dir, SVHN_FILES[part]));
  const arrays = files.map((file) => parseSvhnMat(readDataFile(file), file));
  const first = arrays[0]!;
  const images = concatFloats(arrays.map((a) => a.images));
  const labels = concatInts(arrays.map((a) => a.labels));
  return makeDataset({
    name: 'svhn',
    split: parts.join('+'),
    images,
    labels,
    channels: 3,
    height: first.height,
    width: first.width,
    classes: 10,
    files,
  });
}

function concatFloats(parts: Float32Array[]): Float32Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function concatInts(parts: Int32Array[]): Int32Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Int32Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
