/**
 * PyTorch-style load errors: missing and unexpected keys and size mismatches, compactly, and which
 * standard architecture a file's keys look like (ranked against the stdlib listings, with classes
 * read from the file's classifier).
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { instantiateModel, type ResolvedModel } from '../../src/check/index.js';
import { CheckpointError, loadModel } from '../../src/io/checkpoint.js';
import { writeSafetensors } from '../../src/io/safetensors.js';
import { compareStateDict, formatStateDictMismatch, rankArchitectures, suggestArchitecture } from '../../src/io/state-dict-match.js';

const fixtureKeys = (name: string): Map<string, number[]> =>
  new Map((JSON.parse(readFileSync(`test/fixtures/state-dicts/${name}.json`, 'utf8')).state_dict as { name: string; shape: number[] }[]).map((e) => [e.name, e.shape]));

const model = (file: string, name: string, args: Record<string, number | boolean> = {}): ResolvedModel =>
  instantiateModel(`pipelines/models/${file}.mat`, name, args).model as ResolvedModel;

const expectedOf = (m: ResolvedModel) => m.stateDict.map((t) => ({ file: t.name, shape: t.shape, owner: 'the model' }));

describe('rankArchitectures', () => {
  it('recognises each PyTorch listing as its architecture, with the arguments that give its keys', () => {
    const cases: [string, string][] = [
      ['resnet18', 'resnet18'],
      ['preact_resnet18', 'preact_resnet18(final_bn: true)'],
      ['preact_resnet18-robustbench', 'preact_resnet18(final_bn: false)'],
      ['wrn28_10', 'wrn28_10'],
      ['wrn28_10-sub_block1-no_bias_last', 'wrn28_10(sub_block1: true, bias_last: false)'],
      ['wrn34_10', 'wrn34_10'],
      ['wrn34_10-trades', 'wrn34_10(sub_block1: true)'],
      ['wrn34_10-cifar100', 'wrn34_10(classes: 100)'],
    ];
    for (const [fixture, call] of cases) {
      const [best, second] = rankArchitectures(fixtureKeys(fixture));
      expect([fixture, best!.call, best!.score]).toEqual([fixture, call, 1]);
      expect(second!.score, fixture).toBeLessThan(1);
    }
  });

  it('scores a partial match by the share of keys with equal names and shapes', () => {
    const keys = fixtureKeys('wrn28_10');
    keys.delete('fc.bias');
    keys.set('fc.weight', [10, 999]);
    const best = rankArchitectures(keys)[0]!;
    expect([best.call, best.matched, best.total]).toEqual(['wrn28_10(bias_last: false)', 153, 154]);
    expect(suggestArchitecture(keys)).toBe('these keys look like wrn28_10(bias_last: false) (99% of keys match)');
  });

  it('suggests nothing for keys unlike every architecture', () => {
    expect(suggestArchitecture(new Map([['encoder.weight', [3, 3]]]))).toBeUndefined();
  });
});

describe('compareStateDict and its report', () => {
  it('lists missing and unexpected keys with shapes, first five then a count, and size mismatches', () => {
    const wrn = fixtureKeys('wrn34_10');
    const m = compareStateDict(expectedOf(model('wrn28_10', 'wrn28_10')), wrn);
    // WRN-28 has 4 blocks per stage, WRN-34 has 5: block*.layer.4.* are unexpected, nothing is missing.
    expect([m.missing.length, m.unexpected.length, m.sizeMismatches.length]).toEqual([0, 36, 0]);
    const [line] = formatStateDictMismatch(m);
    expect(line).toBe('unexpected keys (36): block1.layer.4.bn1.weight [160], block1.layer.4.bn1.bias [160], block1.layer.4.bn1.running_mean [160], block1.layer.4.bn1.running_var [160], block1.layer.4.bn1.num_batches_tracked [], ... and 31 more');

    const c100 = compareStateDict(expectedOf(model('resnet18', 'resnet18')), fixtureKeys('resnet18').set('linear.weight', [100, 512]));
    expect(formatStateDictMismatch(c100)).toEqual(['size mismatches (1): linear.weight: [100, 512] in the file, the model expects [10, 512]']);
  });
});

describe('loadModel errors', () => {
  it('report the keys and the architecture the file looks like', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'matc-match-'));
    const cnn = model('small_cnn', 'small_cnn', { classes: 10 });
    const path = join(dir, 'cnn.safetensors');
    await writeSafetensors(path, cnn.stateDict.map((t) => ({ name: t.name, dtype: 'F32' as const, shape: t.shape, data: new Float32Array(t.shape.reduce((a, b) => a * b, 1)) })));
    const mlp = model('mlp', 'mlp');
    const error = await loadModel(path, mlp, { read: async () => new Float32Array(), write: () => {}, has: () => false }).catch((e: unknown) => e as Error);
    expect(error).toBeInstanceOf(CheckpointError);
    expect((error as Error).message.split('\n')).toEqual([
      `${path}: the file's tensors do not match:`,
      '  missing keys (4): 1.weight [256, 784], 1.bias [256], 5.weight [10, 256], 5.bias [10]',
      // In the file's order (safetensors stores names sorted).
      '  unexpected keys (6): 0.bias [16], 0.weight [16, 1, 3, 3], 7.bias [100], 7.weight [100, 1568], 9.bias [10], ... and 1 more',
      '  size mismatches (2): 3.weight: [32, 16, 3, 3] in the file, the model expects [256, 256], 3.bias: [32] in the file, the model expects [256]',
      '  these keys look like small_cnn (100% of keys match)',
    ]);
  });
});
