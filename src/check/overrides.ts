/**
 * `key=value` overrides of settings (the CLI's `--set train.epochs=5` and the embedding API).
 * Values use the language's own value syntax, so `first(100)`, `[crop(4), flip]`, `8/255`,
 * `sgd(lr: 0.05)`, `true` and bare words all work; text that does not parse is taken as a string
 * (e.g. a path). The result is validated by the same zod schema as the source.
 */
import { matLexer } from '../../grammar/tokens.js';
import { matParser } from '../../grammar/parser.js';
import { AstBuilder } from '../syntax/build-ast.js';
import type * as A from '../syntax/ast.js';
import type { Span } from '../syntax/span.js';
import { diagnostic, type Diagnostic } from '../syntax/diagnostic.js';
import { ConstScope } from './const-eval.js';
import { toRawValue, type RawValue } from './raw-value.js';
import { knownSettingKeys, PipelineSettingsSchema, type PipelineSettings, type PipelineSettingsInput } from './settings.js';
import { describeIssue } from './settings-source.js';
import { didYouMean } from './suggest.js';

/** Diagnostics about overrides name this pseudo-file; format them with the override text as source. */
export const overrideFile = '<override>';

export interface OverrideResult {
  /** The validated settings, absent if any override failed. */
  settings?: PipelineSettings;
  diagnostics: Diagnostic[];
}

/** A span of characters [start, end) of an override's text. */
function spanIn(start: number, end: number): Span {
  return { file: overrideFile, line: 1, col: start + 1, endLine: 1, endCol: Math.max(end, start + 1) + 1, offset: start, endOffset: Math.max(end, start + 1) };
}

/**
 * Parse the value part of an override as an expression, with spans in the pseudo-file `<override>`
 * that point into the whole override text (`valueStart` is where the value begins in it).
 */
export function parseOverrideExpression(overrideText: string, valueStart: number): A.Expr | Diagnostic {
  const padded = ' '.repeat(valueStart) + overrideText.slice(valueStart);
  const lexed = matLexer.tokenize(padded);
  const whole = spanIn(valueStart, overrideText.length);
  if (lexed.errors.length === 0 && lexed.tokens.length > 0) {
    matParser.input = lexed.tokens;
    const cst = matParser.expression();
    if (matParser.errors.length === 0) return new AstBuilder(overrideFile, whole).expression(cst);
  }
  return diagnostic('overrideValue', whole, { value: overrideText.slice(valueStart) });
}

/** Parse the value part of an override. */
export function parseOverrideValue(text: string): RawValue {
  const lexed = matLexer.tokenize(text);
  if (lexed.errors.length === 0 && lexed.tokens.length > 0) {
    matParser.input = lexed.tokens;
    const cst = matParser.expression();
    if (matParser.errors.length === 0) {
      const span = spanIn(0, text.length);
      const ast = new AstBuilder(overrideFile, span).expression(cst);
      const diagnostics: Diagnostic[] = [];
      const value = toRawValue(ast, new ConstScope(), diagnostics);
      if (value !== undefined && diagnostics.length === 0) return value;
    }
  }
  return text;
}

/** Deep copy of plain data (settings are JSON-like). */
function clone<T>(value: T): T {
  return structuredClone(value);
}

/** Keys allowed under `path` (segments), given the current settings. */
function allowedKeys(settings: Record<string, unknown>, path: readonly string[], current: unknown): string[] {
  if (path.length === 0) return [...knownSettingKeys['']!];
  if (path.length === 1 && path[0] === 'evaluate') return Object.keys((settings.evaluate as Record<string, unknown>) ?? {});
  if (path.length === 1 && knownSettingKeys[path[0]!]) return [...knownSettingKeys[path[0]!]!];
  if (path.length === 2 && path[0] === 'evaluate') return [...knownSettingKeys.evaluate!];
  return current && typeof current === 'object' && !Array.isArray(current) ? Object.keys(current) : [];
}

/**
 * `evaluate.every=4` on a pipeline whose only evaluate block is unnamed means `evaluate.default.every=4`:
 * the unnamed block's key is an implementation name users never write in a .mat file.
 */
