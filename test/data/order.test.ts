import { describe, expect, it } from 'vitest';
import { epochOrder } from '../../src/data/index.js';

describe('epochOrder', () => {
  it('is the identity without shuffling', () => {
    expect(Array.from(epochOrder(5, 3, 9, false))).toEqual([0, 1, 2, 3, 4]);
  });

  it('is a permutation, reproducible from (n, epoch, seed), and differs across epochs and seeds', () => {
    const n = 1000;
    const order = epochOrder(n, 0, 7, true);
    expect(Array.from(order).sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
    expect(Array.from(epochOrder(n, 0, 7, true))).toEqual(Array.from(order));
    const nextEpoch = epochOrder(n, 1, 7, true);
    const otherSeed = epochOrder(n, 0, 8, true);
    const samePlace = (a: Int32Array, b: Int32Array) => a.filter((v, i) => v === b[i]).length;
    // Independent random permutations agree in ~1 place on average.
    expect(samePlace(order, nextEpoch)).toBeLessThan(10);
    expect(samePlace(order, otherSeed)).toBeLessThan(10);
    expect(samePlace(order, epochOrder(n, 0, 7, false))).toBeLessThan(10);
  });

  it('moves examples roughly uniformly (first position over many epochs)', () => {
    const n = 4;
    const counts = new Array<number>(n).fill(0);
    for (let epoch = 0; epoch < 4000; epoch++) counts[epochOrder(n, epoch, 1, true)[0]!]!++;
    for (const c of counts) expect(Math.abs(c - 1000)).toBeLessThan(120);
  });

  it('handles empty and single-element datasets', () => {
    expect(epochOrder(0, 0, 1, true).length).toBe(0);
    expect(Array.from(epochOrder(1, 5, 1, true))).toEqual([0]);
  });
});
