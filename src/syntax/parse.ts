/**
 * Text -> AST with diagnostics. Lexer and parser errors become `syntax-error` diagnostics with
 * positions; Chevrotain's error recovery lets one run report several of them.
 */
import { EOF, type IToken } from 'chevrotain';
import { matLexer } from '../../grammar/tokens.js';
import { matParser } from '../../grammar/parser.js';
import type { SourceFile } from './ast.js';
import { AstBuilder } from './build-ast.js';
import { error, type Diagnostic } from './diagnostic.js';
import type { Span } from './span.js';

export interface ParseResult {
  ast: SourceFile;
  diagnostics: Diagnostic[];
}

/** Parse `text`; `file` is the name diagnostics and spans carry. Never throws on bad input. */
export function parseSource(text: string, file: string): ParseResult {
  const diagnostics: Diagnostic[] = [];
  const lexed = matLexer.tokenize(text);
  for (const e of lexed.errors) {
    const image = text.slice(e.offset, e.offset + e.length);
    diagnostics.push(
      error('syntax-error', `unexpected character${e.length > 1 ? 's' : ''} \`${image}\``, {
        file,
        line: e.line ?? 1,
        col: e.column ?? 1,
        endLine: e.line ?? 1,
        endCol: (e.column ?? 1) + e.length,
        offset: e.offset,
        endOffset: e.offset + e.length,
      }, image === '"' ? 'strings must end on the line they start' : undefined),
    );
  }
  const endSpan = endOfText(text, file, lexed.tokens);
  matParser.input = lexed.tokens;
  const cst = matParser.file();
  for (const e of matParser.errors) {
    const token = e.token;
    const atEnd = token.tokenType === EOF || Number.isNaN(token.startOffset);
    const span = atEnd ? endSpan : new AstBuilder(file, endSpan).tokenSpan(token);
    diagnostics.push(error('syntax-error', e.message, span));
  }
  const whole: Span = { file, line: 1, col: 1, endLine: endSpan.endLine, endCol: endSpan.endCol, offset: 0, endOffset: text.length };
  const ast = new AstBuilder(file, endSpan).sourceFile(cst, whole);
  return { ast, diagnostics };
}

/** A zero-width span just after the last token: where "expected `}`" at end of file points. */
function endOfText(text: string, file: string, tokens: IToken[]): Span {
  const last = tokens[tokens.length - 1];
  if (!last) return { file, line: 1, col: 1, endLine: 1, endCol: 1, offset: 0, endOffset: 0 };
  const line = last.endLine ?? 1;
  const col = (last.endColumn ?? 0) + 1;
  const offset = (last.endOffset ?? 0) + 1;
  return { file, line, col, endLine: line, endCol: col + 1, offset, endOffset: Math.min(offset + 1, text.length + 1) };
}
