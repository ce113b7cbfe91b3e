/**
 * The parameter names and shapes of the standard models must equal PyTorch's state_dict() of the
 * reference modules, so checkpoints load in PyTorch. The expected lists are written out here from
 * the PyTorch module definitions (kuangliu/pytorch-cifar ResNet as used by dongyp13/memorization-AT,
 * torch.nn.Sequential numbering for the small CNN), independently of the .mat files.
 */
import { describe, expect, test } from 'vitest';
import { checkFile, instantiateModel, type TensorSpec } from '../../src/check/index.js';

type Entry = [name: string, shape: number[]];

const conv = (name: string, o: number, i: number, k: number): Entry[] => [[`${name}.weight`, [o, i, k, k]]];
const convBias = (name: string, o: number, i: number, k: number): Entry[] => [...conv(name, o, i, k), [`${name}.bias`, [o]]];
const linear = (name: string, o: number, i: number): Entry[] => [[`${name}.weight`, [o, i]], [`${name}.bias`, [o]]];
const bn = (name: string, c: number): Entry[] => [
  [`${name}.weight`, [c]], [`${name}.bias`, [c]], [`${name}.running_mean`, [c]], [`${name}.running_var`, [c]], [`${name}.num_batches_tracked`, []],
];

/** ResNet-18 (BasicBlock, [2, 2, 2, 2]) as in kuangliu/pytorch-cifar's models/resnet.py. */
function expectedResNet18(classes: number): Entry[] {
  const out: Entry[] = [...conv('conv1', 64, 3, 3), ...bn('bn1', 64)];
  let inPlanes = 64;
  [64, 128, 256, 512].forEach((planes, stage) => {
    const strides = [stage === 0 ? 1 : 2, 1];
    strides.forEach((stride, b) => {
      const p = `layer${stage + 1}.${b}`;
      out.push(...conv(`${p}.conv1`, planes, inPlanes, 3), ...bn(`${p}.bn1`, planes), ...conv(`${p}.conv2`, planes, planes, 3), ...bn(`${p}.bn2`, planes));
      if (stride !== 1 || inPlanes !== planes) out.push(...conv(`${p}.shortcut.0`, planes, inPlanes, 1), ...bn(`${p}.shortcut.1`, planes));
      inPlanes = planes;
    });
  });
  out.push(...linear('linear', classes, 512));
  return out;
}

/** PreActResNet18 (PreActBlock, final bn) as in robust-overfitting code; without it, kuangliu's original. */
function expectedPreActResNet18(classes: number, finalBn = true): Entry[] {
  const out: Entry[] = [...conv('conv1', 64, 3, 3)];
  let inPlanes = 64;
  [64, 128, 256, 512].forEach((planes, stage) => {
    [stage === 0 ? 1 : 2, 1].forEach((stride, b) => {
      const p = `layer${stage + 1}.${b}`;
      out.push(...bn(`${p}.bn1`, inPlanes), ...conv(`${p}.conv1`, planes, inPlanes, 3), ...bn(`${p}.bn2`, planes), ...conv(`${p}.conv2`, planes, planes, 3));
      if (stride !== 1 || inPlanes !== planes) out.push(...conv(`${p}.shortcut.0`, planes, inPlanes, 1));
      inPlanes = planes;
    });
  });
  if (finalBn) out.push(...bn('bn', 512));
  out.push(...linear('linear', classes, 512));
  return out;
}

/** WideResNet-34-10 as in dongyp13/memorization-AT models/wideresnet.py. */
function expectedWideResNet(depth: number, widen: number, classes: number): Entry[] {
  const n = (depth - 4) / 6;
  const channels = [16, 16 * widen, 32 * widen, 64 * widen];
  const out: Entry[] = [...conv('conv1', 16, 3, 3)];
  for (let blk = 0; blk < 3; blk++) {
    for (let i = 0; i < n; i++) {
      const inPlanes = i === 0 ? channels[blk]! : channels[blk + 1]!;
      const outPlanes = channels[blk + 1]!;
      const p = `block${blk + 1}.layer.${i}`;
      out.push(...bn(`${p}.bn1`, inPlanes), ...conv(`${p}.conv1`, outPlanes, inPlanes, 3), ...bn(`${p}.bn2`, outPlanes), ...conv(`${p}.conv2`, outPlanes, outPlanes, 3));
      if (inPlanes !== outPlanes) out.push(...conv(`${p}.convShortcut`, outPlanes, inPlanes, 1));
    }
  }
  out.push(...bn('bn1', channels[3]!), ...linear('fc', classes, channels[3]!));
  return out;
}

