import { afterAll, describe, expect, it } from 'vitest';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { loadDataset, readCifar100Pickle, readCifar10Pickle, type Dataset } from '../../src/data/index.js';
import { unitFromByte } from '../../src/data/pixels.js';
import {
  cifar100Batch,
  cifar100Coarse,
  cifar100Fine,
  cifar10Batch,
  cifar10Label,
  cifarPixel,
  cifarPixelRows,
  makeTempDir,
  writeCifar10,
  writeCifar100,
  writeCifar100Pickle,
  writeCifar10Pickle,
  writeFile,
} from './fixtures.js';
import { catchDataError } from './helpers.js';
import { NumpyUint8Array, OP, PickleBytes, py2Pickle } from './py2-pickle.js';

const tmp = makeTempDir();
afterAll(() => tmp.cleanup());

const FIXTURES = join(import.meta.dirname, 'fixtures');
const fixture = (name: string) => new Uint8Array(readFileSync(join(FIXTURES, name)));
const noEnv = { env: {}, homeDir: join(tmp.dir, 'nohome'), cache: false };

/** Every pixel of every image must be the fixture formula's byte at NCHW [r][c][y][x]. */
function expectCifarPixels(ds: Dataset, records: number): void {
  expect([ds.n, ds.channels, ds.height, ds.width]).toEqual([records, 3, 32, 32]);
  const wrong: string[] = [];
  for (let r = 0; r < records; r++)
    for (let c = 0; c < 3; c++)
      for (let y = 0; y < 32; y++)
        for (let x = 0; x < 32; x++) {
          if (ds.images[((r * 3 + c) * 32 + y) * 32 + x] !== unitFromByte(cifarPixel(r, c, y, x))) wrong.push(`${r},${c},${y},${x}`);
        }
  expect(wrong.slice(0, 5)).toEqual([]);
}

function expectSameDataset(a: Dataset, b: Dataset): void {
  expect([a.name, a.split, a.n, a.classes, a.channels, a.height, a.width]).toEqual([b.name, b.split, b.n, b.classes, b.channels, b.height, b.width]);
  expect(Array.from(a.labels)).toEqual(Array.from(b.labels));
  expect(Array.from(a.indices)).toEqual(Array.from(b.indices));
  expect(Buffer.from(a.images.buffer).equals(Buffer.from(b.images.buffer))).toBe(true);
}

describe('test pickle writer', () => {
  // The fixtures were written by Python 2.7's cPickle (scripts/make-cifar-py2-fixture.py).
  it('writes the same bytes as Python 2 cPickle protocol 2 for a CIFAR-10 batch', () => {
    const batch = cifar10Batch(2);
    batch.set('filenames', ['leptodactylus_pentadactylus_s_000004.png', 'camion_s_000148.png']);
    expect(Buffer.from(py2Pickle(batch)).equals(fixture('cifar10-py2.pickle'))).toBe(true);
  });

  it('writes the same bytes as Python 2 cPickle protocol 2 for a CIFAR-100 batch', () => {
    const py2Order = ['data', 'batch_label', 'fine_labels', 'coarse_labels', 'filenames'];
    const fields = cifar100Batch(2);
    fields.set('filenames', ['bos_taurus_s_000507.png', 'stegosaurus_s_000125.png']);
    const batch = new Map(py2Order.map((k) => [k, fields.get(k)!]));
    expect(Buffer.from(py2Pickle(batch)).equals(fixture('cifar100-py2.pickle'))).toBe(true);
  });

  it('batches lists of more than 1000 items like cPickle (MARK ... APPENDS, a lone last item as APPEND)', () => {
    const bytes = py2Pickle(Array.from({ length: 1001 }, () => 7));
    const appends = bytes.filter((b) => b === OP.APPENDS).length;
    expect([appends, bytes[bytes.length - 2]]).toEqual([1, OP.APPEND]);
  });
});

