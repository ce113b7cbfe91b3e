import { describe, it, expect } from 'vitest';
import { checkForward, checkGradients, cpuEval, randn, randu, expectClose, type InputSpec } from '../helpers/op-harness.js';
import { grad } from '../../src/ir/autodiff.js';
import { formatShape } from '../../src/ir/shape.js';
import { sharedTestRuntime } from '../helpers/gpu.js';
import { Graph } from '../../src/ir/graph.js';
import { OPS } from '../../src/ops/registry.js';
import type { Tensor } from '../../src/ir/tensor.js';
import { runCpu } from '../../src/runtime/cpu-executor.js';
import type { TypedArray } from '../../src/ir/typed-array.js';
import { batchNorm, batchNorm2d, type BatchNormOptions } from '../../src/ops/batchnorm.js';

const f32 = (name: string, shape: number[], data: ArrayLike<number>): InputSpec => ({ name, shape, data: Float32Array.from(data) });

/** [N, C, H, W] data whose channel c has mean ~c and scale ~(1 + c). */
function images(shape: number[], seed: number): Float32Array {
  const [, c, h, w] = shape as [number, number, number, number];
  return randn(shape, seed).map((v, i) => {
    const ch = Math.floor(i / (h * w)) % c;
    return v * (1 + ch) + ch;
  });
}

/** Per-channel mean and biased / unbiased variance in f64 (the PyTorch formulas). */
function channelStats(x: ArrayLike<number>, shape: number[]) {
  const c = shape[1]!;
  const inner = shape.slice(2).reduce((p, d) => p * d, 1);
  const n = x.length / c;
  const mean = new Array<number>(c).fill(0);
  const sq = new Array<number>(c).fill(0);
  for (let i = 0; i < x.length; i++) mean[Math.floor(i / inner) % c]! += x[i]! / n;
  for (let i = 0; i < x.length; i++) {
    const ch = Math.floor(i / inner) % c;
    sq[ch]! += (x[i]! - mean[ch]!) ** 2;
  }
  return { mean, biased: sq.map((s) => s / n), unbiased: sq.map((s) => s / (n - 1)) };
}

interface StepResult {
  y: TypedArray;
  vars: Record<string, TypedArray>;
}

/** Build a graph with BN variables, run one step on the CPU and on the GPU. */
async function runStep(prefix: string, x: Float32Array, shape: number[], init: Record<string, TypedArray>, opts: BatchNormOptions): Promise<{ cpu: StepResult; gpu: StepResult; graph: Graph }> {
  const c = shape[1]!;
  const g = new Graph(OPS);
  const xt = g.input('x', shape);
  const v = (name: string, dtype: 'f32' | 'i32' = 'f32', s = [c]) => g.variable(`${prefix}.${name}`, s, dtype);
  const nbt = init['numBatchesTracked'];
  const y = batchNorm2d(
    xt,
    {
      weight: v('weight'),
      bias: v('bias'),
      runningMean: v('runningMean'),
      runningVar: v('runningVar'),
      ...(nbt ? { numBatchesTracked: v('numBatchesTracked', nbt instanceof Int32Array ? 'i32' : 'f32', []) } : {}),
    },
    opts,
  );
  const names = Object.keys(init);
  const feeds: Record<string, TypedArray> = { x };
  for (const n of names) feeds[`${prefix}.${n}`] = init[n]!;

  const cpuRun = runCpu(g, { feeds, outputs: [y.id] });
  const cpu: StepResult = { y: cpuRun.values.get(y.id)!, vars: {} };
  for (const n of names) cpu.vars[n] = cpuRun.updated.get(`${prefix}.${n}`) ?? init[n]!;

  const rt = await sharedTestRuntime();
  for (const n of names) rt.variables.write(`${prefix}.${n}`, init[n]!, n === 'numBatchesTracked' ? [] : [c]);
  const program = await rt.compile(g, { fetch: [y] });
  program.run({ x });
  const gpu: StepResult = { y: await program.read(y), vars: {} };
  for (const n of names) gpu.vars[n] = await rt.variables.read(`${prefix}.${n}`);
  program.destroy();
  return { cpu, gpu, graph: g };
}

const ones = (c: number) => new Float32Array(c).fill(1);
const zeros = (c: number) => new Float32Array(c);

