/**
 * `matc analyze complexity SWEEP_DIR`: the four measures for every finished run of a sweep (its
 * final model), against each run's robust generalization gap, with Kendall's tau per measure.
 * One runtime serves every run, whatever its architecture (probeAt starts each from an empty
 * variable store).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { readJsonFile } from '../util/json-file.js';
import type { Runtime } from '../runtime/runtime.js';
import { readSafetensors } from '../io/safetensors.js';
import { readRecords } from '../io/metrics.js';
import { trainingData, fixedBatch, probeAt } from './analysis-context.js';
import { pipelineOfRun, finalCheckpoint, AnalysisInputError } from './run-pipeline-of.js';
import { normMeasures, type WeightTensor } from './weight-norms.js';
import { pacBayesFlatness, worstCaseSharpness } from './weight-perturbation.js';
import { kendallTau } from './rank-stats.js';
import { writeSweepReport } from '../sweep/sweep-report.js';

export interface ComplexityOptions {
  sweepDir: string;
  n: number;
  alpha: number;
  dataDir?: string;
}

export interface RunMeasures {
  run: string;
  robustGap: number;
  frobeniusSquaredSum: number;
  logSpectralProduct: number;
  /** 1 / sigma: larger = sharper, so that every measure grows with complexity. */
  inversePacBayesSigma: number;
  pacBayesSigma: number;
  worstCaseSharpness: number;
  seconds: number;
}

/** The part of sweep.json (src/sweep/sweep.ts) this analysis reads. */
const sweepPlanSchema = z.object({ runs: z.array(z.object({ name: z.string() })) });

const MEASURES = ['frobeniusSquaredSum', 'logSpectralProduct', 'inversePacBayesSigma', 'worstCaseSharpness'] as const;

export async function analyzeComplexity(rt: Runtime, o: ComplexityOptions, log: (s: string) => void): Promise<{ runs: RunMeasures[]; tau: Record<string, number>; json: string; text: string }> {
  const plan = readJsonFile(join(o.sweepDir, 'sweep.json'), sweepPlanSchema, 'a matc sweep plan');
  if (!plan.ok) throw new AnalysisInputError(plan.reason);
  const runs: RunMeasures[] = [];
  for (const { name } of plan.value.runs) {
    const dir = join(o.sweepDir, name);
    const last = readRecords(dir, { warn: () => {} }).at(-1);
    if (!last || last.train_robust_acc === null || last.test_robust_acc === null) {
      log(`${name}: skipped (no final epoch with train and test robust accuracy)`);
      continue;
    }
    const started = performance.now();
    const p = pipelineOfRun(dir);
    const checkpoint = finalCheckpoint(dir);
    const file = await readSafetensors(checkpoint);
    const weights: WeightTensor[] = [...file.tensors].map(([n, t]) => ({ name: n, shape: t.shape, data: Float32Array.from(t.data as ArrayLike<number>) }));
    const norms = normMeasures(weights);
    const train = trainingData(p, o.dataDir);
    const probe = await probeAt(rt, p, checkpoint, train, true);
    probe.setBatch(fixedBatch(train, o.n));
    const flat = await pacBayesFlatness(probe, { seed: 1 });
    const sharp = await worstCaseSharpness(probe, { alpha: o.alpha });
    await probe.destroy();
    const m: RunMeasures = {
      run: name,
      robustGap: last.train_robust_acc - last.test_robust_acc,
      frobeniusSquaredSum: norms.frobeniusSquaredSum,
      logSpectralProduct: norms.logSpectralProduct,
      pacBayesSigma: flat.sigma,
      inversePacBayesSigma: 1 / flat.sigma,
      worstCaseSharpness: sharp.rise,
      seconds: (performance.now() - started) / 1000,
    };
    runs.push(m);
    log(`${name}: gap ${(100 * m.robustGap).toFixed(1)}%, sum ||W||_F^2 ${m.frobeniusSquaredSum.toFixed(2)}, log prod ||W||_2 ${m.logSpectralProduct.toFixed(3)}, PAC-Bayes sigma ${m.pacBayesSigma.toPrecision(3)}, sharpness ${m.worstCaseSharpness.toFixed(4)} (${m.seconds.toFixed(0)} s)`);
  }
  if (runs.length < 2) throw new AnalysisInputError(`${o.sweepDir}: fewer than two finished runs with robust accuracies; nothing to correlate`);
  const gaps = runs.map((r) => r.robustGap);
  const tau = Object.fromEntries(MEASURES.map((k) => [k, kendallTau(runs.map((r) => r[k]), gaps)]));
  const json = join(o.sweepDir, 'complexity.json');
  writeFileSync(json, `${JSON.stringify({ n: o.n, alpha: o.alpha, runs, kendallTauVsRobustGap: tau }, null, 2)}\n`);
  const text = [
    `${'run'.padEnd(40)} ${'rob gap %'.padStart(9)} ${'sum|W|F^2'.padStart(10)} ${'log prod|W|2'.padStart(12)} ${'1/sigma'.padStart(9)} ${'sharpness'.padStart(9)}`,
    ...runs.map((r) => `${r.run.padEnd(40)} ${(100 * r.robustGap).toFixed(1).padStart(9)} ${r.frobeniusSquaredSum.toFixed(2).padStart(10)} ${r.logSpectralProduct.toFixed(3).padStart(12)} ${r.inversePacBayesSigma.toFixed(1).padStart(9)} ${r.worstCaseSharpness.toFixed(4).padStart(9)}`),
    `Kendall tau vs robust gap: ${MEASURES.map((k) => `${k} ${tau[k]!.toFixed(3)}`).join(', ')}`,
  ].join('\n');
  writeFileSync(join(o.sweepDir, 'complexity.txt'), `${text}\n`);
  writeSweepReport(o.sweepDir, o.sweepDir);
  return { runs, tau, json, text };
}
