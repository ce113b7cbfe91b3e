/**
 * `matc analyze gradient|complexity|hard-examples ...`: the memorization analyses of
 * docs/memorization.md. Argument checking lives here; the analyses in src/analysis.
 */
import { Runtime } from '../../runtime/runtime.js';
import { UserError } from '../../util/errors.js';
import { AnalysisInputError, checkPipelineFile } from '../../analysis/run-pipeline-of.js';
import { analyzeGradient } from '../../analysis/gradient-report.js';
import { analyzeComplexity } from '../../analysis/complexity-report.js';
import { analyzeHardExamples } from '../../analysis/hard-examples-report.js';
import type { DirectionKind } from '../../analysis/directions.js';
import { dirname, join } from 'node:path';

export interface AnalyzeCommandOptions {
  kind: string;
  targets: string[];
  pipelines: string[];
  set: string[];
  lambdas?: string;
  directions?: string;
  kinds?: string;
  n?: string;
  seed?: string;
  alpha?: string;
  batch?: string;
  out?: string;
  dataDir?: string;
}

function positive(value: string | undefined, name: string, fallback: number, integer = true): number {
  if (value === undefined) return fallback;
  const x = Number(value);
  if (!Number.isFinite(x) || x <= 0 || (integer && !Number.isInteger(x))) throw new UserError(`analyze: --${name} must be a positive ${integer ? 'integer' : 'number'}`);
  return x;
}

export const ANALYSES = ['gradient', 'complexity', 'hard-examples'] as const;

export async function analyzeCommand(o: AnalyzeCommandOptions, out: (s: string) => void): Promise<void> {
  if (!(ANALYSES as readonly string[]).includes(o.kind)) throw new UserError(`analyze: unknown analysis '${o.kind}'; one of ${ANALYSES.join(', ')}`);
  let rt: Runtime | null = null;
  try {
    if (o.kind === 'gradient') {
      if (o.targets.length !== 1) throw new UserError('analyze gradient: expected one CHECKPOINT');
      if (o.pipelines.length === 0) throw new UserError('analyze gradient: name the objective(s) with --pipeline FILE (repeatable, e.g. PGD-AT and TRADES)');
      const lambdas = (o.lambdas ?? '0,0.001,0.002,0.005,0.01,0.02,0.05').split(',').map(Number);
      if (lambdas.some((l) => !Number.isFinite(l) || l < 0)) throw new UserError('analyze: --lambdas must be non-negative numbers separated by commas');
      const kinds = (o.kinds ?? 'filter,plain').split(',') as DirectionKind[];
      if (kinds.some((k) => k !== 'filter' && k !== 'plain')) throw new UserError('analyze: --directions-kind must list filter and/or plain');
      const pipelines = o.pipelines.map((f) => checkPipelineFile(f, o.set));
      rt = await Runtime.create();
      const r = await analyzeGradient(rt, {
        checkpoint: o.targets[0]!, pipelines, lambdas, kinds,
        directions: positive(o.directions, 'directions', 3), n: positive(o.n, 'n', 100), seed: Number(o.seed ?? 0),
        outDir: o.out ?? join(dirname(o.targets[0]!), 'analysis'), dataDir: o.dataDir,
      }, out);
      out(`wrote ${r.json}, ${r.svg.join(', ')}`);
    } else if (o.kind === 'complexity') {
      if (o.targets.length !== 1) throw new UserError('analyze complexity: expected one SWEEP_DIR');
      rt = await Runtime.create();
      const r = await analyzeComplexity(rt, { sweepDir: o.targets[0]!, n: positive(o.n, 'n', 500), alpha: positive(o.alpha, 'alpha', 5e-3, false), dataDir: o.dataDir }, out);
      out(r.text);
      out(`wrote ${r.json}`);
    } else {
      if (o.targets.length < 2) throw new UserError('analyze hard-examples: name at least two run directories');
      rt = await Runtime.create();
      const r = await analyzeHardExamples(rt, {
        runs: o.targets, fallback: o.pipelines[0] ? { file: o.pipelines[0], overrides: o.set } : undefined,
        batch: positive(o.batch, 'batch', 250), fraction: 0.1, show: 24, outDir: o.out ?? join(dirname(o.targets[0] ?? '.'), 'hard-examples'), dataDir: o.dataDir,
      }, out);
      out(`wrote ${r.json}, ${r.html}`);
    }
  } catch (e) {
    if (e instanceof AnalysisInputError) throw new UserError(e.message);
    throw e;
  } finally {
    rt?.destroy();
  }
}