function unnamedEvaluateAlias(settings: Record<string, unknown>, segments: string[]): string[] {
  if (segments[0] !== 'evaluate' || segments.length < 2) return segments;
  const blocks = Object.keys((settings.evaluate as Record<string, unknown>) ?? {});
  const isSetting = knownSettingKeys.evaluate!.includes(segments[1]!);
  if (isSetting && !blocks.includes(segments[1]!) && blocks.length === 1 && blocks[0] === 'default') {
    return ['evaluate', 'default', ...segments.slice(1)];
  }
  return segments;
}

/**
 * Apply `overrides` (each `dotted.key=value`) to `settings` and validate the result.
 * Unknown keys and invalid values come back as diagnostics in the pseudo-file `<override>`.
 */
export function applyOverrides(settings: PipelineSettings | PipelineSettingsInput, overrides: readonly string[]): OverrideResult {
  const diagnostics: Diagnostic[] = [];
  const draft = clone(settings) as unknown as Record<string, unknown>;
  const keyOf: { path: string; text: string; valueStart: number }[] = [];
  for (const text of overrides) {
    const eq = text.indexOf('=');
    if (eq <= 0) {
      diagnostics.push(diagnostic('overrideForm', spanIn(0, text.length), { text }, 'e.g. `train.epochs=5`'));
      continue;
    }
    const key = text.slice(0, eq).trim();
    const segments = unnamedEvaluateAlias(draft, key.split('.'));
    // Spans below index into the text as written; the alias added one segment that is not there.
    const aliased = segments.length !== key.split('.').length;
    let parent: Record<string, unknown> = draft;
    let ok = true;
    let offset = 0;
    for (let i = 0; i < segments.length; i++) {
      const segment = segments[i]!;
      const allowed = allowedKeys(draft, segments.slice(0, i), parent);
      const isLast = i === segments.length - 1;
      if (!allowed.includes(segment)) {
        const where = i === 0 ? 'the settings' : `\`${segments.slice(0, i).join('.')}\``;
        diagnostics.push(diagnostic('unknownOverrideSetting', spanIn(offset, offset + segment.length), { key: segments.slice(0, i + 1).join('.') },
          didYouMean(segment, allowed) ?? (allowed.length ? `the keys of ${where} are ${allowed.map((k) => `\`${k}\``).join(', ')}` : i === 1 && segments[0] === 'evaluate' ? 'the pipeline has no evaluate block of that name' : undefined)));
        ok = false;
        break;
      }
      if (!isLast) {
        const next = parent[segment];
        if (next === undefined && (knownSettingKeys[segment] || segments[i - 1] === 'evaluate')) parent[segment] = {};
        else if (typeof next !== 'object' || next === null || Array.isArray(next)) {
          diagnostics.push(diagnostic('overrideNotGroup', spanIn(offset, offset + segment.length), { key: segments.slice(0, i + 1).join('.') }));
          ok = false;
          break;
        }
        parent = parent[segment] as Record<string, unknown>;
      }
      if (!(aliased && i === 1)) offset += segment.length + 1;
    }
    if (!ok) continue;
    parent[segments[segments.length - 1]!] = parseOverrideValue(text.slice(eq + 1).trim());
    keyOf.push({ path: key, text, valueStart: eq + 1 });
  }
  if (diagnostics.length > 0) return { diagnostics };

  const parsed = PipelineSettingsSchema.safeParse(draft);
  if (parsed.success) return { settings: parsed.data, diagnostics };
  for (const issue of parsed.error.issues) {
    const path = issue.path.map(String).join('.');
    // Blame the override whose key is the issue's path or a prefix of it.
    const culprit = keyOf.find((k) => path === k.path || path.startsWith(`${k.path}.`) || k.path.startsWith(`${path}.`)) ?? keyOf[0];
    const text = culprit?.text ?? '';
    const span = culprit ? spanIn(culprit.valueStart, text.length) : spanIn(0, 0);
    const shownValue = culprit ? text.slice(culprit.valueStart) : '';
    const described = describeIssue(issue as unknown as Parameters<typeof describeIssue>[0], draft);
    diagnostics.push(diagnostic('overrideInvalidValue', span, { value: shownValue, key: String(path || culprit?.path), problem: described.message }, described.hint));
  }
  return { diagnostics };
}
