/**
 * Overrides that rewrite a pipeline's source before checking: `attack.NAME.ARG=value`,
 * `let.NAME=value` and `data.dataset=NAME` (which changes input shapes and classes, so the whole
 * pipeline must be checked again). Everything else is a settings override (overrides.ts).
 */
import type * as A from '../syntax/ast.js';
import type { Span } from '../syntax/span.js';
import { diagnostic, type Diagnostic } from '../syntax/diagnostic.js';
import { overrideFile, parseOverrideExpression } from './overrides.js';
import { didYouMean } from './suggest.js';

/**
 * Overrides of the form `attack.NAME.ARG=value` (an argument of an attack's `pgd(...)`) and
 * `let.NAME=value` (a pipeline constant) rewrite the pipeline's AST before checking, so their values
 * are checked exactly like source text; all other overrides are settings (overrides.ts).
 */
export function applySourceOverrides(members: readonly A.PipelineMember[], overrides: readonly string[], diagnostics: Diagnostic[]): { members: A.PipelineMember[]; settingOverrides: string[] } {
  const out = [...members];
  const settingOverrides: string[] = [];
  for (const text of overrides) {
    const eq = text.indexOf('=');
    const key = eq > 0 ? text.slice(0, eq).trim() : '';
    const segments = key.split('.');
    const keySpan = (start: number, length: number): Span => ({ file: overrideFile, line: 1, col: start + 1, endLine: 1, endCol: start + length + 1, offset: start, endOffset: start + length });
    if (key === 'data.dataset') {
      const index = out.findIndex((m) => m.kind === 'DataDeclaration');
      const name = text.slice(eq + 1).trim();
      if (index >= 0 && /^[A-Za-z_]\w*$/.test(name)) {
        const data = out[index] as A.DataDeclaration;
        out[index] = { ...data, dataset: { kind: 'Name', text: name, span: keySpan(eq + 1, name.length) } };
      } else if (index >= 0) {
        diagnostics.push(diagnostic('overrideNotDataset', keySpan(eq + 1, name.length), { name }));
      }
      continue;
    }
    if (segments[0] !== 'attack' && segments[0] !== 'let') {
      settingOverrides.push(text);
      continue;
    }
    const expected = segments[0] === 'attack' ? 3 : 2;
    if (segments.length !== expected) {
      diagnostics.push(diagnostic('overrideShape', keySpan(0, key.length), { key, form: segments[0] === 'attack' ? '`attack.NAME.ARGUMENT`' : '`let.NAME`' }, segments[0] === 'attack' ? 'e.g. `attack.adv.steps=5`' : 'e.g. `let.beta=3`'));
      continue;
    }
    const value = parseOverrideExpression(text, eq + 1);
    if ('severity' in value) {
      diagnostics.push(value);
      continue;
    }
    const name = segments[1]!;
    const nameSpan = keySpan(segments[0].length + 1, name.length);
    const index = out.findIndex((m) => (segments[0] === 'attack' ? m.kind === 'AttackDeclaration' : m.kind === 'LetDeclaration') && 'name' in m && m.name?.text === name);
    if (index < 0) {
      const candidates = out.filter((m) => m.kind === (segments[0] === 'attack' ? 'AttackDeclaration' : 'LetDeclaration')).map((m) => (m as A.AttackDeclaration | A.LetDeclaration).name.text);
      diagnostics.push(diagnostic('overrideNoSuchName', nameSpan, { what: segments[0] === 'attack' ? 'attack' : 'constant', name }, didYouMean(name, candidates)));
      continue;
    }
    const member = out[index]!;
    if (member.kind === 'LetDeclaration') {
      out[index] = { ...member, value };
      continue;
    }
    const attack = member as A.AttackDeclaration;
    const method = attack.method;
    if (method.kind !== 'CallExpr') continue;
    const argument = segments[2]!;
    const argName: A.Name = { kind: 'Name', text: argument, span: keySpan(key.length - argument.length, argument.length) };
    const args = [...method.args.filter((a) => a.name?.text !== argument), { kind: 'Argument' as const, name: argName, value, span: value.span }];
    out[index] = { ...attack, method: { ...method, args } };
  }
  return { members: out, settingOverrides };
}
