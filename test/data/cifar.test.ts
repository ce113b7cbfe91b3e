import { afterAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { loadDataset, readCifar10, readCifar100, type Dataset } from '../../src/data/index.js';
import { unitFromByte } from '../../src/data/pixels.js';
import {
  cifar100Coarse,
  cifar100Fine,
  cifar10Label,
  cifarPixel,
  cifarRecords,
  makeTempDir,
  writeCifar10,
  writeCifar100,
  writeFile,
} from './fixtures.js';
import { catchDataError } from './helpers.js';

const tmp = makeTempDir();
afterAll(() => tmp.cleanup());

/** Record r's planar R,G,B bytes must land at NCHW [r][c][y][x], unchanged but for the scaling. */
function expectCifarPixels(ds: Dataset, records: number): void {
  expect([ds.channels, ds.height, ds.width]).toEqual([3, 32, 32]);
  expect(ds.images.length).toBe(records * 3072);
  for (let r = 0; r < records; r++) {
    for (const [c, y, x] of [[0, 0, 0], [0, 0, 31], [1, 5, 7], [2, 31, 0], [2, 31, 31]] as const) {
      expect(ds.images[r * 3072 + c * 1024 + y * 32 + x]).toBe(unitFromByte(cifarPixel(r, c, y, x)));
    }
  }
}

describe('CIFAR-10 binary reader', () => {
  const dir = join(tmp.dir, 'c10');
  writeCifar10(dir, 3, 4);

  it('concatenates data_batch_1..5 in order with labels and CHW pixels from planar RGB', () => {
    const ds = readCifar10(dir, 'train');
    expect([ds.name, ds.n, ds.classes]).toEqual(['cifar10', 15, 10]);
    expect(Array.from(ds.labels)).toEqual(Array.from({ length: 15 }, (_, r) => cifar10Label(r)));
    expect(Array.from(ds.indices)).toEqual(Array.from({ length: 15 }, (_, r) => r));
    expectCifarPixels(ds, 15);
  });

  it('reads test_batch.bin for the test split', () => {
    const ds = readCifar10(dir, 'test');
    expect(ds.n).toBe(4);
    expect(Array.from(ds.labels)).toEqual([0, 7, 4, 1]);
    expectCifarPixels(ds, 4);
  });

  it('is found inside cifar-10-batches-bin under --data-dir', () => {
    const root = join(tmp.dir, 'c10root');
    writeCifar10(join(root, 'cifar-10-batches-bin'), 1, 2);
    const ds = loadDataset('cifar10', 'test', { dataDir: root, env: {}, homeDir: tmp.dir, cache: false });
    expect(ds.n).toBe(2);
  });

  it('rejects a truncated batch, naming the file and the record size', () => {
    const bad = join(tmp.dir, 'c10trunc');
    writeCifar10(bad, 2, 2);
    const whole = cifarRecords([[1], [2]]);
    writeFile(bad, 'data_batch_3.bin', whole.subarray(0, whole.length - 100));
    const err = catchDataError(() => readCifar10(bad, 'train'));
    expect(err.message).toContain(join(bad, 'data_batch_3.bin'));
    expect(err.message).toContain('6046 bytes is not a positive multiple of the 3073-byte record');
  });

  it('rejects an empty file and a label out of range', () => {
    const bad = join(tmp.dir, 'c10label');
    writeCifar10(bad, 2, 2);
    writeFile(bad, 'test_batch.bin', new Uint8Array(0));
    expect(catchDataError(() => readCifar10(bad, 'test')).message).toContain('0 bytes is not a positive multiple');
    writeFile(bad, 'test_batch.bin', cifarRecords([[3], [10]]));
    expect(catchDataError(() => readCifar10(bad, 'test')).message).toMatch(/test_batch\.bin: label 10 of record 1 is outside 0\.\.9/);
  });
});

describe('CIFAR-100 binary reader', () => {
  const dir = join(tmp.dir, 'c100', 'cifar-100-binary');
  writeCifar100(dir, 6, 3);

  it('uses the fine label (second byte) by default, 100 classes', () => {
    const ds = readCifar100(dir, 'train');
    expect([ds.name, ds.n, ds.classes]).toEqual(['cifar100', 6, 100]);
    expect(Array.from(ds.labels)).toEqual(Array.from({ length: 6 }, (_, r) => cifar100Fine(r)));
    expectCifarPixels(ds, 6);
  });

  it('uses the coarse label (first byte) when asked, 20 classes, same pixels', () => {
    const ds = readCifar100(dir, 'test', 'coarse');
    expect([ds.n, ds.classes]).toEqual([3, 20]);
    expect(Array.from(ds.labels)).toEqual([cifar100Coarse(0), cifar100Coarse(1), cifar100Coarse(2)]);
    expectCifarPixels(ds, 3);
  });

  it('caches fine and coarse separately through loadDataset', () => {
    const opts = { dataDir: join(tmp.dir, 'c100'), env: {}, homeDir: tmp.dir };
    const fine = loadDataset('cifar100', 'test', opts);
    const coarse = loadDataset('cifar100', 'test', { ...opts, cifar100Label: 'coarse' });
    expect(fine.classes).toBe(100);
    expect(coarse.classes).toBe(20);
    expect(loadDataset('cifar100', 'test', opts)).toBe(fine);
  });

  it('rejects a fine label >= 100 and a coarse label >= 20 whichever label is used', () => {
    const bad = join(tmp.dir, 'c100bad');
    writeCifar100(bad, 2, 2);
    writeFile(bad, 'test.bin', cifarRecords([[1, 5], [2, 100]]));
    expect(catchDataError(() => readCifar100(bad, 'test', 'coarse')).message).toContain('fine label 100 of record 1 is outside 0..99');
    writeFile(bad, 'test.bin', cifarRecords([[20, 5]]));
    expect(catchDataError(() => readCifar100(bad, 'test')).message).toContain('coarse label 20 of record 0 is outside 0..19');
  });

  it('rejects CIFAR-10 records (3073 bytes) given as CIFAR-100', () => {
    const bad = join(tmp.dir, 'c100size');
    writeCifar100(bad, 2, 2);
    writeFile(bad, 'train.bin', cifarRecords([[1], [2]]));
    expect(catchDataError(() => readCifar100(bad, 'train')).message).toContain('3074-byte record (2 label bytes + 3072 pixels)');
  });
});
