import { afterAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { loadDataset, parseSvhnMat, readMatV5, readSvhn } from '../../src/data/index.js';
import { unitFromByte } from '../../src/data/pixels.js';
import { MX, makeTempDir, matFile, svhnMat, svhnPixel, svhnX, writeFile } from './fixtures.js';
import { catchDataError } from './helpers.js';

const tmp = makeTempDir();
afterAll(() => tmp.cleanup());

const LABELS = [10, 1, 5, 9, 10];

/** X(h, w, c, n) must land at NCHW [n][c][h][w]: rows and columns swap from MATLAB's layout. */
function expectSvhnPixels(images: Float32Array, n: number): void {
  expect(images.length).toBe(n * 3072);
  for (let i = 0; i < n; i++) {
    for (const [c, h, w] of [[0, 0, 0], [0, 0, 31], [0, 31, 0], [1, 3, 17], [2, 31, 30]] as const) {
      expect(images[i * 3072 + c * 1024 + h * 32 + w]).toBe(unitFromByte(svhnPixel(i, c, h, w)));
    }
  }
}

describe('MAT v5 reader', () => {
  const variables = [
    { name: 'small', classId: MX.DOUBLE, dims: [1, 1], dataType: 'double' as const, values: [2.5] },
    { name: 'matrix', classId: MX.DOUBLE, dims: [2, 3], dataType: 'double' as const, values: [1, 2, 3, 4, 5, 6] },
    { name: 'bytes_with_long_name', classId: MX.UINT8, dims: [3, 1], dataType: 'uint8' as const, values: [7, 8, 255] },
  ];

  for (const [label, options] of [
    ['uncompressed little-endian', {}],
    ['miCOMPRESSED', { compress: true }],
    ['big-endian', { bigEndian: true }],
  ] as const) {
    it(`reads names, classes, dims and column-major values (${label})`, () => {
      const vars = readMatV5(matFile(variables, options), 'test.mat');
      expect([...vars.keys()]).toEqual(['small', 'matrix', 'bytes_with_long_name']);
      expect(vars.get('small')).toMatchObject({ className: 'double', dims: [1, 1] });
      expect(Array.from(vars.get('small')!.real!)).toEqual([2.5]);
      expect(vars.get('matrix')!.dims).toEqual([2, 3]);
      expect(Array.from(vars.get('matrix')!.real!)).toEqual([1, 2, 3, 4, 5, 6]);
      const bytes = vars.get('bytes_with_long_name')!;
      expect(bytes.className).toBe('uint8');
      expect(bytes.real).toBeInstanceOf(Uint8Array);
      expect(Array.from(bytes.real!)).toEqual([7, 8, 255]);
    });
  }

  it('skips non-numeric arrays but still reports them', () => {
    const cellLike = matFile([
      { name: 'c', classId: MX.CELL, dims: [1, 1], dataType: 'uint8', values: [] },
      { name: 'y', classId: MX.DOUBLE, dims: [1, 1], dataType: 'double', values: [3] },
    ]);
    const vars = readMatV5(cellLike, 'cell.mat');
    expect(vars.get('c')).toMatchObject({ className: 'cell', real: undefined });
    expect(Array.from(vars.get('y')!.real!)).toEqual([3]);
  });

  it('explains MATLAB 7.3 (HDF5) files instead of misreading them', () => {
    const header = Buffer.alloc(600, 0);
    header.write('MATLAB 7.3 MAT-file, Platform: GLNXA64, Created on: Mon Jan  1 00:00:00 2024 HDF5 schema 1.00 .', 0, 'latin1');
    const err = catchDataError(() => readMatV5(header, '/data/svhn/train_32x32.mat'));
    expect(err.message).toContain('/data/svhn/train_32x32.mat is a MATLAB 7.3 MAT-file (HDF5)');
    expect(err.message).toContain('-v7');
    expect(err.message).toContain('official SVHN files');
  });

  it('rejects a file without a version 5 header', () => {
    expect(catchDataError(() => readMatV5(Buffer.alloc(200, 0x41), 'v4.mat')).message).toContain('no MAT-file version 5 header');
    expect(catchDataError(() => readMatV5(Buffer.alloc(50), 'tiny.mat')).message).toContain('shorter than the 128-byte MAT-file header');
  });
});

describe('SVHN reader', () => {
  it('maps X (32x32x3xN column-major) to NCHW and label 10 to digit 0 (uncompressed)', () => {
    const { images, labels } = parseSvhnMat(svhnMat(LABELS), 'train_32x32.mat');
    expect(Array.from(labels)).toEqual([0, 1, 5, 9, 0]);
    expectSvhnPixels(images, LABELS.length);
  });

  it('reads miCOMPRESSED files with y stored as uint8 data of a double array', () => {
    const { images, labels } = parseSvhnMat(svhnMat(LABELS, { compress: true, yAsUint8: true }), 'train_32x32.mat');
    expect(Array.from(labels)).toEqual([0, 1, 5, 9, 0]);
    expectSvhnPixels(images, LABELS.length);
  });

  it('loads train, test and train+extra from a folder, indices continuing into extra', () => {
    const root = join(tmp.dir, 'data');
    const dir = join(root, 'svhn');
    writeFile(dir, 'train_32x32.mat', svhnMat(LABELS, { compress: true }));
    writeFile(dir, 'test_32x32.mat', svhnMat([3, 10]));
    writeFile(dir, 'extra_32x32.mat', svhnMat([7, 7, 2], { compress: true }));
    const env = { MATC_DATA_DIR: root };
    const train = loadDataset('svhn', 'train', { env, homeDir: tmp.dir });
    expect([train.name, train.n, train.channels, train.height, train.width, train.classes]).toEqual(['svhn', 5, 3, 32, 32, 10]);
    expectSvhnPixels(train.images, 5);
    const test = loadDataset('svhn', 'test', { env, homeDir: tmp.dir });
    expect(Array.from(test.labels)).toEqual([3, 0]);
    const withExtra = readSvhn(dir, 'train', true);
    expect(withExtra.n).toBe(8);
    expect(Array.from(withExtra.labels)).toEqual([0, 1, 5, 9, 0, 7, 7, 2]);
    expect(Array.from(withExtra.indices)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    // The first extra image is image 0 of its own file.
    expect(withExtra.images[5 * 3072 + 1024 + 2 * 32 + 9]).toBe(unitFromByte(svhnPixel(0, 1, 2, 9)));
  });

  it('rejects truncated files, compressed or not, naming the file', () => {
    const whole = svhnMat(LABELS);
    const cut = catchDataError(() => parseSvhnMat(whole.subarray(0, 128 + 5000), '/d/train_32x32.mat'));
    expect(cut.message).toContain('Corrupt dataset file /d/train_32x32.mat');
    expect(cut.message).toMatch(/data element at byte 128 of the top level needs \d+ bytes but only 4992 bytes remain/);
    const packed = svhnMat(LABELS, { compress: true });
    const cutPacked = catchDataError(() => parseSvhnMat(packed.subarray(0, 400), '/d/test_32x32.mat'));
    expect(cutPacked.message).toContain('/d/test_32x32.mat');
    // A zlib stream cut short inside an element whose size agrees: inflating must fail cleanly.
    const shortStream = Buffer.from(packed.subarray(0, 136 + 300));
    shortStream.writeUInt32LE(300, 132);
    const inflateErr = catchDataError(() => parseSvhnMat(shortStream, '/d/extra_32x32.mat'));
    expect(inflateErr.message).toContain('/d/extra_32x32.mat: a compressed variable does not decompress');
  });

  it('rejects a label outside 1..10, a missing variable and wrong X dimensions', () => {
    expect(catchDataError(() => parseSvhnMat(svhnMat([1, 11]), 'a.mat')).message).toContain('label 11 of example 1 is outside 1..10');
    const noY = matFile([{ name: 'X', classId: MX.UINT8, dims: [32, 32, 3, 1], dataType: 'uint8', values: svhnX(1) }]);
    expect(catchDataError(() => parseSvhnMat(noY, 'b.mat')).message).toContain("no variable 'y' (variables found: X)");
    const gray = matFile([
      { name: 'X', classId: MX.UINT8, dims: [32, 32, 1, 3], dataType: 'uint8', values: svhnX(1) },
      { name: 'y', classId: MX.DOUBLE, dims: [3, 1], dataType: 'double', values: [1, 2, 3] },
    ]);
    expect(catchDataError(() => parseSvhnMat(gray, 'c.mat')).message).toContain('X has dimensions 32x32x1x3, expected 32x32x3xN');
  });
});
