import { describe, expect, it } from 'vitest';
import { Graph } from '../../src/ir/graph.js';
import { OPS } from '../../src/ops/registry.js';
import { ShapeError } from '../../src/ir/shape.js';
import { concat } from '../../src/ops/shape.js';
import { readBuffer } from '../../src/runtime/readback.js';
import { checkForward, checkGradients, cpuEval, randn, type InputSpec } from '../helpers/op-harness.js';
import { sharedTestRuntime } from '../helpers/gpu.js';

const f32 = (name: string, shape: number[], seed: number): InputSpec => ({ name, shape, data: randn(shape, seed) });
const iota = (n: number, from = 0) => Int32Array.from({ length: n }, (_, i) => from + i);
const i32 = (name: string, shape: number[]): InputSpec => ({ name, shape, dtype: 'i32', data: iota(shape.reduce((a, b) => a * b, 1), -50) });

describe('reshape', () => {
  it('keeps row-major order (f32 and i32)', async () => {
    await checkForward((_g, [x]) => x!.reshape([4, 6]), [f32('x', [2, 3, 4], 1)]);
    const out = await checkForward((_g, [x]) => x!.reshape([12, 2]), [i32('x', [2, 3, 4])]);
    expect([...out]).toEqual([...iota(24, -50)]);
  });
  it('to and from a scalar', async () => {
    await checkForward((_g, [x]) => x!.reshape([]).reshape([1, 1]), [f32('x', [1], 2)]);
  });
  it('gradient reshapes back', async () => {
    await checkGradients((_g, [x]) => x!.reshape([5, 6]).square(), [f32('x', [3, 10], 3)]);
  });
  it('has a working copy kernel (the executor aliases reshape, so run it by hand)', async () => {
    const g = new Graph(OPS);
    const y = g.input('x', [3, 5], 'i32').reshape([15]);
    const node = g.node(y.id);
    if (node.op !== 'reshape') throw new Error(`built a ${node.op}`);
    const kernel = OPS.reshape.kernel({ node, inputs: [g.node(node.inputs[0]!)] });
    const { device } = await sharedTestRuntime();
    const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
    const src = device.createBuffer({ size: 60, usage });
    const dst = device.createBuffer({ size: 60, usage });
    device.queue.writeBuffer(src, 0, iota(15, -7));
    const pipeline = device.createComputePipeline({ layout: 'auto', compute: { module: device.createShaderModule({ code: kernel.code }), entryPoint: 'main' } });
    const bindings = device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: [src, dst].map((buffer, binding) => ({ binding, resource: { buffer } })) });
    const enc = device.createCommandEncoder();
    const pass = enc.beginComputePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindings);
    pass.dispatchWorkgroups(...kernel.workgroups);
    pass.end();
    device.queue.submit([enc.finish()]);
    expect([...(await readBuffer(device, dst, 15, 'i32'))]).toEqual([...iota(15, -7)]);
    src.destroy();
    dst.destroy();
  });
  it('rejects a size change', () => {
    const g = new Graph(OPS);
    expect(() => g.input('x', [2, 3]).reshape([4, 2])).toThrow(ShapeError);
  });
});

function permutations(n: number): number[][] {
  if (n === 1) return [[0]];
  return permutations(n - 1).flatMap((p) => Array.from({ length: n }, (_, i) => [...p.slice(0, i), n - 1, ...p.slice(i)]));
}

