/** `matc run FILE [--set k=v]... [--out DIR] [--resume] [--data-dir DIR]`. */
import type { ResolvedPipeline } from '../../check/index.js';
import { runPipeline, defaultRunDir } from '../../train/run.js';
import { formatEpoch } from '../../train/epoch-line.js';
import { ProgressView } from '../progress.js';
import { RunDirError } from '../../io/run-folder.js';
import { UserError } from '../../util/errors.js';
import { formatResultTable, runResultTable, writeReport, attackTitle } from '../../report/index.js';
import { dataSourceLine, locatePipelineSplit } from '../../lower/data-setup.js';

export async function run(p: ResolvedPipeline, opts: { outDir?: string; resume: boolean; dataDir?: string }, out: (s: string) => void): Promise<void> {
  const view = new ProgressView();
  const outDir = opts.outDir ?? defaultRunDir(p);
  // Located here (the same lookup the run does) so the header can say where each split comes from.
  const dataLine = dataSourceLine(p, { train: locatePipelineSplit(p, 'train', opts), test: locatePipelineSplit(p, 'test', opts) });
  let summary;
  try {
    summary = await runPipeline(p, { outDir, resume: opts.resume, dataDir: opts.dataDir }, (e) => {
      switch (e.type) {
        case 'start':
          out(`matc run ${e.pipeline}: ${e.trainExamples} training / ${e.testExamples} test examples on ${e.adapter}; epochs ${e.startEpoch}..${e.epochs}; writing ${e.outDir}`);
          out(dataLine);
          break;
        case 'progress':
          view.update(e);
          break;
        case 'epoch':
          view.clear();
          out(formatEpoch(e.metrics, e.isBest));
          break;
        case 'note':
        case 'warning':
          view.clear();
          out(`${e.type}: ${e.message}`);
          break;
        case 'done':
          view.clear();
          break;
      }
    });
  } catch (e) {
    // Refusals about the run directory are the user's to fix; nothing was changed.
    if (e instanceof RunDirError) throw new UserError(e.message);
    throw e;
  }
  const titles = evaluationTitles(p);
  out(formatResultTable(runResultTable(summary.outDir, { titles })));
  const report = await writeReport(summary.outDir, { titles, title: p.name });
  out(`report: ${report}`);
  out(`run directory: ${summary.outDir} (${summary.seconds.toFixed(0)} s)`);
}

/** Paper-style row titles for the evaluation labels of a pipeline, e.g. pgd -> PGD-20. */
export function evaluationTitles(p: ResolvedPipeline): Record<string, string> {
  const titles: Record<string, string> = {};
  for (const e of p.evaluations) for (const a of e.attacks) titles[a.label] ??= attackTitle(a.settings as { kind: string; steps?: number });
  return titles;
}
