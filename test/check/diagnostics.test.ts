/**
 * Exact diagnostics (message, position, hint, formatted excerpt) for the classic mistakes.
 */
import { describe, expect, test } from 'vitest';
import { checkSource, formatDiagnostic, type Diagnostic } from '../../src/check/index.js';

const head = 'import "models/small_cnn.mat"\npipeline p {\n  data fashion_mnist\n  model f = small_cnn()\n';

function diagnose(text: string, fileName = 'test.mat', files?: Record<string, string>): { diagnostics: Diagnostic[]; formatted: string[] } {
  const result = checkSource(text, fileName, files ? { files } : {});
  return { diagnostics: result.diagnostics, formatted: result.diagnostics.map((d) => formatDiagnostic(d, result.sources.get(d.span.file))) };
}

function only(text: string, fileName?: string, files?: Record<string, string>): { d: Diagnostic; formatted: string } {
  const { diagnostics, formatted } = diagnose(text, fileName, files);
  expect(formatted).toHaveLength(1);
  return { d: diagnostics[0]!, formatted: formatted[0]! };
}

describe('syntax errors', () => {
  test('a character the lexer does not know', () => {
    const { d, formatted } = only('pipeline p { data cifar10 $ }');
    expect(d).toMatchObject({ severity: 'error', code: 'syntax-error', message: 'unexpected character `$`', span: { line: 1, col: 27 } });
    expect(formatted).toBe('test.mat:1:27: error: unexpected character `$`\npipeline p { data cifar10 $ }\n                          ^');
  });

  test('a missing closing brace points at the end of the file', () => {
    const { d, formatted } = only(`${head}  minimize ce(f(x), y)\n`);
    expect(d.message).toBe("expected '}' but found end of file");
    expect([d.span.line, d.span.col]).toEqual([5, 23]);
    expect(formatted).toBe("test.mat:5:23: error: expected '}' but found end of file\n  minimize ce(f(x), y)\n                      ^");
  });

  test('error recovery reports several syntax errors at once', () => {
    const { diagnostics } = diagnose('pipeline p {\n  train { epochs: 3 batch 4 }\n  minimize ce(f(x) y)\n}\n');
    expect(diagnostics.length).toBeGreaterThanOrEqual(2);
    expect(diagnostics.map((d) => d.span.line)).toEqual(expect.arrayContaining([2, 3]));
  });
});

describe('name and type errors', () => {
  test('unknown function with a suggestion', () => {
    const { d, formatted } = only(`${head}  minimize cee(f(x), y)\n}\n`);
    expect(d).toMatchObject({ code: 'unknown-function', message: 'unknown function `cee`', hint: 'did you mean `ce`?', span: { line: 5, col: 12, endCol: 15 } });
    expect(formatted).toBe('test.mat:5:12: error: unknown function `cee`\n  minimize cee(f(x), y)\n           ^^^\nhint: did you mean `ce`?');
  });

  test('unknown model with a suggestion', () => {
    const { d } = only('import "models/resnet18.mat"\npipeline p {\n  data cifar10\n  model f = resnet19(classes: 10)\n  minimize ce(f(x), y)\n}\n');
    expect(d).toMatchObject({ code: 'unknown-layer', message: 'unknown layer `resnet19`', hint: 'did you mean `resnet18`?', span: { line: 4, col: 13 } });
  });

  test('unknown attack name in the outer objective suggests the declared one', () => {
    const text = `${head}  attack trades = pgd(ball: linf(0.1), step: 0.01) { maximize ce(f(x + delta), y) }\n  minimize ce(f(trade), y)\n}\n`;
    const { d } = only(text);
    expect(d).toMatchObject({ message: 'unknown name `trade`', hint: 'did you mean `trades`?', span: { line: 6, col: 17 } });
  });

  test('wrong argument type', () => {
    const { d } = only(`${head}  minimize ce(y, f(x))\n}\n`);
    expect(d.code).toBe('type-mismatch');
    expect(d.message).toBe('the first argument of `ce` must be a per-example vector such as logits or probabilities (shape [B, classes]) but is the labels (class indices, 10 classes)');
    expect([d.span.line, d.span.col]).toEqual([5, 12]);
  });

  test('wrong argument type of a layer', () => {
    const { d } = only('model m = sequential { conv(1, 16, kernel: 2.5) }\n');
    expect(d).toMatchObject({ code: 'type-mismatch', message: 'argument `kernel` of `conv` must be a whole number but is the number 2.5', span: { line: 1, col: 44 } });
  });

  test('wrong argument count and unknown argument name', () => {
    const { diagnostics } = diagnose('model m = sequential { linear(1, 2, true, kaiming_uniform, zeros, 7) conv(1, 2, kernal: 3) }\n');
    expect(diagnostics.map((d) => [d.code, d.message, d.hint])).toEqual([
      ['argument-count', '`linear` takes at most 5 arguments but receives 6', undefined],
      ['unknown-argument', '`conv` has no argument `kernal`', 'did you mean `kernel`?'],
      ['missing-argument', '`conv` needs the argument `kernel`', undefined],
    ]);
  });

  test('duplicate definition', () => {
    const { d, formatted } = only(`${head}  schedule w = 1\n  schedule w = 2\n  minimize ce(f(x), y)\n}\n`);
    expect(d).toMatchObject({ code: 'duplicate-definition', message: '`w` is already defined', hint: 'the first definition is at line 5', span: { line: 6, col: 12 } });
    expect(formatted).toBe('test.mat:6:12: error: `w` is already defined\n  schedule w = 2\n           ^\nhint: the first definition is at line 5');
  });

  test('unknown settings key in a block', () => {
    const { d } = only(`${head}  minimize ce(f(x), y)\n  train { epoch: 3 }\n}\n`);
    expect(d).toMatchObject({ code: 'unknown-setting', message: 'unknown setting `epoch` in `train`', hint: 'did you mean `epochs`?', span: { line: 6, col: 11, endCol: 16 } });
  });

  test('invalid settings value', () => {
    const { d } = only(`${head}  minimize ce(f(x), y)\n  train { epochs: 2.5 }\n}\n`);
    expect(d.code).toBe('invalid-setting');
    expect(d.message).toMatch(/^invalid value for `train.epochs`: expected a whole number$/);
    expect([d.span.line, d.span.col]).toEqual([6, 19]);
  });

  test('unknown dataset', () => {
    const { d } = only('pipeline p {\n  data cifar_10\n}\n');
    expect(d).toMatchObject({ code: 'unknown-dataset', message: 'unknown dataset `cifar_10`', hint: 'did you mean `cifar10`?' });
  });
});

