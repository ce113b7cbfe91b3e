import { afterAll, describe, expect, it } from 'vitest';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { zipSync } from 'fflate';
import { instantiateModel, type ResolvedModel } from '../../src/check/index.js';
import { modelVariableName } from '../../src/lower/model.js';
import { loadModel, type CheckpointStore, type DeviceValues } from '../../src/io/checkpoint.js';
import { recordedPipeline } from '../../src/eval/targets.js';
import { decodeModelFile } from '../../src/io/model-file.js';
import { CheckpointError, encodeSafetensors } from '../../src/io/safetensors.js';
import { decodeTorchCheckpoint, readTorchCheckpoint } from '../../src/io/torch-checkpoint.js';
import { unpickleCheckpoint } from '../../src/io/torch-pickle.js';

/** Written by scripts/make-torch-fixtures.py with PyTorch 1.13. */
const fixtures = fileURLToPath(new URL('../fixtures/torch/', import.meta.url));
const fixture = (name: string): Uint8Array => readFileSync(join(fixtures, name));

interface ExpectedTensor {
  name: string;
  shape: number[];
  dtype: string;
  values: number[];
}
const expected = JSON.parse(readFileSync(join(fixtures, 'expected.json'), 'utf8')) as {
  read: Record<string, ExpectedTensor[]>;
  refused: Record<string, string[]>;
};