describe('batchNorm2d in training mode', () => {
  const shape = [8, 3, 5, 5];
  const x = images(shape, 1);

  it('normalises each channel to mean 0 and variance 1 (GPU and CPU)', async () => {
    const { cpu, gpu } = await runStep('bn1', x, shape, { weight: ones(3), bias: zeros(3), runningMean: zeros(3), runningVar: ones(3) }, { training: true });
    expectClose(gpu.y, cpu.y, { rtol: 1e-4, atol: 1e-4 });
    const s = channelStats(cpu.y, shape);
    expectClose(s.mean, [0, 0, 0], { atol: 1e-5 });
    expectClose(s.biased, [1, 1, 1], { rtol: 1e-4 }); // eps 1e-5 shifts it by ~1e-5 / var
  });

  it('applies weight and bias after normalising', async () => {
    const { cpu } = await runStep('bn2', x, shape, { weight: Float32Array.from([2, 0.5, -1]), bias: Float32Array.from([1, -2, 3]), runningMean: zeros(3), runningVar: ones(3) }, { training: true });
    const s = channelStats(cpu.y, shape);
    expectClose(s.mean, [1, -2, 3], { atol: 1e-5 });
    expectClose(s.biased, [4, 0.25, 1], { rtol: 1e-4 });
  });

  it('updates running statistics exactly like PyTorch after one step (unbiased variance, momentum 0.1)', async () => {
    const rm0 = Float32Array.from([0.5, -1, 2]);
    const rv0 = Float32Array.from([1, 2, 0.5]);
    const { cpu, gpu } = await runStep('bn3', x, shape, { weight: ones(3), bias: zeros(3), runningMean: rm0, runningVar: rv0, numBatchesTracked: Int32Array.from([7]) }, { training: true });
    const s = channelStats(x, shape);
    const wantMean = s.mean.map((m, c) => 0.9 * rm0[c]! + 0.1 * m);
    const wantVar = s.unbiased.map((v, c) => 0.9 * rv0[c]! + 0.1 * v);
    for (const r of [cpu, gpu]) {
      expectClose(r.vars['runningMean']!, wantMean, { rtol: 1e-5, atol: 1e-6 }, 'running mean');
      expectClose(r.vars['runningVar']!, wantVar, { rtol: 1e-5, atol: 1e-6 }, 'running var');
      expect(Array.from(r.vars['numBatchesTracked']!)).toEqual([8]);
      expect(r.vars['numBatchesTracked']).toBeInstanceOf(Int32Array);
    }
    // Parameters are not assigned.
    expect(Array.from(gpu.vars['weight']!)).toEqual([1, 1, 1]);
  });

  it('momentum null gives the cumulative average (factor 1 / batches tracked), f32 count', async () => {
    const rm0 = Float32Array.from([1, 1, 1]);
    const { cpu, gpu } = await runStep('bn4', x, shape, { weight: ones(3), bias: zeros(3), runningMean: rm0, runningVar: ones(3), numBatchesTracked: Float32Array.from([3]) }, { training: true, momentum: null });
    const s = channelStats(x, shape);
    for (const r of [cpu, gpu]) {
      expectClose(r.vars['runningMean']!, s.mean.map((m) => 0.75 * 1 + 0.25 * m), { rtol: 1e-5, atol: 1e-6 });
      expect(Array.from(r.vars['numBatchesTracked']!)).toEqual([4]);
    }
  });

  it('works on [N, C] inputs (BatchNorm1d)', async () => {
    const x2 = randn([6, 4], 2, 3);
    const { cpu, gpu } = await runStep('bn5', x2, [6, 4], { weight: ones(4), bias: zeros(4), runningMean: zeros(4), runningVar: ones(4) }, { training: true, momentum: 0.3 });
    expectClose(gpu.y, cpu.y, { rtol: 1e-4, atol: 1e-4 });
    const s = channelStats(x2, [6, 4]);
    expectClose(gpu.vars['runningVar']!, s.unbiased.map((v) => 0.7 + 0.3 * v), { rtol: 1e-5 });
  });

  it('rejects a batch with one value per channel and mismatched parameters', () => {
    const g = new Graph(OPS);
    const p = { runningMean: g.variable('m', [3]), runningVar: g.variable('v', [3]) };
    expect(() => batchNorm(g.input('x', [1, 3]), p, { training: true })).toThrow(/more than 1 value/);
    expect(() => batchNorm(g.input('x2', [2, 4]), p, { training: false })).toThrow(/runningMean must be f32\[4\]/);
  });

  it('chains two training calls in one graph like two sequential PyTorch steps', () => {
    const g = new Graph(OPS);
    const rm = g.variable('rm', [3]);
    const rv = g.variable('rv', [3]);
    const xa = g.input('xa', shape);
    const xb = g.input('xb', shape);
    const first = batchNorm(xa, { runningMean: rm, runningVar: rv }, { training: true });
    const second = batchNorm(xb, { runningMean: first.runningMean!, runningVar: first.runningVar! }, { training: true });
    g.assign(rm, second.runningMean!);
    g.assign(rv, second.runningVar!);
    const xb0 = images(shape, 3);
    const { updated } = runCpu(g, { feeds: { xa: x, xb: xb0, rm: [0, 0, 0], rv: [1, 1, 1] }, outputs: [] });
    const sa = channelStats(x, shape);
    const sb = channelStats(xb0, shape);
    expectClose(updated.get('rm')!, sa.mean.map((m, c) => 0.9 * (0.1 * m) + 0.1 * sb.mean[c]!), { rtol: 1e-5, atol: 1e-6 });
    expectClose(updated.get('rv')!, sa.unbiased.map((v, c) => 0.9 * (0.9 + 0.1 * v) + 0.1 * sb.unbiased[c]!), { rtol: 1e-5 });
  });
});

