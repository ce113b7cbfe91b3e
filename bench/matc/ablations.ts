/**
 * What the runtime's optimisations buy, measured by turning them off through CompileOptions:
 * `fuse: false` (every elementwise op its own kernel and buffer) and `reuse: false` (no buffer
 * sharing between dead values). Same workload, fresh runtime each, same budget.
 */
import type { CompileOptions } from '../../src/runtime/program.js';
import { measureStep } from './measure-step.js';
import type { StepWorkload } from './workloads.js';
import { formatTable, mib } from '../table.js';

const VARIANTS: [string, CompileOptions][] = [
  ['default (fusion + buffer reuse)', {}],
  ['fuse: false', { fuse: false }],
  ['reuse: false', { reuse: false }],
];

export async function runAblations(workload: StepWorkload, opts: { iterations: number; budgetSeconds: number }): Promise<string> {
  const rows: (string | number)[][] = [];
  for (const [name, compile] of VARIANTS) {
    process.stderr.write(`[bench] ablation ${name} ...\n`);
    const m = await measureStep(workload, { ...opts, profile: false, compile });
    const ips = m.throughput ? m.throughput.perSecond : (1000 * workload.batch) / m.predictedMsPerStep;
    rows.push([name, ips, m.stats.dispatches, mib(m.stats.bytesMoved), mib(m.stats.transientBytes)]);
  }
  return `\n## optimisations on/off (${workload.name})\n` + formatTable(['compile options', 'images/s', 'dispatches/step', 'moved/step', 'transient'], rows);
}
