/**
 * `matc graph FILE [--batch B] [--kernels]`: the compiled training step: each program's graph, and
 * with --kernels the kernels the executor will dispatch (after fusion), with buffer statistics.
 */
import type { ResolvedPipeline } from '../../check/index.js';
import { formatGraph } from '../../ir/print.js';
import { StepGraphBuilder } from '../../lower/step-graphs.js';

export async function graph(p: ResolvedPipeline, opts: { batch: number; kernels: boolean; active: 'all' | 'none' }, out: (s: string) => void): Promise<void> {
  const active = new Set(opts.active === 'all' ? p.states.map((s) => s.name) : []);
  // 1000 rows of per-example state: any count prints the same graphs up to that dimension.
  const numExamples = 1000;
  const g = new StepGraphBuilder(p, numExamples, p.settings.train.seed).graphs(opts.batch, active);
  out(`pipeline ${p.name}: batch ${opts.batch}, states ${[...active].join(', ') || '(none active)'}`);
  out(formatGraph(g.prologue, 'prologue'));
  for (const a of g.attacks) out(formatGraph(a.graph, `attack ${a.attack.name} (x${a.attack.steps})`));
  out(formatGraph(g.outer, 'outer'));
  if (!opts.kernels) return;
  // The GPU side is loaded only for --kernels: printing the graphs needs no device.
  const [{ Runtime }, { StepCompiler }] = await Promise.all([import('../../runtime/runtime.js'), import('../../lower/step-compiler.js')]);
  const rt = await Runtime.create();
  try {
    const progs = await new StepCompiler(rt, p, numExamples, p.settings.train.seed).programs(opts.batch, active);
    out(`\nkernels (adapter: ${rt.ctx.adapter.description || rt.ctx.adapter.device})`);
    out(`prologue:\n${progs.prologue.describe()}`);
    for (const a of progs.attacks) out(`attack ${a.attack.name} (x${a.attack.steps}):\n${a.program.describe()}`);
    out(`outer:\n${progs.outer.describe()}`);
    const dispatches = progs.sequence.reduce((n, pr) => n + pr.stats.dispatches, 0);
    out(`\nwhole step: ${dispatches} dispatches in one submission, ${progs.sequence.length} program runs, 0 readbacks`);
  } finally {
    rt.destroy();
  }
}
