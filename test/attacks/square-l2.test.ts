/**
 * The L2 Square Attack: its pattern and window schedule against hand values, one query's candidate
 * (GPU) against a loop-by-loop transcription of fra31/auto-attack's L2 update, and the whole attack
 * on a linear model whose input gradients are masked: every accepted iterate stays in the L2 ball
 * and the box, a seed gives the same run, and the attack breaks points no gradient attack can see.
 */
import { describe, expect, it } from 'vitest';
import { Graph } from '../../src/ir/graph.js';
import { OPS } from '../../src/ops/registry.js';
import { sharedTestRuntime } from '../helpers/gpu.js';
import { gpuRun, expectClose, randu } from '../helpers/op-harness.js';
import { RobustEvaluator } from '../../src/attacks/robust-eval.js';
import { SquareL2, squareL2Candidate } from '../../src/attacks/square-l2.js';
import { writeRobust, evalVar } from '../../src/attacks/batch.js';
import { etaPattern, squareL2ChunkTable, squareL2StartPatterns, squareSideL2, SQUARE_L2_CHUNK_HEADER } from '../../src/attacks/square-l2-schedule.js';
import { linearClassifier, logitsOf, worstMarginL2, type LinearModel } from './models.js';

describe('L2 Square schedule', () => {
  it('eta(3): +R(1, 3) over -R(2, 3), concentric rectangles weighted 1, 1/4, normalised', () => {
    const top = [0.25, 1.25, 0.25].map((v) => v / Math.sqrt(1.6875));
    const bottom = [0.25, 0.25, 0.25, 0.25, 1.25, 0.25].map((v) => -v / Math.sqrt(1.875));
    expectClose(Array.from(etaPattern(3)), [...top, ...bottom].map((v) => v / Math.SQRT2), { rtol: 1e-12, atol: 1e-12 });
    for (const s of [1, 3, 5, 7, 29]) expect(Math.hypot(...etaPattern(s))).toBeCloseTo(1, 12);
  });

  it('window sides: at least 3, odd, at most the image; the start grid of h//5 windows', () => {
    expect([0, 10, 11, 50, 51, 4001].map((i) => squareSideL2(i, 32, 32))).toEqual([29, 29, 21, 21, 15, 3]);
    expect([0, 11].map((i) => squareSideL2(i, 10, 10))).toEqual([9, 7]);
    expect(squareL2StartPatterns(32, 32, 0, 1).count).toBe(25); // s0 = 6 from row/column 1
    expect(squareL2StartPatterns(10, 10, 0, 1).count).toBe(25); // s0 = 2 from 0
    expect(squareL2StartPatterns(12, 12, 0, 1).count).toBe(25); // the 6th row/column of windows would overrun
    expect(() => squareL2StartPatterns(4, 4, 0, 1)).toThrow(/5 x 5/);
  });
});

/** fra31/auto-attack's L2 Square update for one example, written out loop by loop. */
function referenceCandidate(x: Float32Array, xb: Float32Array, c: number, h: number, w: number, win: number[], eta: Float64Array, signs: number[], eps: number): number[] {
  const [top, left, top2, left2, s] = win as [number, number, number, number, number];
  const at = (ch: number, i: number, j: number) => ch * h * w + i * w + j;
  const delta = Array.from(xb, (v, i) => v - x[i]!);
  const normImage = Math.sqrt(delta.reduce((a, v) => a + v * v, 0));
  const inFirst = (i: number, j: number) => i >= top && i < top + s && j >= left && j < left + s;
  const inSecond = (i: number, j: number) => i >= top2 && i < top2 + s && j >= left2 && j < left2 + s;
  const out = delta.slice();
  for (let ch = 0; ch < c; ch++) {
    let n1 = 0;
    let nBoth = 0;
    for (let i = 0; i < h; i++) {
      for (let j = 0; j < w; j++) {
        const v = delta[at(ch, i, j)]! ** 2;
        if (inFirst(i, j)) n1 += v;
        if (inFirst(i, j) || inSecond(i, j)) nBoth += v;
      }
    }
    const fresh = Array.from({ length: s * s }, (_, k) => eta[k]! * signs[ch]! + delta[at(ch, top + Math.floor(k / s), left + (k % s))]! / (1e-12 + Math.sqrt(n1)));
    const nFresh = Math.sqrt(fresh.reduce((a, v) => a + v * v, 0));
    const scale = Math.sqrt(Math.max(eps * eps - normImage * normImage, 0) / c + nBoth);
    for (let i = top2; i < top2 + s; i++) for (let j = left2; j < left2 + s; j++) out[at(ch, i, j)] = 0;
    fresh.forEach((v, k) => (out[at(ch, top + Math.floor(k / s), left + (k % s))] = (v / (1e-12 + nFresh)) * scale));
  }
  const n = Math.sqrt(out.reduce((a, v) => a + v * v, 0));
  return out.map((v, i) => Math.min(Math.max(x[i]! + (v / (n + 1e-12)) * eps, 0), 1));
}

