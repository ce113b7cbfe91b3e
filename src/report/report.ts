/**
 * The run report, `report.html` in the run directory: one self-contained page (inline CSS and SVG,
 * no scripts, no external assets) with the Best/Final/Diff table, the training curves, and every
 * epoch's numbers. It is regenerated from the files of the run directory, so it can be rebuilt at
 * any time (also for a run still in progress, or one that was killed).
 */
import { basename, resolve } from 'node:path';
import { writeBytesAtomic } from '../io/atomic-write.js';
import { formatNumber } from './epoch-line.js';
import { readEvalSummary, type EvalSummary } from './eval-summary.js';
import { readRecords, type EpochRecord, type ReadOptions } from '../io/metrics.js';
import { diffPercent, formatCount, formatPercent, resultTable, type ResultTable } from './result-table.js';
import { runPath, RUN_FILES } from '../io/run-dir.js';
import { escapeXml, lineChart, palette, type Series } from './svg-chart.js';

export interface ReportInput {
  /** Shown as the page title, e.g. the run directory's name. */
  title: string;
  records: readonly EpochRecord[];
  table: ResultTable;
  /** Which final evaluations were found, to say where the table comes from. */
  summaries: { best?: EvalSummary | undefined; final?: EvalSummary | undefined };
}

const percentSeries = (name: string, records: readonly EpochRecord[], pick: (r: EpochRecord) => number | null, color: string, dashed: boolean): Series => ({
  name,
  color,
  dashed,
  // Test accuracies are null in epochs without evaluation (`every: 5`): join the evaluated epochs.
  connectGaps: true,
  points: records.map((r) => {
    const v = pick(r);
    return { x: r.epoch, y: v === null ? null : v * 100 };
  }),
});

/** The four charts: accuracy, learning rate, schedules (the TE weight), training loss. */
export function reportCharts(records: readonly EpochRecord[]): string[] {
  const accuracy = lineChart({
    title: 'Accuracy',
    xLabel: 'epoch',
    yLabel: 'accuracy (%)',
    integerX: true,
    yBounds: [0, 100],
    series: [
      percentSeries('train natural', records, (r) => r.train_natural_acc, palette[0]!, true),
      percentSeries('train robust', records, (r) => r.train_robust_acc, palette[1]!, true),
      percentSeries('test natural', records, (r) => r.test_natural_acc, palette[0]!, false),
      percentSeries('test robust', records, (r) => r.test_robust_acc, palette[1]!, false),
    ].filter((s) => s.points.some((p) => p.y !== null)),
    emptyMessage: 'No epochs recorded yet',
  });
  const lr = lineChart({
    title: 'Learning rate',
    xLabel: 'epoch',
    yLabel: 'learning rate',
    integerX: true,
    series: [{ name: 'lr', points: records.map((r) => ({ x: r.epoch, y: r.lr })) }],
    emptyMessage: 'No epochs recorded yet',
  });
  const scheduleNames = [...new Set(records.flatMap((r) => Object.keys(r.schedules)))];
  const scheduleSeries: Series[] = scheduleNames.map((name) => ({ name, points: records.map((r) => ({ x: r.epoch, y: r.schedules[name] ?? null })) }));
  if (records.some((r) => r.te_weight !== undefined)) {
    scheduleSeries.push({ name: 'te_weight', dashed: true, points: records.map((r) => ({ x: r.epoch, y: r.te_weight ?? null })) });
  }
  const schedules = lineChart({
    title: 'Schedules (TE weight)',
    xLabel: 'epoch',
    yLabel: 'value',
    integerX: true,
    series: scheduleSeries,
    emptyMessage: 'This pipeline has no schedules',
  });
  const loss = lineChart({
    title: 'Training loss',
    xLabel: 'epoch',
    yLabel: 'mean objective',
    integerX: true,
    series: [{ name: 'train loss', points: records.map((r) => ({ x: r.epoch, y: r.train_loss })) }],
    emptyMessage: 'No epochs recorded yet',
  });
  return [accuracy, lr, schedules, loss];
}

function tableSource(input: ReportInput): string {
  const files = [input.summaries.best ? `${RUN_FILES.evalDir}/best.json` : '', input.summaries.final ? `${RUN_FILES.evalDir}/final.json` : ''].filter(Boolean);
  const epochs = [input.table.bestEpoch !== null ? `best = epoch ${input.table.bestEpoch}` : '', input.table.finalEpoch !== null ? `final = epoch ${input.table.finalEpoch}` : ''].filter(Boolean);
  const from = files.length > 0 ? `${files.join(' and ')}, completed from ${RUN_FILES.metrics}` : RUN_FILES.metrics;
  return `Test accuracy in %; Diff = Best &minus; Final; n = test examples behind each row (rows from different sources may differ). Source: ${escapeXml(from)}${epochs.length ? ` (${epochs.join(', ')})` : ''}.`;
}