describe('shapes and objectives', () => {
  test('shape mismatch inside a model: linear after the conv stack', () => {
    const model = 'model bad(classes = 10) = sequential {\n  conv(1, 16, kernel: 3, padding: 1)\n  relu\n  maxpool(2)\n  conv(16, 32, kernel: 3, padding: 1)\n  relu\n  maxpool(2)\n  flatten\n  linear(1000, classes)\n}\n';
    const { d, formatted } = only(`${model}pipeline p {\n  data fashion_mnist\n  model f = bad()\n  minimize ce(f(x), y)\n}\n`);
    expect(d).toMatchObject({ code: 'shape-mismatch', message: 'linear expects 1000 input features but receives 1568', span: { line: 9, col: 3 } });
    expect(formatted).toBe(
      'test.mat:9:3: error: linear expects 1000 input features but receives 1568\n  linear(1000, classes)\n  ^^^^^^^^^^^^^^^^^^^^^\nhint: in layer `7` of model `f` (input shape [1, 28, 28] from fashion_mnist)',
    );
  });

  test('wrong conv channels: a CIFAR model on grey images', () => {
    const { d } = only('import "models/resnet18.mat"\npipeline p {\n  data mnist\n  model f = resnet18(classes: 10)\n  minimize ce(f(x), y)\n}\n');
    expect(d.message).toBe('conv expects 3 input channels but receives 1 (input shape [1, 28, 28])');
    expect(d.span.file).toMatch(/resnet18\.mat$/);
    expect(d.hint).toBe('in layer `conv1` of model `f` (input shape [1, 28, 28] from mnist)');
  });

  test('residual addition of mismatched shapes', () => {
    const text = 'block res(c) {\n  a = conv(c, c, kernel: 3, stride: 2, padding: 1)\n  forward(x) = x + a(x)\n}\nmodel m = sequential { res(1) flatten linear(196, 10) }\npipeline p {\n  data mnist\n  model f = m\n  minimize ce(f(x), y)\n}\n';
    const { d } = only(text);
    expect(d).toMatchObject({ code: 'shape-mismatch', message: 'cannot add tensors of shapes [1, 28, 28] and [1, 14, 14]', span: { line: 3, col: 16 } });
  });

  test('model output that does not match the classes', () => {
    const { d } = only('import "models/small_cnn.mat"\npipeline p {\n  data cifar100\n  model f = small_cnn(classes: 10, channels: 3)\n  minimize ce(f(x), y)\n}\n');
    expect(d.code).toBe('shape-mismatch');
  });

  test('attack objective that does not depend on delta', () => {
    const { d, formatted } = only(`${head}  attack a = pgd(ball: linf(0.1), step: 0.01) { maximize ce(f(x), y) }\n  minimize ce(f(a), y)\n}\n`);
    expect(d).toMatchObject({ code: 'objective-ignores-delta', message: 'the objective of attack `a` does not depend on `delta`', hint: 'apply the model to the perturbed input, e.g. `ce(f(x + delta), y)`' });
    expect(formatted.split('\n').slice(1, 3)).toEqual([
      '  attack a = pgd(ball: linf(0.1), step: 0.01) { maximize ce(f(x), y) }',
      '                                                         ^^^^^^^^^^^',
    ]);
  });

  test('non-scalar objective', () => {
    const { d } = only(`${head}  attack a = pgd(ball: linf(0.1), step: 0.01) { maximize softmax(f(x + delta)) }\n  minimize ce(f(a), y)\n}\n`);
    expect(d).toMatchObject({
      code: 'non-scalar-objective',
      message: 'the objective of attack `a` must be a scalar, but this expression is a per-example tensor of shape [B, 10]',
      span: { line: 5, col: 58, endCol: 79 },
    });
  });

  test('non-scalar outer objective', () => {
    const { d } = only(`${head}  minimize softmax(f(x))\n}\n`);
    expect(d.message).toBe('the `minimize` objective must be a scalar, but this expression is a per-example tensor of shape [B, 10]');
  });

  test('delta outside an attack, epoch outside a schedule', () => {
    const { diagnostics } = diagnose(`${head}  minimize ce(f(x + delta), y) + epoch\n}\n`);
    expect(diagnostics.map((d) => d.message)).toEqual(['`delta` only exists inside an `attack` objective', '`epoch` can only be used in a `schedule`']);
  });

  test('several independent errors are reported together', () => {
    const { diagnostics } = diagnose(`${head}  schedule w = 300 * sigmoid_rmp(epoch, 4, 7)\n  minimize cee(f(x), y)\n  train { epoch: 3 }\n}\n`);
    expect(diagnostics.map((d) => d.code)).toEqual(['unknown-function', 'unknown-function', 'unknown-setting']);
    expect(diagnostics[0]!.hint).toBe('did you mean `sigmoid_ramp`?');
  });
});

