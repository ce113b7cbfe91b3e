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
    // The first partial folder stops the search: matc never completes one copy from another.
    expect(err.message).toContain(`CIFAR-10 train split: ${join(parts, 'cifar-10-batches-py')} has some of the files but lacks data_batch_3.`);
    expect(err.message).toContain('matc does not mix a partial copy with another one');
    expect(err.message).toContain('or data_batch_1 ... data_batch_5 and test_batch (the python version');
  });
});

describe('CIFAR python version: hostile and broken files', () => {
  const dir = join(tmp.dir, 'broken');
  const file = join(dir, 'test_batch');
  /** Writes `bytes` as CIFAR-10's test_batch (or CIFAR-100's test) and returns the DataError reading it gives. */
  const refusal = (bytes: Uint8Array, cifar100Label?: 'fine' | 'coarse') => {
    const name = cifar100Label ? 'test' : 'test_batch';
    writeFile(dir, name, bytes);
    const err = catchDataError(() => (cifar100Label ? readCifar100Pickle(dir, 'test', cifar100Label) : readCifar10Pickle(dir, 'test')));
    expect(err.path).toBe(join(dir, name));
    expect(err.message).toContain(join(dir, name));
    return err;
  };
  const batchWith = (key: string, value: Parameters<typeof py2Pickle>[0]) => {
    const batch = cifar10Batch(2);
    batch.set(key, value);
    return py2Pickle(batch);
  };

  it('refuses os.system via GLOBAL + REDUCE, names the global and runs nothing', () => {
    const marker = join(tmp.dir, 'pwned');
    const hostile = new PickleBytes().op(OP.PROTO, 2).global('posix', 'system').str(`touch ${marker}`).op(OP.TUPLE1).op(OP.REDUCE).op(OP.STOP);
    const err = refusal(hostile.bytes());
    expect(err.message).toContain(`Refusing to load ${file}: the pickle asks for the Python global posix.system`);
    expect(err.message).toContain('numpy.core.multiarray._reconstruct, numpy.ndarray, numpy.dtype');
    expect(existsSync(marker)).toBe(false);
  });

  it('refuses a foreign global inside an otherwise valid batch, and one named by INST', () => {
    const valid = Buffer.from(py2Pickle(cifar10Batch(2)));
    // Swap the dtype global for numpy.load: allowed names are exact, not a module prefix.
    const swapped = Buffer.from(valid.toString('latin1').replace('numpy\ndtype\n', 'numpy\nload\n\n'), 'latin1');
    expect(refusal(swapped).message).toContain('asks for the Python global numpy.load');
    const inst = new PickleBytes().op(OP.MARK).str('id').op(0x69).raw(Buffer.from('os\nsystem\n')).op(OP.STOP);
    expect(refusal(inst.bytes()).message).toContain('asks for the Python global os.system');
  });

  it('refuses the allowed numpy globals used other than numpy does', () => {
    const direct = new PickleBytes().op(OP.PROTO, 2).global('numpy', 'ndarray').op(0x29).op(OP.REDUCE).op(OP.STOP);
    expect(refusal(direct.bytes()).message).toContain('calls numpy.ndarray directly');
    const wrongArgs = new PickleBytes().op(OP.PROTO, 2).global('numpy', 'dtype').str('O8').op(OP.TUPLE1).op(OP.REDUCE).op(OP.STOP);
    expect(refusal(wrongArgs.bytes()).message).toContain('numpy.dtype is called with unexpected arguments');
  });

  it('refuses a truncated file, a missing STOP and bytes after STOP', () => {
    const whole = fixture('cifar10-py2.pickle');
    for (const cut of [3000, 60, whole.length - 1]) {
      const err = refusal(whole.subarray(0, cut));
      expect(err.message).toContain(`Corrupt dataset file ${file}: the pickle ends early`);
      expect(err.message).toContain(`the file has ${cut} bytes`);
    }
    expect(refusal(Buffer.concat([whole, Buffer.from('xyz')])).message).toContain('3 bytes follow the end of the pickle');
  });

  it('refuses a wrong shape, a data size that disagrees with it, and a dtype other than uint8', () => {
    expect(refusal(batchWith('data', new NumpyUint8Array([4, 1536], cifarPixelRows(2).data))).message).toContain(
      "'data' has shape (4, 1536), expected (N, 3072)",
    );
    expect(refusal(batchWith('data', new NumpyUint8Array([3, 3072], cifarPixelRows(2).data))).message).toContain(
      'the numpy array of shape (3, 3072) holds 6144 bytes, expected 9216',
    );
    const int8 = Buffer.from(Buffer.from(py2Pickle(cifar10Batch(2))).toString('latin1').replace('U\x02u1', 'U\x02i1'), 'latin1');
    expect(refusal(int8).message).toContain("the numpy array has dtype 'i1', expected uint8 ('u1')");
  });

  it('refuses labels that are missing, of the wrong length or out of range', () => {
    const noLabels = cifar10Batch(2);
    noLabels.delete('labels');
    expect(refusal(py2Pickle(noLabels)).message).toContain("'labels' is missing, expected a list of ints");
    expect(refusal(batchWith('labels', [3])).message).toContain("'labels' has 1 entries but 'data' holds 2 images");
    expect(refusal(batchWith('labels', [3, 10])).message).toContain('labels[1] is 10, outside 0..9');
    expect(refusal(batchWith('labels', [3, 'cat'])).message).toContain('labels[1] is "cat", outside 0..9');
    // CIFAR-100: the coarse list is validated even when the fine labels are used.
    const badCoarse = cifar100Batch(2);
    badCoarse.set('coarse_labels', [1, 20]);
    const err = refusal(py2Pickle(badCoarse), 'fine');
    expect(err.message).toContain(`${join(dir, 'test')}: coarse_labels[1] is 20, outside 0..19`);
  });

  it('refuses a file that is not a pickled dict (a binary-version batch, a list)', () => {
    const binary = join(tmp.dir, 'binary-as-python');
    writeCifar10(binary, 1, 2);
    const binaryBatch = readFileSync(join(binary, 'test_batch.bin'));
    expect(refusal(binaryBatch).message).toContain("not a pickle matc can read (Unsupported opcode '0')");
    expect(refusal(py2Pickle([1, 2])).message).toContain("the pickle holds (1, 2), expected a dict with 'data' and 'labels'");
  });
});