describe('batchNorm2d in eval mode', () => {
  it('uses the running statistics and records no updates', async () => {
    const shape = [2, 3, 2, 2];
    const x = randn(shape, 4);
    const rm = Float32Array.from([0.5, -1, 2]);
    const rv = Float32Array.from([1, 4, 0.25]);
    const w = Float32Array.from([2, 1, -1]);
    const b = Float32Array.from([0, 1, 0.5]);
    const { cpu, gpu, graph } = await runStep('bn6', x, shape, { weight: w, bias: b, runningMean: rm, runningVar: rv }, { training: false });
    expect(graph.updates).toHaveLength(0);
    const want = Array.from(x, (v, i) => {
      const c = Math.floor(i / 4) % 3;
      return ((v - rm[c]!) / Math.sqrt(rv[c]! + 1e-5)) * w[c]! + b[c]!;
    });
    expectClose(cpu.y, want, { rtol: 1e-5, atol: 1e-5 });
    expectClose(gpu.y, want, { rtol: 1e-5, atol: 1e-5 });
    expectClose(gpu.vars['runningMean']!, rm);
  });
});

describe('batch norm gradients (finite differences, GPU vs CPU)', () => {
  const pure = (training: boolean) => (_g: Graph, [x, w, b, m, v]: Tensor[]) => batchNorm(x!, { weight: w!, bias: b!, runningMean: m!, runningVar: v! }, { training }).y;
  const params = (c: number): InputSpec[] => [
    f32('w', [c], randu([c], 5, 0.5, 1.5)),
    f32('b', [c], randn([c], 6)),
    { name: 'm', shape: [c], data: randn([c], 7), differentiable: false },
    { name: 'v', shape: [c], data: randu([c], 8, 0.5, 2), differentiable: false },
  ];

  it('training mode through the batch statistics, [4, 3, 2, 2]', async () => {
    await checkGradients(pure(true), [f32('x', [4, 3, 2, 2], images([4, 3, 2, 2], 9)), ...params(3)], { eps: 1e-3 });
  });

  it('training mode, [6, 3]', async () => {
    await checkGradients(pure(true), [f32('x', [6, 3], randn([6, 3], 10)), ...params(3)], { eps: 1e-3 });
  });

  it('eval mode, [3, 2, 2, 3]', async () => {
    await checkGradients(pure(false), [f32('x', [3, 2, 2, 3], randn([3, 2, 2, 3], 11)), ...params(2)], { eps: 1e-3 });
  });

  it('training mode on the composite (unfused) graph, [4, 3, 2, 2]', async () => {
    const composite = (_g: Graph, [x, w, b, m, v]: Tensor[]) => batchNorm(x!, { weight: w!, bias: b!, runningMean: m!, runningVar: v! }, { training: true, fused: false }).y;
    await checkGradients(composite, [f32('x', [4, 3, 2, 2], images([4, 3, 2, 2], 13)), ...params(3)], { eps: 1e-3 });
  });

  it('second order through the fused backward (grad of grad vs finite differences)', async () => {
    const build = (g: Graph, ts: Tensor[]) => {
      const [x, w] = ts as [Tensor, Tensor];
      const y = pure(true)(g, ts);
      const probe = g.constantData(randn([...y.shape], 14), y.shape);
      const [dx, dw] = grad(y.mul(probe).sum(), [x, w]);
      return dx!.square().sum().add(dw!.square().sum());
    };
    await checkGradients(build, [f32('x', [3, 2, 2, 2], images([3, 2, 2, 2], 15)), ...params(2)], { eps: 1e-3, fdRtol: 5e-2 });
  });
});

