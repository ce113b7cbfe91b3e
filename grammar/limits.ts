/**
 * The front end's limits on hostile or accidental input (documented in docs/language.md, "Limits").
 * Each one turns what would be a stack overflow, a hang or an out-of-memory crash into a located
 * diagnostic; they are far above anything a real pipeline needs.
 */

/**
 * Syntactic nesting: each nested expression (inside parentheses, brackets, braces, call arguments,
 * `if`), prefix operator, `^` exponent and `repeat` block is one level. The parser is recursive
 * descent, about 7 KB of stack per parenthesis, so this keeps it (and everything after it) well
 * inside Node's default 1 MB stack.
 */
export const MAX_NESTING_DEPTH = 64;

/**
 * Depth of an expression tree after parsing. Operator chains are parsed iteratively but build a
 * deep tree (`a + b + c` is `(a + b) + c`), which the checker and the compiler walk recursively.
 */
export const MAX_EXPRESSION_DEPTH = 256;

/** Largest .mat file read, the entry file and every import alike. */
export const MAX_SOURCE_BYTES = 4 * 1024 * 1024;

/** Diagnostics printed in full by formatDiagnostics; the rest are counted. */
export const MAX_PRINTED_DIAGNOSTICS = 50;

/** Longest stretch of a source line echoed under a diagnostic. */
export const MAX_EXCERPT_CHARS = 160;
