/** Tables for `npm run bench`: throughput, step costs, GPU time per kernel family, slowest kernels. */
import type { StepMeasurement } from './measure-step.js';
import type { StepProfile } from './kernel-profile.js';
import type { EvaluationThroughput } from './evaluation.js';
import { formatTable, formatNumber, mib } from '../table.js';

export function throughputTable(ms: readonly StepMeasurement[]): string {
  return formatTable(
    ['workload', 'batch', 'images/s', 'ms/step', 'timed steps', 'compile s'],
    ms.map((m) => {
      const t = m.throughput;
      return t
        ? [m.workload.name, m.workload.batch, t.perSecond, t.msPerIteration, t.iterations, m.compileSeconds]
        : [m.workload.name, m.workload.batch, `${formatNumber((1000 * m.workload.batch) / m.predictedMsPerStep)} (predicted)`, `${formatNumber(m.predictedMsPerStep)} (predicted)`, 0, m.compileSeconds];
    }),
  );
}

export function stepCostTable(ms: readonly StepMeasurement[]): string {
  return formatTable(
    ['workload', 'dispatches/step', 'submissions/step', 'moved/step', 'transient (planned peak)', 'variables'],
    ms.map((m) => [m.workload.name, m.stats.dispatches, m.stats.submissions, mib(m.stats.bytesMoved), mib(m.stats.transientBytes), mib(m.stats.variableBytes)]),
  );
}

export function familyTable(p: StepProfile, wallMsPerStep: number): string {
  const gflops = (flops: number, ms: number) => (flops > 0 && ms > 0 ? (flops / ms / 1e6).toFixed(2) : '');
  const rows: (string | number)[][] = p.families.map((f) => [f.family, f.dispatches, f.ms, `${((100 * f.ms) / p.totalMs).toFixed(1)}%`, gflops(f.flops, f.ms)]);
  rows.push(['sum of kernels', p.families.reduce((s, f) => s + f.dispatches, 0), p.totalMs, '100%', '']);
  rows.push(['wall time of the step', '', wallMsPerStep, `${((100 * wallMsPerStep) / p.totalMs).toFixed(0)}% of kernel sum`, '']);
  return `GPU time per kernel family (${p.method}), per step\n` + formatTable(['family', 'dispatches', 'ms', 'share', 'GFLOP/s'], rows);
}

export function slowestKernelsTable(p: StepProfile, count: number): string {
  return formatTable(
    ['program', 'kernel', 'output shape', 'workgroups', 'runs/step', 'ms/run', 'ms/step'],
    p.kernels.slice(0, count).map((k) => [k.program.replace(/^[^:]*:/, ''), k.op, `[${k.shape.join(',')}]`, k.workgroups.join('x'), k.count, k.ms, k.ms * k.count]),
  );
}

export function evaluationTable(e: EvaluationThroughput, batch: number): string {
  return formatTable(
    ['evaluation', 'batch', 'images/s', 'ms/batch', 'timed batches'],
    [
      ['natural', batch, e.natural.perSecond, e.natural.msPerIteration, e.natural.iterations],
      [`PGD-${e.pgdSteps}`, batch, e.pgd.perSecond, e.pgd.msPerIteration, e.pgd.iterations],
    ],
  );
}
