/**
 * Subsets and batch sizes against the size of the data set. The runtime would otherwise change
 * them silently: `range(59900, 70000)` on a 60 000-image set became `range(59900, 60000)`, and a
 * batch larger than the training set became one step of the whole set. The sizes of the standard
 * sets are known here (datasets.ts); a copy read from `data.path` is checked when it is loaded
 * (src/lower/data-setup.ts).
 */
import type * as A from '../syntax/ast.js';
import type { Span } from '../syntax/span.js';
import { diagnostic, type Diagnostic } from '../syntax/diagnostic.js';
import type { DatasetInfo } from './datasets.js';
import type { PipelineSettings, Subset } from './settings.js';

export interface DataSizeSource {
  data: A.DataDeclaration;
  train?: A.TrainDeclaration | undefined;
  evaluate: readonly A.EvaluateDeclaration[];
}

/** The span of `key: value` in a settings block, or `fallback`. */
function settingSpan(block: A.SettingsBlock | undefined, key: string, fallback: Span): Span {
  return block?.settings.find((s) => s.key.text === key)?.value.span ?? fallback;
}

export function subsetText(s: Subset): string {
  switch (s.kind) {
    case 'all': return 'all';
    case 'first': return `first(${s.count})`;
    case 'range': return `range(${s.start}, ${s.end})`;
    case 'random': return `random(${s.count})`;
  }
}

export interface SubsetProblem {
  severity: 'error' | 'warning';
  message: string;
  hint?: string;
}

/**
 * What is wrong with `subset` on a split of `size` examples, `what` naming them ("the 60000
 * training examples of mnist"): a range past the end is an error, a count above the size a warning.
 */
export function subsetProblem(s: Subset, size: number, what: string): SubsetProblem | undefined {
  if (s.kind === 'range') {
    if (s.start >= s.end) return { severity: 'error', message: `\`${subsetText(s)}\` is empty: the start must be below the end` };
    if (s.end > size) {
      const hint = s.start < size ? `indices run from 0 to ${size - 1}; e.g. \`range(${s.start}, ${size})\`` : `indices run from 0 to ${size - 1}`;
      return { severity: 'error', message: `\`${subsetText(s)}\` ${s.start < size ? 'ends' : 'starts'} past ${what}`, hint };
    }
  }
  if ((s.kind === 'first' || s.kind === 'random') && s.count > size) {
    return { severity: 'warning', message: `\`${subsetText(s)}\` asks for more than ${what}; all ${size} are used` };
  }
  return undefined;
}

function subsetDiagnostic(s: Subset, size: number, what: string, span: Span): Diagnostic | undefined {
  const problem = subsetProblem(s, size, what);
  if (!problem) return undefined;
  return diagnostic(problem.severity === 'error' ? 'subsetOutOfRange' : 'subsetTooLarge', span, { message: problem.message }, problem.hint);
}

/** How many examples a valid subset selects from `size`. */
function subsetSize(s: Subset, size: number): number {
  switch (s.kind) {
    case 'all': return size;
    case 'first': case 'random': return Math.min(s.count, size);
    case 'range': return Math.max(0, Math.min(s.end, size) - s.start);
  }
}

export function checkDataSizes(settings: PipelineSettings, info: DatasetInfo, source: DataSizeSource, diagnostics: Diagnostic[]): void {
  if (settings.data.path !== '') return; // a copy of unknown size: checked when loaded
  const name = settings.data.dataset;
  const dataBlock = source.data.settings;
  const splits = { train: { size: info.trainSize, what: `the ${info.trainSize} training examples of ${name}` }, test: { size: info.testSize, what: `the ${info.testSize} test examples of ${name}` } };
  const report = (d: Diagnostic | undefined) => { if (d) diagnostics.push(d); };

  report(subsetDiagnostic(settings.data.subset, splits.train.size, splits.train.what, settingSpan(dataBlock, 'subset', source.data.span)));
  report(subsetDiagnostic(settings.data.test_subset, splits.test.size, splits.test.what, settingSpan(dataBlock, 'test_subset', source.data.span)));
  for (const e of source.evaluate) {
    const evaluation = settings.evaluate[e.name?.text ?? 'default'];
    if (!evaluation?.subset) continue;
    const split = splits[evaluation.split];
    report(subsetDiagnostic(evaluation.subset, split.size, split.what, settingSpan(e.settings, 'subset', e.span)));
  }

  const examples = subsetSize(settings.data.subset, info.trainSize);
  const batch = settings.train.batch;
  if (batch > examples) {
    const span = settingSpan(source.train?.settings, 'batch', source.train?.span ?? settingSpan(dataBlock, 'subset', source.data.span));
    diagnostics.push(diagnostic('batchTooLarge', span, { batch, examples }, `use \`batch: ${examples}\` or fewer`));
  }
}
