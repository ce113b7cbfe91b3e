import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { instantiateModel, type ResolvedModel } from '../../src/check/index.js';
import {
  CheckpointError,
  formatStateDictListing,
  loadModel,
  loadTrainingState,
  saveModel,
  saveTrainingState,
  stateDictListing,
  TRAINING_STATE_FORMAT,
  type CheckpointStore,
  type DeviceDType,
  type DeviceValues,
  type TrainingMetadata,
} from '../../src/io/checkpoint.js';
import { readSafetensors, writeSafetensors } from '../../src/io/safetensors.js';
import { sharedTestRuntime } from '../helpers/gpu.js';

const dir = mkdtempSync(join(tmpdir(), 'matc-checkpoint-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A VariableStore stand-in without a GPU: same write/ensure semantics (shape and dtype must match). */
class FakeStore implements CheckpointStore {
  readonly vars = new Map<string, { shape: number[]; dtype: DeviceDType; data: DeviceValues }>();

  has(name: string): boolean {
    return this.vars.has(name);
  }
  get(name: string): { shape: number[] } {
    const v = this.vars.get(name);
    if (!v) throw new Error(`no variable '${name}'`);
    return v;
  }
  async read(name: string): Promise<DeviceValues> {
    return this.vars.get(name)!.data.slice();
  }
  write(name: string, data: DeviceValues, shape?: readonly number[], dtype: DeviceDType = 'f32'): void {
    const existing = this.vars.get(name);
    if (existing && shape && (existing.shape.join() !== shape.join() || existing.dtype !== dtype)) throw new Error(`variable '${name}' shape/dtype clash`);
    if (!existing && !shape) throw new Error(`no variable '${name}'`);
    this.vars.set(name, { shape: [...(shape ?? existing!.shape)], dtype: existing?.dtype ?? dtype, data: data.slice() });
  }
}

/** A small model with every kind of state_dict entry: conv without bias, batch norm, linear. */
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

function tinyModel(channels = 1): ResolvedModel {
  const path = join(dir, 'tiny.mat');
  const { model, diagnostics } = instantiateModel(path, 'tiny', { classes: 3, channels }, [channels, 4, 4], { files: { [path]: tinySource } });
  expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return model as ResolvedModel;
}

/** Fill every model variable with distinct values (counters with integers). */
function fillModel(store: CheckpointStore, model: ResolvedModel, offset = 0): void {
  model.stateDict.forEach((s, k) => {
    const n = s.shape.reduce((a, b) => a * b, 1);
    const data = Float32Array.from({ length: n }, (_, i) => (s.dtype === 'int64' ? 391 + offset : offset + k + i / 8 - 0.3));
    store.write(`model/${s.name}`, data, s.shape, 'f32');
  });
}

const tinyListing = [
  { name: 'conv1.weight', shape: [2, 1, 3, 3], dtype: 'float32', trainable: true },
  { name: 'bn1.weight', shape: [2], dtype: 'float32', trainable: true },
  { name: 'bn1.bias', shape: [2], dtype: 'float32', trainable: true },
  { name: 'bn1.running_mean', shape: [2], dtype: 'float32', trainable: false },
  { name: 'bn1.running_var', shape: [2], dtype: 'float32', trainable: false },
  { name: 'bn1.num_batches_tracked', shape: [], dtype: 'int64', trainable: false },
  { name: 'fc.weight', shape: [3, 32], dtype: 'float32', trainable: true },
  { name: 'fc.bias', shape: [3], dtype: 'float32', trainable: true },
];

async function catchError(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a rejection');
}

describe('state_dict listing', () => {
  it('lists the PyTorch names, shapes and dtypes in state_dict order', () => {
    expect(stateDictListing(tinyModel())).toEqual(tinyListing);
  });

  it('matches the documented small_cnn listing', () => {
    const { model } = instantiateModel('pipelines/models/small_cnn.mat', 'small_cnn', { classes: 10 }, [1, 28, 28]);
    expect(formatStateDictListing(stateDictListing(model as ResolvedModel))).toBe(
      ['0.weight  [16, 1, 3, 3]', '0.bias    [16]', '3.weight  [32, 16, 3, 3]', '3.bias    [32]', '7.weight  [100, 1568]', '7.bias    [100]', '9.weight  [10, 100]', '9.bias    [10]'].join('\n'),
    );
  });

  it('matches every listing in docs/checkpoints.md', () => {
    const docs = readFileSync('docs/checkpoints.md', 'utf8');
    const listings = [...docs.matchAll(/<!-- listing: (\w+) -->\n```\n([\s\S]*?)\n```/g)];
    expect(listings.map((m) => m[1])).toEqual(['small_cnn', 'mlp', 'resnet18', 'preact_resnet18', 'wrn34_10']);
    for (const [, name, text] of listings) {
      const inputShape = name === 'small_cnn' || name === 'mlp' ? [1, 28, 28] : [3, 32, 32];
      const { model } = instantiateModel(`pipelines/models/${name}.mat`, name!, { classes: 10 }, inputShape);
      expect(formatStateDictListing(stateDictListing(model as ResolvedModel)), name).toBe(text);
    }
  });

  it('formats int64 entries with their dtype', () => {
    expect(formatStateDictListing(tinyListing.slice(4, 6) as never)).toBe('bn1.running_var          [2]\nbn1.num_batches_tracked  [] int64');
  });
});

describe('model checkpoints', () => {
  it('saves exactly the state_dict (PyTorch names, shapes, dtypes) and loads it back', async () => {
    const model = tinyModel();
    const store = new FakeStore();
    fillModel(store, model);
    store.write('opt/fc.weight/momentum_buffer', new Float32Array(96), [3, 32]); // not part of a model file
    const path = join(dir, 'model-final.safetensors');
    await saveModel(path, model, store, { epoch: 3, pipeline: 'tiny_at' });

    const file = await readSafetensors(path);
    expect(file.metadata).toEqual({ format: 'pt', epoch: '3', pipeline: 'tiny_at' });
    expect([...file.tensors.keys()].sort()).toEqual(tinyListing.map((e) => e.name).sort());
    for (const e of tinyListing) {
      const t = file.tensors.get(e.name)!;
      expect(t.shape).toEqual(e.shape);
      expect(t.dtype).toBe(e.dtype === 'int64' ? 'I64' : 'F32');
    }
    expect([...file.tensors.get('bn1.num_batches_tracked')!.data]).toEqual([391]);

    const fresh = new FakeStore();
    const metadata = await loadModel(path, model, fresh);
    expect(metadata.epoch).toBe('3');
    for (const s of model.stateDict) {
      const v = fresh.vars.get(`model/${s.name}`)!;
      expect(v.shape).toEqual(s.shape);
      expect(v.dtype).toBe('f32');
      expect([...v.data]).toEqual([...store.vars.get(`model/${s.name}`)!.data]);
    }
    expect(fresh.has('opt/fc.weight/momentum_buffer')).toBe(false);
  });

  it('names the tensor whose shape does not fit, with both shapes', async () => {
    const store = new FakeStore();
    fillModel(store, tinyModel(3));
    const path = join(dir, 'rgb.safetensors');
    await saveModel(path, tinyModel(3), store);
    const target = new FakeStore();
    const error = await catchError(loadModel(path, tinyModel(1), target));
    expect(error).toBeInstanceOf(CheckpointError);
    expect(error.message).toBe(`${path}: the file's tensors do not match:\n  size mismatches (1): conv1.weight: [2, 3, 3, 3] in the file, the model expects [2, 1, 3, 3]`);
    expect(target.vars.size).toBe(0); // nothing written when the file does not fit
  });

  it('names missing tensors and refuses extra ones unless strict is false', async () => {
    const model = tinyModel();
    const store = new FakeStore();
    fillModel(store, model);
    const tensors = model.stateDict
      .filter((s) => s.name !== 'fc.bias')
      .map((s) => ({ name: s.name, dtype: 'F32' as const, shape: s.shape, data: new Float32Array(s.shape.reduce((a, b) => a * b, 1)) }));
    const missing = join(dir, 'missing.safetensors');
    await writeSafetensors(missing, tensors);
    await expect(loadModel(missing, model, new FakeStore())).rejects.toThrow(/\n  missing keys \(1\): fc\.bias \[3\]$/);

    const extra = join(dir, 'extra.safetensors');
    await writeSafetensors(extra, [...tensors, { name: 'fc.bias', dtype: 'F32', shape: [3], data: [1, 2, 3] }, { name: 'head.weight', dtype: 'F32', shape: [1], data: [0] }]);
    await expect(loadModel(extra, model, new FakeStore())).rejects.toThrow(/\n  unexpected keys \(1\): head\.weight \[1\]$/);
    const lenient = new FakeStore();
    await loadModel(extra, model, lenient, { strict: false });
    expect([...lenient.vars.get('model/fc.bias')!.data]).toEqual([1, 2, 3]);
    expect(lenient.has('model/head.weight')).toBe(false);
  });

  it('reports a device variable that does not exist instead of writing a partial file', async () => {
    const model = tinyModel();
    const store = new FakeStore();
    fillModel(store, model);
    store.vars.delete('model/bn1.running_var');
    const path = join(dir, 'partial.safetensors');
    await expect(saveModel(path, model, store)).rejects.toThrow(/cannot save bn1\.running_var: there is no device variable model\/bn1\.running_var/);
    expect(readdirSync(dir).filter((f) => f.startsWith('partial'))).toEqual([]);
  });

  it('lists several problems in one error', async () => {
    const path = join(dir, 'empty.safetensors');
    await writeSafetensors(path, []);
    const error = await catchError(loadModel(path, tinyModel(), new FakeStore()));
    // Eight missing keys: the first five with their shapes, the rest counted.
    expect(error.message.split('\n').slice(1)).toEqual(['  missing keys (8): conv1.weight [2, 1, 3, 3], bn1.weight [2], bn1.bias [2], bn1.running_mean [2], bn1.running_var [2], ... and 3 more']);
  });
});

describe('training state (resume)', () => {
  const metadata: TrainingMetadata = {
    epoch: 7,
    step: 7 * 40,
    seed: 1,
    pipeline: 'tiny_pgd_at_te',
    best: { epoch: 5, test_robust_acc: 0.4125, test_natural_acc: 0.8 },
    lr: 0.01,
  };

  function trainingStore(model: ResolvedModel): FakeStore {
    const store = new FakeStore();
    fillModel(store, model, 2);
    for (const s of model.stateDict.filter((x) => x.trainable)) {
      const n = s.shape.reduce((a, b) => a * b, 1);
      store.write(`opt/${s.name}/momentum_buffer`, Float32Array.from({ length: n }, (_, i) => -i / 16), s.shape);
    }
    store.write('state/p', Float32Array.from({ length: 50 * 3 }, (_, i) => (i % 7) / 10), [50, 3]);
    return store;
  }

  const partsFor = (model: ResolvedModel, store: FakeStore) => ({
    model,
    store,
    optimizerParams: model.stateDict.filter((s) => s.trainable).map((s) => s.name),
    optimizerSlots: ['momentum_buffer'],
    stateNames: ['p'],
  });

  it('round-trips model, optimizer slots, per-example state and metadata', async () => {
    const model = tinyModel();
    const store = trainingStore(model);
    const path = join(dir, 'resume.safetensors');
    await saveTrainingState(path, { ...partsFor(model, store), metadata });

    const file = await readSafetensors(path);
    expect(file.metadata.format).toBe(TRAINING_STATE_FORMAT);
    expect(JSON.parse(file.metadata.matc!)).toEqual(metadata);
    expect(file.tensors.get('optimizer.fc.weight.momentum_buffer')!.shape).toEqual([3, 32]);
    expect(file.tensors.get('optimizer.bn1.bias.momentum_buffer')!.shape).toEqual([2]);
    expect(file.tensors.has('optimizer.bn1.running_mean.momentum_buffer')).toBe(false);
    expect(file.tensors.get('state.p')!.shape).toEqual([50, 3]);
    expect(file.tensors.get('conv1.weight')!.shape).toEqual([2, 1, 3, 3]);
    expect(file.tensors.size).toBe(8 + 5 + 1);

    const fresh = new FakeStore();
    await expect(loadTrainingState(path, { ...partsFor(model, new FakeStore()), pipeline: 'other' })).rejects.toThrow(/the training state is of pipeline tiny_pgd_at_te, not other/);
    const back = await loadTrainingState(path, { ...partsFor(model, fresh), pipeline: 'tiny_pgd_at_te' });
    expect(back).toEqual(metadata);
    for (const [name, v] of store.vars) {
      expect(fresh.vars.get(name)!.shape).toEqual(v.shape);
      expect([...fresh.vars.get(name)!.data]).toEqual([...v.data]);
    }
    expect(fresh.vars.size).toBe(store.vars.size);
  });

  it('checks per-example state against the shape of an existing variable', async () => {
    const model = tinyModel();
    const path = join(dir, 'resume-state.safetensors');
    await saveTrainingState(path, { ...partsFor(model, trainingStore(model)), metadata });
    const other = new FakeStore();
    other.write('state/p', new Float32Array(60 * 3), [60, 3]);
    await expect(loadTrainingState(path, partsFor(model, other))).rejects.toThrow(/size mismatches \(1\): state\.p: \[50, 3\] in the file, the training state expects \[60, 3\]/);
  });

  it('needs the optimizer slots that the run uses', async () => {
    const model = tinyModel();
    const path = join(dir, 'resume-sgd.safetensors');
    await saveTrainingState(path, { ...partsFor(model, trainingStore(model)), metadata });
    const adam = { ...partsFor(model, new FakeStore()), optimizerSlots: ['exp_avg', 'exp_avg_sq'] };
    await expect(loadTrainingState(path, adam)).rejects.toThrow(/missing keys \(\d+\): optimizer\.conv1\.weight\.exp_avg \[2, 1, 3, 3\] \(the optimizer\)/);
  });

  it('refuses a model file as a training state, and loads a training state as a model with strict false', async () => {
    const model = tinyModel();
    const store = trainingStore(model);
    const modelPath = join(dir, 'model-best.safetensors');
    await saveModel(modelPath, model, store);
    await expect(loadTrainingState(modelPath, partsFor(model, new FakeStore()))).rejects.toThrow(/not a matc training state: the file has format "pt"/);

    const resumePath = join(dir, 'resume-as-model.safetensors');
    await saveTrainingState(resumePath, { ...partsFor(model, store), metadata });
    await expect(loadModel(resumePath, model, new FakeStore())).rejects.toThrow(/unexpected keys \(\d+\): optimizer\./);
    const weights = new FakeStore();
    await loadModel(resumePath, model, weights, { strict: false });
    expect([...weights.vars.keys()].every((k) => k.startsWith('model/'))).toBe(true);
    expect(weights.vars.size).toBe(8);
  });

  it('validates the metadata', async () => {
    const path = join(dir, 'bad-meta.safetensors');
    await writeSafetensors(path, [], { format: TRAINING_STATE_FORMAT, matc: JSON.stringify({ epoch: -1, step: 2, seed: 0, pipeline: 'x', best: 3 }) });
    const parts = { model: tinyModel(), store: new FakeStore(), optimizerParams: [], optimizerSlots: [], stateNames: [] };
    await expect(loadTrainingState(path, parts)).rejects.toThrow(/invalid training metadata: epoch is not a non-negative integer; best is neither null nor an object with an epoch/);
  });

  it('refuses optimizer state for names that are not trainable parameters', async () => {
    const model = tinyModel();
    const parts = { ...partsFor(model, trainingStore(model)), optimizerParams: ['bn1.running_mean'], metadata };
    await expect(saveTrainingState(join(dir, 'x.safetensors'), parts)).rejects.toThrow(/'bn1\.running_mean' is not a trainable parameter/);
  });

  it('writes atomically: a failed save keeps the previous resume file', async () => {
    const model = tinyModel();
    const store = trainingStore(model);
    const path = join(dir, 'resume-atomic.safetensors');
    await saveTrainingState(path, { ...partsFor(model, store), metadata });
    const before = readFileSync(path);
    store.write('model/bn1.num_batches_tracked', new Float32Array([2.5]), []); // not an integer: encoding fails midway
    await expect(saveTrainingState(path, { ...partsFor(model, store), metadata })).rejects.toThrow(/not an integer/);
    expect(readFileSync(path).equals(before)).toBe(true);
    expect(readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });
});

describe('with the runtime VariableStore on the GPU', () => {
  it('saves device variables and loads them back into the device, counters included', async () => {
    const rt = await sharedTestRuntime();
    const model = tinyModel();
    const store = rt.variables;
    fillModel(store, model);
    store.write('opt/fc.bias/momentum_buffer', Float32Array.from([0.25, -0.5, 1]), [3]);
    store.write('state/p', Float32Array.from({ length: 12 }, (_, i) => i / 12), [4, 3]);
    const parts = { model, store, optimizerParams: ['fc.bias'], optimizerSlots: ['momentum_buffer'], stateNames: ['p'] };
    const path = join(dir, 'gpu-resume.safetensors');
    const metadata: TrainingMetadata = { epoch: 2, step: 80, seed: 3, pipeline: 'gpu', best: null };
    await saveTrainingState(path, { ...parts, metadata });
    const saved = new Map<string, number[]>();
    for (const name of store.names()) saved.set(name, [...(await store.read(name))]);

    for (const name of saved.keys()) store.write(name, new Float32Array(saved.get(name)!.length));
    expect([...(await store.read('model/bn1.num_batches_tracked'))]).toEqual([0]);
    expect(await loadTrainingState(path, parts)).toEqual(metadata);
    for (const [name, values] of saved) expect([...(await store.read(name))], name).toEqual(values);
    expect(store.get('state/p').shape).toEqual([4, 3]);
    expect([...(await store.read('model/bn1.num_batches_tracked'))]).toEqual([391]);
  });
});
