/**
 * The paper's Best/Final/Diff table: for each attack, the test accuracy of the best checkpoint,
 * of the final one, and their difference (robust overfitting shows as a positive Diff).
 *
 * Rows come from the final evaluations (eval/best.json, eval/final.json) when they exist, and
 * otherwise from the training log: the best epoch (the one flagged is_best; without flags, the
 * highest test_robust_acc, ties broken by test_natural_acc, earliest first) against the last epoch.
 * Both sources combine: a row the evaluations do not have (typically PGD-10, the selection attack
 * evaluated every epoch) is taken from the log.
 *
 * The two sources usually measure different numbers of examples (`matc eval --n 50` against the
 * pipeline's whole test subset during training), so every row carries its n, and the tables show it.
 */
import type { EpochRecord } from '../io/metrics.js';
import { compareTitles, titleFromLabel, type EvalSummary } from './eval-summary.js';

export interface ResultRow {
  title: string;
  /** Accuracies as fractions in [0, 1]; null when unknown. */
  best: number | null;
  final: number | null;
  /** Test examples behind each accuracy; null when unknown (logs written before `eval_n`). */
  nBest: number | null;
  nFinal: number | null;
}

/** An accuracy and the number of examples it is over. */
interface Measured {
  accuracy: number;
  n: number | null;
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
function recordAccuracies(r: EpochRecord, titles: Readonly<Record<string, string>>): Map<string, Measured> {
  const out = new Map<string, Measured>();
  const n = r.eval_n ?? null;
  for (const [label, acc] of Object.entries(r.eval)) {
    if (typeof acc === 'number') out.set(titles[label] ?? titleFromLabel(label), { accuracy: acc, n });
  }
  // Logs without per-attack results still have the two headline numbers.
  if (out.size === 0) {
    if (r.test_natural_acc !== null) out.set('Natural', { accuracy: r.test_natural_acc, n });
    if (r.test_robust_acc !== null) out.set('Robust', { accuracy: r.test_robust_acc, n });
  }
  return out;
}

function summaryAccuracies(s: EvalSummary | undefined): Map<string, Measured> {
  const out = new Map<string, Measured>();
  for (const [label, a] of Object.entries(s?.attacks ?? {})) out.set(a.title ?? titleFromLabel(label), { accuracy: a.accuracy, n: a.n });
  return out;
}

function row(title: string, best: Measured | undefined, final: Measured | undefined): ResultRow {
  return { title, best: best?.accuracy ?? null, final: final?.accuracy ?? null, nBest: best?.n ?? null, nFinal: final?.n ?? null };
}

export function resultTable(sources: ResultSources): ResultTable {
  const records = sources.records ?? [];
  const best = bestRecord(records);
  const last = records[records.length - 1];
  const titles = sources.titles ?? {};
  const fromEval = { best: summaryAccuracies(sources.best), final: summaryAccuracies(sources.final) };
  const fromLog = { best: best ? recordAccuracies(best, titles) : new Map<string, Measured>(), final: last ? recordAccuracies(last, titles) : new Map<string, Measured>() };
  const evalTitles = new Set([...fromEval.best.keys(), ...fromEval.final.keys()]);
  const logTitles = new Set([...fromLog.best.keys(), ...fromLog.final.keys()].filter((t) => !evalTitles.has(t)));
  const rows: ResultRow[] = [
    ...[...evalTitles].map((title) => row(title, fromEval.best.get(title), fromEval.final.get(title))),
    ...[...logTitles].map((title) => row(title, fromLog.best.get(title), fromLog.final.get(title))),
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
export function diffPercent(row: Pick<ResultRow, 'best' | 'final'>): string | null {
  if (row.best === null || row.final === null || !Number.isFinite(row.best) || !Number.isFinite(row.final)) return null;
  return showHundredths(hundredths(row.best) - hundredths(row.final));
}

/**
 * The examples behind a row: `1000`, or `50/1000` (best/final) when the two checkpoints were
 * evaluated on different numbers; `-` when unknown.
 */
export function formatCount(row: Pick<ResultRow, 'nBest' | 'nFinal'>): string {
  const { nBest, nFinal } = row;
  if (nBest === null && nFinal === null) return '-';
  if (nBest === null || nFinal === null || nBest === nFinal) return String(nBest ?? nFinal);
  return `${nBest}/${nFinal}`;
}

/** The cells of the table as strings: header row, then one row per attack. */
export function resultTableCells(table: ResultTable): string[][] {
  return [['Accuracy (%)', 'Best', 'Final', 'Diff', 'n'], ...table.rows.map((r) => [r.title, formatPercent(r.best), formatPercent(r.final), diffPercent(r) ?? '-', formatCount(r)])];
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
  if (epochs.length > 0) lines.push(`${epochs.join(', ')}; Diff = Best - Final; n = test examples per row.`);
  return lines.join('\n');
}
