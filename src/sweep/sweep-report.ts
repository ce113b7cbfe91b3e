/**
 * The sweep's HTML page (report.html in the sweep directory): the summary table and every figure
 * of the sweep and its analyses that exist (train accuracy, gap, gradient norm, complexity), inline,
 * so one file shows a whole experiment.
 */
import { existsSync, readFileSync } from 'node:fs';
import { writeBytesAtomicSync } from '../io/atomic-write.js';
import { join } from 'node:path';
import { escapeXml } from '../report/svg-chart.js';

const FIGURES = ['train-accuracy.svg', 'gap.svg', 'grad-norm.svg'];
const TEXTS = ['summary.txt', 'complexity.txt'];

export function writeSweepReport(dir: string, title: string): string {
  const parts = [`<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>matc sweep: ${escapeXml(title)}</title></head><body style="font-family:sans-serif">`, `<h1>matc sweep: ${escapeXml(title)}</h1>`];
  for (const t of TEXTS) if (existsSync(join(dir, t))) parts.push(`<h2>${t}</h2><pre>${escapeXml(readFileSync(join(dir, t), 'utf8'))}</pre>`);
  for (const f of FIGURES) if (existsSync(join(dir, f))) parts.push(`<div>${readFileSync(join(dir, f), 'utf8')}</div>`);
  parts.push('</body></html>', '');
  const path = join(dir, 'report.html');
  writeBytesAtomicSync(path, parts.join('\n'));
  return path;
}
