/**
 * AST -> raw settings value: the plain data that the zod schemas of settings.ts validate.
 * Numbers and arithmetic fold to numbers, identifiers become strings (`flip`, `sum`, `best`),
 * lists become arrays, maps become objects with string keys, and calls become
 * `{ kind: name, args: [positional...], ...named }`.
 */
import type * as A from '../syntax/ast.js';
import { diagnostic, type Diagnostic } from '../syntax/diagnostic.js';
import { ConstScope, evaluateConstant } from './const-eval.js';

export type RawValue = number | boolean | string | null | RawValue[] | { [key: string]: RawValue };

export function toRawValue(e: A.Expr, scope: ConstScope, diagnostics: Diagnostic[]): RawValue | undefined {
  switch (e.kind) {
    case 'NoneLiteral':
      return 'none';
    case 'ListExpr': {
      const items = e.items.map((i) => toRawValue(i, scope, diagnostics));
      return items.every((i) => i !== undefined) ? (items as RawValue[]) : undefined;
    }
    case 'MapExpr': {
      const out: Record<string, RawValue> = {};
      for (const entry of e.entries) {
        const value = toRawValue(entry.value, scope, diagnostics);
        if (value === undefined) return undefined;
        out[String(entry.key)] = value;
      }
      return out;
    }
    case 'CallExpr': {
      if (e.callee.kind !== 'Identifier') {
        diagnostics.push(diagnostic('expectedNameBeforeParen', e.callee.span, {}));
        return undefined;
      }
      const out: Record<string, RawValue> = { kind: e.callee.name };
      const args: RawValue[] = [];
      for (const arg of e.args) {
        const value = toRawValue(arg.value, scope, diagnostics);
        if (value === undefined) return undefined;
        if (arg.name) out[arg.name.text] = value;
        else args.push(value);
      }
      if (args.length > 0 || e.args.length === 0) out.args = args;
      return out;
    }
    case 'MemberExpr':
    case 'SequentialExpr':
      diagnostics.push(diagnostic('notASettingsValue', e.span, {}));
      return undefined;
    default: {
      const value = evaluateConstant(e, scope, diagnostics, { symbols: true });
      return Array.isArray(value) ? [...value] : (value as Exclude<typeof value, readonly number[]>);
    }
  }
}
