/** The TypeScript embedding API: compile() returns diagnostics; run() streams typed events. */
import { describe, it, expect, beforeAll } from 'vitest';
import { join } from 'node:path';
import { compile, type RunEvent } from '../../src/index.js';
import { makeTempDir, writeIdxDataset } from '../data/fixtures.js';

let dataDir = '';
const source = () => `import "models/mlp.mat"
pipeline api_demo {
  data fashion_mnist { path: "${dataDir}", subset: first(40), test_subset: first(20) }
  model f = mlp(classes: 10, inputs: 784, hidden: 16)
  attack adv = pgd(ball: linf(0.1), step: 0.05, steps: 1, start: uniform) { maximize ce(f(x + delta), y) }
  minimize ce(f(adv), y)
  train { epochs: 3, batch: 20, seed: 1, optimizer: sgd(lr: 0.05, momentum: 0.9) }
  evaluate { every: 1, batch: 20, attacks: [natural, pgd(steps: 1)], select: pgd }
}`;
const file = () => join(process.cwd(), 'pipelines', 'api_demo.mat');

describe('embedding API', () => {
  beforeAll(() => {
    dataDir = makeTempDir('matc-api-').dir;
    writeIdxDataset(dataDir, { n: 40, nTest: 20, h: 28, w: 28, gzip: true });
  });

  it('compile() reports diagnostics as data', () => {
    const p = compile(file(), { source: source().replace('ce(f(adv), y)', 'ce(g(adv), y)') });
    expect(p.ok).toBe(false);
    expect(p.diagnostics[0]!.message).toMatch(/`g`/);
    expect(p.formatDiagnostics()).toMatch(/api_demo\.mat:6:\d+: error/);
  });

  it('run() streams typed events and applies overrides validated like --set', { timeout: 300_000 }, async () => {
    const p = compile(file(), { source: source(), overrides: ['train.epochs=1'] });
    expect(p.ok).toBe(true);
    expect(p.pipeline!.settings.train.epochs).toBe(1);
    const bad = p.run({ overrides: { 'train.epochs': 'many' } });
    await expect(bad.result).rejects.toThrow(/epochs/);
    const events: RunEvent[] = [];
    const handle = p.run({ outDir: makeTempDir('matc-api-run-').dir, overrides: { 'train.epochs': 2 } });
    for await (const e of handle) events.push(e);
    const summary = await handle.result;
    expect(events[0]!.type).toBe('start');
    expect(events.filter((e) => e.type === 'epoch').map((e) => (e.type === 'epoch' ? e.metrics.epoch : 0))).toEqual([1, 2]);
    expect(events.some((e) => e.type === 'checkpoint' && e.kind === 'final')).toBe(true);
    expect(events.at(-1)!.type).toBe('done');
    expect(summary.final!.epoch).toBe(2);
  });
});