const dir = mkdtempSync(join(tmpdir(), 'matc-torch-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The error `decode` throws: must be a CheckpointError naming the file. */
function refusal(decode: () => unknown, source: string): string {
  try {
    decode();
  } catch (e) {
    expect(e).toBeInstanceOf(CheckpointError);
    expect((e as Error).message.startsWith(`${source}: `)).toBe(true);
    return (e as Error).message;
  }
  throw new Error('expected a CheckpointError, nothing was thrown');
}

describe('reading torch.save checkpoints', () => {
  for (const [file, tensors] of Object.entries(expected.read)) {
    it(`${file}: every tensor of the state_dict, in order, with its exact values`, () => {
      const { tensors: read, metadata } = decodeTorchCheckpoint(fixture(file), file);
      expect(metadata).toEqual({});
      expect([...read.keys()]).toEqual(tensors.map((t) => t.name));
      for (const t of tensors) {
        const got = read.get(t.name)!;
        expect({ name: t.name, dtype: got.dtype, shape: got.shape }).toEqual({ name: t.name, dtype: t.dtype, shape: t.shape });
        expect(Array.from(got.data)).toEqual(t.values);
      }
    });
  }

  it('wrapped and DataParallel checkpoints give the bare state_dict (optimizer tensors and "module." left out)', () => {
    const bare = decodeTorchCheckpoint(fixture('tiny-state-dict.pt'), 'bare').tensors;
    for (const file of ['tiny-under-state_dict.pt', 'tiny-under-model.pt', 'tiny-under-model_state_dict.pt', 'tiny-dataparallel.pt']) {
      expect(decodeTorchCheckpoint(fixture(file), file).tensors).toEqual(bare);
    }
  });

  it('reads f16 and bf16 as float32, f64 as F64, int64 as I64 numbers', () => {
    const read = decodeTorchCheckpoint(fixture('dtypes.pt'), 'dtypes.pt').tensors;
    expect(read.get('half')!.data).toBeInstanceOf(Float32Array);
    expect(read.get('bf16')!.data).toBeInstanceOf(Float32Array);
    expect(read.get('double')!.data).toBeInstanceOf(Float64Array);
    expect(read.get('int32')!.data).toBeInstanceOf(Int32Array);
    expect(Array.from(read.get('int64')!.data)).toEqual([-(2 ** 40), 5]);
  });

  it('reads from a file path', async () => {
    const read = await readTorchCheckpoint(join(fixtures, 'views.pt'));
    expect(read.tensors.get('transposed')!.shape).toEqual([6, 4]);
    await expect(readTorchCheckpoint(join(dir, 'absent.pt'))).rejects.toThrow(/absent\.pt: no such file/);
  });
});

describe('refusing what is not a plain state_dict', () => {
  for (const [file, words] of Object.entries(expected.refused)) {
    it(`${file}: refused, saying ${words.map((w) => JSON.stringify(w)).join(' and ')}`, () => {
      const message = refusal(() => decodeTorchCheckpoint(fixture(file), file), file);
      for (const w of words) expect(message).toContain(w);
    });
  }

  it('a truncated archive', () => {
    const whole = fixture('tiny-state-dict.pt');
    for (const keep of [whole.length - 30, Math.floor(whole.length / 2), 10]) {
      expect(refusal(() => decodeTorchCheckpoint(whole.subarray(0, keep), 'cut.pt'), 'cut.pt')).toMatch(/truncated or corrupt/);
    }
  });

  it('a corrupted data.pkl', () => {
    const bytes = new Uint8Array(fixture('tiny-state-dict.pt'));
    const pickleAt = Buffer.from(bytes).indexOf('collections');
    bytes.fill(0xff, pickleAt - 2, pickleAt + 40);
    expect(refusal(() => decodeTorchCheckpoint(bytes, 'bad.pt'), 'bad.pt')).toMatch(/data\.pkl is not a pickle matc can read|refuses to load/);
  });

  it('a compressed record declaring more bytes than deflate can produce (a zip bomb)', () => {
    const zip = zipSync({ 'bomb/data.pkl': [new Uint8Array(4096), { level: 9 }] });
    const central = Buffer.from(zip).indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    new DataView(zip.buffer, zip.byteOffset).setUint32(central + 24, 0xfffffff0, true); // uncompressed size
    expect(refusal(() => decodeTorchCheckpoint(zip, 'bomb.pt'), 'bomb.pt')).toMatch(/declares 4294967280 bytes from \d+ compressed/);
  });

  it('files that are not checkpoints', () => {
    expect(refusal(() => decodeTorchCheckpoint(Buffer.from('hello, world'), 'text.pt'), 'text.pt')).toMatch(/not a PyTorch checkpoint: torch.save .* writes a zip archive, and this file is not one/);
    const otherZip = zipSync({ 'notes/readme.txt': Buffer.from('hi') });
    expect(refusal(() => decodeTorchCheckpoint(otherZip, 'other.zip'), 'other.zip')).toMatch(/has no data\.pkl/);
  });
});

/** A pickle (protocol 2) from opcodes and strings, for what torch.save never writes. */
const pickle = (...parts: (string | number[])[]): Uint8Array =>
  Buffer.concat([Buffer.from([0x80, 2]), ...parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(p))), Buffer.from('.')]);
const unicode = (s: string): string => `X${String.fromCharCode(s.length, 0, 0, 0)}${s}`;

describe('the unpickler runs nothing', () => {
  it('refuses a global by GLOBAL and by STACK_GLOBAL, naming it, before anything could call it', () => {
    const byGlobal = pickle('cbuiltins\neval\n', unicode('print(1)'), [0x85], 'R');
    expect(refusal(() => unpickleCheckpoint(byGlobal, 'a.pt'), 'a.pt')).toContain('global builtins.eval, which a state_dict never needs');
    const byStack = pickle(unicode('os'), unicode('system'), [0x93], unicode('echo pwned'), [0x85], 'R');
    expect(refusal(() => unpickleCheckpoint(byStack, 'b.pt'), 'b.pt')).toContain('global os.system');
  });

  it('refuses calling a storage class, and attributes set on an OrderedDict are dropped', () => {
    const call = pickle('ctorch\nFloatStorage\n', [0x29], 'R');
    expect(refusal(() => unpickleCheckpoint(call, 'c.pt'), 'c.pt')).toContain('calls torch.FloatStorage');
    const withState = pickle('ccollections\nOrderedDict\n', [0x29], 'R', [0x7d], unicode('_metadata'), [0x7d], 's', 'b');
    const dict = unpickleCheckpoint(withState, 'd.pt');
    expect(dict).toBeInstanceOf(Map);
    expect([...(dict as Map<unknown, unknown>).keys()]).toEqual([]);
  });

  it('keeps "__proto__" a dict key, not a prototype', () => {
    const dict = unpickleCheckpoint(pickle([0x7d], unicode('__proto__'), [0x5d], 's'), 'e.pt') as Map<unknown, unknown>;
    expect([...dict.keys()]).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(dict)).toBe(Map.prototype);
  });
});

