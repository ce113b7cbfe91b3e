/**
 * A whole sweep: expand and check the grid, record the plan (sweep.json), run the points, then
 * write summary.csv, summary.txt and the figures (train-accuracy.svg, gap.svg) into the sweep's
 * output directory. Running it again skips finished runs and resumes interrupted ones.
 */
import { mkdirSync } from 'node:fs';
import { writeBytesAtomicSync } from '../io/atomic-write.js';
import { join } from 'node:path';
import { expandGrid, parseGrid, type GridAxis } from './grid.js';
import { checkPoints, type CheckedPoint } from './validate.js';
import { runSweep, type SweepEvent, type SweepRunOptions, type PointOutcome } from './runner.js';
import { summarizeRun, summaryCsv, summaryText, summaryMarkdown, type SummaryRow } from './summary.js';
import { trainAccuracyChart, gapChart, numericAxis, gradNormChart } from './sweep-charts.js';
import { writeSweepReport } from './sweep-report.js';

export interface SweepOptions extends SweepRunOptions {
  files: string[];
  /** `--grid key=v1,v2` flags. */
  grid: string[];
  /** `--set key=value` overrides applied to every run. */
  set: string[];
}

export interface SweepResult {
  points: CheckedPoint[];
  outcomes: PointOutcome[];
  rows: SummaryRow[];
  summary: string;
}

/** Expand and check without running (also what `--dry-run` prints). */
export function planSweep(files: readonly string[], grid: readonly string[], set: readonly string[]): { axes: GridAxis[]; points: CheckedPoint[] } {
  const axes = parseGrid(grid);
  return { axes, points: checkPoints(expandGrid(files, axes, set)) };
}

export async function sweep(opts: SweepOptions, onEvent?: (e: SweepEvent) => void): Promise<SweepResult> {
  const { axes, points } = planSweep(opts.files, opts.grid, opts.set);
  writeSweepPlan(opts.outDir, opts.files, axes, opts.set, points);
  const outcomes = await runSweep(points, opts, onEvent);
  const rows = writeSweepSummary(opts.outDir, outcomes);
  return { points, outcomes, rows, summary: summaryText(rows) };
}

/** sweep.json: the plan (files, axes, --set and every run), written before any run starts. */
export function writeSweepPlan(outDir: string, files: readonly string[], axes: readonly GridAxis[], set: readonly string[], points: readonly CheckedPoint[]): void {
  mkdirSync(outDir, { recursive: true });
  writeBytesAtomicSync(join(outDir, 'sweep.json'), `${JSON.stringify({ files, grid: axes, set, runs: points.map((p) => ({ name: p.name, file: p.file, overrides: p.overrides })) }, null, 2)}\n`);
}

/** summary.csv, summary.txt, summary.md and the figures from the runs on disk, each replaced atomically. */
export function writeSweepSummary(outDir: string, outcomes: readonly PointOutcome[]): SummaryRow[] {
  const rows = outcomes.map((o) => summarizeRun(o.dir, o.point.name, o.point.gridOverrides, o.status));
  writeBytesAtomicSync(join(outDir, 'summary.csv'), summaryCsv(rows));
  writeBytesAtomicSync(join(outDir, 'summary.txt'), summaryText(rows));
  writeBytesAtomicSync(join(outDir, 'summary.md'), summaryMarkdown(rows));
  writeBytesAtomicSync(join(outDir, 'train-accuracy.svg'), trainAccuracyChart(outcomes.map((o) => ({ name: o.point.name, dir: o.dir }))));
  const norms = gradNormChart(outcomes.map((o) => ({ name: o.point.name, dir: o.dir })));
  if (norms) writeBytesAtomicSync(join(outDir, 'grad-norm.svg'), norms);
  const axis = numericAxis(rows);
  if (axis) writeBytesAtomicSync(join(outDir, 'gap.svg'), gapChart(rows, axis));
  writeSweepReport(outDir, outDir);
  return rows;
}
