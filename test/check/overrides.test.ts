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

  test('evaluate.every addresses the only, unnamed evaluate block; with named blocks the name is required', () => {
    const result = applyOverrides(base(), ['evaluate.every=4']);
    expect(result.diagnostics).toEqual([]);
    expect(result.settings!.evaluate.default!.every).toBe(4);
    const named = PipelineSettingsSchema.parse({ data: { dataset: 'fashion_mnist' }, evaluate: { final: {}, quick: {} } });
    expect(applyOverrides(named, ['evaluate.every=4']).diagnostics[0]!.message).toBe('unknown setting `evaluate.every`');
    const typo = applyOverrides(base(), ['evaluate.default.evry=4']).diagnostics;
    expect(typo.map((d) => d.message)).toEqual(['unknown setting `evaluate.default.evry`']);
    expect(typo[0]!.hint).toBe('did you mean `every`?');
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

describe('messages for invalid values', () => {
  const base2 = () => PipelineSettingsSchema.parse({ data: { dataset: 'fashion_mnist' } });
  const message = (override: string) => {
    const [d] = applyOverrides(base2(), [override]).diagnostics;
    return [d!.message, d!.hint];
  };
  test('an unknown call kind lists the accepted ones and suggests', () => {
    expect(message('train.optimizer=sgdd(lr: 0.1)')).toEqual(['invalid value `sgdd(lr: 0.1)` for `train.optimizer`: expected `sgd` or `adam`', 'did you mean `sgd`?']);
    expect(message('data.subset=firstt(3)')).toEqual(['invalid value `firstt(3)` for `data.subset`: expected `all`, `first`, `range` or `random`', 'did you mean `first`?']);
  });
  test('an unknown argument of a call suggests the right one', () => {
    expect(message('train.optimizer=sgd(lr: 0.1, momentm: 0.9)')).toEqual(['invalid value `sgd(lr: 0.1, momentm: 0.9)` for `train.optimizer`: `sgd` has no argument `momentm`', 'did you mean `momentum`?']);
  });
  test('a missing argument is named', () => {
    expect(message('data.augment=[crop]')[0]).toBe('invalid value `[crop]` for `data.augment.0`: `crop` needs the argument `padding`');
  });
  test('an evaluate block that does not exist', () => {
    expect(message('evaluate.default.every=2')).toEqual(['unknown setting `evaluate.default`', 'the pipeline has no evaluate block of that name']);
  });
});

describe('overrides of attacks and constants', () => {
  test('attack.NAME.ARG and let.NAME rewrite the source before checking', () => {
    const { pipeline, diagnostics } = checkFile('pipelines/fmnist/trades.mat', { overrides: ['attack.adv.steps=3', 'attack.adv.ball=linf(8/255)', 'let.beta=1', 'train.epochs=2'] });
    expect(diagnostics).toEqual([]);
    expect(pipeline!.attacks[0]).toMatchObject({ steps: 3, step: 0.025 });
    expect(pipeline!.attacks[0]!.ball.eps).toBeCloseTo(8 / 255);
    expect(pipeline!.constants.beta).toBe(1);
    expect(pipeline!.settings.train.epochs).toBe(2);
  });
  test('data.dataset re-checks the model against the new input shape', () => {
    const ok = checkFile('pipelines/fmnist/pgd_at.mat', { overrides: ['data.dataset=mnist'] });
    expect(ok.diagnostics).toEqual([]);
    expect(ok.pipeline!.data.dataset).toBe('mnist');
    const bad = checkFile('pipelines/fmnist/pgd_at.mat', { overrides: ['data.dataset=cifar10'] });
    expect(bad.diagnostics.map((d) => d.message)).toEqual(['conv expects 1 input channel but receives 3 (input shape [3, 32, 32])']);
    const typo = checkFile('pipelines/fmnist/pgd_at.mat', { overrides: ['data.dataset=cifar_10'] });
    expect(typo.diagnostics.map((d) => [d.message, d.hint, d.span.file, d.span.col])).toEqual([['unknown dataset `cifar_10`', 'did you mean `cifar10`?', '<override>', 14]]);
  });

  test('errors point into the override text', () => {
    const { diagnostics } = checkFile('pipelines/fmnist/trades.mat', { overrides: ['attack.adv.stepz=3', 'attack.adb.steps=3', 'attack.adv.steps=-1'] });
    expect(diagnostics.map((d) => [d.message, d.hint, d.span.file, d.span.col])).toEqual([
      ['the pipeline has no attack `adb`', 'did you mean `adv`?', '<override>', 8],
      ['`pgd` has no argument `stepz`', 'did you mean `step`?', '<override>', 12],
    ]);
    const steps = checkFile('pipelines/fmnist/trades.mat', { overrides: ['attack.adv.steps=-1'] }).diagnostics[0]!;
    expect([steps.message, formatDiagnostic(steps, 'attack.adv.steps=-1').split('\n')[2]]).toEqual(['`steps` of `pgd` must be a positive whole number but is the number -1', '                 ^^']);
  });
});
