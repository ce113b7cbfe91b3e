/** Run reporting: the metrics log, final evaluation summaries, the result table, the HTML report. */
export { appendRecord, readRecords, parseRecords, keepRecordsThrough, recordLine, MetricsError, type EpochRecord, type ReadOptions } from '../io/metrics.js';
export { readEvalSummary, writeEvalSummary, evalSummaryPath, attackTitle, titleFromLabel, EvalSummaryError, type EvalSummary, type EvalAttackResult, type CheckpointKind } from './eval-summary.js';
export { resultTable, bestRecord, formatResultTable, formatPercent, diffPercent, formatCount, type ResultRow, type ResultTable, type ResultSources } from './result-table.js';
export { formatEpochLine, formatNumber } from './epoch-line.js';
export { writeReport, renderReport, runResultTable, type ReportOptions } from './report.js';
export { RUN_FILES, runPath, type RunFile } from '../io/run-dir.js';
