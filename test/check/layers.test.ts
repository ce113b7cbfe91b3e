/** The built-in layers added for pretrained models: normalize (list arguments), dropout, silu. */
import { describe, expect, test } from 'vitest';
import { checkSource, instantiateModel } from '../../src/check/index.js';
import { layerKinds } from '../../src/layers/index.js';

const inMemory = (text: string, model: string, input?: number[]) => instantiateModel('m.mat', model, {}, input, { files: { 'm.mat': text } });
const messages = (text: string, input = [3, 4, 4]): string[] => inMemory(text, 'm', input).diagnostics.map((d) => d.message);

const pipeline = (model: string): string => `${model}
pipeline p {
  data mnist
  model f = m
  minimize ce(f(x), y)
}
`;

describe('normalize', () => {
  test('takes number lists, has no tensors and keeps the shape', () => {
    const { model, diagnostics } = inMemory('let mu = [0.4914, 0.4822, 0.4465]\nmodel m = sequential { normalize(mean: mu, std: [0.2471, 0.2435, 0.2616]) flatten linear(48, 2) }\n', 'm', [3, 4, 4]);
    expect(diagnostics).toEqual([]);
    const norm = model!.root.children[0]!;
    expect([norm.kind, norm.hyper, norm.tensors, norm.outputShape]).toEqual(['normalize', { mean: [0.4914, 0.4822, 0.4465], std: [0.2471, 0.2435, 0.2616] }, [], [3, 4, 4]]);
    expect(model!.stateDict.map((t) => t.name)).toEqual(['2.weight', '2.bias']);
  });

  test('is also a function in forward', () => {
    const { model, diagnostics } = inMemory('model m {\n  fc = linear(2, 2)\n  forward(x) = fc(normalize(x, mean: [1, 2], std: [2, 4]))\n}\n', 'm', [2]);
    expect(diagnostics).toEqual([]);
    expect(model!.root.forward!.steps[1]).toMatchObject({ op: 'normalize', hyper: { mean: [1, 2], std: [2, 4] }, shape: [2] });
  });

  test('errors: channel count, lengths, non-lists and non-numbers in lists', () => {
    expect(messages('model m = sequential { normalize(mean: [0.5, 0.5], std: [1, 1]) }\n')).toEqual(['normalize has 2 channel statistics but its input has 3 channels (input shape [3, 4, 4])']);
    expect(messages('model m = sequential { normalize(mean: [0, 0, 0], std: [1, 1]) }\n')).toEqual(['normalize has 3 means but 2 standard deviations']);
    expect(messages('model m = sequential { normalize(mean: 0.5, std: [1, 1, 1]) }\n')).toEqual(['argument `mean` of `normalize` must be a non-empty list of numbers, e.g. `[0.5, 0.5, 0.5]`, but is the number 0.5']);
    expect(messages('model m = sequential { normalize(mean: [0, true, 0], std: [1, 1, 1]) }\n')).toEqual(['expected a number but found `true`']);
    expect(messages('model m = sequential { normalize(mean: [0, 0, 0], std: [1, 0, 1]) }\n')).toEqual(['normalize needs positive standard deviations but has [1, 0, 1]']);
  });

  test('list constants compare element by element', () => {
    const text = 'block opt(mean = []) = if mean == [] then identity else normalize(mean: mean, std: [1, 1, 1])\nmodel m = opt\nmodel n = opt(mean: [0, 0, 0])\n';
    expect(inMemory(text, 'm', [3, 2, 2]).model!.root.kind).toBe('identity');
    expect(inMemory(text, 'n', [3, 2, 2]).model!.root.kind).toBe('normalize');
  });
});

describe('dropout', () => {
  test('is a tensor-free layer that keeps the shape', () => {
    const { model, diagnostics } = inMemory('model m = sequential { flatten dropout(0.3) linear(48, 2) }\n', 'm', [3, 4, 4]);
    expect(diagnostics).toEqual([]);
    expect(model!.root.children.map((c) => [c.kind, c.outputShape])).toEqual([['flatten', [48]], ['dropout', [48]], ['linear', [2]]]);
    expect(model!.root.children[1]!.hyper).toEqual({ p: 0.3 });
  });

  test('p outside [0, 1) is a shape-rule error', () => {
    expect(messages('model m = sequential { dropout(1) }\n')).toEqual(['dropout needs a probability p in [0, 1) but has 1']);
  });

  test('a pipeline refuses to train dropout with p > 0, where the layer (or the forward call) is written', () => {
    const layer = checkSource(pipeline('model m = sequential { flatten dropout(p: 0.5) linear(784, 10) }'), 'm.mat').diagnostics;
    expect(layer.map((d) => [d.code, d.message, d.span.line, d.span.col])).toEqual([
      ['not-trainable', 'dropout(p: 0.5) cannot be trained yet: matc implements dropout in evaluation only (where it is the identity)', 1, 32],
    ]);
    expect(layer[0]!.hint).toContain('use `p: 0`');
    const call = checkSource(pipeline('model m {\n  fc = linear(784, 10)\n  forward(x) = fc(dropout(flatten(x), p: 0.1))\n}'), 'm.mat').diagnostics;
    expect(call.map((d) => [d.code, d.span.line])).toEqual([['not-trainable', 3]]);
    expect(checkSource(pipeline('model m = sequential { flatten dropout(p: 0) linear(784, 10) }'), 'm.mat').diagnostics).toEqual([]);
  });
});

describe('silu', () => {
  test('is usable wherever relu is: a layer and a forward function', () => {
    const { model, diagnostics } = inMemory('model m {\n  fc = linear(4, 4)\n  act = silu\n  forward(x) = act(silu(fc(x))) + relu(x)\n}\n', 'm', [4]);
    expect(diagnostics).toEqual([]);
    expect(model!.root.forward!.steps.map((s) => (s.op === 'child' ? s.child : s.op))).toEqual(['input', 'fc', 'silu', 'act', 'relu', 'add']);
    expect(model!.root.children.map((c) => c.kind)).toEqual(['linear', 'silu']);
  });

  test('every functional kind is tensor-free (a function owns no state_dict entry)', () => {
    for (const spec of Object.values(layerKinds).filter((k) => k.functional)) {
      expect(spec.tensors(spec.hyper(Object.fromEntries(spec.arguments.map((a) => [a.name, a.type === 'numbers' ? [1] : 1]))), {}, ''), spec.kind).toEqual([]);
    }
  });
});
