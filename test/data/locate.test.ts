import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { clearDatasetCache, loadDataset, locateDataset } from '../../src/data/index.js';
import { makeTempDir, writeCifar10, writeFile, writeIdxDataset } from './fixtures.js';
import { catchDataError } from './helpers.js';

const tmp = makeTempDir();
afterAll(() => tmp.cleanup());

describe('dataset resolution order', () => {
  // A different test-split size in each place tells which one was read.
  const explicit = join(tmp.dir, 'explicit');
  const dataDir = join(tmp.dir, 'flag');
  const envDir = join(tmp.dir, 'env');
  const home = join(tmp.dir, 'home');
  writeCifar10(explicit, 1, 1);
  writeCifar10(join(dataDir, 'cifar10'), 1, 2);
  writeCifar10(dataDir, 1, 9); // the dataset's own subfolder wins over the data dir itself
  writeCifar10(envDir, 1, 3);
  writeCifar10(join(home, '.matc', 'data', 'cifar10'), 1, 4);
  const env = { MATC_DATA_DIR: envDir };
  const testSize = (opts: Parameters<typeof loadDataset>[2]) => loadDataset('cifar10', 'test', { ...opts, cache: false }).n;

  it('explicit path, then --data-dir (<dir>/cifar10 before <dir>), then MATC_DATA_DIR, then ~/.matc/data', () => {
    expect(testSize({ path: explicit, dataDir, env, homeDir: home })).toBe(1);
    expect(testSize({ dataDir, env, homeDir: home })).toBe(2);
    expect(testSize({ env, homeDir: home })).toBe(3);
    expect(testSize({ env: {}, homeDir: home })).toBe(4);
  });

  it('falls through a --data-dir that lacks the dataset', () => {
    const empty = join(tmp.dir, 'empty');
    mkdirSync(empty, { recursive: true });
    expect(testSize({ dataDir: empty, env, homeDir: home })).toBe(3);
  });

  it('does not fall back when an explicit path is wrong', () => {
    const err = catchDataError(() => locateDataset('cifar10', 'test', { path: join(tmp.dir, 'nope'), dataDir, env, homeDir: home }));
    expect(err.message).toContain(`CIFAR-10 test split not found in ${join(tmp.dir, 'nope')}`);
    expect(err.message).toContain('Fix the dataset path in the pipeline');
  });
});

describe('dataset not found', () => {
  const home = join(tmp.dir, 'nohome');

  it('lists where it looked, the expected files and how to point matc at a copy', () => {
    const dataDir = join(tmp.dir, 'x');
    const err = catchDataError(() => loadDataset('cifar10', 'train', { dataDir, env: {}, homeDir: home }));
    expect(err.message).toContain('CIFAR-10 train split not found');
    expect(err.message).toContain(join(dataDir, 'cifar10'));
    expect(err.message).toContain(join(dataDir, 'cifar-10-batches-bin'));
    expect(err.message).toContain(join(home, '.matc', 'data'));
    expect(err.message).toContain("expected data_batch_1.bin ... data_batch_5.bin and test_batch.bin (the 'CIFAR-10 binary version')");
    expect(err.message).toContain('--data-dir DIR or MATC_DATA_DIR=DIR');
    expect(err.message).not.toMatch(/\n\s+at /); // no stack trace in the message
  });

  it('names the files missing from a partial copy', () => {
    const dataDir = join(tmp.dir, 'partial');
    writeCifar10(join(dataDir, 'cifar10'), 1, 1);
    rmSync(join(dataDir, 'cifar10', 'data_batch_4.bin'));
    const err = catchDataError(() => loadDataset('cifar10', 'train', { dataDir, env: {}, homeDir: home }));
    expect(err.message).toContain(`${join(dataDir, 'cifar10')} has some of the files but lacks data_batch_4.bin.`);
  });

  it('recognises unextracted archives of the binary and the python version', () => {
    const dataDir = join(tmp.dir, 'archives');
    writeFile(dataDir, 'cifar-10-binary.tar.gz', new Uint8Array(10));
    writeFile(dataDir, 'cifar-10-python.tar.gz', new Uint8Array(10));
    const err = catchDataError(() => loadDataset('cifar10', 'test', { dataDir, env: {}, homeDir: home }));
    expect(err.message).toContain('extract it first: tar xzf cifar-10-binary.tar.gz');
    expect(err.message).toContain('extract it first: tar xzf cifar-10-python.tar.gz');
    expect(err.message).toContain(join(dataDir, 'cifar-10-batches-py')); // where the extracted python version is looked for
  });

  it('describes each dataset by its own files', () => {
    const opts = { dataDir: join(tmp.dir, 'y'), env: {}, homeDir: home };
    expect(catchDataError(() => loadDataset('cifar100', 'test', opts)).message).toContain("train.bin and test.bin (the 'CIFAR-100 binary version')");
    expect(catchDataError(() => loadDataset('svhn', 'test', opts)).message).toContain('train_32x32.mat and test_32x32.mat');
    expect(catchDataError(() => loadDataset('mnist', 'test', opts)).message).toContain('t10k-images-idx3-ubyte');
  });

  it('rejects unknown dataset names with the list of known ones', () => {
    expect(catchDataError(() => loadDataset('imagenet', 'train')).message).toBe(
      "Unknown dataset 'imagenet'. matc reads: mnist, fashion-mnist, cifar10, cifar100, svhn.",
    );
  });
});

describe('dataset cache', () => {
  it('returns the same object for a second load and re-reads after clearDatasetCache', () => {
    const dataDir = join(tmp.dir, 'cache');
    writeIdxDataset(join(dataDir, 'FashionMNIST', 'raw'), { n: 3, nTest: 2, h: 2, w: 2, gzip: true });
    const opts = { dataDir, env: {}, homeDir: tmp.dir };
    const first = loadDataset('fashion-mnist', 'test', opts);
    expect(loadDataset('fashion-mnist', 'test', opts)).toBe(first);
    clearDatasetCache();
    const again = loadDataset('fashion-mnist', 'test', opts);
    expect(again).not.toBe(first);
    expect(Array.from(again.labels)).toEqual(Array.from(first.labels));
  });
});

const DEBIAN_FASHION = '/usr/share/datasets/fashion-mnist';
const haveDebianFashion = existsSync(join(DEBIAN_FASHION, 'train-images-idx3-ubyte.gz'));

describe('Debian Fashion-MNIST', () => {
  it.skipIf(!haveDebianFashion)(
    `is found without configuration and has the published shape (skipped when ${DEBIAN_FASHION} is missing: apt-get install dataset-fashion-mnist)`,
    () => {
      const opts = { env: {}, homeDir: join(tmp.dir, 'nohome') };
      expect(locateDataset('fashion-mnist', 'train', opts)).toBe(DEBIAN_FASHION);
      for (const [split, n] of [['train', 60000], ['test', 10000]] as const) {
        const ds = loadDataset('fashion-mnist', split, opts);
        expect([ds.n, ds.channels, ds.height, ds.width, ds.classes]).toEqual([n, 1, 28, 28, 10]);
        const perClass = new Array<number>(10).fill(0);
        for (const label of ds.labels) perClass[label]!++;
        expect(perClass).toEqual(new Array(10).fill(n / 10)); // Fashion-MNIST is exactly balanced
        let min = Infinity;
        let max = -Infinity;
        for (let i = 0; i < ds.images.length; i++) {
          const v = ds.images[i]!;
          if (v < min) min = v;
          if (v > max) max = v;
        }
        expect([min, max]).toEqual([0, 1]);
      }
    },
  );
});