describe('fused batch-norm kernels', () => {
  const pure = (training: boolean, fused = true) => (_g: Graph, [x, w, b]: Tensor[]) =>
    batchNorm(x!, { weight: w!, bias: b!, runningMean: _g.constant(0, [x!.shape[1]!]), runningVar: _g.constant(1, [x!.shape[1]!]) }, { training, fused }).y;
  const inputs = (shape: number[], seed: number): InputSpec[] => [
    f32('x', shape, images(shape, seed).map((v, i) => v + (i % 7))),
    f32('w', [shape[1]!], randu([shape[1]!], seed + 1, 0.5, 1.5)),
    f32('b', [shape[1]!], randn([shape[1]!], seed + 2)),
  ];
  // [32,16,16,16]: few channels, long reductions (a workgroup per channel), vec4 rows;
  // [8,80,3,3]: many channels (a thread per channel), scalar rows;
  // [16,64,4,4]: a thread per channel, short vec4 rows; [12,5,2,3]: per-element fallback;
  // [20,3,5,5]: a workgroup per channel on scalars (25 is not a multiple of 4).
  const shapes = [
    [32, 16, 16, 16],
    [8, 80, 3, 3],
    [16, 64, 4, 4],
    [12, 5, 2, 3],
    [20, 3, 5, 5],
  ];

  it('without weight and bias (affine = False), on the GPU', async () => {
    const shape = [6, 5, 3, 3];
    const y = await checkForward((g, [x]) => batchNorm(x!, { runningMean: g.constant(0, [5]), runningVar: g.constant(1, [5]) }, { training: true }).y, [f32('x', shape, images(shape, 30))], { rtol: 1e-4, atol: 1e-4 });
    const s = channelStats(y, shape);
    expectClose(s.mean, new Array(5).fill(0), { atol: 1e-5 });
    expectClose(s.biased, new Array(5).fill(1), { rtol: 1e-3 });
  });

  it('refuse statistics not computed from their own x', () => {
    const g = new Graph(OPS);
    const x = g.input('x', [4, 3]);
    const other = g.input('o', [4, 3]);
    const w = g.input('w', [3]);
    expect(() => g.apply('batch_norm_train', [x, w, w, g.apply('batch_norm_stats', [other])], { eps: 1e-5 })).toThrow(/expects batch_norm_stats/);
    expect(() => g.apply('batch_norm_train', [x, w, w, g.input('s', [2, 3])], { eps: 1e-5 })).toThrow(/expects batch_norm_stats/);
  });

  for (const shape of shapes) {
    it(`forward, GPU vs CPU, and fused vs composite, ${formatShape(shape)}`, async () => {
      const fused = await checkForward(pure(true), inputs(shape, 20), { rtol: 1e-3, atol: 1e-3 });
      const composite = cpuEval(pure(true, false), inputs(shape, 20));
      expectClose(fused, composite, { rtol: 1e-4, atol: 1e-4 }, 'fused vs composite');
    });

    it(`backward (dx, dweight, dbias), GPU vs CPU, and fused vs composite, ${formatShape(shape)}`, async () => {
      for (const k of [0, 1, 2]) {
        const build = (fused: boolean) => (g: Graph, ts: Tensor[]) => {
          const y = pure(true, fused)(g, ts);
          const probe = g.constantData(randn([...y.shape], 21), y.shape);
          return grad(y.mul(probe).sum(), [ts[k]!])[0]!;
        };
        const gpuChecked = await checkForward(build(true), inputs(shape, 22), { rtol: 1e-3, atol: 2e-3 });
        expectClose(gpuChecked, cpuEval(build(false), inputs(shape, 22)), { rtol: 1e-3, atol: 1e-3 }, `input ${k}: fused vs composite`);
      }
    });

    it(`batch statistics, GPU vs CPU, ${formatShape(shape)}`, async () => {
      const stats = await checkForward((g, [x]) => g.apply('batch_norm_stats', [x!]), inputs(shape, 23).slice(0, 1), { rtol: 1e-4, atol: 1e-4 });
      const s = channelStats(inputs(shape, 23)[0]!.data as Float32Array, shape);
      expectClose(stats, [...s.mean, ...s.biased], { rtol: 1e-4, atol: 1e-5 });
    });
  }
});