describe('transpose', () => {
  it('matches a hand-written 2x3 transpose', () => {
    const out = cpuEval((_g, [x]) => x!.transpose(), [{ name: 'x', shape: [2, 3], data: [1, 2, 3, 4, 5, 6] }]);
    expect([...out]).toEqual([1, 4, 2, 5, 3, 6]);
  });
  it('matches a hand-written 3-D permutation', () => {
    // x[a][b][c] = 100a + 10b + c with shape [2, 3, 2]; perm [2, 0, 1] gives y[c][a][b].
    const data = [];
    for (let a = 0; a < 2; a++) for (let b = 0; b < 3; b++) for (let c = 0; c < 2; c++) data.push(100 * a + 10 * b + c);
    const out = cpuEval((_g, [x]) => x!.transpose([2, 0, 1]), [{ name: 'x', shape: [2, 3, 2], data }]);
    expect([...out]).toEqual([0, 10, 20, 100, 110, 120, 1, 11, 21, 101, 111, 121]);
  });
  it('every permutation of [2, 3, 5, 7]', async () => {
    const x = f32('x', [2, 3, 5, 7], 4);
    for (const perm of permutations(4)) await checkForward((_g, [t]) => t!.transpose(perm), [x]);
  });
  it('moves i32 and u32 data bit-exactly', async () => {
    await checkForward((_g, [t]) => t!.transpose([1, 2, 0]), [i32('x', [3, 4, 5])]);
    const u = Uint32Array.from({ length: 12 }, (_, i) => 0xffffff00 + i);
    await checkForward((_g, [t]) => t!.transpose([1, 0]), [{ name: 'u', shape: [3, 4], dtype: 'u32', data: u }], { rtol: 0, atol: 0 });
  });
  it('handles rank 0 and rank 1', async () => {
    await checkForward((_g, [t]) => t!.reshape([]).transpose([]), [f32('x', [1], 19)]);
    await checkForward((_g, [t]) => t!.transpose([0]), [f32('x', [6], 19)]);
  });
  it('keeps size-1 axes right', async () => {
    await checkForward((_g, [t]) => t!.transpose([2, 0, 3, 1]), [f32('x', [1, 4, 1, 3], 5)]);
  });
  it('gradient is the inverse permutation', async () => {
    await checkGradients((_g, [t]) => t!.transpose([2, 0, 3, 1]), [f32('x', [2, 3, 4, 2], 6)]);
    await checkGradients((_g, [t]) => t!.transpose([1, 2, 0]).square(), [f32('x', [2, 3, 4], 7)]);
  });
  it('rejects a non-permutation', () => {
    const g = new Graph(OPS);
    expect(() => g.input('x', [2, 3]).transpose([0, 0])).toThrow(ShapeError);
    expect(() => g.input('x', [2, 3]).transpose([0])).toThrow(ShapeError);
  });
});

describe('pad', () => {
  it('matches a hand-written asymmetric pad', () => {
    const out = cpuEval((_g, [x]) => x!.pad([[1, 0], [0, 2]], 9), [{ name: 'x', shape: [2, 2], data: [1, 2, 3, 4] }]);
    expect([...out]).toEqual([9, 9, 9, 9, 1, 2, 9, 9, 3, 4, 9, 9]);
  });
  it('asymmetric pads on a 3-D tensor, f32 and i32', async () => {
    await checkForward((_g, [x]) => x!.pad([[1, 0], [0, 2], [3, 1]], 0.5), [f32('x', [2, 3, 4], 8)]);
    await checkForward((_g, [x]) => x!.pad([[0, 1], [2, 2], [0, 0]], -7), [i32('x', [2, 3, 4])]);
  });
  it('image-style padding of [B, C, H, W]', async () => {
    await checkForward((_g, [x]) => x!.pad([[0, 0], [0, 0], [4, 4], [4, 4]]), [f32('x', [2, 3, 5, 6], 9)]);
  });
  it('folds launches past 65535 workgroups into a 2-D grid', async () => {
    // 4097 x 4097 outputs need 65569 workgroups of 256 threads.
    const n = 4097 * 4096;
    const data = Float32Array.from({ length: n }, (_, k) => k % 1009);
    const out = await checkForward((_g, [x]) => x!.pad([[0, 0], [0, 1]], -1), [{ name: 'x', shape: [4097, 4096], data }], { rtol: 0, atol: 0 });
    expect(out[4097 * 4097 - 1]).toBe(-1);
  });
  it('gradient slices the padding away', async () => {
    await checkGradients((_g, [x]) => x!.pad([[2, 1], [0, 3]], 1).square(), [f32('x', [3, 4], 10)]);
  });
  it('rejects negative pads', () => {
    const g = new Graph(OPS);
    expect(() => g.input('x', [2, 3]).pad([[0, -1], [0, 0]])).toThrow(ShapeError);
  });
});

