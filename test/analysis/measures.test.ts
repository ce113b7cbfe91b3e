/** CPU analysis pieces against hand values: rank statistics, weight norms, the flatness bisection. */
import { describe, it, expect } from 'vitest';
import { kendallTau, spearman, averageRanks, topFraction, topOverlap } from '../../src/analysis/rank-stats.js';
import { normMeasures, spectralNorm, squaredFrobenius } from '../../src/analysis/weight-norms.js';
import { largestFlatSigma } from '../../src/analysis/bisection.js';

describe('rank statistics', () => {
  it('Kendall tau-b matches hand counts, with ties', () => {
    expect(kendallTau([1, 2, 3, 4], [1, 2, 3, 4])).toBe(1);
    expect(kendallTau([1, 2, 3, 4], [4, 3, 2, 1])).toBe(-1);
    // pairs: (1,2)+ (1,3)+ (1,4)+ (2,3)- (2,4)+ (3,4)+ -> C=5, D=1, no ties: 4/6
    expect(kendallTau([1, 2, 3, 4], [1, 3, 2, 4])).toBeCloseTo(4 / 6, 12);
    // x ties on (1,2): C: (1,3),(2,3) => 2, D 0, tiesX 1 -> 2/sqrt(3*2)
    expect(kendallTau([1, 1, 2], [1, 2, 3])).toBeCloseTo(2 / Math.sqrt(6), 12);
  });

  it('Spearman uses average ranks', () => {
    expect(averageRanks([10, 20, 20, 5])).toEqual([2, 3.5, 3.5, 1]);
    expect(spearman([1, 2, 3, 4, 5], [5, 6, 7, 8, 7])).toBeCloseTo(0.8207826816681233, 10);
    expect(spearman([1, 2, 3], [3, 2, 1])).toBeCloseTo(-1, 12);
  });

  it('hardest fraction and overlap against chance', () => {
    expect(topFraction([0.1, 5, 3, 9, 0.2, 0.3, 1, 2, 4, 8], 0.2)).toEqual([3, 9]);
    expect(topOverlap([1, 2, 3, 4], [3, 4, 5, 6], 40)).toEqual({ overlap: 0.5, chance: 0.1, k: 4 });
  });
});

describe('weight norms', () => {
  it('spectral norm of a matrix with known singular values', () => {
    // A = U diag(5, 2) V^T with U a rotation by 30 degrees and V a rotation by 45 degrees (plus a zero row).
    const c1 = Math.cos(Math.PI / 6), s1 = Math.sin(Math.PI / 6), c2 = Math.SQRT1_2;
    const U = [[c1, -s1], [s1, c1], [0, 0]];
    const V = [[c2, -c2], [c2, c2]];
    const S = [5, 2];
    const A = new Float64Array(6);
    for (let i = 0; i < 3; i++) for (let j = 0; j < 2; j++) A[i * 2 + j] = U[i]![0]! * S[0]! * V[j]![0]! + U[i]![1]! * S[1]! * V[j]![1]!;
    expect(spectralNorm(A, 3, 2)).toBeCloseTo(5, 8);
    expect(squaredFrobenius({ name: 'w', shape: [3, 2], data: A })).toBeCloseTo(25 + 4, 10);
  });

  it('conv weights count as [out, in*kh*kw]; biases are ignored', () => {
    // conv [2, 1, 2, 2]: rows (1,1,1,1) and (1,-1,1,-1) are orthogonal with norms 2 and 2 -> sigma 2.
    const conv = { name: '0.weight', shape: [2, 1, 2, 2], data: Float32Array.from([1, 1, 1, 1, 1, -1, 1, -1]) };
    const lin = { name: '3.weight', shape: [1, 3], data: Float32Array.from([3, 0, 4]) };
    const bias = { name: '3.bias', shape: [1], data: Float32Array.from([100]) };
    const m = normMeasures([conv, lin, bias]);
    expect(m.perLayer.map((l) => l.name)).toEqual(['0.weight', '3.weight']);
    expect(m.frobeniusSquaredSum).toBeCloseTo(8 + 25, 5);
    expect(m.spectralProduct).toBeCloseTo(2 * 5, 5);
  });
});

describe('flatness bisection', () => {
  it('brackets the known sigma of a quadratic loss', async () => {
    // E[L(theta + eps)] - L(theta) = 0.5 * h * d * sigma^2 for L = 0.5 h |theta|^2 in d dimensions.
    const h = 4, d = 10;
    const rise = (sigma: number) => 0.5 * h * d * sigma * sigma;
    const truth = Math.sqrt(0.1 / (0.5 * h * d));
    const r = await largestFlatSigma(rise, { tolerance: 0.1, lower: 1e-4, upper: 1e-3, iterations: 30 });
    expect(r.sigma).toBeLessThanOrEqual(truth);
    expect(r.upper).toBeGreaterThan(truth);
    expect(r.upper / r.sigma).toBeLessThan(1.001);
    expect(rise(r.sigma)).toBeLessThanOrEqual(0.1);
  });
});
