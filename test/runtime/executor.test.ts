import { describe, it, expect } from 'vitest';
import { Graph } from '../../src/ir/graph.js';
import { OPS } from '../../src/ops/registry.js';
import { grad } from '../../src/ir/autodiff.js';
import { runCpu } from '../../src/runtime/cpu-executor.js';
import { schedule } from '../../src/runtime/schedule.js';
import { planBuffers } from '../../src/runtime/buffer-plan.js';
import { sharedTestRuntime } from '../helpers/gpu.js';
import { expectClose, randn } from '../helpers/op-harness.js';

/** A graph with a long chain of reductions and elementwise ops, so buffers can be recycled. */
function chain(g: Graph) {
  const x = g.input('x', [64, 33]);
  let h = x;
  for (let i = 0; i < 6; i++) h = h.sub(h.mean(1, true)).mul(1.1).relu().add(0.01 * i);
  return { x, y: h.sum() };
}

describe('schedule and buffer plan', () => {
  it('fuses elementwise chains into one kernel per materialised value', () => {
    const g = new Graph(OPS);
    const x = g.input('x', [10]);
    const y = x.mul(2).add(1).relu().exp();
    const s = schedule(g, [y.id]);
    expect(s.steps).toHaveLength(1);
    expect(s.steps[0]!.kind).toBe('elementwise');
    const unfused = schedule(g, [y.id], { fuse: false });
    expect(unfused.steps).toHaveLength(4);
  });

  it('does not fuse a value read by two consumers, and treats reshape as an alias', () => {
    const g = new Graph(OPS);
    const x = g.input('x', [4, 5]);
    const a = x.exp();
    const b = a.add(1).reshape([20]);
    const c = a.mul(2).reshape([20]);
    const s = schedule(g, [b.id, c.id]);
    const kernels = s.steps.map((st) => g.node(st.node).op);
    expect(kernels).toContain('exp');
    expect(kernels).not.toContain('reshape');
    expect(s.aliases.get(b.id)).toBeDefined();
  });

  it('reuses dead buffers: the plan is smaller than one buffer per value', () => {
    const g = new Graph(OPS);
    const { y } = chain(g);
    const s = schedule(g, [y.id]);
    const reuse = planBuffers(g, s, [y.id]);
    const noReuse = planBuffers(g, s, [y.id], { reuse: false });
    expect(reuse.slots.length).toBeLessThan(noReuse.slots.length);
    expect(reuse.totalBytes).toBeLessThan(noReuse.totalBytes / 2);
    // No step may write a slot that one of its own inputs occupies.
    for (const st of s.steps) {
      const out = reuse.slotOf.get(st.node);
      const reads = st.kind === 'elementwise' ? st.group.externals : g.node(st.node).inputs;
      for (const r of reads) expect(reuse.slotOf.get(s.aliases.get(r) ?? r)).not.toBe(out);
    }
  });
});

describe('GPU executor', () => {
  it('gives the same results with and without fusion and buffer reuse, matching the CPU', async () => {
    const rt = await sharedTestRuntime();
    const g = new Graph(OPS);
    const { x, y } = chain(g);
    const [dx] = grad(y, [x]);
    const feeds = { x: randn([64, 33], 3) };
    const cpu = runCpu(g, { feeds, outputs: [y.id, dx!.id] });
    for (const opts of [{}, { fuse: false }, { reuse: false }]) {
      const p = await rt.compile(g, { fetch: [y, dx!], ...opts });
      p.run(feeds);
      expectClose(await p.read(y), cpu.values.get(y.id)!, { rtol: 1e-4, atol: 1e-4 }, `y ${JSON.stringify(opts)}`);
      expectClose(await p.read(dx!), cpu.values.get(dx!.id)!, { rtol: 1e-4, atol: 1e-4 }, `dx ${JSON.stringify(opts)}`);
      p.destroy();
    }
  });

  it('is bit-for-bit deterministic across runs and programs', async () => {
    const rt = await sharedTestRuntime();
    const g = new Graph(OPS);
    const { x, y } = chain(g);
    const [dx] = grad(y, [x]);
    const feeds = { x: randn([64, 33], 4) };
    const results: Float32Array[] = [];
    for (let i = 0; i < 2; i++) {
      const p = await rt.compile(g, { fetch: [dx!] });
      p.run(feeds);
      p.run(feeds);
      results.push((await p.read(dx!)) as Float32Array);
      p.destroy();
    }
    expect(Buffer.from(results[0]!.buffer).equals(Buffer.from(results[1]!.buffer))).toBe(true);
  });

  it('applies variable updates after the run and shares variables between programs', async () => {
    const rt = await sharedTestRuntime();
    rt.variables.write('t/v', [1, 2, 3], [3]);
    const g1 = new Graph(OPS);
    const v = g1.variable('t/v', [3]);
    const before = v.mul(10);
    g1.assign(v, v.add(1));
    const p1 = await rt.compile(g1, { fetch: [before] });
    p1.run();
    expect(Array.from(await p1.read(before))).toEqual([10, 20, 30]); // reads saw the old value
    expect(Array.from(await rt.variables.read('t/v'))).toEqual([2, 3, 4]);
    const g2 = new Graph(OPS);
    const w = g2.variable('t/v', [3]);
    const doubled = w.mul(2);
    const p2 = await rt.compile(g2, { fetch: [doubled] });
    // One submission: p1 three times then p2; no readback in between.
    rt.submit([p1, p1, p1, p2]);
    expect(Array.from(await p2.read(doubled))).toEqual([10, 12, 14]);
  });

  it('raises WGSL compile errors as GpuError with the source', async () => {
    const rt = await sharedTestRuntime();
    await expect(rt.pipelines.get('fn main( {', 0, 'broken')).rejects.toThrow(/failed to compile/);
  });
});