describe('slice', () => {
  it('matches a hand-written slice', () => {
    const out = cpuEval((_g, [x]) => x!.slice([1, 1], [2, 2]), [{ name: 'x', shape: [3, 3], data: [1, 2, 3, 4, 5, 6, 7, 8, 9] }]);
    expect([...out]).toEqual([5, 6, 8, 9]);
  });
  it('at the edges, with -1 meaning "to the end"', async () => {
    const x = f32('x', [4, 5, 6], 11);
    await checkForward((_g, [t]) => t!.slice([0, 0, 0], [1, 1, 1]), [x]);
    await checkForward((_g, [t]) => t!.slice([3, 4, 5], [1, 1, 1]), [x]);
    await checkForward((_g, [t]) => t!.slice([2, 0, 3], [-1, 5, -1]), [x]);
    await checkForward((_g, [t]) => t!.slice([0, 1, 0], [4, 3, 6]), [x]);
  });
  it('moves i32 data', async () => {
    await checkForward((_g, [t]) => t!.slice([1, 2], [2, 3]), [i32('x', [3, 5])]);
  });
  it('gradient pads back with zeros', async () => {
    await checkGradients((_g, [x]) => x!.slice([1, 0, 2], [2, 3, 2]).square(), [f32('x', [3, 3, 5], 12)]);
  });
  it('rejects boxes outside the input', () => {
    const g = new Graph(OPS);
    const x = g.input('x', [3, 3]);
    expect(() => x.slice([2, 0], [2, 3])).toThrow(ShapeError);
    expect(() => x.slice([0, 0], [0, 3])).toThrow(ShapeError);
    expect(() => x.slice([-1, 0], [1, 1])).toThrow(ShapeError);
  });
});

describe('concat', () => {
  it('matches a hand-written concat on axis 1', () => {
    const out = cpuEval(
      (_g, [a, b]) => concat([a!, b!], 1),
      [
        { name: 'a', shape: [2, 1], data: [1, 2] },
        { name: 'b', shape: [2, 2], data: [3, 4, 5, 6] },
      ],
    );
    expect([...out]).toEqual([1, 3, 4, 2, 5, 6]);
  });
  it('three tensors on a middle axis (and the same axis counted from the end)', async () => {
    const ins = [f32('a', [2, 1, 3], 13), f32('b', [2, 4, 3], 14), f32('c', [2, 2, 3], 15)];
    const pos = await checkForward((_g, ts) => concat(ts, 1), ins);
    const neg = await checkForward((_g, ts) => concat(ts, -2), ins);
    expect([...neg]).toEqual([...pos]);
  });
  it('first and last axes, i32 data', async () => {
    await checkForward((_g, ts) => concat(ts, 0), [i32('a', [1, 3]), i32('b', [2, 3])]);
    await checkForward((_g, ts) => concat(ts, 1), [i32('a', [2, 3]), i32('b', [2, 1])]);
  });
  it('nests beyond the binding limit', async () => {
    const ins = Array.from({ length: 9 }, (_, i) => f32(`x${i}`, [2, i + 1], 20 + i));
    const out = await checkForward((_g, ts) => concat(ts, 1), ins);
    expect(out.length).toBe(2 * 45);
    expect(out[0]).toBe((ins[0]!.data as Float32Array)[0]);
    expect(out[45 - 9]).toBe((ins[8]!.data as Float32Array)[0]);
  });
  it('gradient slices the parts back out', async () => {
    await checkGradients((_g, ts) => concat(ts, 1).square(), [f32('a', [2, 1, 3], 16), f32('b', [2, 3, 3], 17), f32('c', [2, 2, 3], 18)]);
  });
  it('rejects mismatched shapes and dtypes', () => {
    const g = new Graph(OPS);
    const a = g.input('a', [2, 3]);
    expect(() => concat([a, g.input('b', [3, 3])], 1)).toThrow(ShapeError);
    expect(() => concat([a, g.input('c', [2, 3], 'i32')], 0)).toThrow(ShapeError);
  });
});
