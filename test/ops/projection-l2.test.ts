/**
 * The FAB L2 projection: hand values, the CPU reference against a brute-force minimum-norm solution
 * (every active set of the box enumerated) and against an independent bisection, and the GPU kernel
 * against the CPU reference.
 */
import { describe, it, expect } from 'vitest';
import { checkForward, randn, randu } from '../helpers/op-harness.js';
import { cpuProjection, rowDot as dot } from './projection-cases.js';
import { l2HyperplaneProjection } from '../../src/ops/projection-l2.js';

const project = cpuProjection(l2HyperplaneProjection);

/**
 * min |d|_2 subject to w . (t + d) = b and t + d in [0, 1]^n, by enumerating which coordinates sit
 * on the lower bound, the upper bound, or are free (3^n active sets): for each, the free part is
 * the minimum-norm solution of the equality; the best feasible candidate is the optimum. Null when
 * no point of the box lies on the plane.
 */
function bruteForce(t: number[], w: number[], b: number): number[] | null {
  const n = t.length;
  let best: number[] | null = null;
  let bestNorm = Infinity;
  for (let code = 0; code < 3 ** n; code++) {
    const state = Array.from({ length: n }, (_, i) => Math.floor(code / 3 ** i) % 3); // 0 free, 1 lower, 2 upper
    const d = state.map((s, i) => (s === 1 ? -t[i]! : s === 2 ? 1 - t[i]! : 0));
    const rhs = b - t.reduce((s, v, i) => s + w[i]! * (v + d[i]!), 0);
    const wf = state.reduce((s, st, i) => s + (st === 0 ? w[i]! * w[i]! : 0), 0);
    if (wf === 0) {
      if (Math.abs(rhs) > 1e-12) continue;
    } else {
      for (let i = 0; i < n; i++) if (state[i] === 0) d[i] = (rhs * w[i]!) / wf;
    }
    if (d.some((v, i) => t[i]! + v < -1e-12 || t[i]! + v > 1 + 1e-12)) continue;
    const norm = Math.hypot(...d);
    if (norm < bestNorm) {
      bestNorm = norm;
      best = d;
    }
  }
  return best;
}

