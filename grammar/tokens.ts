/**
 * Tokens of the .mat language. Every token the lexer knows is defined here, once;
 * the parser (grammar/parser.ts) consumes them and the grammar reference is generated from both.
 *
 * Keywords are matched before identifiers but use `longer_alt: Identifier`, so `epochs` or
 * `modelName` lex as identifiers while `epoch` and `model` lex as keywords.
 */
import type { TokenType } from 'chevrotain';
import { createToken, Lexer } from './chevrotain.js';

export const WhiteSpace = createToken({ name: 'WhiteSpace', pattern: /[ \t\r\n]+/, group: Lexer.SKIPPED });
/** `#` starts a comment that runs to the end of the line. */
export const Comment = createToken({ name: 'Comment', pattern: /#[^\n\r]*/, group: Lexer.SKIPPED });

/**
 * Any word, keyword or not: settings keys and argument names may be keywords (`epoch: 3` is a
 * typo worth a helpful message, not a syntax error).
 */
export const Word = createToken({ name: 'Word', pattern: Lexer.NA, label: 'name' });
export const Identifier = createToken({ name: 'Identifier', pattern: /[A-Za-z_][A-Za-z0-9_]*/, label: 'identifier', categories: Word });

function keyword(word: string): TokenType {
  const name = word.charAt(0).toUpperCase() + word.slice(1);
  return createToken({ name, pattern: new RegExp(`${word}\\b`), longer_alt: Identifier, label: `\`${word}\``, categories: Word });
}

export const Import = keyword('import');
export const Pipeline = keyword('pipeline');
export const Model = keyword('model');
export const Block = keyword('block');
export const Let = keyword('let');
export const Data = keyword('data');
export const Attack = keyword('attack');
export const Maximize = keyword('maximize');
export const Minimize = keyword('minimize');
export const State = keyword('state');
export const Schedule = keyword('schedule');
export const Train = keyword('train');
export const Evaluate = keyword('evaluate');
export const Forward = keyword('forward');
export const Return = keyword('return');
export const Sequential = keyword('sequential');
export const Repeat = keyword('repeat');
export const If = keyword('if');
export const Then = keyword('then');
export const Else = keyword('else');
export const And = keyword('and');
export const Or = keyword('or');
export const Not = keyword('not');
export const True = keyword('true');
export const False = keyword('false');
export const None = keyword('none');
/** `epoch` alone is the epoch variable of schedules; `epoch 90` is an epoch literal (see parser). */
export const Epoch = keyword('epoch');

/** Numbers: `10`, `0.5`, `.5`, `5e-4`, `1.5E+3`. Arithmetic such as `8/255` is an expression. */
export const NumberLiteral = createToken({
  name: 'NumberLiteral',
  pattern: /(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/,
  label: 'number',
});
/** Double-quoted strings with backslash escapes; no newlines inside. */
export const StringLiteral = createToken({ name: 'StringLiteral', pattern: /"(?:[^"\\\n\r]|\\.)*"/, label: 'string' });

// Operator categories keep the order of mixed operators in one CST array (`a + b - c`).
export const AdditiveOperator = createToken({ name: 'AdditiveOperator', pattern: Lexer.NA });
export const MultiplicativeOperator = createToken({ name: 'MultiplicativeOperator', pattern: Lexer.NA });
export const ComparisonOperator = createToken({ name: 'ComparisonOperator', pattern: Lexer.NA });

export const Plus = createToken({ name: 'Plus', pattern: /\+/, categories: AdditiveOperator, label: "'+'" });
export const Minus = createToken({ name: 'Minus', pattern: /-/, categories: AdditiveOperator, label: "'-'" });
export const Star = createToken({ name: 'Star', pattern: /\*/, categories: MultiplicativeOperator, label: "'*'" });
export const Slash = createToken({ name: 'Slash', pattern: /\//, categories: MultiplicativeOperator, label: "'/'" });
export const Caret = createToken({ name: 'Caret', pattern: /\^/, label: "'^'" });
export const EqualEqual = createToken({ name: 'EqualEqual', pattern: /==/, categories: ComparisonOperator, label: "'=='" });
export const NotEqual = createToken({ name: 'NotEqual', pattern: /!=/, categories: ComparisonOperator, label: "'!='" });
export const LessEqual = createToken({ name: 'LessEqual', pattern: /<=/, categories: ComparisonOperator, label: "'<='" });
export const GreaterEqual = createToken({ name: 'GreaterEqual', pattern: />=/, categories: ComparisonOperator, label: "'>='" });
export const Less = createToken({ name: 'Less', pattern: /</, categories: ComparisonOperator, label: "'<'" });
export const Greater = createToken({ name: 'Greater', pattern: />/, categories: ComparisonOperator, label: "'>'" });
export const Equals = createToken({ name: 'Equals', pattern: /=/, label: "'='" });
export const LParen = createToken({ name: 'LParen', pattern: /\(/, label: "'('" });
export const RParen = createToken({ name: 'RParen', pattern: /\)/, label: "')'" });
export const LCurly = createToken({ name: 'LCurly', pattern: /\{/, label: "'{'" });
export const RCurly = createToken({ name: 'RCurly', pattern: /\}/, label: "'}'" });
export const LBracket = createToken({ name: 'LBracket', pattern: /\[/, label: "'['" });
export const RBracket = createToken({ name: 'RBracket', pattern: /]/, label: "']'" });
export const Colon = createToken({ name: 'Colon', pattern: /:/, label: "':'" });
export const Comma = createToken({ name: 'Comma', pattern: /,/, label: "','" });
export const Dot = createToken({ name: 'Dot', pattern: /\./, label: "'.'" });

export const keywordTokens: TokenType[] = [
  Import, Pipeline, Model, Block, Let, Data, Attack, Maximize, Minimize, State, Schedule, Train, Evaluate,
  Forward, Return, Sequential, Repeat, If, Then, Else, And, Or, Not, True, False, None, Epoch,
];

/** Lexer order matters: longer operators before their prefixes, numbers before the dot. */
export const allTokens: TokenType[] = [
  WhiteSpace, Comment,
  ...keywordTokens,
  Word, Identifier, NumberLiteral, StringLiteral,
  AdditiveOperator, MultiplicativeOperator, ComparisonOperator,
  Plus, Minus, Star, Slash, Caret,
  EqualEqual, NotEqual, LessEqual, GreaterEqual, Less, Greater, Equals,
  LParen, RParen, LCurly, RCurly, LBracket, RBracket, Colon, Comma, Dot,
];

export const matLexer = new Lexer(allTokens, { positionTracking: 'full', ensureOptimizations: false });