describe('L2 Square query', () => {
  it('matches the reference update, keeps the L2 norm at eps before clipping, and stays in the ball and box', async () => {
    const [B, C, H, W] = [3, 2, 7, 7];
    const size = C * H * W;
    const eps = 0.9;
    const x = randu([B, size], 61, 0, 1);
    const raw = randu([B, size], 62, -1, 1);
    const xb = new Float32Array(B * size);
    for (let b = 0; b < B; b++) {
      // x_best: some earlier point strictly inside the ball (the first example on a coarse grid of zeros).
      const d = raw.slice(b * size, (b + 1) * size).map((v, i) => (b === 0 && i % 3 ? 0 : v));
      const n = Math.hypot(...d);
      d.forEach((v, i) => (xb[b * size + i] = Math.min(Math.max(x[b * size + i]! + (v / n) * eps * (0.5 + 0.2 * b), 0), 1)));
    }
    const signs = [1, -1, -1, -1, 1, 1];
    // Overlapping windows, disjoint windows, and the same window twice; one transposed pattern.
    for (const win of [
      [1, 2, 3, 3, 3, 0],
      [0, 0, 2, 2, 5, 1],
      [4, 1, 4, 1, 3, 0],
    ]) {
      const table = squareL2ChunkTable(Float32Array.from(win), 0, 1, 1, H, W);
      const g = new Graph(OPS);
      const tx = g.input('x', [B, C, H, W]);
      const tb = g.input('xb', [B, C, H, W]);
      const row = g.input('row', [1, SQUARE_L2_CHUNK_HEADER + H * W]);
      const sg = g.input('signs', [B, C, 1, 1]);
      const [cand] = await gpuRun(g, { x, xb, row: table, signs: Float32Array.from(signs) }, [squareL2Candidate(tx, tb, row, sg, eps)]);
      const s = win[4]!;
      const eta = etaPattern(s);
      const placed = win[5] ? eta.map((_, k) => eta[(k % s) * s + Math.floor(k / s)]!) : eta;
      for (let b = 0; b < B; b++) {
        const expected = referenceCandidate(x.slice(b * size, (b + 1) * size), xb.slice(b * size, (b + 1) * size), C, H, W, win, placed, signs.slice(b * C, (b + 1) * C), eps);
        const got = Array.from(cand!.slice(b * size, (b + 1) * size));
        expectClose(got, expected, { rtol: 1e-4, atol: 1e-5 }, `window ${win.join(',')}, example ${b}`);
        got.forEach((v) => expect(v >= 0 && v <= 1).toBe(true));
        expect(Math.hypot(...got.map((v, i) => v - x[b * size + i]!))).toBeLessThanOrEqual(eps * (1 + 1e-5));
      }
    }
  });
});

describe('L2 Square attack on a linear model with masked gradients', () => {
  const SHAPE = [1, 10, 10];
  const D = 100;
  const N = 40;
  // Four classes of which two are never competitive (as test/attacks/linear.test.ts).
  const m: LinearModel = { w: randu([4, D], 3, -1, 1), b: Float32Array.of(0, 0, -60, -60), classes: 4, dims: D };
  const x = randu([N, D], 11, 0.2, 0.8);
  const y = Int32Array.from({ length: N }, (_, i) => {
    const z = logitsOf(m, x, i * D);
    return z.indexOf(Math.max(...z));
  });
  const critical = Array.from({ length: N }, (_, i) => {
    let lo = 0;
    let hi = 2;
    for (let k = 0; k < 40; k++) {
      const mid = (lo + hi) / 2;
      if (worstMarginL2(m, x, i * D, y[i]!, mid) > 0) lo = mid;
      else hi = mid;
    }
    return lo;
  });
  const eps = 1.5 * [...critical].sort((a, b) => a - b)[N >> 1]!;
  // Without the box the worst case is closed-form; the box only shrinks the set, so these stay robust.
  const unbreakable = critical.map((c) => c > eps * 1.001);
  const ones = new Uint8Array(N).fill(1);

  async function attack(queries: number, seed: number): Promise<{ flags: Uint8Array; xBest: Float32Array }> {
    const rt = await sharedTestRuntime();
    const masked = linearClassifier(m, { masked: true });
    const evaluator = new RobustEvaluator(rt, masked, SHAPE, 1);
    evaluator.setBatch(N, x, y, Int32Array.from({ length: N }, (_, i) => i));
    const square = new SquareL2(rt, masked, SHAPE);
    writeRobust(rt, SHAPE, N, ones);
    const flags = await square.run(N, { eps, queries }, seed, 3, ones);
    const xBest = (await rt.variables.read(evalVar(N, SHAPE, 'square-l2/x_best'))) as Float32Array;
    return { flags, xBest: Float32Array.from(xBest) };
  }

  function expectInBallAndBox(xBest: Float32Array): void {
    for (let i = 0; i < N; i++) {
      const row = xBest.slice(i * D, (i + 1) * D);
      row.forEach((v) => expect(v >= 0 && v <= 1).toBe(true));
      expect(Math.hypot(...Array.from(row, (v, d) => v - x[i * D + d]!))).toBeLessThanOrEqual(eps * (1 + 1e-5));
    }
  }

  it('breaks points the masked gradients hide, never an unbreakable one, within the ball and box', async () => {
    for (const queries of [1, 30]) expectInBallAndBox((await attack(queries, 1)).xBest);
    const { flags, xBest } = await attack(300, 1);
    expectInBallAndBox(xBest);
    const robust = flags.reduce((s, v) => s + v, 0);
    expect(robust, `robust ${robust} of ${N}`).toBeLessThan(N - 10);
    for (let i = 0; i < N; i++) if (unbreakable[i]) expect(flags[i], `example ${i}`).toBe(1);
    expect(unbreakable.filter(Boolean).length).toBeGreaterThan(3);
  }, 600_000); // the first run compiles every kernel (tens of seconds each on a busy lavapipe)

  it('is deterministic for a seed; another seed searches other windows', async () => {
    const a = await attack(60, 5);
    const b = await attack(60, 5);
    expect(Array.from(b.flags)).toEqual(Array.from(a.flags));
    expect(Array.from(b.xBest)).toEqual(Array.from(a.xBest));
    const other = await attack(60, 6);
    expect(Array.from(other.xBest)).not.toEqual(Array.from(a.xBest));
  }, 600_000);
});
