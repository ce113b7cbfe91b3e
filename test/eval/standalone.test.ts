/** `matc eval --arch NAME --dataset D`: the evaluation pipeline synthesized for a standard-library model. */
import { describe, expect, test } from 'vitest';
import { ArchitectureError, defaultEps, standaloneSource, standalonePipeline, standardArchitectures } from '../../src/eval/standalone.js';

describe('standalone evaluation pipelines', () => {
  test('list the standard-library models with their parameters', () => {
    const names = standardArchitectures().map((a) => a.name);
    expect(names).toEqual(expect.arrayContaining(['small_cnn', 'mlp', 'resnet18', 'preact_resnet18', 'wrn28_10', 'wrn34_10', 'wide_resnet']));
    const preact = standardArchitectures().find((a) => a.name === 'preact_resnet18')!;
    expect(preact.parameters.map((p) => p.name)).toEqual(expect.arrayContaining(['classes', 'channels', 'width']));
  });

  test('take classes and channels from the data set unless the call sets them', () => {
    expect(standaloneSource({ arch: 'wrn28_10', dataset: 'cifar100' })).toContain('model f = wrn28_10(classes: 100, channels: 3)');
    expect(standaloneSource({ arch: 'preact_resnet18(width: 8, classes: 7)', dataset: 'svhn' })).toContain('model f = preact_resnet18(width: 8, classes: 7, channels: 3)');
    expect(standaloneSource({ arch: 'small_cnn', dataset: 'fashion-mnist', classes: 4 })).toContain('small_cnn(classes: 4, channels: 1)');
  });

  test('check like a pipeline: the model gets the data set\'s input shape', () => {
    const p = standalonePipeline({ arch: 'preact_resnet18(width: 4)', dataset: 'cifar10' });
    expect(p.model.inputShape).toEqual([3, 32, 32]);
    expect(p.model.outputShape).toEqual([10]);
    expect(p.model.stateDict.find((t) => t.name === 'linear.weight')!.shape).toEqual([10, 32]);
  });

  test('unknown models and wrong arguments are user errors with the checker\'s message', () => {
    expect(() => standalonePipeline({ arch: 'resnet99', dataset: 'cifar10' })).toThrow(/no such model.*known: .*wrn28_10/s);
    expect(() => standalonePipeline({ arch: 'preact_resnet18(widht: 8)', dataset: 'cifar10' })).toThrow(ArchitectureError);
    expect(() => standalonePipeline({ arch: 'preact_resnet18(widht: 8)', dataset: 'cifar10' })).toThrow(/no argument `widht`/);
    expect(() => standalonePipeline({ arch: 'x; rm -rf /', dataset: 'cifar10' })).toThrow(/not a model name or a call/);
  });

  test('default budgets are the usual benchmark values', () => {
    expect(defaultEps('cifar10', 'linf')).toBeCloseTo(8 / 255);
    expect(defaultEps('fashion-mnist', 'linf')).toBe(0.1);
    expect(defaultEps('cifar10', 'l2')).toBe(0.5);
    expect(defaultEps('mnist', 'l2')).toBeUndefined();
  });
});
