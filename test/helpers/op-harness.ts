/**
 * Shared test harness for ops: run a graph on the CPU reference and on the GPU, compare,
 * and check autodiff gradients against central finite differences.
 *
 * Usage:
 *   const inputs = [{ name: 'x', shape: [3, 5], data: randn([3, 5], 1) }];
 *   await checkForward((g, [x]) => x.relu(), inputs);
 *   await checkGradients((g, [x]) => x.relu().sum(), inputs);
 */
import { expect } from 'vitest';
import { Graph } from '../../src/ir/graph.js';
import { OPS } from '../../src/ops/registry.js';
import type { DType } from '../../src/ir/graph.js';
import type { Tensor } from '../../src/ir/tensor.js';
import { grad } from '../../src/ir/autodiff.js';
import { runCpu } from '../../src/runtime/cpu-executor.js';
import type { TypedArray } from '../../src/ir/typed-array.js';
import { sharedTestRuntime } from './gpu.js';

export interface InputSpec {
  name: string;
  shape: number[];
  data: TypedArray | number[];
  dtype?: DType;
  /** Differentiate with respect to this input (default: f32 inputs only). */
  differentiable?: boolean;
}

export type Builder = (g: Graph, inputs: Tensor[]) => Tensor;

/** Deterministic pseudo-random normal data (Box-Muller over a small LCG); no global state. */
export function randn(shape: number[], seed: number, scale = 1): Float32Array {
  const n = shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(n);
  let s = (seed * 2654435761) >>> 0 || 1;
  const next = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s + 0.5) / 4294967296;
  };
  for (let i = 0; i < n; i++) {
    out[i] = scale * Math.sqrt(-2 * Math.log(next())) * Math.cos(2 * Math.PI * next());
  }
  return out;
}

/** Uniform data in [lo, hi). */
export function randu(shape: number[], seed: number, lo = 0, hi = 1): Float32Array {
  const z = randn(shape, seed);
  return z.map((v) => lo + (hi - lo) * (0.5 + 0.5 * Math.tanh(v)));
}

function buildGraph(build: Builder, inputs: InputSpec[]) {
  const g = new Graph(OPS);
  const ts = inputs.map((i) => g.input(i.name, i.shape, i.dtype ?? 'f32'));
  const out = build(g, ts);
  const feeds: Record<string, TypedArray | number[]> = {};
  for (const i of inputs) feeds[i.name] = i.data;
  return { g, ts, out, feeds };
}

export function cpuEval(build: Builder, inputs: InputSpec[]): TypedArray {
  const { g, out, feeds } = buildGraph(build, inputs);
  return runCpu(g, { feeds, outputs: [out.id] }).values.get(out.id)!;
}

/** Run a graph on the shared GPU runtime and read back the given tensors. */
export async function gpuRun(g: Graph, feeds: Record<string, TypedArray | number[]>, outputs: Tensor[]): Promise<TypedArray[]> {
  const rt = await sharedTestRuntime();
  const program = await rt.compile(g, { fetch: outputs });
  program.run(feeds);
  const results = [];
  for (const o of outputs) results.push(await program.read(o));
  program.destroy();
  return results;
}

export interface Tolerance {
  rtol?: number;
  atol?: number;
}

/** Elementwise |a - b| <= atol + rtol * |b|, with a readable failure showing the worst index. */
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: Tolerance = {}, what = 'values'): void {
  const rtol = tol.rtol ?? 1e-4;
  const atol = tol.atol ?? 1e-5;
  expect(actual.length, `${what}: length`).toBe(expected.length);
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const b = expected[i]!;
    if (Number.isNaN(b) && Number.isNaN(a)) continue;
    const excess = Math.abs(a - b) - (atol + rtol * Math.abs(b));
    if (!(excess <= 0) && (worst < 0 || excess > worstExcess || Number.isNaN(excess))) {
      worst = i;
      worstExcess = excess;
    }
  }
  if (worst >= 0) {
    expect.fail(`${what}: index ${worst}: got ${actual[worst]}, expected ${expected[worst]} (rtol ${rtol}, atol ${atol})`);
  }
}

/** GPU forward against the CPU reference. */
export async function checkForward(build: Builder, inputs: InputSpec[], tol: Tolerance = {}): Promise<TypedArray> {
  const { g, out, feeds } = buildGraph(build, inputs);
  const cpu = runCpu(g, { feeds, outputs: [out.id] }).values.get(out.id)!;
  const [gpu] = await gpuRun(g, feeds, [out]);
  expectClose(gpu!, cpu, tol, `forward of ${g.node(out.id).op}`);
  return cpu;
}

export interface GradCheckOptions extends Tolerance {
  /** Finite-difference step (central differences in f64 around f32 values). */
  eps?: number;
  /** Tolerances for the finite-difference comparison (looser: FD sees f32 rounding). */
  fdRtol?: number;
  fdAtol?: number;
  /** Skip the GPU comparison (CPU reference vs finite differences only). */
  cpuOnly?: boolean;
}

/**
 * Checks d(loss)/d(input) three ways: autodiff on the CPU reference vs central finite
 * differences of the CPU reference, and autodiff on the GPU vs autodiff on the CPU.
 * `build` must return a scalar; non-scalar outputs are reduced with a fixed random
 * weighting so every output element matters.
 */
export async function checkGradients(build: Builder, inputs: InputSpec[], opts: GradCheckOptions = {}): Promise<void> {
  const weighted: Builder = (g, ts) => {
    const y = build(g, ts);
    if (y.size === 1) return y.reshape([]);
    const w = g.constantData(randn([...y.shape], 99), y.shape);
    return y.mul(w).sum();
  };
  const { g, ts, out, feeds } = buildGraph(weighted, inputs);
  const diffIdx = inputs.map((s, i) => ({ s, i })).filter(({ s }) => (s.differentiable ?? (s.dtype ?? 'f32') === 'f32'));
  const grads = grad(out, diffIdx.map(({ i }) => ts[i]!));
  const cpu = runCpu(g, { feeds, outputs: grads.map((t) => t.id) });
  const cpuGrads = grads.map((t) => cpu.values.get(t.id)!);

  // Central finite differences on the CPU reference.
  const eps = opts.eps ?? 1e-2;
  const lossAt = (name: string, data: Float32Array): number => {
    const f = { ...feeds, [name]: data };
    return runCpu(g, { feeds: f, outputs: [out.id] }).values.get(out.id)![0]!;
  };
  diffIdx.forEach(({ s }, k) => {
    const base = Float32Array.from(s.data as ArrayLike<number>);
    const fd = new Float64Array(base.length);
    for (let j = 0; j < base.length; j++) {
      const p = base.slice();
      p[j] = base[j]! + eps;
      const m = base.slice();
      m[j] = base[j]! - eps;
      fd[j] = (lossAt(s.name, p) - lossAt(s.name, m)) / (p[j]! - m[j]!);
    }
    expectClose(cpuGrads[k]!, fd, { rtol: opts.fdRtol ?? 2e-2, atol: opts.fdAtol ?? 2e-2 }, `d/d${s.name} (autodiff vs finite differences)`);
  });

  if (opts.cpuOnly) return;
  const gpuGrads = await gpuRun(g, feeds, grads);
  gpuGrads.forEach((gg, k) => expectClose(gg, cpuGrads[k]!, { rtol: opts.rtol ?? 1e-3, atol: opts.atol ?? 1e-4 }, `d/d${diffIdx[k]!.s.name} (GPU vs CPU)`));
}