describe('l2_hyperplane_projection (FAB L2 projection)', () => {
  it('matches hand values: free move, clipped move, unreachable plane, either side, w = 0', () => {
    // Row 0: w = (1, 1), t = (0.5, 0.5), plane z1 + z2 = 0.6: both move down by 0.2.
    // Row 1: w = (1, 2), t = (0.1, 0.5), plane z1 + 2 z2 = 0.1: the free solution -0.2 (1, 2) takes
    //   z1 below 0; z1 stops at 0 (r = 0.1), then 0.1 + 4 alpha = 1 -> alpha = 0.225, d2 = -0.45.
    // Row 2: w = (1, 1), t = (0.5, 0.5), plane z1 + z2 = -1: unreachable in the box, full move to 0.
    const d = project(
      3,
      2,
      Float32Array.of(0.5, 0.5, 0.1, 0.5, 0.5, 0.5),
      Float32Array.of(1, 1, 1, 2, 1, 1),
      Float32Array.of(0.6, 0.1, -1),
    );
    [-0.2, -0.2, -0.1, -0.45, -0.5, -0.5].forEach((v, i) => expect(d[i]).toBeCloseTo(v, 6));
    // t below the plane: w = (-2, 0, 1), t = (0.5, 0.3, 0.2), b = 0.9 (w.t = -0.8, needs +1.7):
    // z1 goes down (r = 0.25, saturating at 0.5), z3 up; 4 * 0.25 + alpha = 1.7 -> alpha = 0.7.
    const e = project(1, 3, Float32Array.of(0.5, 0.3, 0.2), Float32Array.of(-2, 0, 1), Float32Array.of(0.9));
    expect(e[0]).toBeCloseTo(-0.5, 6);
    expect(e[1]).toBe(0);
    expect(e[2]).toBeCloseTo(0.7, 6);
  });

  it('equals the brute-force minimum-norm point on the plane in the box (small random rows)', () => {
    const rows = 60;
    const n = 5;
    const t = randu([rows, n], 31);
    const w = randn([rows, n], 32);
    for (let i = 4; i < w.length; i += 13) w[i] = 0;
    const b = new Float32Array(rows);
    for (let r = 0; r < rows; r++) b[r] = dot(w, t, r * n, n) + randn([1], 300 + r, 1.2)[0]!;
    const d = project(rows, n, t, w, b);
    let clipped = 0;
    let unreachable = 0;
    for (let r = 0; r < rows; r++) {
      const tr = Array.from(t.slice(r * n, (r + 1) * n));
      const wr = Array.from(w.slice(r * n, (r + 1) * n));
      const got = Array.from(d.slice(r * n, (r + 1) * n));
      let expected = bruteForce(tr, wr, b[r]!);
      if (!expected) {
        // Unreachable: the reference moves every coordinate with w != 0 to the bound towards the plane.
        unreachable++;
        const side = Math.sign(dot(w, t, r * n, n) - b[r]!);
        expected = tr.map((v, i) => (wr[i] === 0 ? 0 : side * wr[i]! > 0 ? -v : 1 - v));
      } else if (expected.some((v, i) => Math.abs(tr[i]! + v) < 1e-9 || Math.abs(tr[i]! + v - 1) < 1e-9)) {
        clipped++;
      }
      got.forEach((v, i) => expect(v, `row ${r} coordinate ${i}`).toBeCloseTo(expected![i]!, 5));
    }
    // The cases the solver distinguishes all occur.
    expect(clipped).toBeGreaterThan(5);
    expect(unreachable).toBeGreaterThan(2);
    expect(rows - clipped - unreachable).toBeGreaterThan(5);
  });

  it('agrees with an independent bisection on alpha (wider rows)', () => {
    const rows = 20;
    const n = 40;
    const t = randu([rows, n], 41);
    const w = randn([rows, n], 42);
    const b = new Float32Array(rows);
    for (let r = 0; r < rows; r++) b[r] = dot(w, t, r * n, n) + randn([1], 400 + r, 2)[0]!;
    const d = project(rows, n, t, w, b);
    for (let r = 0; r < rows; r++) {
      const base = r * n;
      const c = dot(w, t, base, n) - b[r]!;
      const side = Math.sign(c);
      const move = (alpha: number) =>
        Array.from({ length: n }, (_, i) => {
          const wi = side * w[base + i]!;
          return wi > 0 ? -Math.min(alpha * wi, t[base + i]!) : Math.min(-alpha * wi, 1 - t[base + i]!);
        });
      const reach = (alpha: number) => -move(alpha).reduce((s, v, i) => s + side * w[base + i]! * v, 0);
      let lo = 0;
      let hi = 1e3;
      if (reach(hi) < Math.abs(c)) continue; // unreachable rows: covered above
      for (let k = 0; k < 200; k++) {
        const mid = (lo + hi) / 2;
        if (reach(mid) < Math.abs(c)) lo = mid;
        else hi = mid;
      }
      move(hi).forEach((v, i) => expect(d[base + i], `row ${r}`).toBeCloseTo(v, 5));
    }
  });

  it('GPU kernel (bisection on float bits + exact piece) agrees with the sorted-breakpoint CPU reference', async () => {
    for (const [rows, n, seed] of [
      [37, 50, 3],
      [5, 784, 4],
      [130, 9, 5],
    ] as const) {
      const t = randu([rows, n], seed);
      const w = randn([rows, n], seed + 100);
      for (let i = 3; i < w.length; i += 11) w[i] = 0;
      // Tiny weights: breakpoints far out (r up to ~1e6) and below the 1e-8 mask.
      for (let i = 5; i < w.length; i += 17) w[i] = i % 2 ? 1e-6 : 5e-9;
      const b = new Float32Array(rows);
      for (let r = 0; r < rows; r++) b[r] = dot(w, t, r * n, n) + randn([1], seed * 1000 + r, Math.sqrt(n) * 0.3)[0]!;
      await checkForward((_g, [pt, pw, pb]) => l2HyperplaneProjection(pt!, pw!, pb!), [
        { name: 't', shape: [rows, n], data: t },
        { name: 'w', shape: [rows, n], data: w },
        { name: 'b', shape: [rows], data: b },
      ], { rtol: 1e-4, atol: 2e-5 });
    }
  });
});
