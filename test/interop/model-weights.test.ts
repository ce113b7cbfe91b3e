/** `model f = ... { weights: "file.pt" }`: a pipeline can name the checkpoint its model starts from. */
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { checkSource, formatDiagnostics } from '../../src/check/index.js';

const file = join(process.cwd(), 'pipelines', 'experiments', 'weights_demo.mat');
const source = (block: string) => `import "../models/small_cnn.mat"
pipeline weights_demo {
  data fashion_mnist { test_subset: first(100) }
  model f = small_cnn(hidden: 16) ${block}
  minimize ce(f(x), y)
}`;

describe('model weights', () => {
  test('resolve relative to the .mat file', () => {
    const r = checkSource(source('{ weights: "../../test/fixtures/interop/fmnist_small_cnn.pt" }'), file);
    expect(formatDiagnostics(r.diagnostics, r.sources)).toBe('');
    expect(r.pipeline!.model.weights).toBe(join(process.cwd(), 'test', 'fixtures', 'interop', 'fmnist_small_cnn.pt'));
  });

  test('are absent without the block', () => {
    expect(checkSource(source(''), file).pipeline!.model.weights).toBeUndefined();
  });

  test('an unknown setting or a non-string is a located error', () => {
    const unknown = checkSource(source('{ weigths: "a.pt" }'), file);
    expect(formatDiagnostics(unknown.diagnostics, unknown.sources)).toMatch(/weights_demo\.mat:4:\d+: error: a model has no setting `weigths`/);
    const number = checkSource(source('{ weights: 3 }'), file);
    expect(formatDiagnostics(number.diagnostics, number.sources)).toMatch(/weights_demo\.mat:4:\d+: error: `weights` must be a file name in quotes/);
  });
});