describe('CIFAR python version (torchvision layout)', () => {
  it('reads a batch Python 2 wrote: pixels in CHW order and labels', () => {
    const dir = join(tmp.dir, 'py2fixture');
    mkdirSync(dir, { recursive: true });
    copyFileSync(join(FIXTURES, 'cifar10-py2.pickle'), join(dir, 'test_batch'));
    copyFileSync(join(FIXTURES, 'cifar100-py2.pickle'), join(dir, 'test'));
    const c10 = readCifar10Pickle(dir, 'test');
    expect([c10.name, c10.classes, Array.from(c10.labels)]).toEqual(['cifar10', 10, [cifar10Label(0), cifar10Label(1)]]);
    expectCifarPixels(c10, 2);
    const fine = readCifar100Pickle(dir, 'test');
    const coarse = readCifar100Pickle(dir, 'test', 'coarse');
    expect([fine.classes, Array.from(fine.labels)]).toEqual([100, [cifar100Fine(0), cifar100Fine(1)]]);
    expect([coarse.classes, Array.from(coarse.labels)]).toEqual([20, [cifar100Coarse(0), cifar100Coarse(1)]]);
    expectCifarPixels(fine, 2);
    expectCifarPixels(coarse, 2);
  });

  it('finds cifar-10-batches-py under --data-dir and concatenates data_batch_1..5 in order', () => {
    const root = join(tmp.dir, 'torchvision10');
    writeCifar10Pickle(join(root, 'cifar-10-batches-py'), 3, 4);
    const train = loadDataset('cifar10', 'train', { ...noEnv, dataDir: root });
    expect(Array.from(train.labels)).toEqual(Array.from({ length: 15 }, (_, r) => cifar10Label(r)));
    expectCifarPixels(train, 15);
    expectCifarPixels(loadDataset('cifar10', 'test', { ...noEnv, dataDir: root }), 4);
  });

  it('gives the same Datasets as the binary version of the same images (CIFAR-10, CIFAR-100 fine and coarse)', () => {
    const bin = join(tmp.dir, 'same-bin');
    const py = join(tmp.dir, 'same-py');
    writeCifar10(join(bin, 'cifar-10-batches-bin'), 2, 3);
    writeCifar10Pickle(join(py, 'cifar-10-batches-py'), 2, 3);
    writeCifar100(join(bin, 'cifar-100-binary'), 5, 3);
    writeCifar100Pickle(join(py, 'cifar-100-python'), 5, 3);
    for (const split of ['train', 'test'] as const) {
      expectSameDataset(loadDataset('cifar10', split, { ...noEnv, dataDir: py }), loadDataset('cifar10', split, { ...noEnv, dataDir: bin }));
      for (const cifar100Label of ['fine', 'coarse'] as const) {
        const fromPy = loadDataset('cifar100', split, { ...noEnv, dataDir: py, cifar100Label });
        expectSameDataset(fromPy, loadDataset('cifar100', split, { ...noEnv, dataDir: bin, cifar100Label }));
        expect(fromPy.classes).toBe(cifar100Label === 'fine' ? 100 : 20);
      }
    }
  });

  it('is found through MATC_DATA_DIR and an explicit path to the folder itself', () => {
    const root = join(tmp.dir, 'torchvision100');
    writeCifar100Pickle(join(root, 'cifar-100-python'), 2, 3);
    expect(loadDataset('cifar100', 'test', { ...noEnv, env: { MATC_DATA_DIR: root } }).n).toBe(3);
    expect(loadDataset('cifar100', 'train', { ...noEnv, path: join(root, 'cifar-100-python') }).n).toBe(2);
  });

  it('prefers the binary version when a data dir holds both, and never mixes two folders in a split', () => {
    const both = join(tmp.dir, 'both');
    writeCifar10Pickle(join(both, 'cifar-10-batches-py'), 1, 2);
    writeCifar10(join(both, 'cifar10'), 1, 5);
    expect(loadDataset('cifar10', 'test', { ...noEnv, dataDir: both }).n).toBe(5);

    // Each folder lacks one batch: together they hold every file, alone neither does.
    const parts = join(tmp.dir, 'split-up');
    writeCifar10Pickle(join(parts, 'cifar-10-batches-py'), 1, 1);
    writeCifar10Pickle(parts, 1, 1);
    rmSync(join(parts, 'cifar-10-batches-py', 'data_batch_3'));
    rmSync(join(parts, 'data_batch_4'));
    const err = catchDataError(() => loadDataset('cifar10', 'train', { ...noEnv, dataDir: parts }));
    expect(err.message).toContain('CIFAR-10 train split not found');
    expect(err.message).toContain(`${join(parts, 'cifar-10-batches-py')} has some of the files but lacks data_batch_3.`);
    expect(err.message).toContain(`${parts} has some of the files but lacks data_batch_4.`);
    expect(err.message).toContain('or data_batch_1 ... data_batch_5 and test_batch (the python version');
  });
});