const entries = (specs: readonly TensorSpec[]): Entry[] => specs.map((t) => [t.name, t.shape]);

describe('state_dict names and shapes', () => {
  test('small_cnn equals nn.Sequential(conv, relu, pool, conv, relu, pool, flatten, linear, relu, linear)', () => {
    const { model, diagnostics } = instantiateModel('pipelines/models/small_cnn.mat', 'small_cnn', { classes: 10 }, [1, 28, 28]);
    expect(diagnostics).toEqual([]);
    expect(entries(model!.stateDict)).toEqual([...convBias('0', 16, 1, 3), ...convBias('3', 32, 16, 3), ...linear('7', 100, 1568), ...linear('9', 10, 100)]);
    expect(model!.outputShape).toEqual([10]);
    const pool2 = model!.root.children[5]!;
    expect([pool2.name, pool2.kind, pool2.outputShape]).toEqual(['5', 'maxpool', [32, 7, 7]]);
  });

  test('resnet18 equals the PyTorch ResNet18: 62 parameter tensors plus BN buffers', () => {
    const { model, diagnostics } = instantiateModel('pipelines/models/resnet18.mat', 'resnet18', { classes: 10 }, [3, 32, 32]);
    expect(diagnostics).toEqual([]);
    const expected = expectedResNet18(10);
    expect(entries(model!.stateDict)).toEqual(expected);
    expect(model!.stateDict.filter((t) => t.trainable)).toHaveLength(62);
    expect(model!.stateDict).toHaveLength(62 + 3 * 20);
    expect(model!.stateDict[0]).toMatchObject({ name: 'conv1.weight', shape: [64, 3, 3, 3], init: { kind: 'kaiming_uniform', fanIn: 27 } });
    expect(model!.stateDict.at(-2)).toMatchObject({ name: 'linear.weight', shape: [10, 512] });
    expect(model!.stateDict.find((t) => t.name === 'bn1.num_batches_tracked')).toMatchObject({ dtype: 'int64', trainable: false, shape: [] });
    expect(model!.outputShape).toEqual([10]);
  });

  test('preact_resnet18 equals the PyTorch PreActResNet18', () => {
    const { model, diagnostics } = instantiateModel('pipelines/models/preact_resnet18.mat', 'preact_resnet18', { classes: 10 }, [3, 32, 32]);
    expect(diagnostics).toEqual([]);
    expect(entries(model!.stateDict)).toEqual(expectedPreActResNet18(10));
    const original = instantiateModel('pipelines/models/preact_resnet18.mat', 'preact_resnet18', { classes: 100, final_bn: false }, [3, 32, 32]);
    expect(entries(original.model!.stateDict)).toEqual(expectedPreActResNet18(100, false));
    expect(original.model!.outputShape).toEqual([100]);
  });

  test('wrn34_10 equals the PyTorch WideResNet(34, 10) with its init', () => {
    const { model, diagnostics } = instantiateModel('pipelines/models/wrn34_10.mat', 'wrn34_10', { classes: 10 }, [3, 32, 32]);
    expect(diagnostics).toEqual([]);
    expect(entries(model!.stateDict)).toEqual(expectedWideResNet(34, 10, 10));
    expect(model!.stateDict[0]!.init).toEqual({ kind: 'kaiming_normal_fan_out', fanOut: 16 * 9 });
    expect(model!.stateDict.at(-1)).toMatchObject({ name: 'fc.bias', init: { kind: 'zeros' } });
    expect(model!.outputShape).toEqual([10]);
  });

  test('mlp is numbered like nn.Sequential', () => {
    const { model } = instantiateModel('pipelines/models/mlp.mat', 'mlp', {}, [1, 28, 28]);
    expect(entries(model!.stateDict)).toEqual([...linear('1', 256, 784), ...linear('3', 256, 256), ...linear('5', 10, 256)]);
  });

  test('the pipeline model carries the same state_dict', () => {
    const { pipeline } = checkFile('pipelines/pgd_at.mat');
    expect(entries(pipeline!.model.stateDict)).toEqual(expectedResNet18(10));
    expect(pipeline!.model.root.children.map((c) => c.name)).toEqual(['conv1', 'bn1', 'layer1', 'layer2', 'layer3', 'layer4', 'linear']);
  });
});
