/**
 * Hostile input to the front end (parser, checker, `matc check` and `matc run` before training):
 * deep nesting, huge files, binary bytes, special files as imports, empty files and data subsets
 * that do not fit. Every case must end in located diagnostics and exit 1, never a stack overflow,
 * a hang, an out-of-memory crash or a silent change. Sizes are small enough to run in seconds.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { checkSource, formatDiagnostics, type Diagnostic } from '../../src/check/index.js';
import { excerpt } from '../../src/check/source-excerpt.js';
import { main } from '../../src/cli/main.js';
import { makeDataset } from '../../src/data/index.js';
import { parseSource } from '../../src/syntax/parse.js';
import { printSourceFile } from '../../src/syntax/print.js';
import { MAX_NESTING_DEPTH, MAX_PRINTED_DIAGNOSTICS } from '../../grammar/limits.js';
import { applySubset } from '../../src/lower/data-setup.js';

// Hang guards, not speed goals (those live in `npm run bench`): linear work on these inputs takes
// seconds even on a loaded 2-core machine, a cost per diagnostic or per line that grows with the
// file (the bug these tests catch) takes hours.
const HANG_GUARD_MS = 300_000;

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const o = process.stdout.write.bind(process.stdout);
  const e = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((s: string) => ((out += s), true)) as typeof process.stdout.write;
  process.stderr.write = ((s: string) => ((err += s), true)) as typeof process.stderr.write;
  try {
    return { code: await main(argv), out, err };
  } finally {
    process.stdout.write = o;
    process.stderr.write = e;
  }
}

const dir = mkdtempSync(join(tmpdir(), 'matc-abuse-'));
function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/** A small checked pipeline whose lines tests replace (see test/cli/fixtures/tiny.mat). */
const tiny = `model tiny(classes = 3) = sequential {
  flatten
  linear(784, classes)
}

pipeline tiny_pgd {
  data fashion_mnist { subset: first(8) }
  model f = tiny(classes: 10)
  minimize ce(f(x), y)
  train { epochs: 1, batch: 4, optimizer: sgd(lr: 0.1) }
}
`;

const codes = (ds: readonly Diagnostic[]): string[] => ds.map((d) => d.code);
const noStack = /\n\s+at .*\.(ts|js):\d+/;

describe('deep nesting', () => {
  const n = 10_000;
  const shapes: Record<string, string> = {
    parentheses: `let a = ${'('.repeat(n)}1${')'.repeat(n)}`,
    brackets: `let a = ${'['.repeat(n)}1${']'.repeat(n)}`,
    braces: `let a = ${'{k: '.repeat(n)}1${'}'.repeat(n)}`,
    calls: `let a = ${'f('.repeat(n)}1${')'.repeat(n)}`,
    'prefix operators': `let a = ${'-'.repeat(n)}1`,
    powers: `let a = ${'2^'.repeat(n)}1`,
    conditionals: `let a = ${'if true then 1 else '.repeat(n)}1`,
    'sequential blocks': `model m = ${'sequential { '.repeat(n)}relu${' }'.repeat(n)}`,
    'repeat blocks': `model m = sequential { ${'repeat 1 { '.repeat(n)}relu${' }'.repeat(n)} }`,
    'unclosed parentheses': `let a = ${'('.repeat(n)}`,
  };
  for (const [shape, text] of Object.entries(shapes)) {
    test(`${n} levels of ${shape}: one located "nesting deeper than" error`, () => {
      const r = checkSource(text, 'deep.mat');
      expect(codes(r.diagnostics)).toEqual(['nesting-too-deep']);
      const formatted = formatDiagnostics(r.diagnostics, r.sources);
      expect(formatted).toMatch(new RegExp(`^deep\\.mat:1:\\d+: error: nesting deeper than ${MAX_NESTING_DEPTH} levels`));
      // It points inside the nesting, at the level one too many.
      expect(r.diagnostics[0]!.span.col).toBeGreaterThan(MAX_NESTING_DEPTH);
    });
  }

  test(`${MAX_NESTING_DEPTH} levels are still fine`, () => {
    const depth = MAX_NESTING_DEPTH - 1; // the `let` value itself is the first level
    const r = checkSource(`let a = ${'('.repeat(depth)}1${')'.repeat(depth)}`, 'ok.mat');
    expect(codes(r.diagnostics)).toEqual([]);
  });

  test('a 10 000-term operator chain is cut, reported once, and the AST can still be printed', () => {
    const text = `let a = ${Array(n).fill('1').join(' + ')}`;
    const parsed = parseSource(text, 'chain.mat');
    expect(codes(parsed.diagnostics)).toEqual(['nesting-too-deep']);
    expect(parsed.diagnostics[0]!.message).toMatch(/expression nested deeper than \d+ levels/);
    expect(() => printSourceFile(parsed.ast)).not.toThrow();
    expect(codes(checkSource(text, 'chain.mat').diagnostics)).toEqual(['nesting-too-deep']);
  });

  test('matc check on 10 000 parentheses: file:line:col, exit 1, no internal error', async () => {
    const path = file('parens.mat', `let a = ${'('.repeat(n)}1${')'.repeat(n)}\n`);
    const r = await cli('check', path);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`${path}:1:${8 + MAX_NESTING_DEPTH + 1}: error: nesting deeper than ${MAX_NESTING_DEPTH} levels`);
    expect(r.err).not.toContain('internal error');
    expect(r.err).not.toMatch(noStack);
  });
});

