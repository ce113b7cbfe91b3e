/**
 * From the `data`, `train` and `evaluate` blocks of a pipeline to validated PipelineSettings, with
 * zod's complaints turned into diagnostics that point at the offending setting.
 */
import type * as A from '../syntax/ast.js';
import type { Span } from '../syntax/span.js';
import { diagnostic, type Diagnostic } from '../syntax/diagnostic.js';
import type { ConstScope } from './const-eval.js';
import { toRawValue, type RawValue } from './raw-value.js';
import { callArguments, knownSettingKeys, PipelineSettingsSchema, type PipelineSettings } from './settings.js';
import { didYouMean } from './suggest.js';

export interface SettingsSource {
  data?: A.DataDeclaration;
  train?: A.TrainDeclaration;
  evaluate: A.EvaluateDeclaration[];
}

/** Where each raw setting came from, keyed by its dotted path (`train.epochs`). */
type SpanIndex = Map<string, { key: Span; value: Span }>;

export function evaluateName(e: A.EvaluateDeclaration): string {
  return e.name?.text ?? 'default';
}

export function settingsFromSource(source: SettingsSource, scope: ConstScope, diagnostics: Diagnostic[]): PipelineSettings | undefined {
  const spans: SpanIndex = new Map();
  const blockSpans = new Map<string, Span>();
  let ok = true;
  const block = (settings: readonly A.Setting[], prefix: string, blockSpan: Span): Record<string, RawValue> => {
    blockSpans.set(prefix, blockSpan);
    const out: Record<string, RawValue> = {};
    for (const setting of settings) {
      const key = setting.key.text;
      if (Object.hasOwn(out, key)) {
        diagnostics.push(diagnostic('settingTwice', setting.key.span, { key, block: prefix }));
        ok = false;
        continue;
      }
      const value = toRawValue(setting.value, scope, diagnostics);
      if (value === undefined) { ok = false; continue; }
      out[key] = value;
      spans.set(`${prefix}.${key}`, { key: setting.key.span, value: setting.value.span });
    }
    return out;
  };
  const raw: Record<string, RawValue> = {};
  if (source.data) {
    raw.data = { ...block(source.data.settings?.settings ?? [], 'data', source.data.span), dataset: source.data.dataset.text };
  }
  if (source.train) raw.train = block(source.train.settings.settings, 'train', source.train.span);
  const evaluate: Record<string, RawValue> = {};
  for (const e of source.evaluate) {
    const name = evaluateName(e);
    if (Object.hasOwn(evaluate, name)) {
      diagnostics.push(diagnostic('evaluateTwice', e.name?.span ?? e.span, { name: name === 'default' ? '' : name + ' ' }, 'give each evaluate block its own name, e.g. `evaluate final { ... }`'));
      ok = false;
      continue;
    }
    evaluate[name] = block(e.settings.settings, `evaluate.${name}`, e.span);
  }
  raw.evaluate = evaluate;
  if (!ok) return undefined;

  const parsed = PipelineSettingsSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  for (const issue of parsed.error.issues) {
    const path = issue.path.map(String);
    // Map `evaluate.<name>.x` to the block `evaluate.<name>`; others to their first segment.
    const blockPath = path[0] === 'evaluate' ? `evaluate.${path[1]}` : (path[0] ?? '');
    const keyIndex = path[0] === 'evaluate' ? 2 : 1;
    const blockSpan = blockSpans.get(blockPath) ?? source.data?.span ?? source.train?.span;
    if (issue.code === 'unrecognized_keys' && path.length === keyIndex) {
      const known = knownSettingKeys[path[0] ?? ''] ?? [];
      for (const key of issue.keys) {
        const at = spans.get(`${blockPath}.${key}`);
        diagnostics.push(diagnostic('unknownSetting', at?.key ?? blockSpan!, { key, block: path[0] ?? '' }, didYouMean(key, known) ?? `the settings of \`${path[0]}\` are ${known.map((k) => `\`${k}\``).join(', ')}`));
      }
      continue;
    }
    const settingPath = `${blockPath}.${path[keyIndex] ?? ''}`;
    const at = spans.get(settingPath);
    const shown = path.join('.');
    const described = describeIssue(issue as unknown as IssueLike, raw);
    diagnostics.push(diagnostic('invalidSetting', at?.value ?? blockSpan!, { key: shown, problem: described.message }, described.hint));
  }
  return undefined;
}

/** The value at `path` inside plain data, if any. */
export function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let current = root;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

interface IssueLike {
  code: string;
  message: string;
  path: PropertyKey[];
  keys?: string[];
  values?: unknown[];
  errors?: IssueLike[][];
}

/**
 * A readable message for one zod issue; `input` is the whole value that was validated, so calls can
 * be named (`sgd has no argument momentm`) and unknown kinds suggested (`did you mean sgd?`).
 */
export function describeIssue(issue: IssueLike, input: unknown): { message: string; hint?: string } {
  const here = valueAt(input, issue.path);
  const kindOf = (v: unknown): string | undefined => (typeof v === 'string' ? v : v && typeof v === 'object' ? String((v as Record<string, unknown>).kind) : undefined);
  if (issue.code === 'invalid_union' && issue.errors) {
    // The branch whose `kind` matched carries the specific complaint.
    const matching = issue.errors.find((branch) => branch.length > 0 && !branch.some((i) => i.path[0] === 'kind' || (i.code === 'invalid_type' && i.path.length === 0)));
    if (matching) {
      const parts = matching.map((i) => describeIssue(i, here));
      return { message: parts.map((p) => p.message).join('; '), ...(parts.find((p) => p.hint)?.hint ? { hint: parts.find((p) => p.hint)!.hint! } : {}) };
    }
    const kinds = issue.errors.flatMap((branch) => branch.filter((i) => i.path[0] === 'kind').flatMap((i) => (i.values ?? []).map(String)));
    const numberAccepted = issue.errors.some((branch) => branch.some((i) => i.path.length === 0 && /expected number/.test(i.message)));
    const accepted = [...(numberAccepted ? ['a number'] : []), ...kinds.map((k) => `\`${k}\``)];
    const actual = kindOf(here);
    const hint = actual ? didYouMean(actual, kinds) : undefined;
    return { message: accepted.length ? `expected ${accepted.join(', ').replace(/, ([^,]*)$/, ' or $1')}` : 'not one of the accepted forms', ...(hint ? { hint } : {}) };
  }
  if (issue.code === 'unrecognized_keys' && issue.keys) {
    const kind = kindOf(here);
    const known = kind ? callArguments[kind] : undefined;
    const hint = known ? didYouMean(issue.keys[0]!, known) : undefined;
    const owner = kind && known ? `\`${kind}\`` : 'this setting';
    return { message: `${owner} has no argument${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `\`${k}\``).join(', ')}`, ...(hint ? { hint } : {}) };
  }
  if (issue.code === 'invalid_type' && here === undefined && issue.path.length > 0) {
    const parentKind = kindOf(valueAt(input, issue.path.slice(0, -1)));
    const name = String(issue.path[issue.path.length - 1]);
    return { message: parentKind && callArguments[parentKind] ? `\`${parentKind}\` needs the argument \`${name}\`` : `missing \`${name}\`` };
  }
  return { message: stripPrefix(issue.message) };
}

function stripPrefix(message: string): string {
  return message.replace(/^Invalid input: /, '').replace(/^Invalid option: /, '');
}
