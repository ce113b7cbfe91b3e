/**
 * Figures of a sweep, from the runs' metrics logs:
 * - train-accuracy.svg: train natural (solid) and train robust (dashed) accuracy per epoch, one
 *   colour per run: the random-label figure (does a method fit random labels under attack?);
 * - gap.svg: the robust generalization gap (train robust - test robust accuracy, final epoch)
 *   against a numeric grid axis (data.label_noise), one line per value of the other axes.
 */
import { lineChart, palette, type Series } from '../report/svg-chart.js';
import { readRecords } from '../io/metrics.js';
import type { SummaryRow } from './summary.js';

export interface RunCurves {
  name: string;
  dir: string;
}

export function trainAccuracyChart(runs: readonly RunCurves[], title = 'Training accuracy per epoch'): string {
  const series: Series[] = [];
  runs.forEach((run, i) => {
    const records = readRecords(run.dir, { warn: () => {} });
    const color = palette[i % palette.length];
    series.push({ name: `${run.name} natural`, color, points: records.map((r) => ({ x: r.epoch, y: 100 * r.train_natural_acc })) });
    if (records.some((r) => r.train_robust_acc !== null)) {
      series.push({ name: `${run.name} robust`, color, dashed: true, points: records.map((r) => ({ x: r.epoch, y: r.train_robust_acc === null ? null : 100 * r.train_robust_acc })) });
    }
  });
  return lineChart({ title, xLabel: 'epoch', yLabel: 'train accuracy (%)', series, yBounds: [0, 100], integerX: true, emptyMessage: 'no epochs logged yet' });
}

/** grad-norm.svg: the squared global gradient norm per epoch (runs that logged it), log10 scale. */
export function gradNormChart(runs: readonly RunCurves[]): string | null {
  const series: Series[] = [];
  runs.forEach((run, i) => {
    const records = readRecords(run.dir, { warn: () => {} }) as (ReturnType<typeof readRecords>[number] & { grad_norm_sq?: number })[];
    if (!records.some((r) => typeof r.grad_norm_sq === 'number')) return;
    series.push({ name: run.name, color: palette[i % palette.length], points: records.map((r) => ({ x: r.epoch, y: typeof r.grad_norm_sq === 'number' && r.grad_norm_sq > 0 ? Math.log10(r.grad_norm_sq) : null })) });
  });
  if (!series.length) return null;
  return lineChart({ title: 'Squared gradient norm per epoch (mean over steps)', xLabel: 'epoch', yLabel: 'log10 ||grad||^2', series, integerX: true });
}

/** The first grid axis whose values are all numbers (e.g. data.label_noise), if any. */
export function numericAxis(rows: readonly SummaryRow[]): string | null {
  const keys = Object.keys(rows[0]?.grid ?? {});
  return keys.find((k) => rows.every((r) => r.grid[k] !== undefined && Number.isFinite(Number(r.grid[k])))) ?? null;
}

/** Robust (or, without an attack, natural) generalization gap of the final epoch against `axis`. */
export function gapChart(rows: readonly SummaryRow[], axis: string): string {
  const groups = new Map<string, SummaryRow[]>();
  for (const r of rows) {
    const rest = Object.entries(r.grid).filter(([k]) => k !== axis).map(([k, v]) => `${k}=${v}`);
    const label = [r.name.split('__')[0], ...rest].join(' ');
    groups.set(label, [...(groups.get(label) ?? []), r]);
  }
  const series: Series[] = [...groups].map(([name, rs], i) => ({
    name,
    color: palette[i % palette.length],
    connectGaps: true,
    points: rs.map((r) => ({ x: Number(r.grid[axis]), y: gapOf(r) })).sort((a, b) => a.x - b.x),
  }));
  return lineChart({ title: `Generalization gap vs ${axis}`, xLabel: axis, yLabel: 'train - test accuracy (%)', series, emptyMessage: 'no finished runs' });
}

function gapOf(r: SummaryRow): number | null {
  const g = r.final?.robust_gap ?? r.final?.natural_gap ?? null;
  return g === null ? null : 100 * g;
}
