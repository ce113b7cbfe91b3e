/**
 * The console line of a finished epoch, as `matc run`, `matc sweep` and queue workers print it
 * (the metrics log's own line, for `matc report`, is src/report/epoch-line.ts).
 */
import type { EpochMetrics } from './trainer.js';

function pct(v: number | null): string {
  return v === null ? '   -  ' : `${(100 * v).toFixed(2).padStart(6)}`;
}

export function formatEpoch(m: EpochMetrics, isBest: boolean): string {
  const evals = Object.entries(m.eval).map(([k, v]) => `${k} ${(100 * v).toFixed(2)}%`).join(', ');
  const sched = Object.entries(m.schedules).map(([k, v]) => `${k} ${v.toPrecision(3)}`).join(' ');
  return `epoch ${String(m.epoch).padStart(3)}  loss ${m.train_loss.toFixed(4)}  train nat ${pct(m.train_natural_acc)}% rob ${pct(m.train_robust_acc)}%  test ${evals || '-'}  lr ${Number(m.lr.toPrecision(3))}${sched ? `  ${sched}` : ''}  ${m.seconds.toFixed(1)}s${isBest ? '  *best' : ''}`;
}