function resultTableHtml(input: ReportInput): string {
  if (input.table.rows.length === 0) return '<p class="note">No test accuracies recorded (no evaluation ran).</p>';
  const rows = input.table.rows.map(
    (r) => `<tr><th scope="row">${escapeXml(r.title)}</th><td>${formatPercent(r.best)}</td><td>${formatPercent(r.final)}</td><td>${diffPercent(r) ?? '-'}</td><td>${formatCount(r)}</td></tr>`,
  );
  return [
    '<table class="results">',
    `<caption>${tableSource(input)}</caption>`,
    '<thead><tr><th scope="col">Attack</th><th scope="col">Best</th><th scope="col">Final</th><th scope="col">Diff</th><th scope="col" title="test examples behind each number (best/final when they differ)">n</th></tr></thead>',
    `<tbody>${rows.join('\n')}</tbody>`,
    '</table>',
  ].join('\n');
}

function epochTableHtml(records: readonly EpochRecord[]): string {
  const pct = (v: number | null) => (v === null ? '' : formatPercent(v));
  const head = ['epoch', 'step', 'lr', 'train loss', 'train nat', 'train rob', 'test nat', 'test rob', 'seconds', 'best'];
  const rows = records.map((r) =>
    [r.epoch, r.step, formatNumber(r.lr), formatNumber(r.train_loss), pct(r.train_natural_acc), pct(r.train_robust_acc), pct(r.test_natural_acc), pct(r.test_robust_acc), r.seconds.toFixed(1), r.is_best ? '&#9733;' : '']
      .map((c) => `<td>${c}</td>`)
      .join(''),
  );
  return `<table class="epochs"><thead><tr>${head.map((h) => `<th scope="col">${h}</th>`).join('')}</tr></thead><tbody>\n${rows.map((r) => `<tr>${r}</tr>`).join('\n')}\n</tbody></table>`;
}

const style = `
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1200px; color: #222; padding: 0 1em; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 1.5em; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
th, td { padding: 0.25em 0.8em; text-align: right; border-bottom: 1px solid #ddd; }
th[scope="row"], thead th:first-child { text-align: left; }
caption { caption-side: bottom; text-align: left; color: #555; font-size: 0.9em; padding-top: 0.5em; }
.charts { display: flex; flex-wrap: wrap; gap: 1em; }
.note { color: #555; }
details { margin-top: 1.5em; }
`;

/** The page as a string. */
export function renderReport(input: ReportInput): string {
  const records = input.records;
  const total = records.reduce((s, r) => s + r.seconds, 0);
  const summary = records.length
    ? `${records.length} epoch${records.length === 1 ? '' : 's'} (last: epoch ${records[records.length - 1]!.epoch}, step ${records[records.length - 1]!.step}), ${(total / 60).toFixed(1)} minutes.`
    : 'No epochs recorded yet.';
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<title>matc report: ${escapeXml(input.title)}</title>`,
    `<style>${style}</style>`,
    '</head>',
    '<body>',
    `<h1>matc report: ${escapeXml(input.title)}</h1>`,
    `<p>${summary}</p>`,
    '<h2>Best / Final / Diff</h2>',
    resultTableHtml(input),
    '<h2>Training curves</h2>',
    `<div class="charts">\n${reportCharts(records).join('\n')}\n</div>`,
    `<details><summary>Every epoch (${escapeXml(RUN_FILES.metrics)})</summary>`,
    epochTableHtml(records),
    '</details>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

export interface ReportOptions extends ReadOptions {
  /** Page title; default: the run directory's name. */
  title?: string;
  /** Row titles of the log's evaluation labels, e.g. { pgd: 'PGD-10' } (see resultTable). */
  titles?: Readonly<Record<string, string>>;
}

/** The Best/Final/Diff table of a run directory (eval summaries completed from the log). */
export function runResultTable(runDir: string, options: Pick<ReportOptions, 'titles' | 'warn'> = {}): ResultTable {
  return resultTable({
    best: readEvalSummary(runDir, 'best'),
    final: readEvalSummary(runDir, 'final'),
    records: readRecords(runDir, options),
    ...(options.titles ? { titles: options.titles } : {}),
  });
}

/** Write `report.html` into the run directory (atomically) and return its path. */
export async function writeReport(runDir: string, options: ReportOptions = {}): Promise<string> {
  const records = readRecords(runDir, options);
  const summaries = { best: readEvalSummary(runDir, 'best'), final: readEvalSummary(runDir, 'final') };
  const table = resultTable({ ...summaries, records, ...(options.titles ? { titles: options.titles } : {}) });
  const html = renderReport({ title: options.title ?? basename(resolve(runDir)), records, table, summaries });
  const path = runPath(runDir, 'report');
  await writeBytesAtomic(path, html);
  return path;
}
