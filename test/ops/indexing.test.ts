import { describe, expect, it } from 'vitest';
import { Graph } from '../../src/ir/graph.js';
import { OPS } from '../../src/ops/registry.js';
import { ShapeError } from '../../src/ir/shape.js';
import { gather, gatherRows, scatterRows, takeAlongAxis } from '../../src/ops/indexing.js';
import { checkForward, checkGradients, cpuEval, randn, type InputSpec } from '../helpers/op-harness.js';

const f32 = (name: string, shape: number[], seed: number): InputSpec => ({ name, shape, data: randn(shape, seed) });
const idx = (name: string, values: number[]): InputSpec => ({ name, shape: [values.length], dtype: 'i32', data: Int32Array.from(values) });
const exact = { rtol: 0, atol: 0 };

describe('Tensor methods', () => {
  it('build the same nodes as the helpers', () => {
    const g = new Graph(OPS);
    const table = g.input('t', [5, 3]);
    const rows = g.input('r', [2], 'i32');
    const values = g.input('v', [2, 3]);
    const y = g.input('y', [5], 'i32');
    const ops = [table.gather(rows, 1), table.gatherRows(rows), table.scatterRows(rows, values), table.takeAlongAxis(y)].map((t) => g.node(t.id));
    expect(ops.map((n) => [n.op, n.shape])).toEqual([
      ['gather', [5, 2]],
      ['gather_rows', [2, 3]],
      ['scatter_rows', [5, 3]],
      ['take_along_axis', [5]],
    ]);
  });
});

describe('gather', () => {
  it('matches hand-written index_select on both axes', () => {
    const x = { name: 'x', shape: [3, 2], data: [1, 2, 3, 4, 5, 6] };
    expect([...cpuEval((_g, [t, i]) => gather(t!, i!, 0), [x, idx('i', [2, 0, 2])])]).toEqual([5, 6, 1, 2, 5, 6]);
    expect([...cpuEval((_g, [t, i]) => gather(t!, i!, 1), [x, idx('i', [1, 1, 0])])]).toEqual([2, 2, 1, 4, 4, 3, 6, 6, 5]);
  });
  it('reads out-of-range indices as 0 (negative ones too)', async () => {
    const out = await checkForward((_g, [t, i]) => gather(t!, i!, 0), [{ name: 'x', shape: [2, 2], data: [1, 2, 3, 4] }, idx('i', [1, -1, 2, 0])]);
    expect([...out]).toEqual([3, 4, 0, 0, 0, 0, 1, 2]);
  });
  it('GPU matches CPU on a middle axis, with repeats; i32 data', async () => {
    await checkForward((_g, [t, i]) => gather(t!, i!, 1), [f32('x', [2, 5, 3], 1), idx('i', [4, 0, 4, 2, 1, 1, 3])], exact);
    await checkForward((_g, [t, i]) => gather(t!, i!, -1), [{ name: 'x', shape: [3, 4], dtype: 'i32', data: Int32Array.from({ length: 12 }, (_, k) => k - 6) }, idx('i', [3, 0])], exact);
  });
  it('gradient scatter-adds repeated indices', async () => {
    await checkGradients((_g, [t, i]) => gather(t!, i!, 1).square(), [f32('x', [2, 5, 3], 2), idx('i', [4, 0, 4, 2, 4, -3, 9])]);
  });
});

describe('scatter_add', () => {
  const build = (axis: number, size: number) => (g: Graph, [i, v]: import('../../src/ir/tensor.js').Tensor[]) => g.apply('scatter_add', [i!, v!], { axis, size });
  it('matches a hand-written sum of duplicates, ignoring bad indices', async () => {
    const out = await checkForward(build(0, 3), [idx('i', [2, 0, 2, 7]), { name: 'v', shape: [4, 2], data: [1, 2, 10, 20, 100, 200, 5, 5] }]);
    expect([...out]).toEqual([10, 20, 0, 0, 101, 202]);
  });
  it('GPU sums in the same order as the CPU (bit-exact)', async () => {
    await checkForward(build(1, 6), [idx('i', [5, 1, 5, 5, 0, 1, 3]), f32('v', [3, 7, 4], 3)], exact);
  });
  it('rows longer than one thread chunk, and a 50000-row target', async () => {
    await checkForward(build(1, 6), [idx('i', [5, 1, 5]), f32('v', [2, 3, 20], 5)], exact);
    const rows = Array.from({ length: 128 }, (_, b) => (b * 7919) % 50000);
    rows[9] = rows[90]!;
    await checkForward(build(0, 50000), [idx('i', rows), f32('v', [128, 10], 6)], exact);
  });
  it('gradient is a gather', async () => {
    await checkGradients((g, ts) => build(1, 4)(g, ts).square(), [idx('i', [3, 1, 3]), f32('v', [2, 3, 2], 4)]);
  });
});

