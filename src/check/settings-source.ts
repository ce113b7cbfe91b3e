/**
 * From the `data`, `train` and `evaluate` blocks of a pipeline to validated PipelineSettings, with
 * zod's complaints turned into diagnostics that point at the offending setting.
 */
import type * as A from '../syntax/ast.js';
import type { Span } from '../syntax/span.js';
import { error, type Diagnostic } from '../syntax/diagnostic.js';
import type { ConstScope } from './const-eval.js';
import { toRawValue, type RawValue } from './raw-value.js';
import { knownSettingKeys, PipelineSettingsSchema, type PipelineSettings } from './settings.js';
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
        diagnostics.push(error('duplicate-definition', `setting \`${key}\` is given twice in \`${prefix}\``, setting.key.span));
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
      diagnostics.push(error('duplicate-definition', `there are two \`evaluate ${name === 'default' ? '' : name + ' '}{ }\` blocks`, e.name?.span ?? e.span, 'give each evaluate block its own name, e.g. `evaluate final { ... }`'));
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
        diagnostics.push(error('unknown-setting', `unknown setting \`${key}\` in \`${path[0]}\``, at?.key ?? blockSpan!, didYouMean(key, known) ?? `the settings of \`${path[0]}\` are ${known.map((k) => `\`${k}\``).join(', ')}`));
      }
      continue;
    }
    const settingPath = `${blockPath}.${path[keyIndex] ?? ''}`;
    const at = spans.get(settingPath);
    const shown = path.join('.');
    diagnostics.push(error('invalid-setting', `invalid value for \`${shown}\`: ${describeIssueMessage(issue)}`, at?.value ?? blockSpan!));
  }
  return undefined;
}

/** zod's message without its generic prefix; union failures name the accepted forms. */
export function describeIssueMessage(issue: { code: string; message: string; errors?: unknown }): string {
  if (issue.code === 'invalid_union' && Array.isArray(issue.errors)) {
    // Prefer the branch whose `kind` matched: its complaint is the specific one.
    const branches = issue.errors as { path: PropertyKey[]; message: string; code: string }[][];
    const matching = branches.find((b) => b.length > 0 && !b.some((i) => i.path[0] === 'kind' || (i.code === 'invalid_type' && i.path.length === 0)));
    if (matching) return matching.map((i) => (i.path.length ? `${i.path.join('.')}: ` : '') + stripPrefix(i.message)).join('; ');
    return 'not one of the accepted forms (see docs/language.md, "Settings")';
  }
  return stripPrefix(issue.message);
}

function stripPrefix(message: string): string {
  return message.replace(/^Invalid input: /, '').replace(/^Invalid option: /, '');
}
