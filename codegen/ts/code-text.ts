/**
 * User strings (file names, pipeline names, settings) inside generated code. A file name may hold
 * a newline, which would end a `//` comment and turn the rest of the name into code, or `*\/`,
 * which would end a doc comment; string literals must escape quotes and line terminators.
 */

/** Line terminators and other control characters, as `\uXXXX` so a comment stays on one line. */
const UNSAFE_IN_COMMENT = /[\u0000-\u001f\u007f\u2028\u2029]/g;

/** `text` made safe inside a `//` or `/** *\/` comment: one line, and no `*\/` to close it early. */
export function commentText(text: string): string {
  return text.replace(UNSAFE_IN_COMMENT, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).replace(/\*\//g, '*\\/');
}

/** `value` as a TypeScript expression: JSON's escapes, plus U+2028/U+2029, which JSON leaves raw. */
export function jsonLiteral(value: unknown, indent?: number): string {
  return JSON.stringify(value, null, indent).replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/** A double-quoted TypeScript string literal of `text`. */
export function stringLiteral(text: string): string {
  return jsonLiteral(text);
}
