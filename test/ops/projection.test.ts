import { describe, it, expect } from 'vitest';
import { checkForward, randn, randu } from '../helpers/op-harness.js';
import { cpuProjection, rowDot as dot } from './projection-cases.js';
import { linfHyperplaneProjection } from '../../src/ops/projection.js';

const project = cpuProjection(linfHyperplaneProjection);

describe('linf_hyperplane_projection (FAB L-inf projection)', () => {
  it('matches hand values: free move, clipped move, unreachable plane', () => {
    // Row 0: w = (1, 1), t = (0.5, 0.5), plane z1 + z2 = 0.6: both move down by 0.2.
    // Row 1: w = (1, 3), t = (0.1, 0.5), plane z1 + 3 z2 = 0.1: coordinate 1 hits 0 after 0.1,
    //   then only coordinate 2 moves: 0.1 + 3 * lambda = 1.5 -> lambda = 7/15.
    // Row 2: w = (1, 1), t = (0.5, 0.5), plane z1 + z2 = -1: unreachable in the box, full move to 0.
    const d = project(
      3,
      2,
      Float32Array.of(0.5, 0.5, 0.1, 0.5, 0.5, 0.5),
      Float32Array.of(1, 1, 1, 3, 1, 1),
      Float32Array.of(0.6, 0.1, -1),
    );
    const expected = [-0.2, -0.2, -0.1, -7 / 15, -0.5, -0.5];
    expected.forEach((v, i) => expect(d[i]).toBeCloseTo(v, 6));
  });

  it('moves towards the plane from either side and never moves coordinates with w = 0', () => {
    // t below the plane: w = (-2, 0, 1), t = (0.5, 0.3, 0.2), b = 0.9: w.t = -0.8, needs +1.7.
    // Raising w.z: z1 down (w1 < 0), z3 up; G = 2 min(l, 0.5) + min(l, 0.8) = 1.7 -> l = 0.7 (z1 clipped at 0.5).
    const d = project(1, 3, Float32Array.of(0.5, 0.3, 0.2), Float32Array.of(-2, 0, 1), Float32Array.of(0.9));
    expect(d[0]).toBeCloseTo(-0.5, 6);
    expect(d[1]).toBe(0);
    expect(d[2]).toBeCloseTo(0.7, 6);
  });

  it('lands on the plane inside the box with the smallest L-inf step (random rows)', () => {
    const rows = 40;
    const n = 30;
    const t = randu([rows, n], 1);
    const w = randn([rows, n], 2);
    for (let i = 0; i < w.length; i += 7) w[i] = 0;
    const b = new Float32Array(rows);
    for (let r = 0; r < rows; r++) b[r] = dot(w, t, r * n, n) + randn([1], 10 + r, 1.5)[0]!;
    const d = project(rows, n, t, w, b);
    let reachable = 0;
    for (let r = 0; r < rows; r++) {
      const base = r * n;
      const z = Array.from({ length: n }, (_, i) => t[base + i]! + d[base + i]!);
      z.forEach((v) => {
        expect(v).toBeGreaterThanOrEqual(-1e-6);
        expect(v).toBeLessThanOrEqual(1 + 1e-6);
      });
      const onPlane = Math.abs(z.reduce((s, v, i) => s + w[base + i]! * v, 0) - b[r]!) < 1e-4;
      if (!onPlane) {
        // Unreachable: every moving coordinate sits on a box bound.
        for (let i = 0; i < n; i++) if (w[base + i] !== 0) expect(Math.min(Math.abs(z[i]!), Math.abs(1 - z[i]!))).toBeLessThan(1e-6);
        continue;
      }
      reachable++;
      // Minimal: a uniformly shrunk step (lambda * 0.99 on every free coordinate) misses the plane.
      const lambda = Math.max(...Array.from({ length: n }, (_, i) => Math.abs(d[base + i]!)));
      const side = Math.sign(dot(w, t, base, n) - b[r]!);
      let reach = 0;
      for (let i = 0; i < n; i++) {
        const wi = side * w[base + i]!;
        const p = wi < 0 ? 1 - t[base + i]! : t[base + i]!;
        reach += Math.abs(wi) * Math.min(0.99 * lambda, p);
      }
      expect(reach).toBeLessThan(Math.abs(dot(w, t, base, n) - b[r]!));
    }
    expect(reachable).toBeGreaterThan(10);
  });

  it('GPU kernel (bisection + exact piece) agrees with the sorted-breakpoint CPU reference', async () => {
    for (const [rows, n, seed] of [
      [37, 50, 3],
      [5, 784, 4],
      [130, 9, 5],
    ] as const) {
      const t = randu([rows, n], seed);
      const w = randn([rows, n], seed + 100);
      for (let i = 3; i < w.length; i += 11) w[i] = 0;
      const b = new Float32Array(rows);
      for (let r = 0; r < rows; r++) b[r] = dot(w, t, r * n, n) + randn([1], seed * 1000 + r, Math.sqrt(n) * 0.3)[0]!;
      await checkForward((_g, [pt, pw, pb]) => linfHyperplaneProjection(pt!, pw!, pb!), [
        { name: 't', shape: [rows, n], data: t },
        { name: 'w', shape: [rows, n], data: w },
        { name: 'b', shape: [rows], data: b },
      ], { rtol: 1e-4, atol: 2e-5 });
    }
  });
});
