/**
 * Diagnostics for people: `formatDiagnostic` renders one as
 *
 *     pipelines/x.mat:12:12: error: unknown function `trade`
 *       minimize trade(f(x), y)
 *                ^^^^^
 *     hint: did you mean `trades`?
 *
 * The data type itself lives in src/syntax/diagnostic.ts because the parser produces diagnostics too.
 */
import type { Diagnostic } from '../syntax/diagnostic.js';

export type { Diagnostic, Severity } from '../syntax/diagnostic.js';
export { error, hasErrors } from '../syntax/diagnostic.js';

/**
 * `sourceText` is the text of `d.span.file`. Multi-line spans are underlined to the end of their
 * first line; a zero-width span gets a single caret.
 */
export function formatDiagnostic(d: Diagnostic, sourceText?: string): string {
  const { file, line, col } = d.span;
  const lines = [`${file}:${line}:${col}: ${d.severity}: ${d.message}`];
  const sourceLine = sourceText?.split(/\r?\n/)[line - 1];
  if (sourceLine !== undefined) {
    const lastCol = d.span.endLine === line ? d.span.endCol : sourceLine.length + 1;
    const width = Math.max(1, lastCol - col);
    // Tabs stay tabs in the caret line so the carets line up under the source in any terminal.
    const indent = sourceLine.slice(0, col - 1).replace(/[^\t]/g, ' ');
    lines.push(sourceLine, indent + '^'.repeat(width));
  }
  if (d.hint) lines.push(`hint: ${d.hint}`);
  return lines.join('\n');
}

/** Format several diagnostics; `sources` maps file names to their text. */
export function formatDiagnostics(diagnostics: readonly Diagnostic[], sources: ReadonlyMap<string, string>): string {
  return diagnostics.map((d) => formatDiagnostic(d, sources.get(d.span.file))).join('\n\n');
}