describe('pipeline structure', () => {
  test('an attack the outer objective never uses is a warning, and the pipeline still resolves', () => {
    const result = checkSource(`${head}  attack a = pgd(ball: linf(0.1), step: 0.01) { maximize ce(f(x + delta), y) }\n  minimize ce(f(x), y)\n}\n`, 'test.mat');
    expect(result.diagnostics.map((d) => [d.severity, d.code, d.message])).toEqual([['warning', 'unused-attack', 'attack `a` is never used by the `minimize` objective']]);
    expect(result.pipeline).toBeDefined();
  });

  test('a pipeline has one model, one data declaration and one objective', () => {
    const { diagnostics } = diagnose(`${head}  model g = small_cnn()\n  minimize ce(f(x), y)\n  minimize ce(f(x), y)\n}\n`);
    expect(diagnostics.map((d) => [d.message, d.span.line])).toEqual([['a pipeline has one model', 5], ['a pipeline has one `minimize` objective', 7]]);
  });

  test('missing declarations', () => {
    const { diagnostics } = diagnose('pipeline p {\n  data mnist\n}\n');
    expect(diagnostics.map((d) => d.message)).toEqual(['pipeline `p` has no model', 'pipeline `p` has no `minimize` objective']);
  });

  test('built-in names cannot be redefined', () => {
    const { d } = only(`${head}  schedule x = 1\n  minimize ce(f(x), y)\n}\n`);
    expect(d).toMatchObject({ code: 'reserved-name', message: '`x` is a built-in name of pipelines and cannot be redefined' });
  });
});

describe('imports', () => {
  test('an import cycle reports the chain', () => {
    const files = { 'a.mat': 'import "b.mat"\nmodel ma = sequential { relu }\n', 'b.mat': 'import "c.mat"\n', 'c.mat': 'import "a.mat"\n' };
    const { d, formatted } = only(files['a.mat'], 'a.mat', files);
    expect(d).toMatchObject({ code: 'import-cycle', message: 'import cycle: a.mat -> b.mat -> c.mat -> a.mat', span: { file: 'c.mat', line: 1, col: 8 } });
    expect(formatted).toBe('c.mat:1:8: error: import cycle: a.mat -> b.mat -> c.mat -> a.mat\nimport "a.mat"\n       ^^^^^^^\nhint: move the shared definitions into a file that both can import');
  });

  test('imports resolve relative to the importing file, then to the standard library', () => {
    const files = { 'proj/main.mat': 'import "lib/net.mat"\nimport "models/small_cnn.mat"\n', 'proj/lib/net.mat': 'model net = sequential { flatten linear(784, 10) }\n' };
    expect(diagnose(files['proj/main.mat'], 'proj/main.mat', files).diagnostics).toEqual([]);
  });

  test('a missing import', () => {
    const { d } = only('import "nowhere.mat"\n');
    expect(d).toMatchObject({ code: 'import-not-found', message: 'cannot find `nowhere.mat`', span: { line: 1, col: 8 } });
  });

  test('the same model defined in two files', () => {
    const files = { 'x.mat': 'import "y.mat"\nmodel net = sequential { relu }\n', 'y.mat': 'model net = sequential { flatten }\n' };
    const { d } = only(files['x.mat'], 'x.mat', files);
    expect(d).toMatchObject({ code: 'duplicate-definition', message: '`net` is already defined', hint: 'the first definition is at y.mat:1' });
  });
});
