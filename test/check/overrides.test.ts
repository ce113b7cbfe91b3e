import { describe, expect, test } from 'vitest';
import { applyOverrides, checkFile, formatDiagnostic, PipelineSettingsSchema } from '../../src/check/index.js';

const base = () => PipelineSettingsSchema.parse({ data: { dataset: 'fashion_mnist' }, train: { epochs: 8 }, evaluate: { default: {} } });

describe('applyOverrides', () => {
  test('train.epochs=5 changes epochs and keeps the rest', () => {
    const result = applyOverrides(base(), ['train.epochs=5']);
    expect(result.diagnostics).toEqual([]);
    expect(result.settings!.train.epochs).toBe(5);
    expect(result.settings!.train.batch).toBe(128);
  });

  test('values use the language syntax: calls, lists, arithmetic, booleans, words', () => {
    const result = applyOverrides(base(), [
      'data.subset=first(100)',
      'data.augment=[crop(4), flip]',
      'data.label_noise=1/5',
      'train.optimizer=adam(lr: 0.001)',
      'evaluate.default.at_end=true',
      'evaluate.default.select=natural',
      'data.path=/tmp/some data/fmnist',
    ]);
    expect(result.diagnostics).toEqual([]);
    const s = result.settings!;
    expect(s.data.subset).toEqual({ kind: 'first', count: 100 });
    expect(s.data.augment).toEqual([{ kind: 'crop', padding: 4 }, { kind: 'flip' }]);
    expect(s.data.label_noise).toBeCloseTo(0.2);
    expect(s.train.optimizer).toEqual({ kind: 'adam', lr: 0.001, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0 });
    expect(s.evaluate.default!.at_end).toBe(true);
    expect(s.data.path).toBe('/tmp/some data/fmnist');
  });

  test('nested keys of a call-valued setting', () => {
    const start = applyOverrides(base(), ['train.optimizer=sgd(lr: 0.1, momentum: 0.9)']).settings!;
    const result = applyOverrides(start, ['train.optimizer.lr=0.05']);
    expect(result.settings!.train.optimizer).toMatchObject({ kind: 'sgd', lr: 0.05, momentum: 0.9 });
  });

  test('train.epochs=abc is a clear error', () => {
    const result = applyOverrides(base(), ['train.epochs=abc']);
    expect(result.settings).toBeUndefined();
    const [d] = result.diagnostics;
    expect(d).toMatchObject({ code: 'invalid-setting', message: 'invalid value `abc` for `train.epochs`: expected a whole number', span: { file: '<override>', col: 14 } });
    expect(formatDiagnostic(d!, 'train.epochs=abc')).toBe('<override>:1:14: error: invalid value `abc` for `train.epochs`: expected a whole number\ntrain.epochs=abc\n             ^^^');
  });

  test('an unknown key is reported with a suggestion', () => {
    const result = applyOverrides(base(), ['train.epoch=5']);
    expect(result.diagnostics).toHaveLength(1);
    expect(result.diagnostics[0]).toMatchObject({ code: 'unknown-setting', message: 'unknown setting `train.epoch`', hint: 'did you mean `epochs`?', span: { col: 7, endCol: 12 } });
    expect(applyOverrides(base(), ['trian.epochs=5']).diagnostics[0]).toMatchObject({ message: 'unknown setting `trian`', hint: 'did you mean `train`?' });
    expect(applyOverrides(base(), ['epochs']).diagnostics[0]).toMatchObject({ code: 'invalid-override', hint: 'e.g. `train.epochs=5`' });
  });

  test('out-of-range values name the constraint', () => {
    const [d] = applyOverrides(base(), ['data.label_noise=2']).diagnostics;
    expect(d!.message).toMatch(/^invalid value `2` for `data.label_noise`: Too big/);
  });
});

describe('checkFile with overrides', () => {
  test('round trip through a pipeline file', () => {
    const { pipeline, diagnostics } = checkFile('pipelines/fmnist/pgd_at.mat', { overrides: ['train.epochs=5', 'data.subset=first(500)'] });
    expect(diagnostics).toEqual([]);
    expect(pipeline!.settings.train.epochs).toBe(5);
    expect(pipeline!.data.settings.subset).toEqual({ kind: 'first', count: 500 });
  });

  test('bad overrides become diagnostics of the check', () => {
    const { pipeline, diagnostics } = checkFile('pipelines/fmnist/pgd_at.mat', { overrides: ['train.epochs=abc'] });
    expect(pipeline).toBeUndefined();
    expect(diagnostics.map((d) => d.code)).toEqual(['invalid-setting']);
  });
});
