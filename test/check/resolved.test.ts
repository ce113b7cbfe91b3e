/** The resolved pipeline carries what the lowering needs, with the paper's settings. */
import { describe, expect, test } from 'vitest';
import { checkFile, checkSource, childrenOf, statesRead, someNode, type TypedExpr } from '../../src/check/index.js';

const strip = (e: TypedExpr): unknown => JSON.parse(JSON.stringify(e, (k, v) => (k === 'span' ? undefined : v)));

describe('resolved pipelines', () => {
  test('TRADES+TE on CIFAR-10: attack, objective, state, schedule, settings', () => {
    const { pipeline, diagnostics } = checkFile('pipelines/trades_te.mat');
    expect(diagnostics).toEqual([]);
    const p = pipeline!;
    expect(p.data).toMatchObject({ dataset: 'cifar10', inputShape: [3, 32, 32], classes: 10 });
    expect(p.data.settings.augment).toEqual([{ kind: 'crop', padding: 4 }, { kind: 'flip' }]);
    expect(p.model).toMatchObject({ binding: 'f', definition: 'resnet18', args: { classes: 10, channels: 3 }, inputShape: [3, 32, 32], outputShape: [10] });
    const [attack] = p.attacks;
    expect(attack).toMatchObject({ name: 'adv', method: 'pgd', ball: { norm: 'linf' }, steps: 10, start: { kind: 'normal', std: 0.001 }, stepRule: 'sign' });
    expect(attack!.ball.eps).toBeCloseTo(8 / 255);
    expect(attack!.step).toBeCloseTo(2 / 255);
    expect(statesRead(attack!.objective)).toEqual(['p']);
    expect(someNode(attack!.objective, (n) => n.kind === 'delta')).toBe(true);
    expect(p.objective.type).toEqual({ kind: 'scalar' });
    expect(someNode(p.objective, (n) => n.kind === 'adversarial' && n.attack === 'adv')).toBe(true);
    expect(p.states).toHaveLength(1);
    expect(p.states[0]).toMatchObject({ name: 'p', kind: 'ema', momentum: 0.9, normalize: 'sum', fromEpoch: 90, shape: [10] });
    expect(p.schedules[0]).toMatchObject({ name: 'w', perStep: false });
    expect(p.constants.beta).toBe(6);
    expect(p.settings.train).toMatchObject({ epochs: 200, batch: 128, seed: 1, optimizer: { kind: 'sgd', lr: 0.1, momentum: 0.9, weight_decay: 5e-4 } });
    expect(p.settings.train.lr).toEqual({ kind: 'piecewise', initial: 0.1, milestones: { '100': 0.01, '150': 0.001 } });
    expect(p.evaluations.map((e) => [e.name, e.attacks.map((a) => a.label)])).toEqual([
      ['default', ['natural', 'pgd']],
      ['final', ['natural', 'pgd', 'cw', 'autoattack']],
    ]);
    expect(p.evaluations[0]!.attacks[1]).toMatchObject({ settings: { kind: 'pgd', steps: 10, start: { kind: 'uniform' } }, ball: { norm: 'linf' } });
    expect((p.evaluations[0]!.attacks[1]!.settings as { step: number }).step).toBeCloseTo(2 / 255);
  });

  test('the outer TRADES objective is ce(f(x), y) + 6 * kl(softmax(f(x)), softmax(f(adv)))', () => {
    const { pipeline } = checkFile('pipelines/trades.mat');
    const o = strip(pipeline!.objective) as Record<string, unknown>;
    expect(o).toMatchObject({
      kind: 'binary',
      op: 'add',
      left: { kind: 'call', fn: 'ce', args: [{ kind: 'apply_model', model: 'f', input: { kind: 'input' } }, { kind: 'labels' }] },
      right: {
        kind: 'binary',
        op: 'mul',
        left: { kind: 'constant', value: 6 },
        right: { kind: 'call', fn: 'kl', args: [{ kind: 'call', fn: 'softmax' }, { kind: 'call', fn: 'softmax', args: [{ kind: 'apply_model', input: { kind: 'adversarial', attack: 'adv' } }] }] },
      },
    });
  });

  test('Fashion-MNIST protocol: 5000 examples, 8 epochs, milestones 4 and 6, TE from epoch 4', () => {
    const { pipeline } = checkFile('pipelines/fmnist/pgd_at_te.mat');
    const p = pipeline!;
    expect(p.data.settings).toMatchObject({ dataset: 'fashion_mnist', subset: { kind: 'first', count: 5000 }, test_subset: { kind: 'first', count: 1000 }, augment: [] });
    expect(p.settings.train).toMatchObject({ epochs: 8, batch: 128, lr: { kind: 'piecewise', initial: 0.1, milestones: { '4': 0.01, '6': 0.001 } } });
    expect(p.attacks[0]).toMatchObject({ ball: { norm: 'linf', eps: 0.1 }, step: 0.025, steps: 10, start: { kind: 'uniform' } });
    expect(p.states[0]).toMatchObject({ fromEpoch: 4, momentum: 0.9, normalize: 'sum' });
    expect(p.evaluations[0]!.attacks[1]).toMatchObject({ label: 'pgd', settings: { steps: 20, step: 0.025, start: { kind: 'uniform' } }, ball: { norm: 'linf', eps: 0.1 } });
    expect(p.model.root.children.map((c) => `${c.name}:${c.kind}:${c.outputShape!.join('x')}`)).toEqual([
      '0:conv:16x28x28', '1:relu:16x28x28', '2:maxpool:16x14x14', '3:conv:32x14x14', '4:relu:32x14x14', '5:maxpool:32x7x7', '6:flatten:1568', '7:linear:100', '8:relu:100', '9:linear:10',
    ]);
  });

  test('forward graphs of blocks: the ResNet basic block adds its shortcut', () => {
    const { pipeline } = checkFile('pipelines/standard.mat');
    const block = pipeline!.model.root.children.find((c) => c.name === 'layer2')!.children[0]!;
    expect(block).toMatchObject({ path: 'layer2.0', kind: 'block', definition: 'basic_block', inputShape: [64, 32, 32], outputShape: [128, 16, 16] });
    expect(block.forward!.steps.map((s) => s.op)).toEqual(['input', 'child', 'child', 'relu', 'child', 'child', 'child', 'add', 'relu']);
    const identityShortcut = pipeline!.model.root.children.find((c) => c.name === 'layer1')!.children[0]!.children.find((c) => c.name === 'shortcut')!;
    expect(identityShortcut).toMatchObject({ kind: 'sequential', children: [], inputShape: [64, 32, 32], outputShape: [64, 32, 32] });
  });

  test('a model defined as another reports the name used and all arguments', () => {
    const { pipeline, diagnostics } = checkSource('import "models/wrn34_10.mat"\npipeline p {\n  data cifar100\n  model f = wrn34_10(100)\n  minimize ce(f(x), y)\n}\n', 'w.mat');
    expect(diagnostics).toEqual([]);
    expect(pipeline!.model).toMatchObject({ definition: 'wrn34_10', args: { classes: 100, channels: 3 }, outputShape: [100] });
    expect(pipeline!.model.root.definition).toBe('wide_resnet');
    expect(pipeline!.model.stateDict.at(-2)).toMatchObject({ name: 'fc.weight', shape: [100, 640] });
  });

  test('schedules over epoch and step, l2 attacks default to normalized steps', () => {
    const text = `import "models/small_cnn.mat"
pipeline p {
  data mnist
  model f = small_cnn()
  schedule warm = if epoch < 3 then step / 100 else piecewise(1, {5: 0.5})
  attack a = pgd(ball: l2(0.5), step: 0.1, steps: 5, start: none) { maximize ce(f(x + delta), y) - 0.1 * mean(norm(delta)) }
  minimize warm * ce(f(a), y)
  train { lr: warm, optimizer: sgd(lr: 0.1) }
}`;
    const { pipeline, diagnostics } = checkSource(text, 'inline.mat');
    expect(diagnostics).toEqual([]);
    expect(pipeline!.schedules[0]).toMatchObject({ name: 'warm', perStep: true, value: { kind: 'conditional' } });
    expect(pipeline!.attacks[0]).toMatchObject({ ball: { norm: 'l2', eps: 0.5 }, stepRule: 'normalized', start: { kind: 'none' } });
    expect(pipeline!.settings.train.lr).toBe('warm');
    const norm = JSON.stringify(pipeline!.attacks[0]!.objective);
    expect(norm).toContain('"fn":"norm"');
  });

  test('norm options are numbers, schedules only use host functions', () => {
    const base = 'import "models/small_cnn.mat"\npipeline p {\n  data mnist\n  model f = small_cnn()\n';
    const { pipeline } = checkSource(`${base}  attack a = pgd(ball: linf(0.1), step: 0.01) { maximize mean(norm(delta, p: inf)) + mean(norm(delta, p: 1)) }\n  minimize ce(f(a), y)\n}\n`, 'n.mat');
    const options: unknown[] = [];
    const visit = (e: TypedExpr): void => { if (e.kind === 'call' && e.fn === 'norm') options.push(e.options.p); childrenOf(e).forEach(visit); };
    visit(pipeline!.attacks[0]!.objective);
    expect(options).toEqual([Infinity, 1]);
    const bad = checkSource(`${base}  schedule s = sum(epoch)\n  minimize ce(f(x), y) + cos(1)\n}\n`, 'n.mat');
    expect(bad.diagnostics.map((d) => d.message)).toEqual(['`sum` cannot be used in a schedule', '`cos` can only be used in a `schedule`']);
  });
});
