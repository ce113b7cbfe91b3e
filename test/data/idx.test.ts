import { afterAll, describe, expect, it } from 'vitest';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { loadDataset, readIdxDataset } from '../../src/data/index.js';
import { unitFromByte } from '../../src/data/pixels.js';
import { idxBytes, idxImages, idxLabel, idxLabels, idxPixel, makeTempDir, writeFile, writeIdxDataset } from './fixtures.js';
import { catchDataError } from './helpers.js';

const tmp = makeTempDir();
afterAll(() => tmp.cleanup());

function expectIdxContents(ds: ReturnType<typeof readIdxDataset>, n: number, h: number, w: number): void {
  expect([ds.n, ds.channels, ds.height, ds.width, ds.classes]).toEqual([n, 1, h, w, 10]);
  expect(ds.images.length).toBe(n * h * w);
  for (let i = 0; i < n; i++) {
    expect(ds.labels[i]).toBe(idxLabel(i));
    expect(ds.indices[i]).toBe(i);
    for (const [y, x] of [[0, 0], [0, w - 1], [h - 1, 0], [Math.min(2, h - 1), Math.min(3, w - 1)], [h - 1, w - 1]]) {
      expect(ds.images[(i * h + y) * w + x]).toBe(unitFromByte(idxPixel(i, y, x)));
    }
  }
}

describe('IDX reader', () => {
  it('reads uncompressed IDX files: row-major pixels scaled to [0, 1], labels as stored', () => {
    const dir = join(tmp.dir, 'raw');
    writeIdxDataset(dir, { n: 7, nTest: 3, h: 5, w: 4, gzip: false });
    expectIdxContents(readIdxDataset(dir, { name: 'mnist', split: 'train', classes: 10 }), 7, 5, 4);
    expectIdxContents(readIdxDataset(dir, { name: 'mnist', split: 'test', classes: 10 }), 3, 5, 4);
  });

  it('reads gzipped IDX files (detected by magic bytes) through loadDataset', () => {
    const dir = join(tmp.dir, 'gz', 'mnist');
    writeIdxDataset(dir, { n: 6, nTest: 2, h: 3, w: 3, gzip: true });
    const ds = loadDataset('mnist', 'train', { dataDir: join(tmp.dir, 'gz'), env: {}, homeDir: tmp.dir, cache: false });
    expect(ds.name).toBe('mnist');
    expectIdxContents(ds, 6, 3, 3);
    expect(Math.max(...ds.images)).toBeLessThanOrEqual(1);
    expect(Math.min(...ds.images)).toBeGreaterThanOrEqual(0);
  });

  it('rejects a bad magic number, naming the file and both numbers', () => {
    const dir = join(tmp.dir, 'swapped');
    writeIdxDataset(dir, { n: 2, nTest: 2, h: 2, w: 2, gzip: false });
    // Labels where images should be: magic 0x00000801 instead of 0x00000803.
    writeFile(dir, 'train-images-idx3-ubyte', idxLabels(2));
    const err = catchDataError(() => readIdxDataset(dir, { name: 'mnist', split: 'train', classes: 10 }));
    expect(err.message).toContain(join(dir, 'train-images-idx3-ubyte'));
    expect(err.message).toContain('0x00000801');
    expect(err.message).toContain('0x00000803');
  });

  it('rejects a truncated file with the sizes involved', () => {
    const dir = join(tmp.dir, 'truncated');
    writeIdxDataset(dir, { n: 4, nTest: 2, h: 3, w: 3, gzip: false });
    const whole = idxImages(4, 3, 3);
    writeFile(dir, 'train-images-idx3-ubyte', whole.subarray(0, whole.length - 5));
    const err = catchDataError(() => readIdxDataset(dir, { name: 'mnist', split: 'train', classes: 10 }));
    expect(err.message).toMatch(/train-images-idx3-ubyte: 47 bytes but the header \(dimensions 4x3x3\) requires 52 bytes/);
  });

  it('rejects a truncated gzip stream', () => {
    const dir = join(tmp.dir, 'badgz');
    writeIdxDataset(dir, { n: 4, nTest: 2, h: 3, w: 3, gzip: true });
    const gz = gzipSync(idxLabels(4));
    writeFile(dir, 'train-labels-idx1-ubyte.gz', gz.subarray(0, gz.length - 6));
    const err = catchDataError(() => readIdxDataset(dir, { name: 'mnist', split: 'train', classes: 10 }));
    expect(err.message).toContain('train-labels-idx1-ubyte.gz');
    expect(err.message).toContain('does not decompress');
  });

  it('rejects a label out of range and mismatched image/label counts', () => {
    const dir = join(tmp.dir, 'labels');
    writeIdxDataset(dir, { n: 3, nTest: 2, h: 2, w: 2, gzip: false });
    writeFile(dir, 'train-labels-idx1-ubyte', idxBytes([3], Uint8Array.from([1, 12, 3])));
    expect(catchDataError(() => readIdxDataset(dir, { name: 'mnist', split: 'train', classes: 10 })).message).toMatch(
      /label 12 of example 1 is outside 0\.\.9/,
    );
    writeFile(dir, 'train-labels-idx1-ubyte', idxLabels(2));
    expect(catchDataError(() => readIdxDataset(dir, { name: 'mnist', split: 'train', classes: 10 })).message).toMatch(
      /2 labels but .* has 3 images/,
    );
  });
});
