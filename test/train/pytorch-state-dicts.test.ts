/**
 * matc's standard architectures have exactly the state_dict of the PyTorch modules whose
 * checkpoints they load: names, order, shapes, dtypes, parameters vs buffers. The expected listings
 * in test/fixtures/state-dicts were printed by PyTorch itself (scripts/pytorch-state-dicts.py).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { instantiateModel, type ResolvedModel } from '../../src/check/index.js';
import { stateDictListing, type StateDictEntry } from '../../src/io/checkpoint.js';

const dir = 'test/fixtures/state-dicts';

interface Fixture {
  model: string;
  args: Record<string, number | boolean>;
  state_dict: StateDictEntry[];
}

const fixtures = readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => [f.replace(/\.json$/, ''), JSON.parse(readFileSync(join(dir, f), 'utf8')) as Fixture] as const);

describe('state_dicts equal PyTorch', () => {
  test('every standard CIFAR architecture has a fixture', () => {
    expect(new Set(fixtures.map(([, f]) => f.model))).toEqual(new Set(['resnet18', 'preact_resnet18', 'wrn28_10', 'wrn34_10']));
  });

  test.each(fixtures)('%s', (_name, fixture) => {
    const { model, diagnostics } = instantiateModel(`pipelines/models/${fixture.model}.mat`, fixture.model, fixture.args, [3, 32, 32]);
    expect(diagnostics).toEqual([]);
    expect(stateDictListing(model as ResolvedModel)).toEqual(fixture.state_dict);
  });

  test('normalisation adds no state_dict entries and checks its channel count', () => {
    const mean = [0.4914, 0.4822, 0.4465];
    const std = [0.2471, 0.2435, 0.2616];
    const plain = instantiateModel('pipelines/models/wrn28_10.mat', 'wrn28_10', {}, [3, 32, 32]).model!;
    const normalized = instantiateModel('pipelines/models/wrn28_10.mat', 'wrn28_10', { mean, std }, [3, 32, 32]);
    expect(normalized.diagnostics).toEqual([]);
    expect(stateDictListing(normalized.model as ResolvedModel)).toEqual(stateDictListing(plain as ResolvedModel));
    expect(normalized.model!.root.children[0]).toMatchObject({ name: 'norm', kind: 'normalize', hyper: { mean, std } });
    const grey = instantiateModel('pipelines/models/resnet18.mat', 'resnet18', { mean: [0.5], std: [0.5] }, [3, 32, 32]);
    expect(grey.diagnostics.map((d) => d.message)).toEqual(['normalize has 1 channel statistics but its input has 3 channels (input shape [3, 32, 32])']);
  });
});
