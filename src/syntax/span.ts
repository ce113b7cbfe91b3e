/**
 * Source positions. Lines and columns are 1-based; `endLine`/`endCol` point just past the last
 * character (exclusive), offsets are 0-based character offsets with `endOffset` exclusive, so a
 * one-character token at the start of a file has col 1, endCol 2, offset 0, endOffset 1.
 */
export interface Span {
  file: string;
  line: number;
  col: number;
  endLine: number;
  endCol: number;
  offset: number;
  endOffset: number;
}

/** The smallest span covering both `a` and `b` (which must be in the same file). */
export function joinSpans(a: Span, b: Span): Span {
  const first = a.offset <= b.offset ? a : b;
  const last = a.endOffset >= b.endOffset ? a : b;
  return {
    file: a.file,
    line: first.line,
    col: first.col,
    endLine: last.endLine,
    endCol: last.endCol,
    offset: first.offset,
    endOffset: last.endOffset,
  };
}

/** A zero-width span at the start of a file, for diagnostics about a whole file. */
export function fileStartSpan(file: string): Span {
  return { file, line: 1, col: 1, endLine: 1, endCol: 1, offset: 0, endOffset: 0 };
}
