/**
 * The diagnostic table (src/syntax/diagnostic-messages.ts) is the one list of what the front end
 * can report: every code is reachable and documented, every message is reported somewhere, and
 * every template formats with its arguments.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { diagnosticCodes, diagnosticMessages, formatMessage, placeholdersOf } from '../../src/syntax/diagnostic-messages.js';

const root = join(import.meta.dirname, '../..');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

const table = join(root, 'src/syntax/diagnostic-messages.ts');
const sources = [...sourceFiles(join(root, 'src')), ...sourceFiles(join(root, 'grammar'))]
  .filter((f) => f !== table)
  .map((f) => readFileSync(f, 'utf8'))
  .join('\n');

describe('the diagnostic table', () => {
  test('every message is reported somewhere in the front end', () => {
    const unused = Object.keys(diagnosticMessages).filter((id) => !sources.includes(`'${id}'`));
    expect(unused).toEqual([]);
  });

  test('every code has a message', () => {
    const used = new Set(Object.values(diagnosticMessages).map((m) => m.code));
    expect(Object.keys(diagnosticCodes).filter((c) => !used.has(c as keyof typeof diagnosticCodes))).toEqual([]);
  });

  test('docs/language.md lists exactly the codes of the table', () => {
    const docs = readFileSync(join(root, 'docs/language.md'), 'utf8');
    const list = docs.slice(docs.indexOf('Codes: '), docs.indexOf('## Limits'));
    const documented = [...list.matchAll(/`([a-z]+(?:-[a-z]+)+)`/g)].map((m) => m[1]!).sort();
    expect(documented).toEqual(Object.keys(diagnosticCodes).sort());
  });

  test('every template formats with its arguments', () => {
    for (const [id, { text }] of Object.entries(diagnosticMessages)) {
      const names = placeholdersOf(text);
      const args = Object.fromEntries(names.map((n) => [n, `<${n}>`]));
      const message = formatMessage(text, args);
      expect(message, id).not.toMatch(/\{\w+\}/);
      for (const n of names) expect(message, id).toContain(`<${n}>`);
      expect(message.trim().length, id).toBeGreaterThan(0);
    }
  });

  test('braces of the language stay literal', () => {
    expect(placeholdersOf(diagnosticMessages.expectedLayer.text)).toEqual([]);
    expect(formatMessage(diagnosticMessages.evaluateTwice.text, { name: '' })).toBe('there are two `evaluate { }` blocks');
    expect(formatMessage(diagnosticMessages.piecewiseArguments.text, {})).toContain('{100: 0.01, 150: 0.001}');
  });
});