describe('huge inputs', () => {
  test('1 MB of `@ ` tokens: the first 50 errors are printed and the rest counted', async () => {
    const path = file('at.mat', '@ '.repeat(512 * 1024));
    const r = await cli('check', path);
    expect(r.code).toBe(1);
    expect(r.err).not.toContain('internal error');
    expect(r.err.match(/: error: /g)).toHaveLength(MAX_PRINTED_DIAGNOSTICS);
    expect(r.err).toContain(`... and ${512 * 1024 - MAX_PRINTED_DIAGNOSTICS} more errors`);
  });

  test('`let a = 1 ` 20 000 times on one line: checked, and printed lines are cut to a window', async () => {
    const path = file('lets.mat', 'let a = 1 '.repeat(20_000));
    const r = await cli('check', path);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`... and ${19_999 - MAX_PRINTED_DIAGNOSTICS} more errors`);
    // 50 excerpts of a 200 KB line would be 10 MB; cut to a window they stay small.
    expect(r.err.length).toBeLessThan(50_000);
  }, HANG_GUARD_MS);

  test('formatting 100 000 diagnostics over a 1 MB source costs the printed ones, not the file per diagnostic', () => {
    const lines = 100_000;
    const source = 'let a = 1\n'.repeat(lines);
    const diagnostics: Diagnostic[] = Array.from({ length: lines }, (_, i) => ({
      severity: 'error', code: 'x', message: 'm', span: { file: 'big.mat', line: i + 1, col: 5, endLine: i + 1, endCol: 6, offset: 10 * i + 4, endOffset: 10 * i + 5 },
    }));
    const text = formatDiagnostics(diagnostics, new Map([['big.mat', source]]));
    expect(text.split('\n\n')).toHaveLength(MAX_PRINTED_DIAGNOSTICS + 1);
    expect(text.endsWith(`... and ${lines - MAX_PRINTED_DIAGNOSTICS} more errors`)).toBe(true);
  }, HANG_GUARD_MS);

  test('a 1 MB pipeline checks', () => {
    const lets = Array.from({ length: 60_000 }, (_, i) => `  let c${i} = ${i} * 2`).join('\n');
    const text = tiny.replace('  minimize', `${lets}\n  minimize`);
    expect(text.length).toBeGreaterThan(1_000_000);
    const r = checkSource(text, 'big.mat');
    expect(codes(r.diagnostics)).toEqual([]);
    expect(r.pipeline?.constants['c59999']).toBe(119_998);
  }, HANG_GUARD_MS);
});

describe('binary bytes', () => {
  test('control bytes of echoed source lines and messages are shown as escapes', async () => {
    const path = file('binary.mat', `let a = 1\n\x1b[31m\x07 let b = 2\x00\n`);
    const r = await cli('check', path);
    expect(r.code).toBe(1);
    expect(r.err).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f]/);
    expect(r.err).toContain('\\x1b[31m\\x07 let b = 2\\x00');
  });

  test('carets stay under the span after escapes and in a cut line', () => {
    expect(excerpt('\x1bab', 2, 4)).toEqual(['\\x1bab', '    ^^']);
    const [line, carets] = excerpt(`${'x'.repeat(100_000)}TARGET${'y'.repeat(100_000)}`, 100_001, 100_007);
    expect(line.length).toBeLessThan(200);
    expect(line.slice(carets.indexOf('^'), carets.length)).toBe('TARGET');
  });
});

