/**
 * Parser round trips: every construct parses without errors, prints back (src/syntax/print.ts) and
 * reparses to the same AST; spans and precedence are checked on a few nodes.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import type * as A from '../../src/syntax/ast.js';
import { parseSource } from '../../src/syntax/parse.js';
import { printExpr, printSourceFile } from '../../src/syntax/print.js';

/** The AST without positions, for structural comparison. */
function strip(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(strip);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).filter(([k]) => !/span$/i.test(k)).map(([k, v]) => [k, strip(v)]));
  }
  return value;
}

function parseOk(text: string): A.SourceFile {
  const { ast, diagnostics } = parseSource(text, 'test.mat');
  expect(diagnostics).toEqual([]);
  return ast;
}

function roundTrip(text: string): void {
  const first = parseOk(text);
  const printed = printSourceFile(first);
  const second = parseOk(printed);
  expect(strip(second)).toEqual(strip(first));
}

function expr(text: string): A.Expr {
  const ast = parseOk(`let v = ${text}`);
  return (ast.items[0] as A.LetDeclaration).value;
}

const constructs: Record<string, string> = {
  import: 'import "models/resnet18.mat"',
  'let with arithmetic': 'let eps = 8/255\nlet wd = 5e-4\nlet big = 1.5E+3 - .5',
  'strings with escapes': 'let s = "a \\"quoted\\" word"',
  'model with sequential body and defaults': 'model cnn(classes = 10, channels = 1) = sequential { conv(channels, 16, kernel: 3, padding: 1) relu maxpool(2) flatten linear(16 * 14 * 14, classes) }',
  'block with layers and forward': `block basic(in_planes, planes, stride = 1) {
    let width = planes
    conv1 = conv(in_planes, width, kernel: 3, stride: stride, padding: 1, bias: false)
    bn1 = batchnorm(width)
    shortcut = if stride != 1 or in_planes != planes then sequential { conv(in_planes, planes, kernel: 1) batchnorm(planes) } else sequential {}
    forward(x) {
      let h = relu(bn1(conv1(x)))
      return relu(h + shortcut(x))
    }
  }`,
  'forward as an expression': 'block twice(n) { a = linear(n, n)\n forward(x) = a(a(x)) * 0.5 }',
  'repeat in sequential': 'block stage(n) = sequential { basic(1, 2) repeat n - 1 { basic(2, 2) relu } }',
  'none layer': 'block b(flag) { skip = if flag then none else identity }',
  'pipeline with every construct': `pipeline all {
    let beta = 6
    data cifar10 { path: "data/cifar", subset: first(5000), test_subset: range(0, 1000), augment: [crop(4), flip], label_noise: 0.2 }
    model f = resnet18(classes: 10)
    state p = ema(softmax(f(x)), momentum: 0.9, normalize: sum, from: epoch 90)
    schedule w = 300 * exp(-5 * (1 - ramp(epoch, 90, 150))^2)
    schedule lr_s = if epoch < 5 then 0.1 * epoch / 5 else piecewise(0.1, {100: 0.01, 150: 0.001})
    attack adv = pgd(ball: linf(8/255), step: 2/255, steps: 10, start: uniform) {
      maximize ce(f(x + delta), y) + w * mse(softmax(f(x + delta)), p)
    }
    attack adv2 = pgd(ball: l2(0.5), step: 0.1, steps: 5, start: normal(0.001), step_rule: normalized) {
      maximize beta * kl(softmax(f(x)), softmax(f(x + delta))) - -mean(norm(delta, p: 2))
    }
    minimize ce(f(adv), y) + beta * kl(softmax(f(x)), softmax(f(adv2))) + stop_gradient(max(log_softmax(f(x)))) / sqrt(abs(log(2)))
    train { epochs: 200, batch: 128, optimizer: sgd(lr: 0.1, momentum: 0.9, weight_decay: 5e-4), lr: piecewise(0.1, {100: 0.01, 150: 0.001}), seed: 1 }
    evaluate { every: 1, attacks: [natural, pgd(steps: 10)], select: pgd }
    evaluate final { at_end: true, checkpoints: [best, final], attacks: [cw(steps: 1000), autoattack], extra: {a: 1, "b c": 2}, flag: not true and false }
  }`,
  'comments and commas optional': '# a comment\npipeline p { # trailing\n train { epochs: 3 batch: 4, } # end\n}',
  'member access': 'let v = a.b.c(1).d',
};

