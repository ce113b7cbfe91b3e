/**
 * The source line echoed under a diagnostic, made safe to print: lines are found through an index
 * built once per file (not by splitting the file for every diagnostic), long lines are cut to a
 * window around the span, and control characters are shown as escapes (`\x1b`) so that a binary or
 * hostile file cannot drive the terminal.
 */
import { MAX_EXCERPT_CHARS } from '../../grammar/limits.js';

/** A text with the start offset of every line, so that fetching line N costs that line only. */
export class SourceLines {
  private readonly starts: number[] = [0];

  constructor(readonly text: string) {
    for (let at = text.indexOf('\n'); at >= 0; at = text.indexOf('\n', at + 1)) this.starts.push(at + 1);
  }

  /** Line `n` (1-based) without its line break, or undefined past the end. */
  line(n: number): string | undefined {
    const start = this.starts[n - 1];
    if (start === undefined) return undefined;
    const next = this.starts[n];
    const end = next === undefined ? this.text.length : next - 1;
    return this.text.slice(start, end > start && this.text[end - 1] === '\r' ? end - 1 : end);
  }
}

/**
 * C0 controls but tab, DEL, C1 controls, and the invisible direction overrides (which can make
 * printed source read differently from what it is).
 */
const UNPRINTABLE = /[\x00-\x08\x0a-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]/;
const UNPRINTABLE_ALL = new RegExp(UNPRINTABLE.source, 'g');

function escapeChar(c: string): string {
  const code = c.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`;
}

/** `text` with every unprintable character shown as an escape; newlines kept when `keepNewlines`. */
export function printable(text: string, keepNewlines = false): string {
  return text.replace(UNPRINTABLE_ALL, (c) => (keepNewlines && c === '\n' ? c : escapeChar(c)));
}

/**
 * The printed source line and the caret line under columns [col, endCol) (1-based, end exclusive).
 * Tabs stay tabs in both so the carets line up in any terminal.
 */
export function excerpt(line: string, col: number, endCol: number, maxChars = MAX_EXCERPT_CHARS): [string, string] {
  const start = Math.min(Math.max(col - 1, 0), line.length);
  const end = Math.max(Math.min(endCol - 1, line.length), start);
  // A window of at most maxChars around the start of the span.
  const from = line.length <= maxChars ? 0 : Math.max(0, Math.min(start - Math.floor(maxChars / 4), line.length - maxChars));
  const to = Math.min(line.length, from + maxChars);
  const shown = (piece: string): string => piece.replace(UNPRINTABLE_ALL, escapeChar);
  const blank = (piece: string): string => piece.replace(/[^\t]/g, ' ');
  const before = (from > 0 ? '...' : '') + shown(line.slice(from, start));
  const marked = shown(line.slice(start, Math.min(end, to)));
  const text = before + marked + shown(line.slice(Math.min(end, to), to)) + (to < line.length ? '...' : '');
  return [text, blank(before) + '^'.repeat(Math.max(1, marked.length))];
}
