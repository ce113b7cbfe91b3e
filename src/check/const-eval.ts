/**
 * Compile-time evaluation of constant expressions: `let` values, module parameters, layer
 * hyperparameters and settings. Arithmetic, comparisons, `and`/`or`/`not` and `if then else` fold
 * here, with the operator meanings every evaluator shares (src/expr/operators.ts); anything that
 * depends on data is an error in these positions. This evaluator works on the syntax tree, before
 * typing, on numbers, booleans, words and lists, and reports problems as diagnostics: that is what
 * differs from the walk over typed expressions (src/expr/evaluate.ts).
 */
import type * as A from '../syntax/ast.js';
import { diagnostic, type Diagnostic } from '../syntax/diagnostic.js';
import { didYouMean } from './suggest.js';
import { arithmetic, arithmeticOpOf, compare, logical } from '../expr/operators.js';
import type { LayerArgValue } from '../layers/index.js';

/** Lists hold numbers only: they exist for layer arguments such as `normalize(mean: [0.5, 0.5, 0.5])`. */
export type ConstValue = LayerArgValue;

/** Constants in scope; `parent` chains module parameters to file-level lets. */
export class ConstScope {
  private readonly values = new Map<string, ConstValue>();
  constructor(private readonly parent?: ConstScope) {}
  set(name: string, value: ConstValue): void {
    this.values.set(name, value);
  }
  get(name: string): ConstValue | undefined {
    return this.values.get(name) ?? this.parent?.get(name);
  }
  has(name: string): boolean {
    return this.values.has(name) || (this.parent?.has(name) ?? false);
  }
  names(): string[] {
    return [...this.values.keys(), ...(this.parent?.names() ?? [])];
  }
  hasOwn(name: string): boolean {
    return this.values.has(name);
  }
}

export interface ConstOptions {
  /** Identifiers that are not constants evaluate to their own name (settings enums like `flip`). */
  symbols?: boolean;
  /** Extra names to suggest in unknown-name hints. */
  candidates?: readonly string[];
}

/** Evaluate `e`; on failure push diagnostics and return undefined. */
export function evaluateConstant(e: A.Expr, scope: ConstScope, diagnostics: Diagnostic[], options: ConstOptions = {}): ConstValue | undefined {
  const recurse = (x: A.Expr): ConstValue | undefined => evaluateConstant(x, scope, diagnostics, options);
  switch (e.kind) {
    case 'NumberLiteral':
      return e.value;
    case 'StringLiteral':
      return e.value;
    case 'BooleanLiteral':
      return e.value;
    case 'ListExpr': {
      const items: number[] = [];
      for (const item of e.items) {
        const v = recurse(item);
        if (v === undefined) return undefined;
        const n = expectNumber(v, item, diagnostics);
        if (n === undefined) return undefined;
        items.push(n);
      }
      return items;
    }
    case 'EpochExpr':
      if (e.at !== undefined) return e.at;
      diagnostics.push(diagnostic('epochNotConstant', e.span, {}, 'use it in a `schedule`'));
      return undefined;
    case 'Identifier': {
      const value = scope.get(e.name);
      if (value !== undefined) return value;
      if (options.symbols) return e.name;
      diagnostics.push(diagnostic('unknownName', e.span, { name: e.name }, didYouMean(e.name, [...scope.names(), ...(options.candidates ?? [])])));
      return undefined;
    }
    case 'UnaryExpr': {
      const v = recurse(e.operand);
      if (v === undefined) return undefined;
      if (e.operator === 'not') return expectBoolean(v, e.operand, diagnostics) === undefined ? undefined : !v;
      const n = expectNumber(v, e.operand, diagnostics);
      return n === undefined ? undefined : e.operator === '-' ? -n : n;
    }
    case 'BinaryExpr': {
      const l = recurse(e.left);
      const r = recurse(e.right);
      if (l === undefined || r === undefined) return undefined;
      return binary(e, l, r, diagnostics);
    }
    case 'ConditionalExpr': {
      const c = recurse(e.condition);
      if (c === undefined || expectBoolean(c, e.condition, diagnostics) === undefined) return undefined;
      return recurse(c ? e.then : e.otherwise);
    }
    default:
      diagnostics.push(diagnostic('notConstant', e.span, {}));
      return undefined;
  }
}

function binary(e: A.BinaryExpr, l: ConstValue, r: ConstValue, diagnostics: Diagnostic[]): ConstValue | undefined {
  switch (e.operator) {
    case 'and':
    case 'or': {
      const a = expectBoolean(l, e.left, diagnostics);
      const b = expectBoolean(r, e.right, diagnostics);
      if (a === undefined || b === undefined) return undefined;
      return logical(e.operator, a, b);
    }
    case '==':
      return sameConstant(l, r);
    case '!=':
      return !sameConstant(l, r);
    default: {
      const a = expectNumber(l, e.left, diagnostics);
      const b = expectNumber(r, e.right, diagnostics);
      if (a === undefined || b === undefined) return undefined;
      if (e.operator === '/' && b === 0) {
        // Unlike schedules and objectives (IEEE on numbers at run time), a constant may not divide by zero.
        diagnostics.push(diagnostic('divisionByZero', e.right.span, {}));
        return undefined;
      }
      const op = e.operator;
      if (op === '<' || op === '>' || op === '<=' || op === '>=') return compare(op, a, b);
      return arithmetic(arithmeticOpOf[op], a, b);
    }
  }
}

/** Lists compare element by element (`mean == []` tests for the empty list). */
function sameConstant(l: ConstValue, r: ConstValue): boolean {
  if (Array.isArray(l) && Array.isArray(r)) return l.length === r.length && l.every((v, i) => v === r[i]);
  return l === r;
}

export function expectNumber(v: ConstValue, at: A.Expr, diagnostics: Diagnostic[]): number | undefined {
  if (typeof v === 'number') return v;
  diagnostics.push(diagnostic('expectedNumber', at.span, { found: describeConstant(v) }));
  return undefined;
}

export function expectBoolean(v: ConstValue, at: A.Expr, diagnostics: Diagnostic[]): boolean | undefined {
  if (typeof v === 'boolean') return v;
  diagnostics.push(diagnostic('expectedCondition', at.span, { found: describeConstant(v) }));
  return undefined;
}

export function describeConstant(v: ConstValue): string {
  if (Array.isArray(v)) return `the list [${v.join(', ')}]`;
  return typeof v === 'number' ? `the number ${v}` : typeof v === 'boolean' ? `\`${v}\`` : `\`${v}\``;
}
