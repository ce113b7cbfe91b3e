import { describe, expect, it } from 'vitest';
import { batchAt, epochOrder, randomSubset, subset } from '../../src/data/index.js';
import { syntheticDataset } from './synthetic.js';

const SIZE = 3 * 4 * 5;

describe('subset', () => {
  const ds = syntheticDataset(10);

  it('keeps the first examples and their original indices', () => {
    const head = subset(ds, { first: 4 });
    expect(head.n).toBe(4);
    expect(Array.from(head.indices)).toEqual([0, 1, 2, 3]);
    expect(Array.from(head.images)).toEqual(Array.from(ds.images.subarray(0, 4 * SIZE)));
    expect(subset(ds, { first: 50 }).n).toBe(10);
  });

  it('picks positions in the given order, and a subset of a subset still points at the original index', () => {
    const picked = subset(ds, { indices: [7, 2, 9] });
    expect(Array.from(picked.indices)).toEqual([7, 2, 9]);
    expect(Array.from(picked.labels)).toEqual([7, 2, 9]);
    expect(Array.from(picked.images.subarray(SIZE, 2 * SIZE))).toEqual(Array.from(ds.images.subarray(2 * SIZE, 3 * SIZE)));
    const nested = subset(picked, { indices: [2, 0], first: 1 });
    expect(Array.from(nested.indices)).toEqual([9]);
    expect(Array.from(nested.images)).toEqual(Array.from(ds.images.subarray(9 * SIZE, 10 * SIZE)));
  });

  it('copies rather than aliasing, and rejects positions out of range', () => {
    const copy = subset(ds, { first: 2 });
    copy.images[0] = 42;
    expect(ds.images[0]).not.toBe(42);
    expect(() => subset(ds, { indices: [10] })).toThrow(/index 10 is outside 0\.\.9/);
    expect(() => subset(ds, { first: -1 })).toThrow(RangeError);
  });
});

describe('batchAt', () => {
  const ds = syntheticDataset(7);

  it('copies the examples named by the order, with labels and original indices', () => {
    const order = Int32Array.from([6, 0, 3, 1, 5, 2, 4]);
    const batch = batchAt(ds, order, 2, 3);
    expect(batch.n).toBe(3);
    expect(Array.from(batch.indices)).toEqual([3, 1, 5]);
    expect(Array.from(batch.labels)).toEqual([3, 1, 5]);
    expect(Array.from(batch.images.subarray(0, SIZE))).toEqual(Array.from(ds.images.subarray(3 * SIZE, 4 * SIZE)));
  });

  it('makes the last batch short and covers every example once per epoch', () => {
    const order = epochOrder(ds.n, 0, 1, true);
    const seen: number[] = [];
    for (let start = 0; start < ds.n; start += 3) seen.push(...batchAt(ds, order, start, 3).indices);
    expect(batchAt(ds, order, 6, 3).n).toBe(1);
    expect(seen.sort()).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });
});

describe('randomSubset', () => {
  const ds = syntheticDataset(500);

  it('is deterministic, nested across sizes and keeps dataset order', () => {
    const small = randomSubset(ds, 50, 3);
    const large = randomSubset(ds, 200, 3);
    expect(Array.from(randomSubset(ds, 50, 3).indices)).toEqual(Array.from(small.indices));
    expect(small.n).toBe(50);
    const largeSet = new Set(large.indices);
    expect(Array.from(small.indices).every((i) => largeSet.has(i))).toBe(true);
    expect(Array.from(small.indices)).toEqual(Array.from(small.indices).sort((a, b) => a - b));
    expect(Array.from(randomSubset(ds, 50, 4).indices)).not.toEqual(Array.from(small.indices));
  });

  it('chooses by original index, so a reordered dataset gives the same examples', () => {
    const reversed = subset(ds, { indices: Array.from({ length: 500 }, (_, i) => 499 - i) });
    const fromReversed = Array.from(randomSubset(reversed, 50, 3).indices).sort((a, b) => a - b);
    expect(fromReversed).toEqual(Array.from(randomSubset(ds, 50, 3).indices));
  });
});
