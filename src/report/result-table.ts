/**
 * The paper's Best/Final/Diff table: for each attack, the test accuracy of the best checkpoint,
 * of the final one, and their difference (robust overfitting shows as a positive Diff).
 *
 * Rows come from the final evaluations (eval/best.json, eval/final.json) when they exist, and
 * otherwise from the training log: the best epoch (the one flagged is_best; without flags, the
 * highest test_robust_acc, ties broken by test_natural_acc, earliest first) against the last epoch.
 * Both sources combine: a row the evaluations do not have (typically PGD-10, the selection attack
 * evaluated every epoch) is taken from the log.
 */
import type { EpochRecord } from './metrics.js';
import { compareTitles, titleFromLabel, type EvalSummary } from './eval-summary.js';

export interface ResultRow {
  title: string;
  /** Accuracies as fractions in [0, 1]; null when unknown. */
  best: number | null;
  final: number | null;
}

export interface ResultTable {
  rows: ResultRow[];
  /** The epochs of the best and final checkpoints, when the log tells them. */
  bestEpoch: number | null;
  finalEpoch: number | null;
}

export interface ResultSources {
  best?: EvalSummary | undefined;
  final?: EvalSummary | undefined;
  records?: readonly EpochRecord[];
  /** Row titles of the log's `eval` labels, e.g. { pgd: 'PGD-10' }; default titleFromLabel. */
  titles?: Readonly<Record<string, string>>;
}

const bestKey = (r: EpochRecord): [number, number] => [r.test_robust_acc ?? -Infinity, r.test_natural_acc ?? -Infinity];

/** The best epoch of a log: the last one flagged is_best, else by the selection rule. */
export function bestRecord(records: readonly EpochRecord[]): EpochRecord | undefined {
  const flagged = records.filter((r) => r.is_best);
  if (flagged.length > 0) return flagged[flagged.length - 1];
  let best: EpochRecord | undefined;
  for (const r of records) {
    if (r.test_robust_acc === null && r.test_natural_acc === null) continue;
    if (!best) {
      best = r;
      continue;
    }
    const [rr, rn] = bestKey(r);
    const [br, bn] = bestKey(best);
    if (rr > br || (rr === br && rn > bn)) best = r;
  }
  return best;
}

/** Accuracies of one log record by row title. */
function recordAccuracies(r: EpochRecord, titles: Readonly<Record<string, string>>): Map<string, number> {
  const out = new Map<string, number>();
  for (const [label, acc] of Object.entries(r.eval)) {
    if (typeof acc === 'number') out.set(titles[label] ?? titleFromLabel(label), acc);
  }
  // Logs without per-attack results still have the two headline numbers.
  if (out.size === 0) {
    if (r.test_natural_acc !== null) out.set('Natural', r.test_natural_acc);
    if (r.test_robust_acc !== null) out.set('Robust', r.test_robust_acc);
  }
  return out;
}

function summaryAccuracies(s: EvalSummary | undefined): Map<string, number> {
  const out = new Map<string, number>();
  for (const [label, a] of Object.entries(s?.attacks ?? {})) out.set(a.title ?? titleFromLabel(label), a.accuracy);
  return out;
}

export function resultTable(sources: ResultSources): ResultTable {
  const records = sources.records ?? [];
  const best = bestRecord(records);
  const last = records[records.length - 1];
  const titles = sources.titles ?? {};
  const fromEval = { best: summaryAccuracies(sources.best), final: summaryAccuracies(sources.final) };
  const fromLog = { best: best ? recordAccuracies(best, titles) : new Map<string, number>(), final: last ? recordAccuracies(last, titles) : new Map<string, number>() };
  const evalTitles = new Set([...fromEval.best.keys(), ...fromEval.final.keys()]);
  const logTitles = new Set([...fromLog.best.keys(), ...fromLog.final.keys()].filter((t) => !evalTitles.has(t)));
  const rows: ResultRow[] = [
    ...[...evalTitles].map((title) => ({ title, best: fromEval.best.get(title) ?? null, final: fromEval.final.get(title) ?? null })),
    ...[...logTitles].map((title) => ({ title, best: fromLog.best.get(title) ?? null, final: fromLog.final.get(title) ?? null })),
  ];
  rows.sort((a, b) => compareTitles(a.title, b.title));
  return { rows, bestEpoch: best?.epoch ?? null, finalEpoch: last?.epoch ?? null };
}

// ---------------------------------------------------------------- formatting

/** Hundredths of a percent point, so that Diff is exactly the difference of the printed values. */
const hundredths = (fraction: number): number => Math.round(fraction * 10000);
const showHundredths = (h: number): string => (h / 100).toFixed(2);

/** `84.12` for 0.84123; `-` for unknown. */
export function formatPercent(fraction: number | null): string {
  return fraction === null || !Number.isFinite(fraction) ? '-' : showHundredths(hundredths(fraction));
}

/** Best - Final in percent points, from the rounded values (as the table shows them); null if either is unknown. */
export function diffPercent(row: ResultRow): string | null {
  if (row.best === null || row.final === null || !Number.isFinite(row.best) || !Number.isFinite(row.final)) return null;
  return showHundredths(hundredths(row.best) - hundredths(row.final));
}

/** The cells of the table as strings: header row, then one row per attack. */
export function resultTableCells(table: ResultTable): string[][] {
  return [['Accuracy (%)', 'Best', 'Final', 'Diff'], ...table.rows.map((r) => [r.title, formatPercent(r.best), formatPercent(r.final), diffPercent(r) ?? '-'])];
}

/** The table as plain text for the terminal (printed at the end of `matc run`). */
export function formatResultTable(table: ResultTable): string {
  if (table.rows.length === 0) return 'No test accuracies recorded (no evaluation ran).';
  const cells = resultTableCells(table);
  const widths = cells[0]!.map((_, c) => Math.max(...cells.map((row) => row[c]!.length)));
  const lines = cells.map((row) => row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('   '));
  lines.splice(1, 0, widths.map((w) => '-'.repeat(w)).join('   '));
  const epochs: string[] = [];
  if (table.bestEpoch !== null) epochs.push(`Best = epoch ${table.bestEpoch}`);
  if (table.finalEpoch !== null) epochs.push(`Final = epoch ${table.finalEpoch}`);
  if (epochs.length > 0) lines.push(`${epochs.join(', ')}; Diff = Best - Final.`);
  return lines.join('\n');
}
