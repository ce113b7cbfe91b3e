import { describe, expect, test } from 'vitest';
import { formatDiagnostic, type Diagnostic } from '../../src/check/index.js';
import { closestName, editDistance } from '../../src/check/suggest.js';

const at = (line: number, col: number, endLine: number, endCol: number): Diagnostic['span'] => ({ file: 'f.mat', line, col, endLine, endCol, offset: 0, endOffset: 0 });

describe('formatDiagnostic', () => {
  test('header, source line, carets and hint', () => {
    const d: Diagnostic = { severity: 'error', code: 'unknown-name', message: 'unknown name `trade`', span: at(2, 5, 2, 10), hint: 'did you mean `trades`?' };
    expect(formatDiagnostic(d, 'a\nab  trade(x)\n')).toBe('f.mat:2:5: error: unknown name `trade`\nab  trade(x)\n    ^^^^^\nhint: did you mean `trades`?');
  });
  test('tabs are kept so carets line up; multi-line spans stop at the end of the first line', () => {
    const d: Diagnostic = { severity: 'warning', code: 'x', message: 'm', span: at(1, 3, 3, 2) };
    expect(formatDiagnostic(d, '\t\tabc\nmore\nend')).toBe('f.mat:1:3: warning: m\n\t\tabc\n\t\t^^^');
  });
  test('without source text only the header and hint remain', () => {
    expect(formatDiagnostic({ severity: 'error', code: 'x', message: 'm', span: at(4, 1, 4, 1) })).toBe('f.mat:4:1: error: m');
  });
});

describe('suggestions', () => {
  test('edit distance counts adjacent transpositions as one edit', () => {
    expect(editDistance('train', 'tarin')).toBe(1);
    expect(editDistance('kitten', 'sitting')).toBe(3);
  });
  test('only plausible typos are suggested', () => {
    expect(closestName('epoch', ['epochs', 'batch', 'seed'])).toBe('epochs');
    expect(closestName('zzz', ['epochs', 'batch'])).toBeUndefined();
  });
});
