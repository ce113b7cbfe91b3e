/**
 * `matc doctor`: which adapter Dawn gives us, its limits, and a tiny forward/backward run checked
 * against the CPU reference, so a user can tell at once whether the GPU path works.
 */
import { Runtime } from '../../runtime/runtime.js';
import { Graph } from '../../ir/graph.js';
import { OPS } from '../../ops/registry.js';
import { grad } from '../../ir/autodiff.js';
import { runCpu } from '../../runtime/cpu-executor.js';
import { UserError } from '../../util/errors.js';

const SHOWN_LIMITS = ['maxStorageBufferBindingSize', 'maxBufferSize', 'maxComputeWorkgroupStorageSize', 'maxComputeInvocationsPerWorkgroup', 'maxComputeWorkgroupsPerDimension', 'maxStorageBuffersPerShaderStage'];

export async function doctor(out: (s: string) => void): Promise<void> {
  const started = performance.now();
  const rt = await Runtime.create();
  try {
    const a = rt.ctx.adapter;
    out(`adapter:  ${a.description || a.device} (${a.vendor}, ${a.architecture})`);
    out(`backend:  ${a.backend}${a.isSoftware ? ' (software rasteriser: CPU-speed, fine for tests and small runs)' : ''}`);
    out(`features: ${rt.ctx.features.join(', ') || '(none)'}`);
    out(`subgroups: ${rt.ctx.target.subgroupSize ? `${rt.ctx.target.subgroupSize} lanes, enabled (convolutions and matmuls hand filter taps and GEMM rows between lanes by subgroup broadcasts)` : 'not used (no fixed subgroup size, or MATC_SUBGROUPS=off)'}`);
    out('limits:');
    for (const k of SHOWN_LIMITS) out(`  ${k.padEnd(36)} ${rt.ctx.limits[k]}`);

    // A tiny MLP forward and backward: logits = relu(x W1 + b1) W2, loss = mean softmax CE.
    const g = new Graph(OPS);
    const x = g.input('x', [4, 3]);
    const w1 = g.input('w1', [3, 5]);
    const w2 = g.input('w2', [5, 2]);
    const h = x.matmul(w1).relu();
    const z = h.matmul(w2);
    const loss = z.logSoftmax(-1).slice([0, 0], [4, 1]).neg().mean();
    const grads = grad(loss, [w1, w2]);
    const feeds = {
      x: [0.1, -0.2, 0.3, 0.5, 0.4, -0.1, -0.3, 0.2, 0.9, 0.7, -0.6, 0.05],
      w1: [0.2, -0.1, 0.4, 0.3, -0.5, 0.1, 0.6, -0.2, 0.05, 0.3, -0.4, 0.2, 0.1, 0.7, -0.3],
      w2: [0.3, -0.2, 0.1, 0.4, -0.6, 0.2, 0.5, -0.1, 0.2, 0.3],
    };
    const program = await rt.compile(g, { fetch: [loss, ...grads] });
    program.run(feeds);
    const gpu = [await program.read(loss), ...(await Promise.all(grads.map((t) => program.read(t))))];
    const cpu = runCpu(g, { feeds, outputs: [loss.id, ...grads.map((t) => t.id)] });
    let worst = 0;
    [loss, ...grads].forEach((t, i) => {
      const ref = cpu.values.get(t.id)!;
      ref.forEach((r, j) => (worst = Math.max(worst, Math.abs(r - gpu[i]![j]!))));
    });
    program.destroy();
    out(`kernel check: MLP forward+backward, loss ${gpu[0]![0]!.toFixed(6)}, max |GPU - CPU| = ${worst.toExponential(2)} (${program.stats.dispatches} dispatches)`);
    if (!(worst < 1e-4)) throw new UserError(`the GPU results disagree with the CPU reference (max difference ${worst}); this adapter is not usable`);
    out(`ok (${((performance.now() - started) / 1000).toFixed(1)} s)`);
  } finally {
    rt.destroy();
  }
}
