/**
 * Text -> AST with diagnostics. Lexer and parser errors become `syntax-error` diagnostics with
 * positions; Chevrotain's error recovery lets one run report several of them.
 */
import type { IToken } from 'chevrotain';
import { EOF } from '../../grammar/chevrotain.js';
import { matLexer } from '../../grammar/tokens.js';
import { matParser, NestingTooDeep, type CstNode } from '../../grammar/parser.js';
import type { SourceFile } from './ast.js';
import { AstBuilder } from './build-ast.js';
import { diagnostic, type Diagnostic } from './diagnostic.js';
import { cutDeepExpressions } from './expression-depth.js';
import type { Span } from './span.js';

/** Longest run of unexpected characters quoted in a message (a binary file is one long run). */
const MAX_QUOTED_CHARS = 20;

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
    const quoted = image.length > MAX_QUOTED_CHARS ? `${image.slice(0, MAX_QUOTED_CHARS)}...` : image;
    diagnostics.push(
      diagnostic('unexpectedCharacters', {
        file,
        line: e.line ?? 1,
        col: e.column ?? 1,
        endLine: e.line ?? 1,
        endCol: (e.column ?? 1) + e.length,
        offset: e.offset,
        endOffset: e.offset + e.length,
      }, { characters: e.length > 1 ? 'characters' : 'character', image: quoted }, image === '"' ? 'strings must end on the line they start' : undefined),
    );
  }
  const endSpan = endOfText(text, file, lexed.tokens);
  const builder = new AstBuilder(file, endSpan);
  const spanOf = (token: IToken): Span => (token.tokenType === EOF || Number.isNaN(token.startOffset) ? endSpan : builder.tokenSpan(token));
  matParser.input = lexed.tokens;
  let cst: CstNode | undefined;
  try {
    cst = matParser.file();
  } catch (e) {
    if (!(e instanceof NestingTooDeep)) throw e;
    diagnostics.push(diagnostic('parserTooDeep', spanOf(e.token), { message: e.message }, 'split the expression into several `let` constants'));
  }
  for (const e of matParser.errors) {
    // A parse stopped for nesting did not reach the end; that is not a second error.
    if (!cst && e.name === 'NotAllInputParsedException') continue;
    diagnostics.push(diagnostic('parserError', spanOf(e.token), { message: e.message }));
  }
  const whole: Span = { file, line: 1, col: 1, endLine: endSpan.endLine, endCol: endSpan.endCol, offset: 0, endOffset: text.length };
  // After a parse stopped for nesting there is no tree; the error keeps the file from being checked.
  const ast: SourceFile = cst ? builder.sourceFile(cst, whole) : { kind: 'SourceFile', file, items: [], span: whole };
  const tooDeep = cutDeepExpressions(ast);
  if (tooDeep) diagnostics.push(tooDeep);
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
