/** `matc analyze gradient`: curves for each pipeline and direction kind, as JSON and SVG. */
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Runtime } from '../runtime/runtime.js';
import type { ResolvedPipeline } from '../check/resolved.js';
import { lineChart, palette, type Series } from '../report/svg-chart.js';
import { trainingData, fixedBatch, probeAt } from './analysis-context.js';
import { gradientCurve, type GradientCurve } from './gradient-instability.js';
import type { DirectionKind } from './directions.js';

export interface GradientAnalysisOptions {
  checkpoint: string;
  pipelines: ResolvedPipeline[];
  lambdas: number[];
  kinds: DirectionKind[];
  directions: number;
  n: number;
  seed: number;
  outDir: string;
  dataDir?: string;
}

export async function analyzeGradient(rt: Runtime, o: GradientAnalysisOptions, log: (s: string) => void): Promise<{ curves: GradientCurve[]; json: string; svg: string[] }> {
  const curves: GradientCurve[] = [];
  for (const p of o.pipelines) {
    const train = trainingData(p, o.dataDir);
    const probe = await probeAt(rt, p, o.checkpoint, train, true);
    probe.setBatch(fixedBatch(train, o.n));
    for (const kind of o.kinds) {
      const started = performance.now();
      const c = await gradientCurve(probe, o.lambdas, kind, o.directions, o.seed);
      curves.push(c);
      log(`${p.name} ${kind}: |g| ${c.gradientNorm.toPrecision(4)}, loss ${c.loss.toFixed(4)}; mean ||g(theta + lambda d) - g(theta)||: ${c.lambdas.map((l, i) => `${l}: ${c.meanDistance[i]!.toPrecision(4)}`).join(', ')} (${((performance.now() - started) / 1000).toFixed(0)} s)`);
    }
  }
  mkdirSync(o.outDir, { recursive: true });
  const json = join(o.outDir, 'gradient.json');
  writeFileSync(json, `${JSON.stringify({ checkpoint: o.checkpoint, n: o.n, seed: o.seed, directions: o.directions, curves }, null, 2)}\n`);
  const svg: string[] = [];
  for (const kind of o.kinds) {
    const series: Series[] = curves.filter((c) => c.kind === kind).map((c, i) => ({ name: c.pipeline, color: palette[i % palette.length], points: c.lambdas.map((x, j) => ({ x, y: c.meanDistance[j]! })) }));
    const path = join(o.outDir, `gradient-${kind}.svg`);
    writeFileSync(path, lineChart({ title: `Gradient change along ${kind === 'filter' ? 'filter-normalised' : 'unit'} random directions`, xLabel: 'lambda', yLabel: '||g(theta + lambda d) - g(theta)||', series }));
    svg.push(path);
  }
  return { curves, json, svg };
}
