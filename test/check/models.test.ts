/** The model language: blocks, forward graphs, conditionals, repetition and their errors. */
import { describe, expect, test } from 'vitest';
import { checkSource, instantiateModel } from '../../src/check/index.js';

const inMemory = (text: string, model: string, args: Record<string, number> = {}, input?: number[]) => instantiateModel('m.mat', model, args, input, { files: { 'm.mat': text } });
const messages = (text: string): string[] => checkSource(text, 'm.mat').diagnostics.map((d) => d.message);

describe('model language', () => {
  test('repeat numbers entries on, and a block called with positional and named arguments', () => {
    const text = 'block unit(c, scale = 2) = sequential { conv(c, c * scale, kernel: 1) relu }\nmodel net(n = 3) = sequential { repeat n { unit(4, scale: 1) } flatten }\n';
    const { model, diagnostics } = inMemory(text, 'net', { n: 2 }, [4, 5, 5]);
    expect(diagnostics).toEqual([]);
    expect(model!.stateDict.map((t) => t.name)).toEqual(['0.0.weight', '0.0.bias', '1.0.weight', '1.0.bias']);
    expect(model!.root.children.map((c) => c.name)).toEqual(['0', '1', '2']);
    expect(model!.outputShape).toEqual([100]);
  });

  test('forward with lets, scale factors and a constant condition', () => {
    const text = 'block mix(c, skip = true) {\n  a = conv(c, c, kernel: 3, padding: 1)\n  forward(x) {\n    let h = relu(a(x)) * 0.5\n    return if skip then h + x else h\n  }\n}\nmodel m = mix(2)\n';
    const { model } = inMemory(text, 'm', {}, [2, 4, 4]);
    expect(model!.root.forward!.steps.map((s) => s.op)).toEqual(['input', 'child', 'relu', 'scale', 'add']);
    expect(model!.root.forward!.steps[3]).toMatchObject({ op: 'scale', factor: 0.5, shape: [2, 4, 4] });
  });

  test('blocks without forward apply their children in order', () => {
    const { model } = inMemory('model m {\n  fc1 = linear(4, 3)\n  act = relu\n  fc2 = linear(3, 2)\n}\n', 'm', {}, [4]);
    expect(model!.root.forward!.steps.map((s) => (s.op === 'child' ? s.child : s.op))).toEqual(['input', 'fc1', 'act', 'fc2']);
    expect(model!.outputShape).toEqual([2]);
  });

  test('errors: recursion, bad repeat count, none in sequential, unknown layer in forward', () => {
    expect(messages('block loop(n) = sequential { loop(n) }\nmodel m = loop(1)\n')).toEqual(['`loop` contains itself (loop -> loop)']);
    expect(messages('model m = sequential { repeat 1.5 { relu } }\n')).toEqual(['`repeat` needs a whole number of times but receives the number 1.5']);
    expect(messages('model m = sequential { none }\n')).toEqual(['`none` cannot be an entry of `sequential`; leave it out']);
    const { diagnostics } = checkSource('model m {\n  fc = linear(4, 2)\n  forward(x) = fc(conv(x))\n}\n', 'm.mat');
    expect(diagnostics.map((d) => [d.message, d.hint])).toEqual([['unknown layer or function `conv` in `forward`', 'declare it first, e.g. `conv1 = conv(...)`, then apply `conv1(x)`']]);
  });

  test('conditions in models must be constants', () => {
    expect(messages('block b(c) { a = if c then relu else identity }\nmodel m = b(3)\n')).toEqual(['expected a condition (true or false) but found the number 3']);
  });

  test('an unknown init scheme is suggested', () => {
    const { diagnostics } = checkSource('model m = sequential { linear(2, 2, weight_init: kaiming_normal_fanout) }\n', 'm.mat');
    expect(diagnostics[0]!.hint).toBe('did you mean `kaiming_normal_fan_out`?');
  });
});
