/**
 * Diagnostics for people: `formatDiagnostic` renders one as
 *
 *     pipelines/x.mat:12:12: error: unknown function `trade`
 *       minimize trade(f(x), y)
 *                ^^^^^
 *     hint: did you mean `trades`?
 *
 * The data type itself lives in src/syntax/diagnostic.ts because the parser produces diagnostics too.
 * Output stays proportional to what is printed, however many diagnostics or bytes the input has:
 * formatDiagnostics prints the first MAX_PRINTED_DIAGNOSTICS and counts the rest.
 */
import type { Diagnostic, Severity } from '../syntax/diagnostic.js';
import { MAX_PRINTED_DIAGNOSTICS } from '../../grammar/limits.js';
import { excerpt, printable, SourceLines } from './source-excerpt.js';

export type { Diagnostic, Severity } from '../syntax/diagnostic.js';
export { diagnostic, hasErrors } from '../syntax/diagnostic.js';

/**
 * `source` is the text of `d.span.file` (or its line index, when formatting many diagnostics).
 * Multi-line spans are underlined to the end of their first line; a zero-width span gets a single caret.
 */
export function formatDiagnostic(d: Diagnostic, source?: string | SourceLines): string {
  const { file, line, col } = d.span;
  const lines = [`${printable(file)}:${line}:${col}: ${d.severity}: ${printable(d.message, true)}`];
  const sourceLine = (typeof source === 'string' ? new SourceLines(source) : source)?.line(line);
  if (sourceLine !== undefined) {
    const lastCol = d.span.endLine === line ? d.span.endCol : sourceLine.length + 1;
    lines.push(...excerpt(sourceLine, col, lastCol));
  }
  if (d.hint) lines.push(`hint: ${printable(d.hint, true)}`);
  return lines.join('\n');
}

/**
 * Format several diagnostics; `sources` maps file names to their text. Past `limit` diagnostics,
 * one line counts the rest ("... and 12 more errors").
 */
export function formatDiagnostics(diagnostics: readonly Diagnostic[], sources: ReadonlyMap<string, string>, limit = MAX_PRINTED_DIAGNOSTICS): string {
  const indexed = new Map<string, SourceLines>();
  const linesOf = (file: string): SourceLines | undefined => {
    const text = sources.get(file);
    if (text === undefined) return undefined;
    let lines = indexed.get(file);
    if (!lines) indexed.set(file, (lines = new SourceLines(text)));
    return lines;
  };
  const shown = diagnostics.slice(0, limit).map((d) => formatDiagnostic(d, linesOf(d.span.file)));
  if (diagnostics.length > limit) shown.push(`... and ${countRest(diagnostics.slice(limit))}`);
  return shown.join('\n\n');
}

/** "12 more errors and 1 more warning". */
function countRest(rest: readonly Diagnostic[]): string {
  const counts = new Map<Severity, number>();
  for (const d of rest) counts.set(d.severity, (counts.get(d.severity) ?? 0) + 1);
  return [...counts].map(([severity, n]) => `${n} more ${severity}${n === 1 ? '' : 's'}`).join(' and ');
}
