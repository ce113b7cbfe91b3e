/**
 * The host-drawn parts of the L2 Square Attack (Andriushchenko et al. 2020; fra31/auto-attack
 * `square.py`, norm 'L2'): the perturbation windows of the start, the per-query pair of windows,
 * and the "meta pseudo-Gaussian" pattern both place in a window.
 *
 * - Pattern eta(s), s x s: the top s//2 rows hold +R(s//2, s), the other rows -R(s - s//2, s),
 *   each R(x, y) a sum of concentric rectangles around (x//2, y//2) weighted 1/(k+1)^2 (the k-th
 *   rectangle spans rows x//2 - k .. x//2 + k, cut to the block) and normalised to unit L2 norm;
 *   the whole pattern is normalised again and transposed with probability 1/2 at each use.
 * - Start: windows of side s0 = h//5 on a grid starting at (h - 5 s0)//2 on both axes, h//s0 rows
 *   by w//s0 columns of windows, each holding eta(s0) times a random sign per example and channel
 *   (drawn on the device); the sum is scaled to L2 norm eps. The reference fails on images whose
 *   grid overruns the image (e.g. 12 x 12); here such windows are left out.
 * - Query i: side s_i = max(round(sqrt(p_i h w)), 3), made odd, at most min(h, w), with p_i the
 *   L-inf attack's schedule (square-schedule.ts); two corners uniform in [0, h - s) x [0, w - s),
 *   the window pair shared by the whole batch as in the reference (it draws one pair per iteration).
 */
import { uniform } from '../util/random.js';
import { roundHalfEven, squareFraction, SQUARE_P_INIT } from './square-schedule.js';

/** R(x, y): concentric rectangles weighted 1/(k+1)^2, unit L2 norm (reference `eta_rectangles`). */
export function etaRectangles(x: number, y: number): Float64Array {
  const out = new Float64Array(x * y);
  const cx = Math.floor(x / 2);
  const cy = Math.floor(y / 2);
  const rings = Math.max(cx, cy) + 1;
  for (let k = 0; k < rings; k++) {
    for (let i = Math.max(cx - k, 0); i < Math.min(cx + k + 1, x); i++) {
      for (let j = Math.max(cy - k, 0); j < Math.min(cy + k + 1, y); j++) out[i * y + j]! += 1 / (k + 1) ** 2;
    }
  }
  return normalised(out);
}

function normalised(a: Float64Array): Float64Array {
  const n = Math.sqrt(a.reduce((s, v) => s + v * v, 0));
  return n > 0 ? a.map((v) => v / n) : a;
}

/** eta(s) [s * s], row-major, untransposed (reference `eta`, norm L2). */
export function etaPattern(s: number): Float64Array {
  const half = Math.floor(s / 2);
  const out = new Float64Array(s * s);
  out.set(etaRectangles(half, s), 0);
  const lower = etaRectangles(s - half, s);
  for (let k = 0; k < lower.length; k++) out[half * s + k] = -lower[k]!;
  return normalised(out);
}

/** Add eta(s) (transposed if asked) at (top, left) of an h x w image, scaled by `scale`. */
export function placePattern(image: Float32Array, offset: number, w: number, s: number, top: number, left: number, transpose: boolean, pattern = etaPattern(s)): void {
  for (let i = 0; i < s; i++) {
    for (let j = 0; j < s; j++) image[offset + (top + i) * w + left + j]! += pattern[transpose ? j * s + i : i * s + j]!;
  }
}

/** The L2 attack's window side at query `iteration`. */
export function squareSideL2(iteration: number, height: number, width: number, pInit = SQUARE_P_INIT): number {
  let s = Math.max(roundHalfEven(Math.sqrt(squareFraction(iteration, pInit) * height * width)), 3);
  if (s % 2 === 0) s += 1;
  return Math.min(s, Math.min(height, width));
}

/** Columns of a query row: the first window (which gets the new pattern), the second (emptied), the side. */
export const SQUARE_L2_ROW = { top: 0, left: 1, top2: 2, left2: 3, side: 4, transpose: 5 } as const;
const COLS = 6;

/** [queries, 6] rows (top, left, top2, left2, side, transpose 0/1) for one run. */
export function squareL2Windows(queries: number, height: number, width: number, seed: number, stream: number, pInit = SQUARE_P_INIT): Float32Array {
  const table = new Float32Array(queries * COLS);
  for (let i = 0; i < queries; i++) {
    const s = squareSideL2(i, height, width, pInit);
    const draw = (j: number) => uniform(seed, stream, i * (COLS + 1) + j);
    const row = i * COLS;
    table[row + SQUARE_L2_ROW.top] = Math.floor(draw(0) * Math.max(height - s, 0));
    table[row + SQUARE_L2_ROW.left] = Math.floor(draw(1) * Math.max(width - s, 0));
    table[row + SQUARE_L2_ROW.top2] = Math.floor(draw(2) * Math.max(height - s, 0));
    table[row + SQUARE_L2_ROW.left2] = Math.floor(draw(3) * Math.max(width - s, 0));
    table[row + SQUARE_L2_ROW.side] = s;
    table[row + SQUARE_L2_ROW.transpose] = draw(4) > 0.5 ? 1 : 0;
  }
  return table;
}

/**
 * The device's per-query rows for queries [first, first + count) of `windows`, padded to `rows`:
 * the five window numbers, then the h x w image of the first window's pattern (zero elsewhere).
 * Built per chunk of queries so the upload stays small (one pattern image per query).
 */
export function squareL2ChunkTable(windows: Float32Array, first: number, count: number, rows: number, height: number, width: number): Float32Array {
  const cols = 5 + height * width;
  const out = new Float32Array(rows * cols);
  const patterns = new Map<number, Float64Array>();
  for (let q = 0; q < count; q++) {
    const src = (first + q) * COLS;
    const s = windows[src + SQUARE_L2_ROW.side]!;
    if (!patterns.has(s)) patterns.set(s, etaPattern(s));
    for (let j = 0; j < 5; j++) out[q * cols + j] = windows[src + j]!;
    placePattern(out, q * cols + 5, width, s, windows[src + SQUARE_L2_ROW.top]!, windows[src + SQUARE_L2_ROW.left]!, windows[src + SQUARE_L2_ROW.transpose] === 1, patterns.get(s));
  }
  return out;
}

/** Columns of the chunk table before the pattern image. */
export const SQUARE_L2_CHUNK_HEADER = 5;

/**
 * The start's windows as [windows, h * w] images (eta(s0), each transposed with probability 1/2,
 * shared by the batch as the reference draws them); the device multiplies them by its signs.
 */
export function squareL2StartPatterns(height: number, width: number, seed: number, stream: number): { count: number; images: Float32Array } {
  const s = Math.floor(height / 5);
  if (s < 1 || width < 5) throw new Error(`the L2 Square Attack needs images of at least 5 x 5, got ${height} x ${width}`);
  const first = Math.floor((height - 5 * s) / 2);
  const corners: [number, number][] = [];
  for (let a = 0; a < Math.floor(height / s); a++) {
    for (let b = 0; b < Math.floor(width / s); b++) {
      const top = first + a * s;
      const left = first + b * s;
      if (top + s <= height && left + s <= width) corners.push([top, left]);
    }
  }
  const pattern = etaPattern(s);
  const images = new Float32Array(corners.length * height * width);
  corners.forEach(([top, left], k) => placePattern(images, k * height * width, width, s, top, left, uniform(seed, stream, k) > 0.5, pattern));
  return { count: corners.length, images };
}
