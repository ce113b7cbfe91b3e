/** `matc run FILE [--set k=v]... [--out DIR] [--resume] [--data-dir DIR]`. */
import type { ResolvedPipeline } from '../../check/index.js';
import { runPipeline, defaultRunDir } from '../../train/run.js';
import type { EpochMetrics } from '../../train/trainer.js';
import { ProgressView } from '../progress.js';

function pct(v: number | null): string {
  return v === null ? '   -  ' : `${(100 * v).toFixed(2).padStart(6)}`;
}

export function formatEpoch(m: EpochMetrics, isBest: boolean): string {
  const evals = Object.entries(m.eval).map(([k, v]) => `${k} ${(100 * v).toFixed(2)}%`).join(', ');
  const sched = Object.entries(m.schedules).map(([k, v]) => `${k} ${v.toPrecision(3)}`).join(' ');
  return `epoch ${String(m.epoch).padStart(3)}  loss ${m.train_loss.toFixed(4)}  train nat ${pct(m.train_natural_acc)}% rob ${pct(m.train_robust_acc)}%  test ${evals || '-'}  lr ${m.lr}${sched ? `  ${sched}` : ''}  ${m.seconds.toFixed(1)}s${isBest ? '  *best' : ''}`;
}

export async function run(p: ResolvedPipeline, opts: { outDir?: string; resume: boolean; dataDir?: string }, out: (s: string) => void): Promise<void> {
  const view = new ProgressView();
  const outDir = opts.outDir ?? defaultRunDir(p);
  const summary = await runPipeline(p, { outDir, resume: opts.resume, dataDir: opts.dataDir }, (e) => {
    switch (e.type) {
      case 'start':
        out(`matc run ${e.pipeline}: ${e.trainExamples} training / ${e.testExamples} test examples on ${e.adapter}; epochs ${e.startEpoch}..${e.epochs}; writing ${e.outDir}`);
        break;
      case 'progress':
        view.update(e);
        break;
      case 'epoch':
        view.clear();
        out(formatEpoch(e.metrics, e.isBest));
        break;
      case 'done':
        view.clear();
        break;
    }
  });
  out(resultTable(summary.best, summary.final));
  out(`run directory: ${summary.outDir} (${summary.seconds.toFixed(0)} s)`);
}

/** Best / Final / Diff of the test accuracies logged during training. */
export function resultTable(best: EpochMetrics | null, final: EpochMetrics | null): string {
  if (!best || !final) return '(no evaluation ran)';
  const labels = Object.keys(final.eval);
  const rows = labels.map((l) => {
    const b = best.eval[l] ?? NaN;
    const f = final.eval[l] ?? NaN;
    return `${l.padEnd(12)} ${(100 * b).toFixed(2).padStart(7)} ${(100 * f).toFixed(2).padStart(7)} ${(100 * (b - f)).toFixed(2).padStart(7)}`;
  });
  return [`${'test acc (%)'.padEnd(12)} ${'Best'.padStart(7)} ${'Final'.padStart(7)} ${'Diff'.padStart(7)}   (best = epoch ${best.epoch}, final = epoch ${final.epoch})`, ...rows].join('\n');
}
