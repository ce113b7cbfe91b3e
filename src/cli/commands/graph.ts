/**
 * `matc graph FILE [--batch B] [--kernels]`: the compiled training step: each program's graph, and
 * with --kernels the kernels the executor will dispatch (after fusion), with buffer statistics.
 */
import type { ResolvedPipeline } from '../../check/index.js';
import { formatGraph } from '../../graph/print.js';
import { StepCompiler } from '../../train/step-compiler.js';
import { Runtime } from '../../runtime/runtime.js';

export async function graph(p: ResolvedPipeline, opts: { batch: number; kernels: boolean; active: 'all' | 'none' }, out: (s: string) => void): Promise<void> {
  const active = new Set(opts.active === 'all' ? p.states.map((s) => s.name) : []);
  const compilerFor = (rt: Runtime | null) => new StepCompiler(rt as Runtime, p, 1000, p.settings.train.seed);
  const g = compilerFor(null).graphs(opts.batch, active);
  out(`pipeline ${p.name}: batch ${opts.batch}, states ${[...active].join(', ') || '(none active)'}`);
  out(formatGraph(g.prologue, 'prologue'));
  for (const a of g.attacks) out(formatGraph(a.graph, `attack ${a.attack.name} (x${a.attack.steps})`));
  out(formatGraph(g.outer, 'outer'));
  if (!opts.kernels) return;
  const rt = await Runtime.create();
  try {
    const progs = await compilerFor(rt).programs(opts.batch, active);
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
