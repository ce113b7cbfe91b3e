import { describe, it, expect } from 'vitest';
import { Graph } from '../../src/ir/graph.js';
import { OPS } from '../../src/ops/registry.js';
import { applyOptimizer, LR_VARIABLE, ADAM_BIAS1_VARIABLE, ADAM_BIAS2_VARIABLE, optimizerStateName } from '../../src/lower/optimizer.js';
import { sharedTestRuntime } from '../helpers/gpu.js';
import { expectClose } from '../helpers/op-harness.js';

/** torch.optim.SGD step, written out: d = g + wd p; buf = m buf + d; p -= lr * (nesterov ? d + m buf : buf). */
function sgdReference(p: number[], grads: number[][], lr: number, m: number, wd: number, nesterov: boolean): number[] {
  const buf = p.map(() => 0);
  const q = [...p];
  for (const g of grads) {
    for (let i = 0; i < q.length; i++) {
      const d = g[i]! + wd * q[i]!;
      buf[i] = m * buf[i]! + d;
      q[i] = q[i]! - lr * (nesterov ? d + m * buf[i]! : buf[i]!);
    }
  }
  return q;
}

function adamReference(p: number[], grads: number[][], lr: number, b1: number, b2: number, eps: number, wd: number): number[] {
  const m = p.map(() => 0);
  const v = p.map(() => 0);
  const q = [...p];
  grads.forEach((g0, t) => {
    for (let i = 0; i < q.length; i++) {
      const g = g0[i]! + wd * q[i]!;
      m[i] = b1 * m[i]! + (1 - b1) * g;
      v[i] = b2 * v[i]! + (1 - b2) * g * g;
      const mh = m[i]! / (1 - b1 ** (t + 1));
      const vh = v[i]! / (1 - b2 ** (t + 1));
      q[i] = q[i]! - (lr * mh) / (Math.sqrt(vh) + eps);
    }
  });
  return q;
}

const p0 = [0.5, -1, 2];
const steps = [
  [0.1, 0.2, -0.3],
  [-0.2, 0.05, 0.4],
  [0.3, -0.1, 0.0],
];

async function runSteps(settings: Record<string, unknown>, prefix: string): Promise<Float32Array> {
  const rt = await sharedTestRuntime();
  const g = new Graph(OPS);
  const p = g.variable(`${prefix}/p`, [3]);
  const grad = g.input('g', [3]);
  applyOptimizer(g, settings as never, [{ name: `${prefix}/p`, tensor: p }], [grad]);
  rt.variables.write(`${prefix}/p`, p0, [3]);
  rt.variables.write(LR_VARIABLE, [0.05], []);
  for (const slot of ['momentum_buffer', 'exp_avg', 'exp_avg_sq']) rt.variables.write(optimizerStateName(`${prefix}/p`, slot), [0, 0, 0], [3]);
  const prog = await rt.compile(g);
  for (let t = 0; t < steps.length; t++) {
    rt.variables.write(ADAM_BIAS1_VARIABLE, [1 - 0.9 ** (t + 1)], []);
    rt.variables.write(ADAM_BIAS2_VARIABLE, [1 - 0.999 ** (t + 1)], []);
    prog.run({ g: steps[t]! });
  }
  return (await rt.variables.read(`${prefix}/p`)) as Float32Array;
}

describe('optimizers match torch.optim', () => {
  it('SGD with momentum and weight decay', async () => {
    const got = await runSteps({ kind: 'sgd', lr: 0.05, momentum: 0.9, weight_decay: 5e-4, nesterov: false }, 'sgd');
    expectClose(got, sgdReference(p0, steps, 0.05, 0.9, 5e-4, false), { rtol: 1e-6, atol: 1e-6 });
  });
  it('SGD with Nesterov momentum', async () => {
    const got = await runSteps({ kind: 'sgd', lr: 0.05, momentum: 0.9, weight_decay: 0, nesterov: true }, 'nag');
    expectClose(got, sgdReference(p0, steps, 0.05, 0.9, 0, true), { rtol: 1e-6, atol: 1e-6 });
  });
  it('plain SGD has no state', async () => {
    const got = await runSteps({ kind: 'sgd', lr: 0.05, momentum: 0, weight_decay: 0, nesterov: false }, 'plain');
    expectClose(got, sgdReference(p0, steps, 0.05, 0, 0, false), { rtol: 1e-6, atol: 1e-6 });
  });
  it('Adam with L2 weight decay', async () => {
    const got = await runSteps({ kind: 'adam', lr: 0.05, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 1e-2 }, 'adam');
    expectClose(got, adamReference(p0, steps, 0.05, 0.9, 0.999, 1e-8, 1e-2), { rtol: 1e-5, atol: 1e-6 });
    expect(got[0]).not.toBeCloseTo(p0[0]!, 3);
  });
});
