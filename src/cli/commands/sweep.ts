/** `matc sweep FILE... --grid key=v1,v2 [--grid ...] [--set k=v]... [--jobs N] --out DIR [--dry-run]`. */
import { sweep, planSweep, GridError, SweepValidationError, type SweepEvent } from '../../sweep/index.js';
import { UserError } from '../../util/errors.js';
import { formatEpoch } from '../../train/epoch-line.js';

export interface SweepCommandOptions {
  files: string[];
  grid: string[];
  set: string[];
  jobs: number;
  outDir: string;
  dataDir?: string;
  dryRun: boolean;
  gradNorm?: boolean;
  /** Run through the queue at this Redis URL instead of locally (`--queue`), and maybe not wait (`--detach`). */
  queue?: string;
  detach?: boolean;
}

function describe(e: SweepEvent): string | null {
  switch (e.type) {
    case 'skip':
      return `[${e.point.name}] finished earlier; skipped`;
    case 'start':
      return `[${e.point.name}] ${e.resume ? 'resuming' : 'starting'} (${e.point.overrides.join(' ') || 'no overrides'})`;
    case 'run':
      if (e.event.type === 'note' || e.event.type === 'warning') return `[${e.point.name}] ${e.event.type}: ${e.event.message}`;
      return e.event.type === 'epoch' ? `[${e.point.name}] ${formatEpoch(e.event.metrics, e.event.isBest)}` : null;
    case 'done':
      return e.ok ? `[${e.point.name}] done in ${e.seconds.toFixed(0)} s` : `[${e.point.name}] FAILED: ${e.error}`;
  }
}

export async function sweepCommand(o: SweepCommandOptions, out: (s: string) => void): Promise<void> {
  try {
    if (o.dryRun) {
      const { points } = planSweep(o.files, o.grid, o.set);
      for (const p of points) out(`${p.name}: ${p.file} ${p.overrides.map((x) => `--set ${x}`).join(' ')}`);
      out(`${points.length} runs; nothing was run (--dry-run)`);
      return;
    }
    if (o.queue !== undefined) return await queuedSweep(o, out);
    if (o.detach) throw new UserError('sweep: --detach goes with --queue URL (a local sweep runs in this process)');
    const result = await sweep({ files: o.files, grid: o.grid, set: o.set, jobs: o.jobs, outDir: o.outDir, dataDir: o.dataDir, logGradientNorm: o.gradNorm }, (e) => {
      const line = describe(e);
      if (line) out(line);
    });
    out(result.summary);
    out(`sweep directory: ${o.outDir} (summary.csv, summary.txt, report.html, train-accuracy.svg; gap.svg when an axis is numeric)`);
    const failed = result.outcomes.filter((x) => x.status === 'failed');
    if (failed.length) throw new UserError(`sweep: ${failed.length} of ${result.outcomes.length} runs failed: ${failed.map((f) => f.point.name).join(', ')}`);
  } catch (e) {
    if (e instanceof GridError || e instanceof SweepValidationError) throw new UserError(e.message);
    throw e;
  }
}

/** `--queue URL`: workers run the points; this process enqueues, waits and writes the same summary. */
async function queuedSweep(o: SweepCommandOptions, out: (s: string) => void): Promise<void> {
  if (o.jobs !== 1) throw new UserError('sweep: --jobs is for local sweeps; with --queue, start more workers (matc worker)');
  if (o.gradNorm) throw new UserError('sweep: --grad-norm needs in-process runs; it does not go with --queue');
  // Loaded only here: local sweeps do not pay for BullMQ and ioredis.
  const { parseQueueUrl } = await import('../../queue/connection.js');
  const { queueSweep } = await import('../../queue/sweep-queue.js');
  const connection = parseQueueUrl(o.queue!);
  const result = await queueSweep({ files: o.files, grid: o.grid, set: o.set, outDir: o.outDir, ...(o.dataDir ? { dataDir: o.dataDir } : {}), connection, detach: Boolean(o.detach) }, out);
  if (!result.outcomes) {
    out(`detached: follow it with matc queue status --queue ${connection.display}; the same matc sweep command without --detach waits and writes the summary`);
    return;
  }
  out(result.summary!);
  out(`sweep directory: ${o.outDir} (summary.csv, summary.txt, report.html, train-accuracy.svg; gap.svg when an axis is numeric)`);
  const failed = result.outcomes.filter((x) => x.status === 'failed');
  if (failed.length) throw new UserError(`sweep: ${failed.length} of ${result.outcomes.length} runs failed: ${failed.map((f) => f.point.name).join(', ')} (matc queue retry --queue ${connection.display} re-runs them)`);
}
