/**
 * What the runtime's optimisations buy, measured by turning them off through CompileOptions:
 * `fuse: false` (every elementwise op its own kernel and buffer) and `reuse: false` (no buffer
 * sharing between dead values). All variants are compiled on one runtime (they share the
 * weights by name) and their steps alternate round by round, so machine load hits them alike.
 */
import { Runtime } from '../../src/runtime/runtime.js';
import type { CompileOptions } from '../../src/runtime/program.js';
import { loadPipeline } from './load-pipeline.js';
import { MatcTrainingStep } from './training-step.js';
import { stepStats } from './step-stats.js';
import type { StepWorkload } from './workloads.js';
import { syntheticBatch } from '../random-batch.js';
import { interleave, median } from '../interleave.js';
import { formatTable, mib } from '../table.js';

const VARIANTS: [string, CompileOptions][] = [
  ['default (fusion + buffer reuse)', {}],
  ['fuse: false', { fuse: false }],
  ['reuse: false', { reuse: false }],
];

export async function runAblations(workload: StepWorkload, rounds: number): Promise<string> {
  const rt = await Runtime.create();
  try {
    const pipeline = loadPipeline(workload.file, workload.overrides);
    const data = syntheticBatch(workload.batch, workload.shape, workload.classes);
    const steps: MatcTrainingStep[] = [];
    for (const [name, compile] of VARIANTS) {
      process.stderr.write(`[bench] ablation ${name}: compiling, warming up\n`);
      const step = await MatcTrainingStep.create(rt, pipeline, data, compile);
      await step.warmUp();
      steps.push(step);
    }
    const results = await interleave(
      steps.map((s, i) => ({ name: VARIANTS[i]![0], step: async () => { s.run(); await rt.sync(); } })),
      rounds,
      (r, t) => process.stderr.write(`[bench] ablation round ${r + 1}/${rounds}: ${t.map((x) => `${x.toFixed(1)} s`).join(', ')}\n`),
    );
    const base = results[0]!;
    const rows = results.map((res, i) => {
      const stats = stepStats(rt, steps[i]!.sequence);
      const slowdown = median(res.rounds.map((t, k) => t / base.rounds[k]!)).toFixed(2);
      return [res.name, (rounds * workload.batch) / res.totalSeconds, slowdown, stats.dispatches, mib(stats.bytesMoved), mib(steps[i]!.programs().reduce((sum, p) => sum + p.stats.transientBytes + p.stats.inputBytes, 0))];
    });
    return `\n## optimisations on/off (${workload.name}, ${rounds} alternating rounds)\n` +
      formatTable(['compile options', 'images/s', 'step time vs default (median)', 'dispatches/step', 'moved/step', 'transient'], rows);
  } finally {
    rt.destroy();
  }
}