describe('gather_rows', () => {
  it('looks up per-example state rows', async () => {
    const table = { name: 'te', shape: [6, 3], data: Float32Array.from({ length: 18 }, (_, k) => k) };
    const out = await checkForward((_g, [t, r]) => gatherRows(t!, r!), [table, idx('rows', [5, 0, 3, 5])], exact);
    expect([...out]).toEqual([15, 16, 17, 0, 1, 2, 9, 10, 11, 15, 16, 17]);
  });
  it('works on a 50000 x 10 buffer', async () => {
    const rows = Array.from({ length: 128 }, (_, b) => (b * 7919) % 50000);
    await checkForward((_g, [t, r]) => gatherRows(t!, r!), [f32('te', [50000, 10], 5), idx('rows', rows)], exact);
  });
  it('takes rows of rank-3 tables and i32 tables', async () => {
    await checkForward((_g, [t, r]) => gatherRows(t!, r!), [f32('t', [4, 2, 3], 6), idx('rows', [3, 3, 1])], exact);
    await checkForward((_g, [t, r]) => gatherRows(t!, r!), [{ name: 't', shape: [4], dtype: 'i32', data: [7, -8, 9, -10] }, idx('rows', [1, 3, 4])], exact);
  });
  it('gradient scatter-adds into the table', async () => {
    await checkGradients((_g, [t, r]) => gatherRows(t!, r!).square(), [f32('t', [5, 3], 7), idx('rows', [4, 1, 4])]);
  });
});

describe('scatter_rows', () => {
  it('replaces rows; the later of duplicate rows wins; bad rows are ignored', async () => {
    const table = { name: 't', shape: [4, 2], data: [0, 0, 1, 1, 2, 2, 3, 3] };
    const values = { name: 'v', shape: [4, 2], data: [10, 11, 20, 21, 30, 31, 40, 41] };
    const out = await checkForward((_g, [t, r, v]) => scatterRows(t!, r!, v!), [table, idx('rows', [2, 0, 2, -1]), values], exact);
    expect([...out]).toEqual([20, 21, 1, 1, 30, 31, 3, 3]);
  });
  it('updates a 50000 x 10 state buffer', async () => {
    const rows = Array.from({ length: 128 }, (_, b) => (b * 7919) % 50000);
    rows[100] = rows[3]!; // a duplicate
    await checkForward((_g, [t, r, v]) => scatterRows(t!, r!, v!), [f32('te', [50000, 10], 8), idx('rows', rows), f32('v', [128, 10], 9)], exact);
  });
  it('long rows (several chunks per row) and u32 data', async () => {
    await checkForward((_g, [t, r, v]) => scatterRows(t!, r!, v!), [f32('t', [5, 3, 13], 10), idx('rows', [4, 0, 4]), f32('v', [3, 3, 13], 11)], exact);
    const u = (n: number, from: number) => Uint32Array.from({ length: n }, (_, k) => from + k);
    await checkForward(
      (_g, [t, r, v]) => scatterRows(t!, r!, v!),
      [{ name: 't', shape: [3, 2], dtype: 'u32', data: u(6, 0xfffffff0) }, idx('rows', [1]), { name: 'v', shape: [1, 2], dtype: 'u32', data: u(2, 5) }],
      exact,
    );
  });
  it('gradients: the table outside the replaced rows, the values that survive', async () => {
    await checkGradients((_g, [t, r, v]) => scatterRows(t!, r!, v!).square(), [f32('t', [5, 2], 12), idx('rows', [3, 1, 3, 9]), f32('v', [4, 2], 13)]);
  });
  it('rejects values that do not fit', () => {
    const g = new Graph(OPS);
    expect(() => scatterRows(g.input('t', [5, 2]), g.input('r', [3], 'i32'), g.input('v', [3, 3]))).toThrow(ShapeError);
    expect(() => scatterRows(g.input('t', [5, 2]), g.input('r2', [3]), g.input('v2', [3, 2]))).toThrow(ShapeError);
  });
});

describe('take_along_axis', () => {
  it('picks the true-class logit', async () => {
    const logits = { name: 'z', shape: [3, 4], data: [0, 1, 2, 3, 10, 11, 12, 13, 20, 21, 22, 23] };
    const out = await checkForward((_g, [z, y]) => takeAlongAxis(z!, y!), [logits, idx('y', [3, 0, 5])], exact);
    expect([...out]).toEqual([3, 10, 0]);
  });
  it('GPU matches CPU with leading batch dims', async () => {
    const y = { name: 'y', shape: [2, 3], dtype: 'i32' as const, data: Int32Array.from([0, 4, 2, 1, 1, 3]) };
    await checkForward((_g, [z, t]) => takeAlongAxis(z!, t!), [f32('z', [2, 3, 5], 14), y], exact);
  });
  it('gradient lands on the picked entries only', async () => {
    await checkGradients((_g, [z, y]) => takeAlongAxis(z!, y!).square(), [f32('z', [4, 10], 15), idx('y', [9, 0, 3, 3])]);
  });
  it('scatter_along_axis is its adjoint, with its own gradient', async () => {
    const out = await checkForward((g, [y, v]) => g.apply('scatter_along_axis', [y!, v!], { classes: 3 }), [idx('y', [2, 0, -1]), { name: 'v', shape: [3], data: [5, 6, 7] }]);
    expect([...out]).toEqual([0, 0, 5, 6, 0, 0, 0, 0, 0]);
    await checkGradients((g, [y, v]) => g.apply('scatter_along_axis', [y!, v!], { classes: 4 }).square(), [idx('y', [2, 0, 3]), f32('v', [3], 16)]);
  });
  it('rejects mismatched index shapes', () => {
    const g = new Graph(OPS);
    expect(() => takeAlongAxis(g.input('z', [4, 10]), g.input('y', [5], 'i32'))).toThrow(ShapeError);
    expect(() => takeAlongAxis(g.input('z', [4, 10]), g.input('y2', [4]))).toThrow(ShapeError);
  });
});