describe('what may be read', () => {
  const special: Record<string, { text: string; message: RegExp; make?: () => boolean }> = {
    '/dev/zero': { text: 'import "/dev/zero"', message: /cannot read `\/dev\/zero`: .*`\.mat`/ },
    '/etc/passwd': { text: 'import "/etc/passwd"', message: /cannot read `\/etc\/passwd`: .*`\.mat`/ },
    'a FIFO': {
      text: 'import "pipe.mat"',
      message: /cannot read `pipe\.mat`: it is not a regular file/,
      make: () => {
        execFileSync('mkfifo', [join(dir, 'pipe.mat')]);
        return true;
      },
    },
    'a directory': { text: 'import "folder.mat"', message: /cannot read `folder\.mat`: it is a directory/, make: () => (mkdirSync(join(dir, 'folder.mat')), true) },
    'a 5 MB file': { text: 'import "huge.mat"', message: /cannot read `huge\.mat`: it is larger than the 4 MB limit/, make: () => (file('huge.mat', '#'.repeat(5 * 1024 * 1024)), true) },
  };
  for (const [what, c] of Object.entries(special)) {
    test(`importing ${what} is a located error, without reading or echoing it`, async () => {
      c.make?.();
      const path = file(`imports-${what.replace(/\W/g, '')}.mat`, `${c.text}\n`);
      const r = await cli('check', path);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(new RegExp(`${path}:1:8: error: ${c.message.source}`));
      expect(r.err).not.toContain('root:');
    });
  }

  test('check and run refuse a top-level file that is not a regular .mat file', async () => {
    for (const command of ['check', 'run']) {
      for (const target of ['/etc/passwd', ...(existsSync('/dev/zero') ? ['/dev/zero'] : [])]) {
        const r = await cli(command, target);
        expect(r.code, `${command} ${target}`).toBe(1);
        expect(r.err).toContain(`${target}:1:1: error: cannot read \`${target}\``);
        expect(r.err).not.toContain('root:');
      }
    }
  });
});

describe('empty files', () => {
  test('check and run give the same located error', async () => {
    for (const text of ['', '# only a comment\n']) {
      const path = file('empty.mat', text);
      const checked = await cli('check', path);
      const ran = await cli('run', path);
      for (const r of [checked, ran]) {
        expect(r.code).toBe(1);
        expect(r.err).toContain(`${path}:1:1: error: ${path} defines nothing: no pipeline, model, block or constant`);
        expect(r.err).not.toContain('0 errors');
      }
      expect(checked.out).not.toContain('ok');
    }
  });
});

describe('data that does not fit', () => {
  const diagnosticsOf = (text: string) => checkSource(text, 'fit.mat').diagnostics;

  test('a range past the end of the training set is a located error', () => {
    const text = tiny.replace('first(8)', 'range(59900, 70000)');
    const [d, ...rest] = diagnosticsOf(text);
    expect(rest).toEqual([]);
    expect(d).toMatchObject({ severity: 'error', code: 'subset-out-of-range', span: { line: 7, col: 32 } });
    expect(d!.message).toContain('the 60000 training examples of fashion_mnist');
    expect(d!.hint).toContain('range(59900, 60000)');
  });

  test('a test subset past the end of the test set is a located error', () => {
    const [d] = diagnosticsOf(tiny.replace('first(8)', 'first(8), test_subset: range(10000, 10001)'));
    expect(d).toMatchObject({ severity: 'error', code: 'subset-out-of-range' });
    expect(d!.message).toContain('starts past the 10000 test examples');
  });

  test('a batch larger than the training subset is a located warning, and the pipeline still checks', () => {
    const r = checkSource(tiny.replace('batch: 4', 'batch: 128'), 'fit.mat');
    expect(r.pipeline).toBeDefined();
    expect(r.diagnostics).toMatchObject([{ severity: 'warning', code: 'batch-too-large', span: { line: 10, col: 29 } }]);
    expect(r.diagnostics[0]!.message).toContain('batch 128 is larger than the 8 training examples');
  });

  test('first(n) above the size of the set is a located warning', () => {
    expect(diagnosticsOf(tiny.replace('first(8)', 'first(80000)'))).toMatchObject([{ severity: 'warning', code: 'subset-too-large', span: { line: 7 } }]);
  });

  test('at run time a loaded copy smaller than the range is refused with the pipeline location', () => {
    const ds = makeDataset({ name: 'copy', images: new Float32Array(10), labels: new Int32Array(10), channels: 1, height: 1, width: 1, classes: 2 });
    const span = { file: 'p.mat', line: 3, col: 3, endLine: 3, endCol: 9, offset: 0, endOffset: 0 };
    expect(() => applySubset(ds, { kind: 'range', start: 5, end: 20 }, span)).toThrow(/^p\.mat:3:3: `range\(5, 20\)` ends past the 10 examples of copy/);
    expect(applySubset(ds, { kind: 'range', start: 5, end: 10 }, span).n).toBe(5);
  });
});
