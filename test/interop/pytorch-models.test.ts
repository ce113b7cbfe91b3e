/**
 * PyTorch checkpoints end to end: files saved by torch.save (test/fixtures/interop, made by
 * scripts/make-interop-fixtures.py) load into matc's standard-library models and give PyTorch's
 * logits and PyTorch's natural accuracy.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, afterAll } from 'vitest';
import { evaluate, loadDataset, loadModel, predict, type LoadedModel } from '../../src/index.js';
import { sharedTestRuntime } from '../helpers/gpu.js';

const FIXTURES = join(process.cwd(), 'test', 'fixtures', 'interop');
const fixture = <T>(name: string): T => JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')) as T;

/** The fixture script's inputs: pixel i is ((i * 2654435761) mod 2^32) / 2^32, exact in both languages. */
function lcgImages(n: number, size: number): Float32Array {
  const out = new Float32Array(n * size);
  for (let i = 0; i < out.length; i++) out[i] = Number((BigInt(i) * 2654435761n) % 4294967296n) / 4294967296;
  return out;
}

const loaded: LoadedModel[] = [];
afterAll(() => loaded.forEach((m) => m.dispose()));

async function load(file: string, arch: string, dataset: 'cifar10' | 'fashion-mnist'): Promise<LoadedModel> {
  const m = await loadModel(join(FIXTURES, file), { arch, dataset, runtime: await sharedTestRuntime() });
  loaded.push(m);
  return m;
}

describe('PyTorch checkpoints', () => {
  it.each([
    ['preact_resnet18_w4.pt', 'preact_resnet18_w4.json'],
    ['wrn10_1.pt', 'wrn10_1.json'],
  ])('%s gives the logits PyTorch gave', { timeout: 900_000 }, async (file, expectations) => {
    const want = fixture<{ arch: string; images: number; logits: number[]; scale: number }>(expectations);
    const model = await load(file, want.arch, 'cifar10');
    const logits = await predict(model, lcgImages(want.images, 3 * 32 * 32));
    expect(logits.length).toBe(want.logits.length);
    const worst = want.logits.reduce((m, v, i) => Math.max(m, Math.abs(v - logits[i]!)), 0);
    expect(worst / want.scale).toBeLessThanOrEqual(1e-4);
  });

  it('a trained Fashion-MNIST model has exactly PyTorch\'s natural accuracy and predictions', { timeout: 900_000 }, async () => {
    const want = fixture<{ arch: string; n: number; correct: number; predictions: number[] }>('fmnist_small_cnn.json');
    const model = await load('fmnist_small_cnn.pt', want.arch, 'fashion-mnist');
    const data = loadDataset('fashion-mnist', { n: want.n });
    // One batch size for both calls, small enough that every conv takes the block that compiles in
    // half a second (codegen/wgsl/conv-direct.ts): this test is about the weights, not the kernels.
    const logits = await predict(model, data.images, { batch: 8 });
    const predictions = Array.from({ length: data.n }, (_, i) => {
      const row = logits.subarray(i * 10, i * 10 + 10);
      return row.indexOf(Math.max(...row));
    });
    expect(predictions).toEqual(want.predictions);
    const record = await evaluate(model, data, { attacks: 'natural', batch: 8 });
    expect(record.attacks['Natural']!.accuracy).toBe(want.correct / want.n);
  });
});
