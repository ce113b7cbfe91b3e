// The bench's own helpers: deterministic data, layout conversion, iteration budgets, tables.
// No timing is asserted (speed goals live in the benchmarks, not in tests).
import { describe, it, expect } from 'vitest';
import { syntheticBatch, toNhwc } from '../../bench/random-batch.js';
import { measureThroughput } from '../../bench/timing.js';
import { formatTable } from '../../bench/table.js';
import { parseFlags } from '../../bench/flags.js';
import { preactResnet18PgdAt, resnet18PgdAt, resnetBatch } from '../../bench/matc/workloads.js';
import { loadPipeline } from '../../bench/matc/load-pipeline.js';

describe('syntheticBatch', () => {
  it('is deterministic, in [0, 1], with labels in range', () => {
    const a = syntheticBatch(8, [3, 4, 5], 10, 3);
    const b = syntheticBatch(8, [3, 4, 5], 10, 3);
    expect(a.images).toEqual(b.images);
    expect(a.labels).toEqual(b.labels);
    expect(a.images.length).toBe(8 * 60);
    expect(Math.min(...a.images)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...a.images)).toBeLessThan(1);
    expect([...a.labels].every((l) => l >= 0 && l < 10)).toBe(true);
    expect([...a.positions]).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('converts NCHW to NHWC', () => {
    const b = syntheticBatch(2, [3, 2, 2], 10);
    const nhwc = toNhwc(b);
    for (let n = 0; n < 2; n++)
      for (let c = 0; c < 3; c++)
        for (let y = 0; y < 2; y++)
          for (let x = 0; x < 2; x++) expect(nhwc[((n * 2 + y) * 2 + x) * 3 + c]).toBe(b.images[((n * 3 + c) * 2 + y) * 2 + x]);
  });
});

describe('measureThroughput', () => {
  it('runs warm-up plus the asked iterations without a budget', async () => {
    let runs = 0;
    let syncs = 0;
    const t = await measureThroughput(() => { runs++; }, async () => { syncs++; }, { warmup: 2, iterations: 5, examplesPerIteration: 4 });
    expect(runs).toBe(7);
    expect(t.iterations).toBe(5);
    expect(syncs).toBe(3);
  });

  it('always times at least one iteration, even with a zero budget', async () => {
    let runs = 0;
    const t = await measureThroughput(() => { runs++; }, async () => {}, { warmup: 0, iterations: 9, examplesPerIteration: 1, budgetSeconds: 0 });
    expect(t.iterations).toBe(1);
    expect(runs).toBe(1);
  });
});

describe('formatTable', () => {
  it('pads columns to a common width', () => {
    const lines = formatTable(['a', 'number'], [['x', 1.234], ['longer', 100]]).split('\n');
    expect(new Set(lines.map((l) => l.length)).size).toBe(1);
    expect(lines[2]).toContain('1.23');
  });
});

describe('parseFlags', () => {
  it('reads the documented flags and rejects others', () => {
    const f = parseFlags(['--quick', '--steps', '3', '--only', 'pgd_at,eval']);
    expect(f.quick).toBe(true);
    expect(f.steps).toBe(3);
    expect([...f.only!]).toEqual(['pgd_at', 'eval']);
    expect(() => parseFlags(['--fast'])).toThrow(/unknown flag/);
  });

  it('reads the ResNet flags', () => {
    const f = parseFlags(['--resnet', '--resnet-batch', '8', '--resnet-width', '16', '--json', '/tmp/b.json']);
    expect(f).toMatchObject({ resnet: true, resnetBatch: 8, resnetWidth: 16, json: '/tmp/b.json' });
    expect(() => parseFlags(['--resnet-batch', '0'])).toThrow(/positive integer/);
  });
});

describe('ResNet step workloads', () => {
  it('write pipelines that check, with the asked batch, width and PGD-10', () => {
    expect(resnetBatch(true)).toBe(8);
    expect(resnetBatch(false)).toBe(128);
    for (const w of [preactResnet18PgdAt(2, 8), resnet18PgdAt(2, 8)]) {
      const p = loadPipeline(w.file, w.overrides);
      expect(p.settings.train.batch).toBe(2);
      expect(w.batch).toBe(2);
      expect(JSON.stringify(p)).toContain('"steps":10');
    }
    expect(preactResnet18PgdAt(4).title).toContain('PreAct ResNet-18, 32x32x3, batch 4, K=10');
  });
});

describe('kernelFlops (the per-family GFLOP/s of the bench)', () => {
  it('counts a conv with a fused bias + ReLU epilogue, its gradients and a matmul: 2 flops per multiply-add', async () => {
    const { Graph } = await import('../../src/ir/graph.js');
    const { OPS } = await import('../../src/ops/registry.js');
    const { grad } = await import('../../src/ir/autodiff.js');
    const { sharedTestRuntime } = await import('../helpers/gpu.js');
    const { kernelFlops, kernelFamily } = await import('../../bench/matc/kernel-families.js');
    const g = new Graph(OPS);
    const x = g.input('x', [2, 3, 6, 6]);
    const w = g.input('w', [4, 3, 3, 3]);
    const b = g.input('b', [1, 4, 1, 1]);
    const m = g.input('m', [5, 16]);
    const y = x.conv2d(w, { pad: 1 }).add(b).relu();
    const z = y.reshape([2, 144]).matmul(g.input('v', [144, 5])).matmul(m);
    const [dx, dw] = grad(z.sum(), [x, w]);
    const rt = await sharedTestRuntime();
    const program = await rt.compile(g, { fetch: [z, dx!, dw!] });
    const flops = new Map<string, number>();
    for (const step of program.steps) {
      const family = kernelFamily(program, step);
      flops.set(family, (flops.get(family) ?? 0) + kernelFlops(program, step));
    }
    const conv = 2 * (2 * 4 * 6 * 6) * (3 * 3 * 3); // every output element: C * kh * kw multiply-adds
    expect(program.steps.some((s) => s.op === 'conv2d' && s.epilogue)).toBe(true); // the case that matters
    expect(flops.get('conv forward')).toBe(conv);
    expect(flops.get('conv input-gradient')).toBe(conv);
    expect(flops.get('conv weight-gradient')).toBe(conv);
    // Forward [2,144]x[144,5] and [2,5]x[5,16]; backward: two products per matmul that needs a gradient.
    expect(flops.get('matmul (linear fwd+bwd)')! % 2).toBe(0);
    expect(flops.get('matmul (linear fwd+bwd)')!).toBeGreaterThanOrEqual(2 * (2 * 5 * 144) + 2 * (2 * 16 * 5));
  });
});
