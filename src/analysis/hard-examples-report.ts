/**
 * `matc analyze hard-examples RUN...`: per-example adversarial losses of each run's final model
 * on its training set, pairwise agreement of the rankings, and an HTML page with the hardest
 * images of the first run and their (possibly noisy) training labels.
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { join, basename } from 'node:path';
import type { Runtime } from '../runtime/runtime.js';
import { exampleSize } from '../data/index.js';
import { trainingData, probeAt } from './analysis-context.js';
import { pipelineOfRun, finalCheckpoint, AnalysisInputError } from './run-pipeline-of.js';
import { perExampleAdversarialLoss, agreement, type PairAgreement } from './hard-examples.js';
import { topFraction } from './rank-stats.js';
import { imageSvg, imageGridHtml, type Captioned } from './image-grid.js';
import { escapeXml } from '../report/svg-chart.js';

export interface HardExamplesOptions {
  runs: string[];
  fallback?: { file: string; overrides: string[] };
  batch: number;
  fraction: number;
  show: number;
  outDir: string;
  dataDir?: string;
}

/**
 * One runtime serves every run: runs of different architectures reuse state_dict names
 * (`model/3.weight`) with other shapes, and probeAt starts each run from an empty variable store.
 */
export async function analyzeHardExamples(rt: Runtime, o: HardExamplesOptions, log: (s: string) => void): Promise<{ pairs: PairAgreement[]; json: string; html: string }> {
  if (o.runs.length < 2) throw new AnalysisInputError('hard-examples: name at least two run directories');
  const names = o.runs.map((r) => basename(r));
  const losses: Float32Array[] = [];
  let firstTrain = null as ReturnType<typeof trainingData> | null;
  for (const dir of o.runs) {
    const started = performance.now();
    const p = pipelineOfRun(dir, o.fallback);
    const train = trainingData(p, o.dataDir);
    if (firstTrain && (train.n !== firstTrain.n || train.labels.some((l, i) => l !== firstTrain!.labels[i]))) {
      throw new AnalysisInputError(`${dir}: its training set differs from ${o.runs[0]}'s (size or labels); rankings must be over the same examples`);
    }
    firstTrain ??= train;
    const probe = await probeAt(rt, p, finalCheckpoint(dir), train, false);
    losses.push(await perExampleAdversarialLoss(probe, train, o.batch));
    await probe.destroy();
    log(`${dir}: mean adversarial loss ${(losses.at(-1)!.reduce((s, v) => s + v, 0) / train.n).toFixed(4)} over ${train.n} examples (${((performance.now() - started) / 1000).toFixed(0)} s)`);
  }
  const pairs = agreement(names, losses, o.fraction);
  for (const q of pairs) log(`${q.a} vs ${q.b}: hardest ${(100 * o.fraction).toFixed(0)}% overlap ${(100 * q.overlap).toFixed(1)}% (chance ${(100 * q.chance).toFixed(1)}%), Spearman ${q.spearman.toFixed(3)}`);
  mkdirSync(o.outDir, { recursive: true });
  const json = join(o.outDir, 'hard-examples.json');
  writeFileSync(json, `${JSON.stringify({ runs: o.runs, fraction: o.fraction, pairs, losses: Object.fromEntries(names.map((n, i) => [n, Array.from(losses[i]!, (v) => Number(v.toFixed(5)))])) })}\n`);

  const train = firstTrain!;
  const size = exampleSize(train);
  const hardest = topFraction(Array.from(losses[0]!), o.show / train.n).slice(0, o.show);
  const items = hardest.map((i) => ({
    svg: imageSvg(train.images.subarray(i * size, (i + 1) * size), train.channels, train.height, train.width),
    caption: `#${i} label ${train.labels[i]} loss ${losses[0]![i]!.toFixed(2)}`,
  }));
  const html = join(o.outDir, 'hard-examples.html');
  writeFileSync(html, hardExamplesPage(pairs, o.fraction, `The ${o.show} hardest training examples of ${names[0]} (label = training label, after any label noise)`, items));
  return { pairs, json, html };
}

/** The HTML page. Run names are folder names the user chose: escaped like every other text. */
export function hardExamplesPage(pairs: readonly PairAgreement[], fraction: number, gridTitle: string, items: readonly Captioned[]): string {
  const rows = pairs.map((q) => `<tr><td>${escapeXml(q.a)}</td><td>${escapeXml(q.b)}</td><td>${(100 * q.overlap).toFixed(1)}%</td><td>${(100 * q.chance).toFixed(1)}%</td><td>${q.spearman.toFixed(3)}</td></tr>`).join('\n');
  return ['<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>matc: hard examples</title></head><body style="font-family:sans-serif">',
    '<h1>Hard examples</h1>',
    `<table border="1" cellpadding="4"><tr><th>run A</th><th>run B</th><th>hardest ${(100 * fraction).toFixed(0)}% overlap</th><th>chance</th><th>Spearman</th></tr>${rows}</table>`,
    imageGridHtml(gridTitle, items),
    '</body></html>', ''].join('\n');
}
