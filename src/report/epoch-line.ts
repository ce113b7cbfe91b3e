/** One line of terminal output per finished epoch, from its metrics record. */
import type { EpochRecord } from '../io/metrics.js';
import { formatPercent } from './result-table.js';

/** Four significant digits without trailing zeros: 0.1, 0.0005, 12.35, 1.5e-7. */
export function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e-4 && a < 1e6) return String(Number(v.toPrecision(4)));
  return v.toExponential(2).replace(/\.?0+e/, 'e');
}

const pct = (v: number | null): string => (v === null ? '-' : `${formatPercent(v)}%`);

/**
 * E.g. `epoch 3/8  step 120  lr 0.1  w 0  loss 1.234  train nat 45.12% rob 30.01%  test nat 50.00% rob 35.00%  12.3s  best`.
 * `epochs` (the total) is shown when given; test accuracies only when the epoch was evaluated.
 */
export function formatEpochLine(record: EpochRecord, epochs?: number): string {
  const parts = [`epoch ${epochs !== undefined ? `${record.epoch}/${epochs}` : record.epoch}`, `step ${record.step}`, `lr ${formatNumber(record.lr)}`];
  for (const [name, value] of Object.entries(record.schedules)) parts.push(`${name} ${formatNumber(value)}`);
  // In TE pipelines te_weight is usually a schedule's value too (`w`): show it only when it adds something.
  if (record.te_weight !== undefined && !Object.values(record.schedules).includes(record.te_weight)) parts.push(`te_weight ${formatNumber(record.te_weight)}`);
  parts.push(`loss ${formatNumber(record.train_loss)}`);
  parts.push(`train nat ${pct(record.train_natural_acc)}${record.train_robust_acc !== null ? ` rob ${pct(record.train_robust_acc)}` : ''}`);
  if (record.test_natural_acc !== null || record.test_robust_acc !== null) {
    const test = [record.test_natural_acc !== null ? `nat ${pct(record.test_natural_acc)}` : '', record.test_robust_acc !== null ? `rob ${pct(record.test_robust_acc)}` : ''];
    parts.push(`test ${test.filter(Boolean).join(' ')}`);
  }
  parts.push(`${record.seconds.toFixed(1)}s`);
  if (record.is_best) parts.push('best');
  return parts.join('  ');
}