describe('model files by content', () => {
  it('sends zip content to the PyTorch reader whatever its name, and safetensors to the safetensors reader', () => {
    expect(decodeModelFile(fixture('views.pt'), 'weights').tensors.has('block')).toBe(true);
    const st = encodeSafetensors([{ name: 'w', dtype: 'F32', shape: [2], data: [1, 2] }], { pipeline: 'p' });
    expect(decodeModelFile(st, 'w.safetensors').metadata).toEqual({ pipeline: 'p' });
    expect(refusal(() => decodeModelFile(Buffer.from('junk'), 'junk.pth'), 'junk.pth')).toContain('not a PyTorch checkpoint');
  });

  it('matc eval asks for --pipeline with a .pt, which records none', async () => {
    await expect(recordedPipeline(join(fixtures, 'tiny-state-dict.pt'))).rejects.toThrow(/tiny-state-dict\.pt does not record its pipeline; pass --pipeline FILE/);
  });
});

/** The model tiny-*.pt were saved from (scripts/make-torch-fixtures.py, class Tiny). */
const tinySource = `
model tiny(classes = 3, channels = 1) {
  conv1 = conv(channels, 2, kernel: 3, padding: 1, bias: false)
  bn1 = batchnorm(2)
  fc = linear(2 * 4 * 4, classes)

  forward(x) {
    return fc(flatten(relu(bn1(conv1(x)))))
  }
}
`;

function tinyModel(): ResolvedModel {
  const path = join(dir, 'tiny.mat');
  const { model, diagnostics } = instantiateModel(path, 'tiny', { classes: 3, channels: 1 }, [1, 4, 4], { files: { [path]: tinySource } });
  expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return model as ResolvedModel;
}

/** Records what loadModel writes (loading never reads the device). */
class RecordingStore implements CheckpointStore {
  readonly written = new Map<string, { data: DeviceValues; shape?: readonly number[] }>();
  has = (name: string): boolean => this.written.has(name);
  read = async (name: string): Promise<DeviceValues> => this.written.get(name)!.data;
  write(name: string, data: DeviceValues, shape?: readonly number[]): void {
    this.written.set(name, { data, shape });
  }
}

describe('loadModel', () => {
  it('loads a .pt state_dict into the model variables, and a PyTorch file under any name', async () => {
    const model = tinyModel();
    const unnamed = join(dir, 'weights-without-extension');
    copyFileSync(join(fixtures, 'tiny-under-state_dict.pt'), unnamed);
    for (const path of [join(fixtures, 'tiny-state-dict.pt'), unnamed]) {
      const store = new RecordingStore();
      expect(await loadModel(path, model, store)).toEqual({});
      for (const t of expected.read['tiny-state-dict.pt']!) {
        const v = store.written.get(modelVariableName(t.name))!;
        expect(v.shape).toEqual(t.shape);
        expect(Array.from(v.data)).toEqual(t.values);
      }
      expect(store.written.size).toBe(model.stateDict.length);
    }
  });

  it('refuses a .pt whose tensors do not fit the model, as for safetensors', async () => {
    await expect(loadModel(join(fixtures, 'views.pt'), tinyModel(), new RecordingStore())).rejects.toThrow(/views\.pt: the file's tensors do not match:\n  missing keys \(8\): conv1\.weight \[2, 1, 3, 3\][\s\S]*unexpected keys \(6\): base \[4, 6\]/);
  });
});