describe('parser round trips', () => {
  test.each(Object.entries(constructs))('%s', (_name, text) => roundTrip(text));

  const files = (dir: string): string[] => readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? files(join(dir, n)) : n.endsWith('.mat') ? [join(dir, n)] : []));
  test.each(files('pipelines'))('standard library %s', (file) => roundTrip(readFileSync(file, 'utf8')));
});

describe('expressions', () => {
  test('precedence: unary minus binds looser than ^, ^ is right associative', () => {
    expect(printExpr(expr('-2^2'))).toBe('-2^2');
    const e = expr('-2^3^2') as A.UnaryExpr;
    expect(e.kind).toBe('UnaryExpr');
    const power = e.operand as A.BinaryExpr;
    expect([power.operator, (power.right as A.BinaryExpr).operator]).toEqual(['^', '^']);
  });
  test('arithmetic is left associative and keeps needed parentheses', () => {
    expect(printExpr(expr('a - (b - c)'))).toBe('a - (b - c)');
    expect(printExpr(expr('(a - b) - c'))).toBe('a - b - c');
    expect(printExpr(expr('(a + b) * c'))).toBe('(a + b) * c');
    expect(printExpr(expr('(-a)^2'))).toBe('(-a)^2');
    expect(printExpr(expr('8/255'))).toBe('8/255'.replace('/', ' / '));
  });
  test('numbers in every notation', () => {
    expect([expr('5e-4'), expr('.5'), expr('10'), expr('1.5E+3')].map((n) => (n as A.NumberLiteral).value)).toEqual([5e-4, 0.5, 10, 1500]);
  });
  test('epoch variable versus epoch literal', () => {
    expect(expr('epoch')).toMatchObject({ kind: 'EpochExpr' });
    expect('at' in expr('epoch')).toBe(false);
    expect(expr('epoch 90')).toMatchObject({ kind: 'EpochExpr', at: 90 });
    expect(expr('epoch - 90')).toMatchObject({ kind: 'BinaryExpr', operator: '-' });
  });
  test('named and positional arguments', () => {
    const call = expr('pgd(1, steps: 10)') as A.CallExpr;
    expect(call.args.map((a) => a.name?.text)).toEqual([undefined, 'steps']);
  });
  test('keywords may be used as settings keys and argument names', () => {
    const ast = parseOk('pipeline p { train { epoch: 3 } }');
    const train = (ast.items[0] as A.PipelineDefinition).members[0] as A.TrainDeclaration;
    expect(train.settings.settings[0]!.key.text).toBe('epoch');
  });
});

describe('spans', () => {
  test('every node has a 1-based span with exclusive end', () => {
    const ast = parseOk('pipeline p {\n  minimize ce(f(x), y)\n}');
    const minimize = (ast.items[0] as A.PipelineDefinition).members[0] as A.MinimizeDeclaration;
    expect(minimize.span).toMatchObject({ file: 'test.mat', line: 2, col: 3, endLine: 2, endCol: 23 });
    const call = minimize.objective as A.CallExpr;
    expect(call.span).toMatchObject({ line: 2, col: 12, endCol: 23, offset: 24, endOffset: 35 });
    expect((call.callee as A.Identifier).span).toMatchObject({ col: 12, endCol: 14 });
    expect(call.args[1]!.value.span).toMatchObject({ col: 21, endCol: 22 });
  });
  test('binary expressions span both operands and record the operator', () => {
    const e = expr('a + bc') as A.BinaryExpr;
    expect([e.span.col, e.span.endCol, e.operatorSpan.col]).toEqual([9, 15, 11]);
  });
});
