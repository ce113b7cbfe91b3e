/**
 * The sweep's summary table: per run, the final epoch's and the best epoch's train and test
 * accuracies and the generalization gaps, as CSV (summary.csv, for plots and spreadsheets) and as
 * aligned text (summary.txt, printed at the end of `matc sweep`) and a Markdown table (summary.md,
 * for notes, issues and papers' supplementary material).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { readRecords, type EpochRecord } from '../io/metrics.js';

export interface EpochAccuracies {
  epoch: number;
  train_natural: number;
  train_robust: number | null;
  test_natural: number | null;
  test_robust: number | null;
  /** Natural generalization gap: train natural - test natural accuracy. */
  natural_gap: number | null;
  /** Robust generalization gap: train robust - test robust accuracy (the paper's gap). */
  robust_gap: number | null;
}

export interface SummaryRow {
  name: string;
  /** The grid's overrides of this run, key -> value text. */
  grid: Record<string, string>;
  status: string;
  epochs: number;
  final: EpochAccuracies | null;
  best: EpochAccuracies | null;
  seconds: number;
}

const diff = (a: number | null, b: number | null): number | null => (a === null || b === null ? null : a - b);

export function accuracies(r: EpochRecord): EpochAccuracies {
  return {
    epoch: r.epoch,
    train_natural: r.train_natural_acc,
    train_robust: r.train_robust_acc,
    test_natural: r.test_natural_acc,
    test_robust: r.test_robust_acc,
    natural_gap: diff(r.train_natural_acc, r.test_natural_acc),
    robust_gap: diff(r.train_robust_acc, r.test_robust_acc),
  };
}

/** The row of one run directory: final = last logged epoch, best = last epoch marked is_best. */
export function summarizeRun(dir: string, name: string, gridOverrides: readonly string[], status: string): SummaryRow {
  const records = existsSync(join(dir, 'metrics.jsonl')) ? readRecords(dir, { warn: () => {} }) : [];
  const last = records.at(-1);
  const best = [...records].reverse().find((r) => r.is_best);
  const grid = Object.fromEntries(gridOverrides.map((o) => [o.slice(0, o.indexOf('=')), o.slice(o.indexOf('=') + 1)]));
  return {
    name,
    grid,
    status,
    epochs: last?.epoch ?? 0,
    final: last ? accuracies(last) : null,
    best: best ? accuracies(best) : null,
    seconds: records.reduce((s, r) => s + r.seconds, 0),
  };
}

const FIELDS: (keyof Omit<EpochAccuracies, 'epoch'>)[] = ['train_natural', 'train_robust', 'test_natural', 'test_robust', 'natural_gap', 'robust_gap'];

function gridKeys(rows: readonly SummaryRow[]): string[] {
  const keys: string[] = [];
  for (const r of rows) for (const k of Object.keys(r.grid)) if (!keys.includes(k)) keys.push(k);
  return keys;
}

/**
 * One line per run; accuracies as fractions with 4 decimals; empty cells where a value is missing.
 * csv-stringify quotes the cells that need it (grid values such as `sgd(lr: 0.1, momentum: 0.9)`
 * hold commas, and names may hold quotes or line breaks).
 */
export function summaryCsv(rows: readonly SummaryRow[]): string {
  const keys = gridKeys(rows);
  const header = ['run', ...keys, 'status', 'epochs', 'seconds', ...FIELDS.map((f) => `final_${f}`), 'best_epoch', ...FIELDS.map((f) => `best_${f}`)];
  const num = (v: number | null | undefined) => (v === null || v === undefined ? null : Number(v.toFixed(4)));
  const body = rows.map((r) => [
    r.name, ...keys.map((k) => r.grid[k] ?? null), r.status, r.epochs, Math.round(r.seconds),
    ...FIELDS.map((f) => num(r.final?.[f])), r.best?.epoch ?? null, ...FIELDS.map((f) => num(r.best?.[f])),
  ]);
  return stringify([header, ...body], { record_delimiter: 'unix' });
}

const pct = (v: number | null | undefined): string => (v === null || v === undefined ? '-' : (100 * v).toFixed(1));

/** The header and the cells (percentages) shared by summary.txt and summary.md. */
function summaryCells(rows: readonly SummaryRow[]): { header: string[]; body: string[][] } {
  const keys = gridKeys(rows);
  const header = ['run', ...keys, 'status', 'ep', 'tr nat', 'tr rob', 'te nat', 'te rob', 'rob gap', 'best ep', 'best te rob', 'best rob gap', 'time s'];
  const body = rows.map((r) => [
    r.name, ...keys.map((k) => r.grid[k] ?? '-'), r.status, String(r.epochs),
    pct(r.final?.train_natural), pct(r.final?.train_robust), pct(r.final?.test_natural), pct(r.final?.test_robust), pct(r.final?.robust_gap),
    r.best ? String(r.best.epoch) : '-', pct(r.best?.test_robust), pct(r.best?.robust_gap), r.seconds.toFixed(0),
  ]);
  return { header, body };
}

const SUMMARY_LEGEND = 'accuracies in %; gap = train - test accuracy; rob = the pipeline\'s training attack (train) and selection attack (test)';

/** An aligned text table (percentages) for the terminal and summary.txt. */
export function summaryText(rows: readonly SummaryRow[]): string {
  const { header, body } = summaryCells(rows);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(header), ...body.map(line), '', SUMMARY_LEGEND].join('\n') + '\n';
}

/** The same table in Markdown (summary.md); `|` inside a grid value is escaped. */
export function summaryMarkdown(rows: readonly SummaryRow[]): string {
  const { header, body } = summaryCells(rows);
  const row = (cells: string[]) => `| ${cells.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`;
  const rule = `|${header.map((_, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|`;
  return [row(header), rule, ...body.map(row), '', SUMMARY_LEGEND].join('\n') + '\n';
}
