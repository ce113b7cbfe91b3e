/**
 * Diagnostics are data, not exceptions: every stage (lexer, parser, checker) returns a list of them
 * so that several problems are reported at once. src/check/diagnostics.ts formats them for people.
 */
import type { Span } from './span.js';
import { diagnosticCodes, diagnosticMessages, formatMessage, type DiagnosticCode, type MessageArgs, type MessageId } from './diagnostic-messages.js';

export type { DiagnosticCode, MessageId } from './diagnostic-messages.js';

export type Severity = 'error' | 'warning' | 'note';

export interface Diagnostic {
  severity: Severity;
  /** Stable machine-readable code, e.g. `unknown-name`, `shape-mismatch` (see docs/language.md). */
  code: DiagnosticCode;
  message: string;
  span: Span;
  /** A suggestion for a fix, e.g. "did you mean `trades`?". */
  hint?: string;
}

/**
 * The diagnostic `id` of the table (diagnostic-messages.ts) at `span`, its template filled with
 * `args`; the severity is its code's. Hints stay free text: they are suggestions computed from
 * what is in scope (did you mean, the valid keys), rarely a fixed sentence.
 */
export function diagnostic<K extends MessageId>(id: K, span: Span, args: MessageArgs<K>, hint?: string): Diagnostic {
  const { code, text } = diagnosticMessages[id];
  const message = formatMessage(text, args);
  const severity = diagnosticCodes[code];
  return hint === undefined ? { severity, code, message, span } : { severity, code, message, span, hint };
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === 'error');
}
