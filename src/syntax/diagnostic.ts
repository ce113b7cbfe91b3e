/**
 * Diagnostics are data, not exceptions: every stage (lexer, parser, checker) returns a list of them
 * so that several problems are reported at once. src/check/diagnostics.ts formats them for people.
 */
import type { Span } from './span.js';

export type Severity = 'error' | 'warning' | 'note';

export interface Diagnostic {
  severity: Severity;
  /** Stable machine-readable code, e.g. `unknown-name`, `shape-mismatch` (see docs/language.md). */
  code: string;
  message: string;
  span: Span;
  /** A suggestion for a fix, e.g. "did you mean `trades`?". */
  hint?: string;
}

export function error(code: string, message: string, span: Span, hint?: string): Diagnostic {
  return hint === undefined ? { severity: 'error', code, message, span } : { severity: 'error', code, message, span, hint };
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === 'error');
}
